#!/usr/bin/python3
"""Regenerates the TIFF files of this folder and their references.

Run it with Debian's /usr/bin/python3 (Pillow 9.4 with libtiff) and
ImageMagick 6 (convert) on the PATH:

    /usr/bin/python3 internal/codec/tiffdec/testdata/gen.py

It writes each *.tif, the gray that Pillow decodes from it as a *.pgm of
the same name, and README.md, which lists them. The reference gray is
Pillow's decode taken to 8 bits as the project defines its gray: the file is
opened and loaded, converted to RGBA (16-bit gray keeps its high byte),
composited onto white per channel as (c*a + 255*(255-a) + 127) // 255, and
the ITU-R 601-2 luma (19595*r + 38470*g + 7471*b + 32768) >> 16 taken. The
outputs depend on the versions of those tools; the tests only need the
committed files.
"""

import os
import struct
import subprocess
import sys
import tempfile

from PIL import Image, TiffImagePlugin

HERE = os.path.dirname(os.path.abspath(__file__))
os.chdir(HERE)
TMP = tempfile.mkdtemp()
W, H = 37, 23

readme = []  # (file, description)


def convert(*args):
    subprocess.run(["convert", *args], check=True)


def src(name):
    return os.path.join(TMP, name)


# The source pictures: seeded fractal plasma, so the same every time, and
# an alpha channel that runs from opaque to transparent.
convert("-seed", "3", "-size", f"{W}x{H}", "plasma:fractal", "-depth", "8", src("rgb.ppm"))
convert("-size", f"{H}x{W}", "gradient:white-black", "-rotate", "90", "-depth", "8", src("alpha.pgm"))
convert(src("rgb.ppm"), src("alpha.pgm"), "-alpha", "off", "-compose", "CopyOpacity",
        "-composite", src("rgba.png"))
convert(src("rgb.ppm"), "-colorspace", "Gray", "-depth", "8", src("gray.pgm"))


def magick(name, desc, source, *opts):
    """A file that ImageMagick writes from source with opts."""
    convert(src(source), *opts, name)
    readme.append((name, desc + " (ImageMagick " + " ".join(opts) + ")"))


def pillow(name, desc, mode, **kw):
    """A file that Pillow writes from the RGBA source in mode."""
    im = Image.open(src("rgba.png"))
    im = im.convert("RGB").convert(mode) if mode not in ("RGBA", "LA") else im.convert(mode)
    im.save(name, **kw)
    readme.append((name, desc + " (Pillow " + mode + ", " + ", ".join(f"{k}={v}" for k, v in kw.items()) + ")"))


# ---------------------------------------------------------------- by hand

SHORT, LONG, RATIONAL, UNDEFINED = 3, 4, 5, 7


def write_tiff(name, desc, width, height, tags, chunks, order="<", tiled=None):
    """Writes a TIFF file of the given tags and strips (or tiles, with
    tiled=(tw, th)) and records it. tags maps a tag to (type, values)."""
    fmt = {SHORT: "H", LONG: "I", RATIONAL: "II", UNDEFINED: "B"}
    size = {SHORT: 2, LONG: 4, RATIONAL: 8, UNDEFINED: 1}
    out = bytearray(b"II*\0" if order == "<" else b"MM\0*")
    out += b"\0\0\0\0"
    offsets = []
    for c in chunks:
        offsets.append(len(out))
        out += c
        if len(out) % 2:
            out += b"\0"
    tags = dict(tags)
    tags[256] = (LONG, [width])
    tags[257] = (LONG, [height])
    if tiled:
        tags[322] = (LONG, [tiled[0]])
        tags[323] = (LONG, [tiled[1]])
        tags[324] = (LONG, offsets)
        tags[325] = (LONG, [len(c) for c in chunks])
    else:
        tags[273] = (LONG, offsets)
        tags[279] = (LONG, [len(c) for c in chunks])
    entries = []
    for tag in sorted(tags):
        typ, vals = tags[tag]
        n = len(vals) // 2 if typ == RATIONAL else len(vals)
        data = struct.pack(order + fmt[typ][0] * len(vals), *vals)
        if len(data) <= 4:
            entries.append(struct.pack(order + "HHI", tag, typ, n) + data.ljust(4, b"\0"))
        else:
            at = len(out)
            out += data
            if len(out) % 2:
                out += b"\0"
            entries.append(struct.pack(order + "HHII", tag, typ, n, at))
    ifd = len(out)
    out += struct.pack(order + "H", len(entries)) + b"".join(entries) + b"\0\0\0\0"
    out[4:8] = struct.pack(order + "I", ifd)
    with open(name, "wb") as f:
        f.write(out)
    readme.append((name, desc + " (written by gen.py)"))


