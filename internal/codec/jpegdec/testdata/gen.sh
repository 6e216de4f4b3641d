#!/bin/sh
# Regenerates the JPEG files of this folder; see README.md. It needs
# ImageMagick 6 (convert), libjpeg-turbo's cjpeg, djpeg, jpegtran and
# wrjpgcom (Debian libjpeg-turbo-progs 2.1.5) and exiftool
# (libimage-exiftool-perl). The outputs depend on those versions; the tests
# only need the committed files.
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
convert -seed 11 -size 5x3 plasma:fractal -depth 8 "$tmp/5x3.ppm"
convert -seed 12 -size 3x7 plasma:fractal -depth 8 "$tmp/3x7.ppm"

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
rm -f exif-thumbnail.jpg
exiftool -q -o exif-thumbnail.jpg -Make=escala '-ThumbnailImage<='"$tmp/thumb.jpg" "$tmp/c.jpg"

# An Adobe APP14 segment with transform 1 (YCbCr) spliced in after SOI:
# "Adobe", version 100, flags 0 0, transform 1.
cjpeg -quality 85 -sample 2x2 -outfile "$tmp/a.jpg" "$tmp/src.ppm"
{
	head -c 2 "$tmp/a.jpg"
	printf '\377\356\000\016Adobe\000\144\000\000\000\000\001'
	tail -c +3 "$tmp/a.jpg"
} >adobe-ycc.jpg

# RGB, CMYK and YCCK files, whose gray is computed from every component.
# cjpeg -rgb writes RGB components with an Adobe segment, transform 0.
cjpeg -quality 85 -rgb -outfile rgb-base.jpg "$tmp/src.ppm"
cjpeg -quality 85 -rgb -progressive -restart 4B -outfile rgb-prog-rst4.jpg "$tmp/src.ppm"
cjpeg -quality 85 -rgb -sample 2x1 -progressive -outfile rgb-422-prog.jpg "$tmp/src.ppm"
cjpeg -quality 90 -rgb -sample 2x2 -outfile 17x9-rgb-420.jpg "$tmp/17x9.ppm"
cjpeg -quality 85 -rgb -sample 2x2 -scans "$tmp/seq3.txt" -outfile rgb-420-noninterleaved.jpg "$tmp/src.ppm"
# ImageMagick writes a CMYK image as YCCK (Adobe transform 2), by default
# with luma and black sampled 2x2. jpegtran keeps the colour space and the
# Adobe segment when it makes a file progressive or adds restart markers.
convert "$tmp/src.ppm" -colorspace CMYK -quality 85 ycck-base.jpg
jpegtran -progressive -restart 2B -outfile ycck-prog-rst2.jpg ycck-base.jpg
convert "$tmp/1x1.ppm" -colorspace CMYK -quality 90 1x1-ycck.jpg
# Adobe CMYK (transform 0) files: the same files with the transform byte of
# their Adobe segment set to 0, so that their samples are taken for
# inverted C, M, Y and K (whatever they hold, any samples make a valid
# CMYK file).
adobe0() { # adobe0 IN OUT
	off=$(grep -obUa Adobe "$1" | head -n 1 | cut -d: -f1)
	{
		head -c $((off + 11)) "$1"
		printf '\000'
		tail -c +$((off + 13)) "$1"
	} >"$2"
}
convert "$tmp/src.ppm" -colorspace CMYK -quality 85 -sampling-factor 1x1 "$tmp/ycck11.jpg"
adobe0 "$tmp/ycck11.jpg" cmyk-base.jpg
jpegtran -progressive -outfile cmyk-prog.jpg cmyk-base.jpg
adobe0 ycck-base.jpg cmyk-22-base.jpg
jpegtran -progressive -restart 4B -outfile cmyk-22-prog-rst4.jpg cmyk-22-base.jpg
convert "$tmp/17x9.ppm" -colorspace CMYK -quality 85 "$tmp/17x9-ycck.jpg"
adobe0 "$tmp/17x9-ycck.jpg" 17x9-cmyk-22.jpg
jpegtran -progressive -restart 1B -outfile 17x9-cmyk-22-prog-rst1.jpg 17x9-cmyk-22.jpg

