"""Times Pillow on one image, in process, and writes its results for PSNR.

Usage: python3 pillow.py IMAGE OUTDIR SECONDS

Paths timed (each the median of repeated runs within SECONDS):
  original  the original system: open, convert("L"), save as JPEG (default
            quality), open that, resize to half (default filter), save q80
  equal     Pillow at its best at equal quality: libjpeg decodes straight to
            gray at full size (draft), resize(BICUBIC) to half, save q80
  draft     Pillow's fast path: draft() decodes at half scale in the DCT
            domain, then save q80 (a resize only fixes odd sizes)

Writes OUTDIR/reference.pgm: the original flattened onto white where it has
alpha, convert("L"), resize(LANCZOS) to half, with no JPEG in between; and
OUTDIR/{original,equal,draft}.pgm: each path's result before its final
save. Prints one JSON object.
"""
import io
import json
import sys
import time

from PIL import Image

path, outdir, budget = sys.argv[1], sys.argv[2], float(sys.argv[3])
data = open(path, "rb").read()


def open_image(b):
    """Image.open, reading the whole file in one block: libjpeg cannot
    suspend inside arithmetic-coded data, so Pillow's default 64 KiB
    blocks fail on such files."""
    im = Image.open(io.BytesIO(b))
    im.decodermaxblock = max(im.decodermaxblock, len(b) + 1024)
    return im


first = open_image(data)
W, H = first.size
HALF = (max(1, W // 2), max(1, H // 2))
JPEG = first.format == "JPEG"


def gray_on_white(im):
    if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, im).convert("L")
    return im.convert("L")


def save(im):
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80)
    return out


def original():
    im = open_image(data).convert("L")
    buf = io.BytesIO()
    im.save(buf, "JPEG")
    im = open_image(buf.getvalue())
    scaled = im.resize(HALF)
    save(scaled)
    return scaled


def equal():
    im = open_image(data)
    if JPEG and im.mode in ("RGB", "YCbCr"):
        im.draft("L", im.size)
    scaled = gray_on_white(im).resize(HALF, Image.BICUBIC)
    save(scaled)
    return scaled


def draft():
    im = open_image(data)
    if JPEG:
        im.draft("L", HALF)
    im = gray_on_white(im)
    if im.size != HALF:
        im = im.resize(HALF, Image.BICUBIC)
    save(im)
    return im


def timed(fn):
    times, deadline = [], time.perf_counter() + budget
    while len(times) < 3 or (time.perf_counter() < deadline and len(times) < 50):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1000, result


report = {"width": W, "height": H, "format": first.format, "mode": first.mode}
for name, fn in (("original", original), ("equal", equal), ("draft", draft)):
    ms, result = timed(fn)
    report[name + "_ms"] = ms
    result.save(f"{outdir}/{name}.pgm")
gray_on_white(open_image(data)).resize(HALF, Image.LANCZOS).save(f"{outdir}/reference.pgm")
print(json.dumps(report))