def lzw(data, compat=False):
    """Encodes data with TIFF LZW: TIFF 6's, most significant bit first with
    the code width growing a code early, or with compat libtiff's first
    one, least significant bit first, whose decoder grows the code width a
    code later."""
    acc, nbits, out = 0, 0, bytearray()
    width = 9

    def put(code):
        nonlocal acc, nbits
        if compat:
            acc |= code << nbits
            nbits += width
            while nbits >= 8:
                out.append(acc & 255)
                acc >>= 8
                nbits -= 8
        else:
            acc = (acc << width) | code
            nbits += width
            while nbits >= 8:
                out.append((acc >> (nbits - 8)) & 255)
                nbits -= 8
                acc &= (1 << nbits) - 1

    # The encoder's table runs a code ahead of the decoder's: TIFF 6's
    # decoder grows at 2**width - 1 entries when this grows at 2**width,
    # and the old one at 2**width when this grows a code later.
    late = 1 if compat else 0
    table = {bytes([i]): i for i in range(256)}
    nxt = 258
    put(256)
    w = b""
    for b in data:
        wc = w + bytes([b])
        if wc in table:
            w = wc
            continue
        put(table[w])
        table[wc] = nxt
        nxt += 1
        if nxt == (1 << width) + late and width < 12:
            width += 1
        if nxt >= 4094:
            put(256)
            table = {bytes([i]): i for i in range(256)}
            nxt, width = 258, 9
        w = bytes([b])
    if w:
        put(table[w])
        nxt += 1
        if nxt == (1 << width) + late and width < 12:
            width += 1
    put(257)
    if nbits:
        if compat:
            out.append(acc & 255)
        else:
            out.append((acc << (8 - nbits)) & 255)
    return bytes(out)


def pixels(path, mode):
    return Image.open(path).convert(mode).tobytes()


def ycbcr_blocks(rgb, width, height, sx, sy):
    """Y, Cb and Cr of rgb in blocks of sx×sy luma samples and one Cb and Cr
    each, the JPEG (full-range) equations, chroma averaged."""
    def at(x, y):
        x, y = min(x, width - 1), min(y, height - 1)
        i = 3 * (y * width + x)
        return rgb[i], rgb[i + 1], rgb[i + 2]

    out = bytearray()
    for by in range(0, height, sy):
        for bx in range(0, width, sx):
            cbs, crs = 0, 0
            for j in range(sy):
                for i in range(sx):
                    r, g, b = at(bx + i, by + j)
                    out.append(min(255, max(0, round(0.299 * r + 0.587 * g + 0.114 * b))))
                    cbs += -0.168736 * r - 0.331264 * g + 0.5 * b + 128
                    crs += 0.5 * r - 0.418688 * g - 0.081312 * b + 128
            n = sx * sy
            out.append(min(255, max(0, round(cbs / n))))
            out.append(min(255, max(0, round(crs / n))))
    return bytes(out)