# Arithmetic coding (SOF9, SOF10, with DAC segments): the subsamplings,
# sequential and progressive, without and with restart markers; gray, odd
# sizes, and RGB, CMYK and YCCK files re-coded by jpegtran, which changes
# no coefficient.
for s in 444:1x1 422:2x1 420:2x2 411:4x1; do
	name=${s%%:*} f=${s#*:}
	cjpeg -quality 85 -arithmetic -sample "$f" -outfile "arith-$name-base.jpg" "$tmp/src.ppm"
	cjpeg -quality 85 -arithmetic -sample "$f" -restart 4B -outfile "arith-$name-base-rst4.jpg" "$tmp/src.ppm"
	cjpeg -quality 85 -arithmetic -sample "$f" -progressive -outfile "arith-$name-prog.jpg" "$tmp/src.ppm"
	cjpeg -quality 85 -arithmetic -sample "$f" -progressive -restart 4B -outfile "arith-$name-prog-rst4.jpg" "$tmp/src.ppm"
done
cjpeg -quality 85 -arithmetic -grayscale -outfile arith-gray-base.jpg "$tmp/src.ppm"
cjpeg -quality 85 -arithmetic -grayscale -restart 1 -outfile arith-gray-base-rst1row.jpg "$tmp/src.ppm"
cjpeg -quality 85 -arithmetic -grayscale -progressive -restart 1 -outfile arith-gray-prog-rst1row.jpg "$tmp/src.ppm"
cjpeg -quality 90 -arithmetic -sample 2x2 -outfile arith-17x9-420.jpg "$tmp/17x9.ppm"
cjpeg -quality 90 -arithmetic -sample 2x1 -progressive -restart 1B -outfile arith-17x9-422-prog-rst1.jpg "$tmp/17x9.ppm"
cjpeg -quality 90 -arithmetic -sample 2x2 -outfile arith-1x1-420.jpg "$tmp/1x1.ppm"
cjpeg -quality 90 -arithmetic -grayscale -progressive -outfile arith-1x1-gray-prog.jpg "$tmp/1x1.ppm"
cjpeg -quality 92 -arithmetic -sample 2x2 -scans "$tmp/prog.txt" -outfile arith-prog-script.jpg "$tmp/src.ppm"
jpegtran -arithmetic -outfile arith-rgb-base.jpg rgb-base.jpg
jpegtran -arithmetic -progressive -outfile arith-rgb-422-prog.jpg rgb-422-prog.jpg
jpegtran -arithmetic -outfile arith-cmyk-22-base.jpg cmyk-22-base.jpg
jpegtran -arithmetic -progressive -restart 2B -outfile arith-ycck-prog-rst2.jpg ycck-base.jpg
# Conditioning that is not the default: the DAC segment of a sequential
# 4:2:0 file set to L 2, U 4 for DC table 0 and Kx 2 for AC table 1. The
# coded decisions are then read with other statistics: any bits decode to
# some image, which is what libjpeg makes of them.
dac=$(grep -obUa "$(printf '\377\314')" arith-420-base.jpg | head -n 1 | cut -d: -f1)
{
	head -c $((dac + 4)) arith-420-base.jpg
	printf '\000\102\020\005\001\020\021\002'
	tail -c +$((dac + 13)) arith-420-base.jpg
} >arith-dac.jpg

# Luma sampled more coarsely than chroma, which djpeg -grayscale upsamples:
# 2:1 both ways (h2v2), horizontally (h2v1), vertically (h1v2), and 4:1
# (replication); at 67x45 and at odd sizes, where the fancy upsampling
# meets the edges, sequential Huffman and progressive arithmetic.
for s in 11-22:1x1,2x2,2x2 11-21:1x1,2x1,2x1 12-22:1x2,2x2,2x2 11-12:1x1,1x2,1x2 11-41:1x1,4x1,4x1; do
	name=${s%%:*} f=${s#*:}
	cjpeg -quality 85 -sample "$f" -outfile "fine-$name.jpg" "$tmp/src.ppm"
done
cjpeg -quality 85 -sample 1x1,2x2,2x2 -arithmetic -progressive -restart 2B -outfile fine-11-22-arith-prog-rst2.jpg "$tmp/src.ppm"
cjpeg -quality 90 -sample 1x1,2x2,2x2 -progressive -outfile fine-17x9-11-22-prog.jpg "$tmp/17x9.ppm"
cjpeg -quality 90 -sample 1x1,2x1,2x1 -outfile fine-5x3-11-21.jpg "$tmp/5x3.ppm"
cjpeg -quality 90 -sample 1x1,2x2,2x2 -outfile fine-3x7-11-22.jpg "$tmp/3x7.ppm"
cjpeg -quality 90 -sample 1x1,2x2,2x2 -outfile fine-1x1-11-22.jpg "$tmp/1x1.ppm"

# The gray of each file as libjpeg decodes it with its accurate integer
# IDCT, as the SHA-256 of a binary PGM: the luma of YCbCr files, and the
# luma of RGB ones with the same weights as image/color's (libjpeg-turbo's
# rgb_gray_convert), their subsampled components replicated (-nosmooth).
# The fine-* files are decoded as djpeg -grayscale does by default, with
# fancy upsampling of their luma. djpeg cannot make gray from CMYK or
# YCCK: the tests compare those with image/jpeg only.
for f in *.jpg; do
	case $f in unsupported-* | *cmyk-* | *ycck-* | *-ycck.jpg) continue ;; esac
	smooth=-nosmooth
	case $f in fine-*) smooth= ;; esac
	printf '%s  %s\n' "$(djpeg -grayscale -dct int $smooth -pnm "$f" | sha256sum | cut -d' ' -f1)" "$f"
done >djpeg-gray.sha256
# At half size, libjpeg decodes a luma at half the resolution of chroma both
# ways with its full inverse DCT, and so does DecodeGray: the same gray.
for f in fine-*11-22*.jpg; do
	printf '%s  %s\n' "$(djpeg -grayscale -dct int -scale 1/2 -pnm "$f" | sha256sum | cut -d' ' -f1)" "$f"
done >djpeg-gray-half.sha256
