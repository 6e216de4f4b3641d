#!/bin/sh
# Regenerates the WebP files of this folder and their gray references; see
# README.md. It needs ImageMagick 6 (convert), libwebp's cwebp and webpmux
# (Debian webp 1.2.4) and Pillow 9.4 with WebP support at /usr/bin/python3
# (Debian python3-pil). The outputs depend on those versions; the tests
# only need the committed files.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f ./*.webp ./*.pgm

# The source pictures: seeded fractal plasma, so the same every time, and
# the same with an alpha channel of another plasma's gray (fully
# transparent, partly and fully opaque areas) for the files with alpha.
src() { # src W H SEED: $tmp/WxH.png and $tmp/WxH-a.png
	convert -seed "$3" -size "$1x$2" plasma:fractal -depth 8 "$tmp/$1x$2.png"
	convert -seed "$(($3 + 100))" -size "$1x$2" plasma:fractal -colorspace Gray \
		-level 30%,70% "$tmp/$1x$2-mask.png"
	convert "$tmp/$1x$2.png" "$tmp/$1x$2-mask.png" -alpha off -compose CopyOpacity \
		-composite -depth 8 "PNG32:$tmp/$1x$2-a.png"
}
src 1 1 1
src 2 2 2
src 17 9 3
src 37 23 4
src 96 64 5
src 16 16 6

# Lossy: qualities, filters, segments, sharp YUV conversion; odd sizes.
for q in 10 50 75 95; do
	cwebp -quiet -q "$q" "$tmp/37x23.png" -o "lossy-37x23-q$q.webp"
done
cwebp -quiet -q 80 "$tmp/96x64.png" -o lossy-96x64-q80.webp
cwebp -quiet -q 60 -sharp_yuv "$tmp/96x64.png" -o lossy-96x64-sharpyuv.webp
cwebp -quiet -q 70 -nostrong -f 80 "$tmp/37x23.png" -o lossy-37x23-simplefilter.webp
cwebp -quiet -q 70 -f 0 -segments 1 "$tmp/37x23.png" -o lossy-37x23-nofilter.webp
cwebp -quiet -q 40 -sns 100 -sharpness 7 -m 6 "$tmp/37x23.png" -o lossy-37x23-sns100.webp
cwebp -quiet -q 90 "$tmp/1x1.png" -o lossy-1x1.webp
cwebp -quiet -q 90 "$tmp/2x2.png" -o lossy-2x2.webp
cwebp -quiet -q 85 "$tmp/17x9.png" -o lossy-17x9.webp
cwebp -quiet -q 30 -sharp_yuv "$tmp/17x9.png" -o lossy-17x9-sharpyuv.webp
cwebp -quiet -q 85 "$tmp/16x16.png" -o lossy-16x16.webp

# Lossy with alpha (VP8X, ALPH, VP8): the alpha plane lossless or
# quantised, raw, and with each prediction filter.
cwebp -quiet -q 75 -alpha_q 100 "$tmp/37x23-a.png" -o alpha-37x23.webp
cwebp -quiet -q 75 -alpha_q 30 "$tmp/37x23-a.png" -o alpha-37x23-aq30.webp
cwebp -quiet -q 75 -alpha_method 0 "$tmp/37x23-a.png" -o alpha-37x23-raw.webp
for f in none fast best; do
	cwebp -quiet -q 60 -alpha_filter "$f" "$tmp/96x64-a.png" -o "alpha-96x64-filter-$f.webp"
done
cwebp -quiet -q 75 -exact "$tmp/17x9-a.png" -o alpha-17x9-exact.webp
cwebp -quiet -q 90 -alpha_q 100 "$tmp/1x1-a.png" -o alpha-1x1.webp

# Lossless (VP8L), without and with alpha.
cwebp -quiet -lossless "$tmp/37x23.png" -o lossless-37x23.webp
cwebp -quiet -lossless -z 9 "$tmp/96x64.png" -o lossless-96x64-z9.webp
cwebp -quiet -lossless "$tmp/17x9-a.png" -o lossless-17x9-alpha.webp
cwebp -quiet -lossless -exact "$tmp/37x23-a.png" -o lossless-37x23-alpha-exact.webp
cwebp -quiet -near_lossless 40 "$tmp/37x23.png" -o lossless-37x23-near40.webp
cwebp -quiet -lossless "$tmp/1x1.png" -o lossless-1x1.webp

