package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// A format is one way of storing the source photo, made by a tool that
// writes it as users' files are written.
type format struct {
	name string // file name, with the extension Pillow and we sniff nothing from
	cmd  string // sh command; $SRC is the source JPEG, $PPM its RGB pixels, $OUT the file
}

// formats are the decoding paths besides the corpus's baseline and
// progressive JPEG and RGBA PNG: arithmetic-coded JPEG, JPEG with chroma
// finer than luma, BMP, TIFF and WebP variants.
var formats = []format{
	{"arithmetic.jpg", "jpegtran -arithmetic -outfile $OUT $SRC"},
	{"arithmetic-progressive.jpg", "jpegtran -arithmetic -progressive -outfile $OUT $SRC"},
	{"chroma-finer-than-luma.jpg", "cjpeg -quality 90 -sample 1x1,2x2,2x2 -outfile $OUT $PPM"},
	{"rgb24.bmp", "convert $PPM bmp3:$OUT"},
	{"rle8.bmp", "convert $PPM -colors 256 -type Palette -compress RLE bmp3:$OUT"},
	{"rgb565.bmp", "convert $PPM -define bmp:subtype=RGB565 bmp:$OUT"},
	{"none.tif", "convert $PPM -compress None $OUT"},
	{"lzw.tif", "convert $PPM -compress LZW $OUT"},
	{"lzw-predictor.tif", "convert $PPM -compress LZW -define tiff:predictor=2 $OUT"},
	{"deflate.tif", "convert $PPM -compress Zip $OUT"},
	{"packbits.tif", "convert $PPM -compress RLE $OUT"},
	{"jpeg.tif", "convert $PPM -compress JPEG -quality 90 $OUT"},
	{"planar.tif", "convert $PPM -interlace plane -compress LZW $OUT"},
	{"cmyk.tif", "convert $PPM -colorspace CMYK -compress LZW $OUT"},
	{"lossy.webp", "cwebp -quiet -q 80 $PPM -o $OUT"},
	{"lossless.webp", "cwebp -quiet -lossless $PPM -o $OUT"},
}

// makeFormats writes every format of the photo src into dir and returns
// their paths. It needs libjpeg-turbo's tools, ImageMagick and cwebp.
func makeFormats(src, dir string) ([]string, error) {
	for tool, pkg := range map[string]string{"djpeg": "libjpeg-turbo-progs", "jpegtran": "libjpeg-turbo-progs",
		"cjpeg": "libjpeg-turbo-progs", "convert": "imagemagick", "cwebp": "webp"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("-formats needs %s (Debian: apt-get install %s)", tool, pkg)
		}
	}
	ppm := filepath.Join(dir, "source.ppm")
	if out, err := exec.Command("djpeg", "-pnm", "-outfile", ppm, src).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("djpeg %s: %v: %s", src, err, out)
	}
	var paths []string
	for _, f := range formats {
		out := filepath.Join(dir, f.name)
		cmd := exec.Command("sh", "-c", f.cmd)
		cmd.Env = append(os.Environ(), "SRC="+src, "PPM="+ppm, "OUT="+out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("making %s: %s: %v: %s", f.name, f.cmd, err, msg)
		}
		paths = append(paths, out)
	}
	return paths, nil
}
