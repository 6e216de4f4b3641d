// Package sample draws pictures for the demo and the tests: colourful,
// with smooth gradients, hard edges and fine detail, like a photo only in
// the ways that matter to scaling. The demo program and the tests of the
// module use it; the library does not.
package sample

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"slices"
)

// Picture returns a w×h opaque colour picture: a diagonal gradient, a disc
// with a hard edge, and a band of fine stripes.
func Picture(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := float64(w)*0.6, float64(h)*0.45, float64(min(w, h))*0.3
	for y := range h {
		for x := range w {
			c := color.RGBA{
				R: uint8(255 * x / max(w-1, 1)),
				G: uint8(255 * y / max(h-1, 1)),
				B: uint8(128 + 127*math.Sin(float64(x+y)/37)),
				A: 255,
			}
			if math.Hypot(float64(x)-cx, float64(y)-cy) < r {
				c.R, c.G, c.B = 250, 200, 40
			}
			if y > h*3/4 && y < h*7/8 && x%2 == 0 {
				c.R, c.G, c.B = 20, 20, 20
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

// JPEG returns Picture(w, h) encoded as a JPEG of quality 90.
func JPEG(w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, Picture(w, h), &jpeg.Options{Quality: 90}); err != nil {
		panic(err) // writing to memory cannot fail
	}
	return buf.Bytes()
}

// PNG returns Picture(w, h) encoded as a PNG, with a translucent top-left
// quarter.
func PNG(w, h int) []byte {
	m := Picture(w, h)
	for y := range h / 4 {
		for x := range w / 4 {
			i := m.PixOffset(x, y)
			for c := range 4 {
				m.Pix[i+c] /= 2 // premultiplied: half alpha, colour halved
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// WithComment returns a copy of a JPEG or PNG file with text added, so that
// its bytes differ and its pixels do not: a COM segment after a JPEG's SOI,
// a tEXt chunk after a PNG's header. Other data is returned as it is.
func WithComment(data []byte, text string) []byte {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) && len(data) > 33:
		const ihdrEnd = 8 + 4 + 4 + 13 + 4
		chunk := append([]byte("tEXt"), "comment\x00"+text...)
		out := slices.Clone(data[:ihdrEnd])
		out = binary.BigEndian.AppendUint32(out, uint32(len(chunk)-4))
		out = append(out, chunk...)
		out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
		return append(out, data[ihdrEnd:]...)
	case bytes.HasPrefix(data, []byte{0xff, 0xd8}) && len(text) < 65000:
		out := slices.Clone(data[:2])
		out = append(out, 0xff, 0xfe)
		out = binary.BigEndian.AppendUint16(out, uint16(2+len(text)))
		out = append(out, text...)
		return append(out, data[2:]...)
	}
	return data
}
