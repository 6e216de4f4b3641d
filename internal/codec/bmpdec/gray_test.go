package bmpdec

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestConverters checks that the row converters of every layout of 16-,
// 24- and 32-bit pixels, the ones that read bytes and the ones that look
// up a table, give the gray that the fields' arithmetic gives pixel by
// pixel.
func TestConverters(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		bits        int
		compression int
		masks       [4]uint32
	}{
		{16, biRGB, [4]uint32{}},
		{16, biBitfields, [4]uint32{0xf800, 0x7e0, 0x1f, 0}},
		{16, biBitfields, [4]uint32{0xf00, 0xf0, 0xf, 0xf000}},
		{16, biAlphaBitfields, [4]uint32{0x7c00, 0x3e0, 0x1f, 0x8000}},
		{24, biRGB, [4]uint32{}},
		{24, biBitfields, [4]uint32{0xff, 0xff00, 0xff0000, 0}},
		{24, biAlphaBitfields, [4]uint32{0xff0000, 0xff00, 0xff, 0}},
		{24, biAlphaBitfields, [4]uint32{0xfc0000, 0x3f000, 0xfc0, 0x3f}},
		{32, biRGB, [4]uint32{}},
		{32, biBitfields, [4]uint32{0xff0000, 0xff00, 0xff, 0xff000000}},
		{32, biBitfields, [4]uint32{0xff000000, 0xff0000, 0xff00, 0}},
		{32, biBitfields, [4]uint32{0xff000000, 0xff0000, 0xff00, 0xff}},
		{32, biBitfields, [4]uint32{0xff, 0xff00, 0xff0000, 0xff000000}},
		{32, biBitfields, [4]uint32{0x3ff00000, 0xffc00, 0x3ff, 0xc0000000}},
		{32, biBitfields, [4]uint32{0xffff0000, 0xff00, 0xff, 0}},
	} {
		for _, size := range []int{17, 300} { // without and with the 16-bit table
			name := fmt.Sprintf("%d bits, compression %d, masks %#x, %d pixels", tc.bits, tc.compression, tc.masks, size*size)
			h := &header{width: size, height: size, bits: tc.bits, compression: tc.compression, masks: tc.masks}
			convert := h.converter()
			fs := h.fields()
			bpp := tc.bits / 8
			src := make([]byte, bpp*size)
			for i := range src {
				src[i] = byte(r.Uint32())
			}
			// Some opaque and some transparent pixels.
			src[bpp-1], src[2*bpp-1] = 0xff, 0
			dst := make([]byte, size)
			convert(dst, src)
			for i, g := range dst {
				var v uint32
				for k := range bpp {
					v |= uint32(src[bpp*i+k]) << (8 * k)
				}
				if want := fs.gray(v); g != want {
					t.Errorf("%s: pixel %#x gives %d, want %d", name, v, g, want)
					break
				}
			}
		}
	}
}

// TestFieldValue checks the scaling of fields to 8 bits, as Pillow scales
// 5- and 6-bit ones: v×255/max rounded down.
func TestFieldValue(t *testing.T) {
	for _, tc := range []struct {
		mask uint32
		v    uint32
		want uint32
	}{
		{0x1f, 3, 24}, // 24.68
		{0x1f, 31, 255},
		{0x7e0, 5 << 5, 20}, // 20.24
		{0xf000, 8 << 12, 136},
		{0x3ff, 1023, 255},
		{0x3ff, 512, 127}, // 127.6
		{0xc0000000, 1 << 30, 85},
		{0xffffffff, 0x80000000, 127},
		{0, 0xffffffff, 0},
	} {
		if got := fieldOf(tc.mask).value(tc.v); got != tc.want {
			t.Errorf("field %#x of %#x = %d, want %d", tc.mask, tc.v, got, tc.want)
		}
	}
}

// TestLuma checks the tables of luma against the formula for every colour.
func TestLuma(t *testing.T) {
	for c := range uint32(1 << 24) {
		r, g, b := c>>16, c>>8&0xff, c&0xff
		if got, want := luma(r, g, b), uint8((19595*r+38470*g+7471*b+1<<15)>>16); got != want {
			t.Fatalf("luma(%d, %d, %d) = %d, want %d", r, g, b, got, want)
		}
	}
}

// TestFieldReciprocal checks the multiplication that scales fields of up
// to 16 bits against the division, for every value of every width.
func TestFieldReciprocal(t *testing.T) {
	for width := 1; width <= 16; width++ {
		f := fieldOf(1<<width - 1)
		for v := range uint32(1 << width) {
			if got, want := f.value(v), v*255/f.max; got != want {
				t.Fatalf("%d-bit field of %d = %d, want %d", width, v, got, want)
			}
		}
	}
}

// TestOverWhite checks the table of compositing onto white against its
// definition, for every channel value and alpha.
func TestOverWhite(t *testing.T) {
	ow := overWhiteTable()
	for c := range uint32(256) {
		for a := range uint32(256) {
			if got, want := uint32(ow[a][c]), (c*a+255*(255-a)+127)/255; got != want {
				t.Fatalf("overWhite(%d, %d) = %d, want %d", c, a, got, want)
			}
		}
	}
}
