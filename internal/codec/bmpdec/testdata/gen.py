#!/usr/bin/python3
"""Regenerates the BMP files of this folder and their reference grays.

Run it with Debian's /usr/bin/python3, which has Pillow 9.4 (python3-pil),
from any folder; it needs ImageMagick 6 (convert). See README.md. The
outputs depend on those versions; the tests only need the committed files.

For each NAME.bmp that Pillow decodes as it should, NAME.pgm is Pillow's
gray of it: Image.open, convert("RGBA"), each pixel composited onto white
with (c*a + 255*(255-a) + 127) // 255 and its ITU-R 601-2 luma taken as
convert("L") does, (19595*r + 38470*g + 7471*b + 32768) >> 16. For the
files Pillow 9.4 refuses or decodes wrongly, the reference is Pillow's
gray of a twin: a file of a layout Pillow reads that holds the same
colours (the twin itself is not kept). The files named unsupported-* have
no reference: the decoder must refuse them.
"""

import atexit
import io
import os
import shutil
import struct
import subprocess
import tempfile
import zlib

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
os.chdir(HERE)
TMP = tempfile.mkdtemp()
atexit.register(shutil.rmtree, TMP)

# The list of files and how each was made, for README.md.
made = []


def note(name, how):
    made.append((name, how))


def run(*args):
    subprocess.run(args, check=True)


# ---------------------------------------------------------------- pictures

# Seeded fractal plasma, the same every time: 48x32 for most files, 17x9 for
# odd widths (row padding, pixels in the last byte of a row).
SRC = os.path.join(TMP, "src.ppm")
SMALL = os.path.join(TMP, "small.ppm")
run("convert", "-seed", "7", "-size", "48x32", "plasma:fractal", "-depth", "8", SRC)
run("convert", "-seed", "8", "-size", "17x9", "plasma:fractal", "-depth", "8", SMALL)
# The same with alpha rising from 0 at the left to 255 at the right.
ALPHA = os.path.join(TMP, "alpha.miff")
run("convert", SRC, "-alpha", "set", "-channel", "A", "-fx", "i/(w-1)", "+channel", ALPHA)

src = Image.open(SRC).convert("RGB")
small = Image.open(SMALL).convert("RGB")


def alpha_of(x, y):
    """A deterministic alpha pattern with 0, 255 and values between."""
    v = (x * 11 + y * 7) % 64
    return 0 if v < 4 else 255 if v > 44 else (v - 4) * 6


# ------------------------------------------------------------ file writing


def info_header(size, w, h, bits, comp=0, colors=0, image_size=0, masks=None):
    """A BITMAPINFOHEADER of size bytes (40 and up), masks (up to 4) in it."""
    b = struct.pack("<IiiHHIIiiII", size, w, h, 1, bits, comp, image_size, 2835, 2835, colors, 0)
    if size > 40:
        ext = b"".join(struct.pack("<I", m) for m in (masks or ()))
        b += (ext + bytes(size - 40))[: size - 40]
    if size >= 108:
        # Colour space "sRGB" in a V4 or V5 header.
        b = b[:56] + b"BGRs" + b[60:]
    return b


def core_header(w, h, bits):
    """An OS/2 1.x BITMAPCOREHEADER."""
    return struct.pack("<IHHHH", 12, w, h, 1, bits)


def bmp_file(header, pixels, palette=b"", masks=b"", offset=None):
    """A whole file: file header, info header, masks, palette, pixels."""
    body = header + masks + palette
    if offset is None:
        offset = 14 + len(body)
    gap = b""
    if offset > 14 + len(body):
        gap = bytes(offset - 14 - len(body))
    return b"BM" + struct.pack("<IHHI", 14 + len(body) + len(gap) + len(pixels), 0, 0, offset) + body + gap + pixels


def palette_bytes(colors, entry=4):
    """colors, a list of (r, g, b), as BMP palette entries."""
    out = b""
    for r, g, b in colors:
        out += bytes([b, g, r]) + (b"\0" if entry == 4 else b"")
    return out


