package pngdec_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// A pngFile describes a PNG file for build to write: what image/png's
// encoder cannot write, such as bit depths below 8, tRNS chunks, Adam7
// interlacing and chosen filters.
type pngFile struct {
	width, height int
	colorType     int // 0 gray, 2 RGB, 3 paletted, 4 gray+alpha, 6 RGBA
	depth         int
	interlaced    bool
	plte, trns    []byte // chunk data, if not nil

	// sample returns the value of channel ch of the pixel at (x, y), of
	// depth bits; nil means a pattern of sampleAt.
	sample func(x, y, ch int) int
	// filter returns the filter type of row y of pass p (0 when not
	// interlaced); nil means filter type (y+p)%5.
	filter func(p, y int) byte
	// idat splits the zlib stream into IDAT chunks of these sizes, the
	// rest going into a last one; zero sizes make empty chunks.
	idat []int
	// level is the zlib compression level; 0 means the default.
	level int
	// raw, when not nil, is written instead of the filtered samples.
	raw []byte
}

// channelsOf returns the samples a pixel of a colour type has.
func channelsOf(colorType int) int {
	return map[int]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colorType]
}

// sampleAt is the default sample pattern: a mix of gradients and noise
// that uses every value of the depth, with some pixels fully and some
// partly transparent in a colour type with alpha.
func sampleAt(x, y, ch, depth int) int {
	h := uint32(x*7919+y*104729+ch*31337) * 2654435761
	max := 1<<depth - 1
	switch (x + 2*y + ch) % 4 {
	case 0:
		return int(h>>16) & max
	case 1:
		return (x*max/8 + y) & max
	case 2:
		return max
	}
	return (x*ch + y*3) & max
}

// adam7 are the passes of Adam7: x0, y0, dx, dy.
var adam7 = [7][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}

// filtered returns the filtered rows of the image f describes, pass by
// pass, each row led by its filter type.
func (f *pngFile) filtered() []byte {
	passes := [][4]int{{0, 0, 1, 1}}
	if f.interlaced {
		passes = adam7[:]
	}
	ch := channelsOf(f.colorType)
	bitsPP := ch * f.depth
	bpp := max(1, bitsPP/8)
	var out []byte
	for pi, p := range passes {
		w := (f.width - p[0] + p[2] - 1) / p[2]
		h := (f.height - p[1] + p[3] - 1) / p[3]
		if w == 0 || h == 0 {
			continue
		}
		n := (bitsPP*w + 7) / 8
		prev := make([]byte, n)
		for y := range h {
			row := make([]byte, n)
			bit := 0
			for x := range w {
				for c := range ch {
					var v int
					if f.sample != nil {
						v = f.sample(p[0]+x*p[2], p[1]+y*p[3], c)
					} else {
						v = sampleAt(p[0]+x*p[2], p[1]+y*p[3], c, f.depth)
					}
					if f.depth == 16 {
						row[bit/8], row[bit/8+1] = byte(v>>8), byte(v)
					} else {
						row[bit/8] |= byte(v << (8 - f.depth - bit%8))
					}
					bit += f.depth
				}
			}
			ft := byte((y + pi) % 5)
			if f.filter != nil {
				ft = f.filter(pi, y)
			}
			out = append(out, ft)
			out = append(out, filterRow(ft, row, prev, bpp)...)
			prev = row
		}
	}
	return out
}

// filterRow applies filter type ft to row, given the row before it.
func filterRow(ft byte, row, prev []byte, bpp int) []byte {
	out := make([]byte, len(row))
	for i := range row {
		var a, b, c int
		if i >= bpp {
			a, c = int(row[i-bpp]), int(prev[i-bpp])
		}
		b = int(prev[i])
		var pred int
		switch ft {
		case 1:
			pred = a
		case 2:
			pred = b
		case 3:
			pred = (a + b) / 2
		case 4:
			p := a + b - c
			pa, pb, pc := absInt(p-a), absInt(p-b), absInt(p-c)
			switch {
			case pa <= pb && pa <= pc:
				pred = a
			case pb <= pc:
				pred = b
			default:
				pred = c
			}
		}
		out[i] = row[i] - byte(pred)
	}
	return out
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// build returns the PNG file f describes.
func (f *pngFile) build(tb testing.TB) []byte {
	tb.Helper()
	raw := f.raw
	if raw == nil {
		raw = f.filtered()
	}
	level := f.level
	if level == 0 {
		level = zlib.DefaultCompression
	}
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, level)
	if err != nil {
		tb.Fatal(err)
	}
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(f.width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(f.height))
	ihdr[8], ihdr[9] = byte(f.depth), byte(f.colorType)
	if f.interlaced {
		ihdr[12] = 1
	}
	out := []byte("\x89PNG\r\n\x1a\n")
	out = appendChunk(out, "IHDR", ihdr)
	if f.plte != nil {
		out = appendChunk(out, "PLTE", f.plte)
	}
	if f.trns != nil {
		out = appendChunk(out, "tRNS", f.trns)
	}
	out = appendIDAT(out, z.Bytes(), f.idat)
	return appendChunk(out, "IEND", nil)
}