# Extended files: ICC, EXIF and XMP chunks added by webpmux (which writes
# a VP8X chunk), around lossy, lossy with alpha and lossless bitstreams.
printf 'not a real ICC profile, just bytes' >"$tmp/p.icc"
printf 'Exif\000\000MM\000\052\000\000\000\010\000\000' >"$tmp/e.exif"
printf '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>' >"$tmp/x.xmp"
webpmux -set icc "$tmp/p.icc" lossy-37x23-q75.webp -o "$tmp/i.webp" 2>/dev/null
webpmux -set exif "$tmp/e.exif" "$tmp/i.webp" -o "$tmp/ie.webp" 2>/dev/null
webpmux -set xmp "$tmp/x.xmp" "$tmp/ie.webp" -o extended-lossy-icc-exif-xmp.webp 2>/dev/null
webpmux -set exif "$tmp/e.exif" alpha-37x23.webp -o extended-alpha-exif.webp 2>/dev/null
webpmux -set icc "$tmp/p.icc" lossless-17x9-alpha.webp -o extended-lossless-alpha-icc.webp 2>/dev/null
webpmux -set xmp "$tmp/x.xmp" lossless-37x23.webp -o extended-lossless-xmp.webp 2>/dev/null

# Animations: the first frame smaller than the canvas and away from its
# corner, lossy without alpha (no alpha flag: black around it), lossy with
# alpha and lossless with alpha (white around it).
cwebp -quiet -q 80 "$tmp/17x9.png" -o "$tmp/f1.webp"
cwebp -quiet -q 80 "$tmp/37x23.png" -o "$tmp/f2.webp"
cwebp -quiet -q 80 "$tmp/17x9-a.png" -o "$tmp/f1a.webp"
cwebp -quiet -lossless "$tmp/17x9-a.png" -o "$tmp/f1l.webp"
webpmux -frame "$tmp/f1.webp" +100+6+4 -frame "$tmp/f2.webp" +100 -loop 0 -o anim-lossy.webp 2>/dev/null
webpmux -frame "$tmp/f1a.webp" +100+10+2 -frame "$tmp/f2.webp" +100 -loop 0 -o anim-alpha.webp 2>/dev/null
webpmux -frame "$tmp/f1l.webp" +100+0+14 -frame "$tmp/f2.webp" +100 -loop 0 -o anim-lossless.webp 2>/dev/null

# Files whose flags disagree with their bitstreams, made by clearing a
# bit: libwebp (and so Pillow) ignores an ALPH chunk without the VP8X
# alpha flag, takes alpha from a still VP8L bitstream's hint whatever the
# flag says, and from the flag alone in an animation.
clearbit() { # clearbit IN OUT CHUNK OFFSET MASK: clear MASK in byte OFFSET of CHUNK's data
	/usr/bin/python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.index(sys.argv[3].encode()) + 8 + int(sys.argv[4])
b[i] &= ~int(sys.argv[5], 0) & 0xff
open(sys.argv[2], "wb").write(b)' "$@"
}
clearbit alpha-37x23.webp flags-alph-without-flag.webp VP8X 0 0x10
clearbit extended-lossless-alpha-icc.webp flags-lossless-without-hint.webp VP8L 4 0x10
clearbit extended-lossless-alpha-icc.webp flags-lossless-without-flag.webp VP8X 0 0x10
clearbit anim-alpha.webp flags-anim-alpha-without-flag.webp VP8X 0 0x10
clearbit anim-lossless.webp flags-anim-lossless-without-hint.webp VP8L 4 0x10

# Pillow's gray of each file as a binary PGM: convert("L") of the decoded
# image; an image Pillow decodes with alpha (RGBA) is first composited
# onto white, channel by channel, (c*a + 255*(255-a) + 127) // 255.
/usr/bin/python3 - ./*.webp <<'PY'
import sys
from PIL import Image
for name in sys.argv[1:]:
    im = Image.open(name)
    im.load()
    if im.mode == "RGBA":
        px = [tuple((c * p[3] + 255 * (255 - p[3]) + 127) // 255 for c in p[:3]) for p in im.getdata()]
        rgb = Image.new("RGB", im.size)
        rgb.putdata(px)
        im = rgb
    elif im.mode != "RGB":
        raise SystemExit("%s: unexpected mode %s" % (name, im.mode))
    g = im.convert("L")
    with open(name[:-len(".webp")] + ".pgm", "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % g.size)
        f.write(g.tobytes())
PY