def stride(w, bits):
    return ((w * bits + 31) // 32) * 4


def pack_rows(rows, w, bits, top_down=False):
    """Rows of pixel values (indexes, or integers of bits bits) as stored."""
    out = b""
    order = rows if top_down else rows[::-1]
    for row in order:
        if bits <= 8:
            acc, n, line = 0, 0, b""
            for v in row:
                acc = acc << bits | v
                n += bits
                if n == 8:
                    line += bytes([acc])
                    acc, n = 0, 0
            if n:
                line += bytes([acc << (8 - n)])
        else:
            line = b"".join(v.to_bytes(bits // 8, "little") for v in row)
        out += line + bytes(stride(w, bits) - len(line))
    return out


def rgb_rows(img):
    w, h = img.size
    px = img.load()
    return [[px[x, y] for x in range(w)] for y in range(h)]


def quantize(img, colors):
    """img with at most colors colours: (rows of indexes, palette)."""
    q = img.quantize(colors=colors, dither=Image.Dither.NONE)
    pal = q.getpalette()[: 3 * colors]
    palette = [tuple(pal[3 * i : 3 * i + 3]) for i in range(len(pal) // 3)]
    w, h = q.size
    px = q.load()
    return [[px[x, y] for x in range(w)] for y in range(h)], palette


def scale_down(v, bits):
    """An 8-bit value to a field of bits bits, rounded."""
    return (v * ((1 << bits) - 1) + 127) // 255


def scale_up(v, bits):
    """A field of bits bits to 8 bits as Pillow does: v*255 // max."""
    return v * 255 // ((1 << bits) - 1)


def write(name, data, how, twin=None):
    """Writes name; its reference is Pillow's gray of data, or of twin."""
    with open(name, "wb") as f:
        f.write(data)
    note(name, how)
    if name.startswith("unsupported-"):
        return
    w, h, gray = pillow_gray(twin if twin is not None else data)
    with open(name[:-4] + ".pgm", "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (w, h) + bytes(gray))


def pillow_gray(data):
    im = Image.open(io.BytesIO(data))
    im.load()
    im = im.convert("RGBA")
    out = []
    for r, g, b, a in im.getdata():
        if a != 255:
            r, g, b = [(c * a + 255 * (255 - a) + 127) // 255 for c in (r, g, b)]
        out.append((19595 * r + 38470 * g + 7471 * b + 32768) >> 16)
    return im.size[0], im.size[1], out


def convert(name, src_file, *args, prefix="bmp3"):
    run("convert", src_file, *args, "%s:%s" % (prefix, name))
    with open(name, "rb") as f:
        return f.read()


# -------------------------------------------------------------- ImageMagick

for name, srcf, args, prefix, how in [
    ("im-v5-rgb24.bmp", SRC, [], "bmp", "`convert` to `bmp:`: a V5 header, 24 bits"),
    ("im-info-rgb24.bmp", SRC, [], "bmp3", "`convert` to `bmp3:`: a BITMAPINFOHEADER, 24 bits"),
    ("im-core-rgb24.bmp", SRC, [], "bmp2", "`convert` to `bmp2:`: an OS/2 1.x BITMAPCOREHEADER, 24 bits"),
    ("im-info-rgb24-17x9.bmp", SMALL, [], "bmp3", "17x9, `bmp3:`: rows padded by 1 byte"),
    ("im-v5-bgra32.bmp", ALPHA, [], "bmp", "with alpha, `bmp:`: V5, bit fields with an alpha mask"),
    ("im-v5-rgb565.bmp", SRC, ["-define", "bmp:subtype=RGB565"], "bmp", "`-define bmp:subtype=RGB565`"),
    ("im-v5-rgb555.bmp", SRC, ["-define", "bmp:subtype=RGB555"], "bmp", "`-define bmp:subtype=RGB555`"),
    ("im-v5-argb1555.bmp", ALPHA, ["-define", "bmp:subtype=ARGB1555"], "bmp",
     "with alpha, `-define bmp:subtype=ARGB1555`: Pillow ignores the alpha mask of 5-5-5 pixels"),
    ("im-info-rle8.bmp", SRC, ["-type", "Palette", "-compress", "RLE"], "bmp3", "`-type Palette -compress RLE`: RLE8"),
    ("im-info-rle8-16.bmp", SRC, ["-colors", "16", "-compress", "RLE"], "bmp3", "`-colors 16 -compress RLE`: RLE8, long runs"),
    ("im-info-rle8-17x9.bmp", SMALL, ["-type", "Palette", "-compress", "RLE"], "bmp3", "17x9, RLE8"),
    ("im-info-pal8.bmp", SRC, ["-type", "Palette"], "bmp3", "`-type Palette`: 8 bits"),
    ("im-info-pal4.bmp", SRC, ["-colors", "16"], "bmp3", "`-colors 16`: 4 bits"),
    ("im-info-pal4-17x9.bmp", SMALL, ["-colors", "16"], "bmp3", "17x9, 4 bits: a pixel in the high nibble of a row's last byte"),
    ("im-info-pal1.bmp", SRC, ["-monochrome"], "bmp3", "`-monochrome`: 1 bit, black and white"),
    ("im-info-pal1-17x9.bmp", SMALL, ["-monochrome"], "bmp3", "17x9, 1 bit"),
    ("im-core-pal8.bmp", SRC, ["-type", "Palette"], "bmp2", "`bmp2:`, `-type Palette`: OS/2 1.x, 3-byte palette entries"),
    ("im-core-pal4.bmp", SRC, ["-colors", "16"], "bmp2", "`bmp2:`, `-colors 16`"),
    ("im-core-pal1.bmp", SRC, ["-monochrome"], "bmp2", "`bmp2:`, `-monochrome`"),
]:
    write(name, convert(name, srcf, *args, prefix=prefix), how)

# ARGB4444, which Pillow refuses: its twin is the same colours as 32-bit
# BGRA with a V5 header, each 4-bit field scaled by 17.
data = convert("im-v5-argb4444.bmp", ALPHA, "-define", "bmp:subtype=ARGB4444", prefix="bmp")
off = struct.unpack_from("<I", data, 10)[0]
w, h = struct.unpack_from("<ii", data, 18)
vals = [struct.unpack_from("<H", data, off + y * stride(w, 16) + 2 * x)[0] for y in range(h) for x in range(w)]
rows = [[vals[y * w + x] for x in range(w)] for y in range(h)]  # stored order
twin_rows = [[((v >> 12) * 17) << 24 | ((v >> 8 & 15) * 17) << 16 | ((v >> 4 & 15) * 17) << 8 | (v & 15) * 17 for v in r] for r in rows]
# Rows in the order stored, bottom-up, as in the file.
twin = bmp_file(info_header(124, w, h, 32, 3, masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000)), pack_rows(twin_rows, w, 32, top_down=True))
write("im-v5-argb4444.bmp", data, "with alpha, `-define bmp:subtype=ARGB4444` (twin: 32-bit BGRA)", twin)

# ------------------------------------------------------------------ Pillow


def pillow_save(name, img, how):
    buf = io.BytesIO()
    img.save(buf, "BMP")
    write(name, buf.getvalue(), how)


pillow_save("pil-l.bmp", src.convert("L"), "Pillow, mode L: 8 bits, a gray ramp palette")
pillow_save("pil-1.bmp", src.convert("1"), "Pillow, mode 1: 1 bit, dithered")
pillow_save("pil-p.bmp", src.quantize(colors=100), "Pillow, mode P: 8 bits, 100 colours")
pillow_save("pil-rgb.bmp", src, "Pillow, RGB: 24 bits")
rgba = src.copy()
rgba.putalpha(Image.frombytes("L", src.size, bytes(alpha_of(x, y) for y in range(32) for x in range(48))))
pillow_save("pil-rgba.bmp", rgba, "Pillow, RGBA: 32 bits BI_RGB, whose 4th byte Pillow reads as padding")

# -------------------------------------------------------------- by hand

W, H = src.size
rows = rgb_rows(src)
idx8, pal8 = quantize(src, 256)
idx16, pal16 = quantize(src, 16)
idx4c, pal4c = quantize(src, 4)


def bgr24(rows):
    return [[r << 16 | g << 8 | b for (r, g, b) in row] for row in rows]


def rgb24_file(header_size=40, top_down=False, rows=rows, w=W):
    h = len(rows)
    return bmp_file(info_header(header_size, w, -h if top_down else h, 24), pack_rows(bgr24(rows), w, 24, top_down))


RGB24 = rgb24_file()  # a twin for many


def packed(rows, fields, alpha=None):
    """Rows of RGB (and alpha) as pixels of the given (shift, bits) fields."""
    out = []
    for y, row in enumerate(rows):
        line = []
        for x, (r, g, b) in enumerate(row):
            v = 0
            for (shift, n), c in zip(fields, (r, g, b, alpha(x, y) if alpha else 0)):
                if n:
                    v |= scale_down(c, n) << shift
            line.append(v)
        out.append(line)
    return out


def mask(shift, n):
    return ((1 << n) - 1) << shift if n else 0


def unpacked_twin(prows, fields, w, top_down=False):
    """The twin of packed pixels: 32-bit BGRA of the fields scaled up."""
    h = len(prows)
    has_alpha = fields[3][1] > 0
    out = []
    for row in prows:
        line = []
        for v in row:
            c = [scale_up(v >> s & ((1 << n) - 1), n) if n else 0 for s, n in fields]
            a = c[3] if has_alpha else 255
            line.append(a << 24 | c[0] << 16 | c[1] << 8 | c[2])
        out.append(line)
    return bmp_file(info_header(124, w, -h if top_down else h, 32, 3, masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000)), pack_rows(out, w, 32, top_down))


def bitfields_file(name, size, bits, fields, how, comp=3, alpha=None, after=False, pillow=True, top_down=False):
    prows = packed(rows, fields, alpha)
    masks = [mask(s, n) for s, n in fields]
    hdr_masks = masks if not after else None
    trail = b""
    if after:
        n = 4 if comp == 6 else 3
        trail = b"".join(struct.pack("<I", m) for m in masks[:n])
    data = bmp_file(info_header(size, W, -H if top_down else H, bits, comp, masks=hdr_masks), pack_rows(prows, W, bits, top_down), masks=trail)
    write(name, data, how, None if pillow else unpacked_twin(prows, fields, W, top_down))


F565 = [(11, 5), (5, 6), (0, 5), (0, 0)]
bitfields_file("info-bitfields-rgb565.bmp", 40, 16, F565, "BITMAPINFOHEADER, BI_BITFIELDS, 5-6-5 masks after the header", after=True)
bitfields_file("v2-bitfields-rgb565.bmp", 52, 16, F565, "a 52-byte V2 header with 5-6-5 masks in it (twin: V5, 32 bits)", pillow=False)
bitfields_file("v3-bitfields-argb32.bmp", 56, 32, [(16, 8), (8, 8), (0, 8), (24, 8)], "a 56-byte V3 header, BGRA masks in it (twin: V5)", alpha=alpha_of, pillow=False)
bitfields_file("v4-bitfields-abgr32.bmp", 108, 32, [(24, 8), (16, 8), (8, 8), (0, 8)], "V4, masks ff000000 ff0000 ff00 ff: alpha in the low byte", alpha=alpha_of)
bitfields_file("v4-bitfields-rgba32.bmp", 108, 32, [(0, 8), (8, 8), (16, 8), (24, 8)], "V4, masks ff ff00 ff0000 ff000000", alpha=alpha_of)
bitfields_file("v5-bitfields-xbgr32.bmp", 124, 32, [(24, 8), (16, 8), (8, 8), (0, 0)], "V5, masks ff000000 ff0000 ff00, no alpha")
bitfields_file("v5-bitfields-rgb444.bmp", 124, 16, [(8, 4), (4, 4), (0, 4), (0, 0)], "V5, 4-4-4 bits, no alpha (twin: 32 bits)", pillow=False)
bitfields_file("v5-bitfields-argb2101010.bmp", 124, 32, [(20, 10), (10, 10), (0, 10), (30, 2)], "V5, 10-bit colour and 2-bit alpha (twin: 32 bits)", alpha=alpha_of, pillow=False)
bitfields_file("v5-bitfields-rgb565-topdown.bmp", 124, 16, F565, "V5, 5-6-5, rows top-down", top_down=True)
bitfields_file("info-alphabitfields-argb32.bmp", 40, 32, [(16, 8), (8, 8), (0, 8), (24, 8)], "BITMAPINFOHEADER, BI_ALPHABITFIELDS (6), 4 masks after the header (twin: V5)", comp=6, alpha=alpha_of, after=True, pillow=False)

# Uncompressed 16-bit pixels: 5-5-5 for Pillow, the top bit ignored (set
# here on every other pixel).
p555 = packed(rows, [(10, 5), (5, 5), (0, 5), (0, 0)])
p555 = [[v | (x % 2) << 15 for x, v in enumerate(row)] for row in p555]
write("info-rgb16.bmp", bmp_file(info_header(40, W, H, 16), pack_rows(p555, W, 16)),
      "16 bits BI_RGB: 5-5-5, the top bit set on every other pixel")
# 24-bit bit fields of blue, green and red bytes with an alpha mask, which
# Pillow ignores.
write("v5-bitfields-bgr24-alpha-mask.bmp",
      bmp_file(info_header(124, W, H, 24, 3, masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000)), pack_rows(bgr24(rows), W, 24)),
      "V5, 24 bits, bit fields of bytes and an alpha mask of the 4th byte, which Pillow ignores")

# Bit fields with all-zero masks after a BITMAPINFOHEADER: Pillow reads
# blue, green, red and alpha bytes.
brows = [[alpha_of(x, y) << 24 | r << 16 | g << 8 | b for x, (r, g, b) in enumerate(row)] for y, row in enumerate(rows)]
write("info-bitfields-zero-masks.bmp", bmp_file(info_header(40, W, H, 32, 3), pack_rows(brows, W, 32), masks=bytes(12)),
      "BITMAPINFOHEADER, BI_BITFIELDS, three zero masks: Pillow reads BGRA")
# 32 bits BI_RGB in a V5 header, with varying 4th bytes: Pillow reads BGRX
# (opaque), where golang.org/x/image/bmp reads alpha.
write("v5-rgb32-xbytes.bmp", bmp_file(info_header(124, W, H, 32), pack_rows(brows, W, 32)),
      "V5, 32 bits BI_RGB whose 4th bytes vary: opaque for Pillow")

# Headers.
write("info-rgb24-topdown.bmp", rgb24_file(top_down=True), "24 bits, a negative height: rows top-down")
write("os2v2-rgb24.bmp", rgb24_file(header_size=64), "a 64-byte OS/2 2.x header, 24 bits")
write("os2v2-pal8.bmp", bmp_file(info_header(64, W, H, 8, colors=256), pack_rows(idx8, W, 8), palette_bytes(pal8)), "a 64-byte OS/2 2.x header, 8 bits")
short = struct.pack("<IiiHH", 16, W, H, 1, 8)
write("os2v2-short-pal8.bmp", bmp_file(short, pack_rows(idx8, W, 8), palette_bytes(pal8)),
      "a 16-byte OS/2 2.x header, 8 bits, 256 4-byte palette entries (twin: BITMAPINFOHEADER)",
      bmp_file(info_header(40, W, H, 8, colors=256), pack_rows(idx8, W, 8), palette_bytes(pal8)))
write("v5-pal8-topdown.bmp", bmp_file(info_header(124, W, -H, 8, colors=256), pack_rows(idx8, W, 8, True), palette_bytes(pal8)), "V5, 8 bits, top-down")
write("info-pal4-topdown.bmp", bmp_file(info_header(40, W, -H, 4, colors=16), pack_rows(idx16, W, 4, True), palette_bytes(pal16)), "4 bits, top-down")

# 2 bits a pixel, which golang.org/x/image/bmp reads and Pillow does not:
# the twin has 4 bits a pixel.
write("info-pal2.bmp", bmp_file(info_header(40, W, H, 2, colors=4), pack_rows(idx4c, W, 2), palette_bytes(pal4c)),
      "2 bits a pixel, 4 colours (twin: 4 bits)",
      bmp_file(info_header(40, W, H, 4, colors=4), pack_rows(idx4c, W, 4), palette_bytes(pal4c)))
s2, s2pal = quantize(small, 4)
write("info-pal2-17x9.bmp", bmp_file(info_header(40, 17, 9, 2, colors=4), pack_rows(s2, 17, 2), palette_bytes(s2pal)),
      "17x9, 2 bits (twin: 4 bits)",
      bmp_file(info_header(40, 17, 9, 4, colors=4), pack_rows(s2, 17, 4), palette_bytes(s2pal)))

# Short palettes: indexes past the palette are gray i for Pillow (its
# default palette).
write("info-pal8-short-palette.bmp", bmp_file(info_header(40, W, H, 8, colors=20), pack_rows(idx8, W, 8), palette_bytes(pal8[:20])),
      "8 bits, a palette of 20 colours, most indexes past it")
write("info-pal4-3colors.bmp", bmp_file(info_header(40, W, H, 4, colors=3), pack_rows(idx16, W, 4), palette_bytes(pal16[:3])),
      "4 bits, a palette of 3 colours")
# A palette longer than 2^bits.
write("info-pal1-palette-of-5.bmp", bmp_file(info_header(40, W, H, 1, colors=5), pack_rows([[v & 1 for v in r] for r in idx4c], W, 1), palette_bytes(pal16[:5])),
      "1 bit, a palette of 5 colours")
# A gray ramp of 16 entries for 8-bit indexes: Pillow reads mode L.
write("info-pal8-gray16.bmp", bmp_file(info_header(40, W, H, 8, colors=16), pack_rows(idx8, W, 8), palette_bytes([(i, i, i) for i in range(16)])),
      "8 bits, a gray ramp of 16 entries: Pillow reads gray, indexes as values")
# 8 bits with a black and white palette of 2 entries: Pillow 9.4 reads the
# pixels as 1 bit each (mode "1"); the twin has a third palette entry.
bw = [[v & 1 for v in r] for r in idx8]
write("info-pal8-bw.bmp", bmp_file(info_header(40, W, H, 8, colors=2), pack_rows(bw, W, 8), palette_bytes([(0, 0, 0), (255, 255, 255)])),
      "8 bits, a black and white palette of 2 entries, which Pillow 9.4 misreads as 1 bit a pixel (twin: a third entry)",
      bmp_file(info_header(40, W, H, 8, colors=3), pack_rows(bw, W, 8), palette_bytes([(0, 0, 0), (255, 255, 255), (1, 2, 3)])))

# Offsets.
write("info-pal8-offset0.bmp", bmp_file(info_header(40, W, H, 8, colors=256), pack_rows(idx8, W, 8), palette_bytes(pal8), offset=0),
      "8 bits, a pixel offset of 0: the pixels follow the palette")
write("info-rgb24-gap.bmp", bmp_file(info_header(40, W, H, 24), pack_rows(bgr24(rows), W, 24), offset=14 + 40 + 100),
      "24 bits, 100 bytes between the header and the pixels")
# Offset 54 in a paletted file: Pillow skips 4 bytes a colour.
write("info-pal4-offset54.bmp", bmp_file(info_header(40, W, H, 4, colors=16), pack_rows(idx16, W, 4), palette_bytes(pal16), offset=54),
      "4 bits, a pixel offset of 54 (right after the header): Pillow skips the palette")
# No padding after the last row.
data = bmp_file(info_header(40, 17, 9, 24), pack_rows(bgr24(rgb_rows(small)), 17, 24))
write("info-rgb24-17x9-unpadded.bmp", data[:-1], "17x9, 24 bits, without the padding byte of the last row")

# ------------------------------------------------------------------- RLE


def rle8_rows(idx, eol=True):
    """Greedy RLE8 of rows of indexes: runs of 3 or more, absolute runs."""
    out = b""
    for row in idx:
        x = 0
        lit = []

        def flush():
            nonlocal out
            while lit:
                chunk = lit[:255]
                del lit[:255]
                if len(chunk) < 3:
                    for v in chunk:
                        out += bytes([1, v])
                else:
                    out += bytes([0, len(chunk)]) + bytes(chunk) + (b"\0" if len(chunk) % 2 else b"")

        while x < len(row):
            n = 1
            while x + n < len(row) and row[x + n] == row[x] and n < 255:
                n += 1
            if n >= 3:
                flush()
                out += bytes([n, row[x]])
            else:
                lit.extend(row[x : x + n])
            x += n
        flush()
        if eol:
            out += b"\0\0"
    return out


def rle4_rows(idx, odd=True):
    """Greedy RLE4: runs of one colour, absolute runs of even or any length."""
    out = b""
    for row in idx:
        x = 0
        lit = []

        def flush():
            nonlocal out
            while lit:
                k = min(len(lit), 254)
                if not odd and k % 2:
                    k -= 1
                if k < 3:
                    k = len(lit) if len(lit) < 3 else k
                    if k == 0:
                        k = len(lit)
                    # Short ones as encoded runs of a pair or a pixel.
                    chunk = lit[:k]
                    del lit[:k]
                    i = 0
                    while i < len(chunk):
                        if i + 1 < len(chunk):
                            out += bytes([2, chunk[i] << 4 | chunk[i + 1]])
                            i += 2
                        else:
                            out += bytes([1, chunk[i] << 4])
                            i += 1
                    continue
                chunk = lit[:k]
                del lit[:k]
                b = bytes((chunk[i] << 4) | (chunk[i + 1] if i + 1 < k else 0) for i in range(0, k, 2))
                out += bytes([0, k]) + b + (b"\0" if len(b) % 2 else b"")

        while x < len(row):
            n = 1
            while x + n < len(row) and row[x + n] == row[x] and n < 255:
                n += 1
            if n >= 4:
                flush()
                out += bytes([n, row[x] << 4 | row[x]])
            else:
                lit.extend(row[x : x + n])
            x += n
        flush()
        out += b"\0\0"
    return out


def stored(rows, top_down=False):
    return rows if top_down else rows[::-1]


def raw8_twin(idx, pal, w=W, bits=8):
    return bmp_file(info_header(40, w, len(idx), bits, colors=len(pal)), pack_rows(idx, w, bits), palette_bytes(pal))


write("rle8-topdown.bmp", bmp_file(info_header(40, W, -H, 8, 1, colors=256), rle8_rows(idx8) + b"\0\1", palette_bytes(pal8)),
      "RLE8, rows top-down (which Pillow reads)")
write("rle8-v5-no-eob.bmp", bmp_file(info_header(124, W, H, 8, 1, colors=256), rle8_rows(stored(idx8)), palette_bytes(pal8)),
      "RLE8 in a V5 header, without an end-of-bitmap code")
idx16s, pal16s = quantize(small, 16)
write("rle4-17x9.bmp", bmp_file(info_header(40, 17, 9, 4, 2, colors=16), rle4_rows(stored(idx16s), odd=False) + b"\0\1", palette_bytes(pal16s)),
      "17x9, RLE4, absolute runs of even lengths only (which Pillow 9.4 reads)")
write("rle4.bmp", bmp_file(info_header(40, W, H, 4, 2, colors=16), rle4_rows(stored(idx16), odd=False) + b"\0\1", palette_bytes(pal16)),
      "RLE4, absolute runs of even lengths only")
write("rle4-odd-runs.bmp", bmp_file(info_header(40, W, H, 4, 2, colors=16), rle4_rows(stored(idx16), odd=True) + b"\0\1", palette_bytes(pal16)),
      "RLE4 with absolute runs of odd lengths, which Pillow 9.4 misreads (twin: 4 bits uncompressed)",
      raw8_twin(idx16, pal16, bits=4))

# RLE8 under a 4-bit header and RLE4 under an 8-bit one, which Pillow reads
# by their compression: indexes past the 16 colours are gray i.
write("rle8-pal4.bmp", bmp_file(info_header(40, W, H, 4, 1, colors=16), rle8_rows(stored(idx8)) + b"\0\1", palette_bytes(pal16)),
      "RLE8 under a 4-bit header and a palette of 16 colours")
write("rle4-pal8.bmp", bmp_file(info_header(40, W, H, 8, 2, colors=256), rle4_rows(stored(idx16), odd=False) + b"\0\1", palette_bytes(pal8)),
      "RLE4 under an 8-bit header and a palette of 256 colours")

# Holes skipped with deltas, and the bitmap ended early: those pixels are
# index 0. The twin is the same indexes uncompressed, with the holes 0.
holes = [row[:] for row in stored(idx8)]  # stored order: bottom row first
out = b""
r = 0
while r < H - 4:  # the last 4 stored rows (the top ones) are left to the end of bitmap
    row = holes[r]
    if r in (10, 11, 12):
        # Columns 8 to 29 skipped by a delta right 22.
        out += rle8_rows([row[:8]], eol=False) + bytes([0, 2, 22, 0]) + rle8_rows([row[30:]])
        row[8:30] = [0] * 22
    elif r == 20:
        # From column 8 of this row to column 30 of the next: right 22, up 1.
        nxt = holes[r + 1]
        out += rle8_rows([row[:8]], eol=False) + bytes([0, 2, 22, 1]) + rle8_rows([nxt[30:]])
        row[8:] = [0] * (W - 8)
        nxt[:30] = [0] * 30
        r += 1
    else:
        out += rle8_rows([row])
    r += 1
out += b"\0\1"
for row in holes[H - 4 :]:
    row[:] = [0] * W
write("rle8-delta-eob.bmp", bmp_file(info_header(40, W, H, 8, 1, colors=256), out, palette_bytes(pal8)),
      "RLE8 with deltas over holes (right 22; right 22 and up 1) and an early end of bitmap, leaving index 0 (twin: 8 bits uncompressed)",
      raw8_twin(holes[::-1], pal8))

# Pillow's reading of runs that pass the end of a row: an encoded run
# stops there; an absolute run carries on into the next row, and encoded
# runs after it write nothing until the end of the line.
quirk = bytes([
    10, 1,            # row 0: 10 of index 1 (stops at 8)
    0, 0,             # end of line
    0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,  # row 1: 10 absolute, 2 into row 2
    4, 11,            # nothing: past the end of row 1
    0, 0,             # end of line: rest of row 2 index 0
    3, 12, 0, 0,      # row 3: 3 of 12, rest 0
    8, 13,            # row 4
    0, 1])
qpal = [(i * 20 % 256, 255 - i * 13 % 256, i * 7 % 256) for i in range(16)]
write("rle8-row-overflow.bmp", bmp_file(info_header(40, 8, 5, 8, 1, colors=16), quirk, palette_bytes(qpal)),
      "8x5 RLE8 with runs past the end of rows, as Pillow reads them")

# ------------------------------------------------------------ unsupported

run("convert", "-size", "8x8", "xc:gray", os.path.join(TMP, "t.jpg"))
with open(os.path.join(TMP, "t.jpg"), "rb") as f:
    jpeg = f.read()


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


# An 8x8 gray PNG written here: ImageMagick's carry the time.
png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
png += png_chunk(b"IDAT", zlib.compress(bytes(9 * 8))) + png_chunk(b"IEND", b"")
for name, payload, kind, comp in [("unsupported-jpeg.bmp", jpeg, "JPEG", 4), ("unsupported-png.bmp", png, "PNG", 5)]:
    write(name, bmp_file(info_header(40, 8, 8, 0, comp, image_size=len(payload)), payload),
          "BI_%s (%d): an embedded %s file" % (kind, comp, kind))
write("unsupported-os2-rle24.bmp", bmp_file(info_header(64, 8, 8, 24, 4), bytes([8, 1, 2, 3, 0, 1])),
      "a 64-byte OS/2 2.x header with compression 4: RLE24")
write("unsupported-os2-huffman.bmp", bmp_file(info_header(64, 8, 8, 1, 3, colors=2), bytes(8), palette_bytes([(0, 0, 0), (255, 255, 255)])),
      "a 64-byte OS/2 2.x header, 1 bit, compression 3: Huffman 1D")

# The table of README.md.
for name, how in made:
    print("| `%s` | %s |" % (name, how))