// appendIDAT appends z as IDAT chunks of the given sizes, and the rest in
// one more.
func appendIDAT(out, z []byte, sizes []int) []byte {
	for _, n := range sizes {
		n = min(n, len(z))
		out = appendChunk(out, "IDAT", z[:n])
		z = z[n:]
	}
	return appendChunk(out, "IDAT", z)
}

// appendChunk appends a chunk with its length and CRC.
func appendChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// chunk is a chunk of a PNG file, at offset off.
type chunk struct {
	off  int
	typ  string
	data []byte
}

// chunks returns the chunks of a well-formed PNG file, up to IEND.
func chunks(tb testing.TB, file []byte) []chunk {
	tb.Helper()
	var cs []chunk
	for pos := 8; pos+12 <= len(file); {
		n := int(binary.BigEndian.Uint32(file[pos:]))
		c := chunk{pos, string(file[pos+4 : pos+8]), file[pos+8 : pos+8+n]}
		cs = append(cs, c)
		pos += 12 + n
		if c.typ == "IEND" {
			break
		}
	}
	return cs
}

// rebuild returns the file made of the signature and cs.
func rebuild(cs []chunk) []byte {
	out := []byte("\x89PNG\r\n\x1a\n")
	for _, c := range cs {
		out = appendChunk(out, c.typ, c.data)
	}
	return out
}

// idatData returns the zlib stream of a file's IDAT chunks.
func idatData(tb testing.TB, file []byte) []byte {
	tb.Helper()
	var z []byte
	for _, c := range chunks(tb, file) {
		if c.typ == "IDAT" {
			z = append(z, c.data...)
		}
	}
	return z
}

// encodePNG encodes m with image/png.
func encodePNG(tb testing.TB, m image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// testImage returns a w×h image of model m ("gray", "gray16", "rgba",
// "nrgba", "rgba64", "nrgba64", "paletted", "paletted-alpha") with varied
// colours and, where the model has alpha, every kind of alpha.
func testImage(model string, w, h int) image.Image {
	r := image.Rect(0, 0, w, h)
	at := func(x, y int) color.NRGBA64 {
		c := color.NRGBA64{
			R: uint16(sampleAt(x, y, 0, 16)),
			G: uint16(sampleAt(x, y, 1, 16)),
			B: uint16(sampleAt(x, y, 2, 16)),
			A: uint16(sampleAt(x, y, 3, 16)),
		}
		switch (x + y) % 3 {
		case 0:
			c.A = 0xffff
		case 1:
			c.A = uint16(x * y * 997)
		}
		return c
	}
	switch model {
	case "gray", "gray16", "rgba", "nrgba", "rgba64", "nrgba64":
		var m interface {
			image.Image
			Set(x, y int, c color.Color)
		}
		switch model {
		case "gray":
			m = image.NewGray(r)
		case "gray16":
			m = image.NewGray16(r)
		case "rgba":
			m = image.NewRGBA(r)
		case "nrgba":
			m = image.NewNRGBA(r)
		case "rgba64":
			m = image.NewRGBA64(r)
		case "nrgba64":
			m = image.NewNRGBA64(r)
		}
		for y := range h {
			for x := range w {
				m.Set(x, y, at(x, y))
			}
		}
		return m
	}
	var pal color.Palette
	for i := range 200 {
		c := color.NRGBA{uint8(i * 37), uint8(i * 91), uint8(255 - i), 255}
		if model == "paletted-alpha" && i%3 != 0 {
			c.A = uint8(i * 53)
		}
		pal = append(pal, c)
	}
	m := image.NewPaletted(r, pal)
	for i := range m.Pix {
		m.Pix[i] = uint8(uint32(i) * 2654435761 >> 24 % 200)
	}
	return m
}