def reference(path):
    """Pillow's gray of the file, as the module docstring says."""
    im = Image.open(path)
    im.load()
    w, h = im.size
    if im.mode.startswith("I;16"):
        raw = im.tobytes("raw", "I;16")  # little-endian whatever the mode
        return w, h, bytes(raw[2 * i + 1] for i in range(w * h))
    rgba = im.convert("RGBA").tobytes()
    out = bytearray()
    for i in range(w * h):
        r, g, b, a = rgba[4 * i: 4 * i + 4]
        r, g, b = ((c * a + 255 * (255 - a) + 127) // 255 for c in (r, g, b))
        out.append((19595 * r + 38470 * g + 7471 * b + 32768) >> 16)
    return w, h, bytes(out)


def main():
    # Compressions, by ImageMagick, of RGB.
    magick("rgb-none.tif", "RGB, uncompressed", "rgb.ppm", "-compress", "None")
    magick("rgb-none-msb.tif", "RGB, uncompressed, big-endian", "rgb.ppm", "-compress", "None", "-endian", "MSB")
    magick("rgb-lzw.tif", "RGB, LZW", "rgb.ppm", "-compress", "LZW")
    magick("rgb-lzw-pred.tif", "RGB, LZW, horizontal differencing", "rgb.ppm", "-compress", "LZW", "-define", "tiff:predictor=2")
    magick("rgb-zip.tif", "RGB, Deflate", "rgb.ppm", "-compress", "Zip")
    magick("rgb-zip-pred-msb.tif", "RGB, Deflate, horizontal differencing, big-endian", "rgb.ppm", "-compress", "Zip", "-define", "tiff:predictor=2", "-endian", "MSB")
    magick("rgb-packbits.tif", "RGB, PackBits", "rgb.ppm", "-compress", "RLE")
    magick("rgb-jpeg.tif", "RGB, JPEG", "rgb.ppm", "-compress", "JPEG")
    magick("rgb-lzw-strips5.tif", "RGB, LZW, 5 rows a strip", "rgb.ppm", "-compress", "LZW", "-define", "tiff:rows-per-strip=5")
    magick("rgb-jpeg-strips8.tif", "RGB, JPEG, 8 rows a strip", "rgb.ppm", "-compress", "JPEG", "-define", "tiff:rows-per-strip=8")
    # Tiles and planes.
    magick("rgb-tiles-lzw.tif", "RGB, 16x16 tiles, LZW", "rgb.ppm", "-compress", "LZW", "-define", "tiff:tile-geometry=16x16")
    magick("rgb-tiles-jpeg.tif", "RGB, 16x16 tiles, JPEG", "rgb.ppm", "-compress", "JPEG", "-define", "tiff:tile-geometry=16x16")
    magick("rgb-planar-none.tif", "RGB in separate planes, uncompressed", "rgb.ppm", "-compress", "None", "-interlace", "plane")
    magick("rgb-planar-lzw-msb.tif", "RGB in separate planes, LZW, big-endian", "rgb.ppm", "-compress", "LZW", "-interlace", "plane", "-endian", "MSB")
    magick("rgb-planar-jpeg.tif", "RGB in separate planes, JPEG", "rgb.ppm", "-compress", "JPEG", "-interlace", "plane")
    magick("rgb-planar-tiles-zip.tif", "RGB in separate planes, 16x16 tiles, Deflate", "rgb.ppm", "-compress", "Zip", "-interlace", "plane", "-define", "tiff:tile-geometry=16x16")
    # 16 bits.
    magick("rgb16-none.tif", "16-bit RGB, uncompressed", "rgb.ppm", "-depth", "16", "-compress", "None")
    magick("rgb16-zip-pred-msb.tif", "16-bit RGB, Deflate, horizontal differencing, big-endian", "rgb.ppm", "-depth", "16", "-compress", "Zip", "-define", "tiff:predictor=2", "-endian", "MSB")
    magick("rgb16-planar-lzw.tif", "16-bit RGB in separate planes, LZW", "rgb.ppm", "-depth", "16", "-compress", "LZW", "-interlace", "plane")
    # Alpha.
    magick("rgba-lzw.tif", "RGB with unassociated alpha, LZW", "rgba.png", "-alpha", "on", "-compress", "LZW")
    magick("rgba16-none-msb.tif", "16-bit RGB with unassociated alpha, big-endian", "rgba.png", "-alpha", "on", "-depth", "16", "-compress", "None", "-endian", "MSB")
    magick("rgba-planar-zip.tif", "RGB with unassociated alpha in separate planes, Deflate", "rgba.png", "-alpha", "on", "-compress", "Zip", "-interlace", "plane")
    # CMYK.
    magick("cmyk-none.tif", "CMYK, uncompressed", "rgb.ppm", "-colorspace", "CMYK", "-compress", "None")
    magick("cmyk-lzw-msb.tif", "CMYK, LZW, big-endian", "rgb.ppm", "-colorspace", "CMYK", "-compress", "LZW", "-endian", "MSB")
    magick("cmyk16-zip.tif", "16-bit CMYK, Deflate", "rgb.ppm", "-colorspace", "CMYK", "-depth", "16", "-compress", "Zip")
    magick("cmyk-planar-packbits.tif", "CMYK in separate planes, PackBits", "rgb.ppm", "-colorspace", "CMYK", "-compress", "RLE", "-interlace", "plane")
    # Gray.
    magick("gray-none.tif", "8-bit gray, uncompressed", "gray.pgm", "-compress", "None")
    magick("gray-jpeg.tif", "8-bit gray, JPEG", "gray.pgm", "-compress", "JPEG")
    magick("gray-miniswhite-lzw.tif", "8-bit WhiteIsZero gray, LZW", "gray.pgm", "-compress", "LZW", "-define", "tiff:photometric=min-is-white")
    magick("gray16-zip-msb.tif", "16-bit gray, Deflate, big-endian", "gray.pgm", "-depth", "16", "-compress", "Zip", "-endian", "MSB")
    magick("gray16-lzw-pred.tif", "16-bit gray, LZW, horizontal differencing", "gray.pgm", "-depth", "16", "-compress", "LZW", "-define", "tiff:predictor=2")
    magick("gray4-none.tif", "4-bit gray, uncompressed", "gray.pgm", "-depth", "4", "-compress", "None")
    magick("gray2-packbits.tif", "2-bit gray, PackBits", "gray.pgm", "-depth", "2", "-compress", "RLE")
    # Bilevel.
    magick("bilevel-g4.tif", "bilevel, CCITT Group 4", "gray.pgm", "-monochrome", "-compress", "Group4")
    magick("bilevel-none-lsb.tif", "bilevel, uncompressed, FillOrder 2", "gray.pgm", "-monochrome", "-compress", "None", "-define", "tiff:fill-order=lsb")
    magick("bilevel-g4-lsb.tif", "bilevel, CCITT Group 4, FillOrder 2", "gray.pgm", "-monochrome", "-compress", "Group4", "-define", "tiff:fill-order=lsb")
    magick("bilevel-lzw-msb.tif", "bilevel, LZW, big-endian", "gray.pgm", "-monochrome", "-compress", "LZW", "-endian", "MSB")
    # Palette.
    magick("palette-lzw.tif", "8-bit palette, LZW", "rgb.ppm", "-type", "Palette", "-compress", "LZW")
    magick("palette4-none.tif", "4-bit palette, uncompressed", "rgb.ppm", "-colors", "16", "-type", "Palette", "-depth", "4", "-compress", "None")

    # Pillow's writer, through libtiff.
    pillow("pil-rgb-deflate.tif", "RGB, Adobe Deflate", "RGB", compression="tiff_adobe_deflate")
    pillow("pil-rgb-jpeg.tif", "RGB, JPEG", "RGB", compression="jpeg")
    pillow("pil-ycbcr-jpeg.tif", "YCbCr, JPEG", "YCbCr", compression="jpeg")
    pillow("pil-rgba-packbits.tif", "RGB with unassociated alpha, PackBits", "RGBA", compression="packbits")
    pillow("pil-gray-lzw.tif", "8-bit gray, LZW", "L", compression="tiff_lzw")
    pillow("pil-la-deflate.tif", "gray with alpha, Deflate", "LA", compression="tiff_adobe_deflate")
    pillow("pil-cmyk-lzw.tif", "CMYK, LZW", "CMYK", compression="tiff_lzw")
    pillow("pil-palette-packbits.tif", "palette, PackBits", "P", compression="packbits")
    pillow("pil-bilevel-g4.tif", "bilevel, CCITT Group 4", "1", compression="group4")
    pillow("pil-bilevel-g3.tif", "bilevel, CCITT Group 3 without fill bits", "1", compression="group3")

    # By hand: what the writers above do not make.
    rgb = pixels(src("rgb.ppm"), "RGB")
    rgba = pixels(src("rgba.png"), "RGBA")
    common = {258: (SHORT, [8, 8, 8, 8]), 259: (SHORT, [1]), 262: (SHORT, [2]), 277: (SHORT, [4]), 278: (LONG, [H])}
    premul = bytearray(rgba)
    for i in range(0, len(premul), 4):
        a = premul[i + 3]
        for c in range(3):
            premul[i + c] = (premul[i + c] * a + 127) // 255
    write_tiff("rgba-associated.tif", "RGB with associated (premultiplied) alpha, uncompressed",
               W, H, {**common, 338: (SHORT, [1])}, [bytes(premul)])
    write_tiff("rgbx-unspecified.tif", "RGB with an extra sample of unspecified meaning, uncompressed",
               W, H, {**common, 338: (SHORT, [0])}, [rgba])
    rgbtags = {258: (SHORT, [8, 8, 8]), 259: (SHORT, [5]), 262: (SHORT, [2]), 277: (SHORT, [3]), 278: (LONG, [H])}
    write_tiff("rgb-lzw-compat.tif", "RGB, LZW in the old bit order of libtiff before 1991",
               W, H, rgbtags, [lzw(rgb, compat=True)])
    write_tiff("rgb-lzw-nobytecounts.tif", "RGB, LZW, no StripByteCounts", W, H, rgbtags, [lzw(rgb)])
    for sx, sy in ((2, 2), (2, 1), (4, 2)):
        tags = {258: (SHORT, [8, 8, 8]), 259: (SHORT, [1]), 262: (SHORT, [6]), 277: (SHORT, [3]),
                278: (LONG, [H]), 530: (SHORT, [sx, sy])}
        write_tiff(f"ycbcr-{sx}{sy}.tif", f"YCbCr subsampled {sx}x{sy}, uncompressed",
                   W, H, tags, [ycbcr_blocks(rgb, W, H, sx, sy)])

    # 32-bit floating-point gray, 0 to 255 and beyond.
    f = Image.open(src("gray.pgm")).convert("F")
    f = Image.eval(f, lambda v: v * 1.1 - 10.3)
    f.save("float-gray-lzw.tif", compression="tiff_lzw")
    readme.append(("float-gray-lzw.tif", "32-bit floating-point gray from -10.3 to 270.2, LZW (Pillow F, compression=tiff_lzw)"))

    # The tests read nothing else; drop what an earlier run left.
    names = {n for n, _ in readme}
    for f in os.listdir("."):
        if f.endswith((".tif", ".pgm")) and f.removesuffix(".pgm") + ".tif" not in names and f not in names:
            os.remove(f)
    # The no-byte-counts file loses its byte counts after the fact.
    strip_bytecounts("rgb-lzw-nobytecounts.tif")

    # References. Uncompressed YCbCr goes through libtiff, as Pillow's own
    # reader takes its samples for RGB.
    for name, _ in readme:
        TiffImagePlugin.READ_LIBTIFF = name.startswith("ycbcr-")
        w, h, gray = reference(name)
        with open(name.removesuffix(".tif") + ".pgm", "wb") as f:
            f.write(b"P5\n%d %d\n255\n" % (w, h) + gray)
        size = os.path.getsize(name)
        if size > 10 << 10:
            sys.exit(f"{name} is {size} bytes")
    TiffImagePlugin.READ_LIBTIFF = False

    with open("README.md", "w") as f:
        f.write("# TIFF test files\n\n")
        f.write("Made by `gen.py` (run it with `/usr/bin/python3`, Pillow 9.4, ImageMagick 6) from\n")
        f.write("a seeded 37x23 fractal plasma, with an alpha gradient where there is alpha.\n")
        f.write("Each `x.tif` has beside it `x.pgm`, the gray that Pillow decodes from it,\n")
        f.write("composited onto white and taken to 8 bits as `gen.py` describes; the tests\n")
        f.write("compare DecodeGray with it within two levels.\n\n")
        f.write("| file | what it is |\n|---|---|\n")
        for name, desc in readme:
            f.write(f"| `{name}` | {desc} |\n")
        f.write("\n`fuzz/FuzzDecodeGray` holds the fuzz target's seeds: the generated ones are\n")
        f.write("written by `go test -run '^TestFuzzCorpus$' -genseeds`, and `found-*` are\n")
        f.write("inputs that the fuzzer found.\n")


def strip_bytecounts(name):
    """Rewrites the StripByteCounts entry of name as an unknown private tag."""
    with open(name, "r+b") as f:
        b = bytearray(f.read())
        ifd = struct.unpack("<I", b[4:8])[0]
        n = struct.unpack("<H", b[ifd:ifd + 2])[0]
        for i in range(n):
            at = ifd + 2 + 12 * i
            if struct.unpack("<H", b[at:at + 2])[0] == 279:
                b[at:at + 2] = struct.pack("<H", 65000)
        # Entries stay sorted enough for libtiff: it only warns.
        f.seek(0)
        f.write(b)


main()
