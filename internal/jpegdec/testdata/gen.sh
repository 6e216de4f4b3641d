#!/bin/sh
# Regenerates the JPEG files of this folder; see README.md. It needs
# ImageMagick 6 (convert), libjpeg-turbo's cjpeg and wrjpgcom (Debian
# libjpeg-turbo-progs 2.1.5) and exiftool (libimage-exiftool-perl). The
# outputs depend on those versions; the tests only need the committed files.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The source pictures: seeded fractal plasma, so the same every time.
convert -seed 7 -size 67x45 plasma:fractal -depth 8 "$tmp/src.ppm"
convert -seed 8 -size 17x9 plasma:fractal -depth 8 "$tmp/17x9.ppm"
convert -seed 9 -size 8x8 plasma:fractal -depth 8 "$tmp/8x8.ppm"
convert -size 1x1 xc:'#a05a30' -depth 8 "$tmp/1x1.ppm"
convert -seed 10 -size 40x30 plasma:fractal -depth 8 "$tmp/thumb.ppm"

# Every subsampling, baseline and progressive, without and with a restart
# interval of 4 MCUs (which divides none of the MCU counts).
for s in 444:1x1 422:2x1 420:2x2 440:1x2 411:4x1 y22c12:2x2,1x2,1x2; do
	name=${s%%:*} f=${s#*:}
	cjpeg -quality 85 -sample "$f" -outfile "$name-base.jpg" "$tmp/src.ppm"
	cjpeg -quality 85 -sample "$f" -restart 4B -outfile "$name-base-rst4.jpg" "$tmp/src.ppm"
	cjpeg -quality 85 -sample "$f" -progressive -outfile "$name-prog.jpg" "$tmp/src.ppm"
	cjpeg -quality 85 -sample "$f" -progressive -restart 4B -outfile "$name-prog-rst4.jpg" "$tmp/src.ppm"
done

# Gray, one component.
cjpeg -quality 85 -grayscale -outfile gray-base.jpg "$tmp/src.ppm"
cjpeg -quality 85 -grayscale -restart 1 -outfile gray-base-rst1row.jpg "$tmp/src.ppm"
cjpeg -quality 85 -grayscale -progressive -outfile gray-prog.jpg "$tmp/src.ppm"
convert "$tmp/src.ppm" -colorspace Gray -quality 90 gray-im.jpg

# Odd sizes.
cjpeg -quality 90 -sample 2x2 -outfile 1x1-420.jpg "$tmp/1x1.ppm"
cjpeg -quality 90 -grayscale -outfile 1x1-gray.jpg "$tmp/1x1.ppm"
cjpeg -quality 90 -sample 2x1 -progressive -outfile 1x1-422-prog.jpg "$tmp/1x1.ppm"
cjpeg -quality 90 -sample 2x2 -outfile 8x8-420.jpg "$tmp/8x8.ppm"
cjpeg -quality 90 -grayscale -progressive -outfile 8x8-gray-prog.jpg "$tmp/8x8.ppm"
cjpeg -quality 90 -sample 2x2 -outfile 17x9-420.jpg "$tmp/17x9.ppm"
cjpeg -quality 90 -sample 2x1 -progressive -outfile 17x9-422-prog.jpg "$tmp/17x9.ppm"
cjpeg -quality 90 -grayscale -restart 1B -outfile 17x9-gray-rst1.jpg "$tmp/17x9.ppm"
cjpeg -quality 90 -sample 1x2 -restart 1B -progressive -outfile 17x9-440-prog-rst1.jpg "$tmp/17x9.ppm"

# Extended sequential (SOF1): quality 1 needs 16-bit quantization tables.
cjpeg -quality 1 -outfile extended-sof1.jpg "$tmp/src.ppm"

# Non-interleaved sequential scans: Y, Cb, Cr; and Y, then Cb and Cr
# together.
printf '0;\n1;\n2;\n' >"$tmp/seq3.txt"
cjpeg -quality 85 -sample 2x2 -scans "$tmp/seq3.txt" -outfile seq-noninterleaved.jpg "$tmp/src.ppm"
printf '1 2;\n0;\n' >"$tmp/seq2.txt"
cjpeg -quality 85 -sample 2x1 -restart 3B -scans "$tmp/seq2.txt" -outfile seq-chroma-first.jpg "$tmp/src.ppm"

# A progression with luma DC alone, several successive approximation steps
# of DC and AC, and chroma DC refined in an interleaved scan.
cat >"$tmp/prog.txt" <<'SCANS'
0: 0-0, 0, 2;
1 2: 0-0, 0, 1;
0: 1-9, 0, 3;
0: 10-63, 0, 2;
0: 1-9, 3, 2;
0: 0-0, 2, 1;
0: 1-63, 2, 1;
2: 1-63, 0, 0;
0: 0-0, 1, 0;
0: 1-63, 1, 0;
1 2: 0-0, 1, 0;
1: 1-63, 0, 0;
SCANS
cjpeg -quality 92 -sample 2x2 -scans "$tmp/prog.txt" -outfile prog-script.jpg "$tmp/src.ppm"
cjpeg -quality 92 -sample 1x1 -restart 2B -scans "$tmp/prog.txt" -outfile prog-script-444-rst2.jpg "$tmp/src.ppm"

# A comment segment, and an Exif APP1 segment with a JPEG thumbnail.
cjpeg -quality 85 -outfile "$tmp/c.jpg" "$tmp/src.ppm"
wrjpgcom -comment 'a comment before the frame' "$tmp/c.jpg" >comment.jpg
cjpeg -quality 80 -outfile "$tmp/thumb.jpg" "$tmp/thumb.ppm"
exiftool -q -o exif-thumbnail.jpg -Make=escala '-ThumbnailImage<='"$tmp/thumb.jpg" "$tmp/c.jpg"

# An Adobe APP14 segment with transform 1 (YCbCr) spliced in after SOI:
# "Adobe", version 100, flags 0 0, transform 1.
cjpeg -quality 85 -sample 2x2 -outfile "$tmp/a.jpg" "$tmp/src.ppm"
{
	head -c 2 "$tmp/a.jpg"
	printf '\377\356\000\016Adobe\000\144\000\000\000\000\001'
	tail -c +3 "$tmp/a.jpg"
} >adobe-ycc.jpg

# Files DecodeGray leaves to image/jpeg (ErrUnsupported).
cjpeg -quality 85 -rgb -outfile unsupported-adobe-rgb.jpg "$tmp/src.ppm"
cjpeg -quality 85 -arithmetic -outfile unsupported-arithmetic.jpg "$tmp/src.ppm"
cjpeg -quality 85 -arithmetic -progressive -outfile unsupported-arithmetic-prog.jpg "$tmp/src.ppm"
convert "$tmp/src.ppm" -colorspace CMYK -quality 85 unsupported-cmyk.jpg

# The luma of each file as libjpeg decodes it with its accurate integer
# IDCT, as the SHA-256 of a binary PGM.
for f in *.jpg; do
	case $f in unsupported-*) continue ;; esac
	printf '%s  %s\n' "$(djpeg -grayscale -dct int -pnm "$f" | sha256sum | cut -d' ' -f1)" "$f"
done >djpeg-gray.sha256
