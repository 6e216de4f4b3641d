#!/usr/bin/python3
"""Writes Pillow's gray of BMP files, for the tests that compare with it.

Usage: /usr/bin/python3 pillow_gray.py FILE.bmp...

For each FILE.bmp it writes FILE.pgm, the gray as gen.py computes it (see
README.md), or FILE.err, Pillow's error, and prints nothing. The image's
mode is written as a comment in the PGM header ("# mode L").
"""

import io
import sys

from PIL import Image

for name in sys.argv[1:]:
    base = name[: -len(".bmp")]
    try:
        with open(name, "rb") as f:
            im = Image.open(io.BytesIO(f.read()))
            im.load()
        mode = im.mode
        rgba = im.convert("RGBA")
        out = bytearray()
        for r, g, b, a in rgba.getdata():
            if a != 255:
                r, g, b = [(c * a + 255 * (255 - a) + 127) // 255 for c in (r, g, b)]
            out.append((19595 * r + 38470 * g + 7471 * b + 32768) >> 16)
        with open(base + ".pgm", "wb") as f:
            f.write(b"P5\n# mode %s\n%d %d\n255\n" % (mode.encode(), im.size[0], im.size[1]) + bytes(out))
    except Exception as e:  # Pillow refuses the file
        with open(base + ".err", "w") as f:
            f.write("%s: %s\n" % (type(e).__name__, e))
