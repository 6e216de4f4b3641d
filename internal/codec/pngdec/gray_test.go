package pngdec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/escala-img/escala/internal/codec/simd"
)

// TestConverters compares the rowConverters that have AVX2 versions with
// their Go versions, on rows of every length up to 70 pixels and on every
// pair of a value and an alpha.
func TestConverters(t *testing.T) {
	if !simd.AVX2 {
		t.Log("no AVX2: comparing the Go versions with themselves")
	}
	convs := []struct {
		name      string
		bpp       int
		conv, ref rowConverter
	}{
		{"rgba8", 4, rgba8, rgba8Go},
		{"rgb8", 3, rgb8, rgb8Go},
		{"grayAlpha8", 2, grayAlpha8, grayAlpha8Go},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range convs {
		check := func(what string, src []byte) {
			n := len(src) / c.bpp
			got, want := make([]byte, n), make([]byte, n)
			c.conv(got, src)
			c.ref(want, src)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s of %s: pixel %d %v = %d, want %d", c.name, what, i, src[c.bpp*i:c.bpp*i+c.bpp], got[i], want[i])
				}
			}
		}
		for n := range 70 {
			src := make([]byte, c.bpp*n)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			check(fmt.Sprintf("%d random pixels", n), src)
		}
		// Every value with every alpha, in each channel.
		for ch := range c.bpp {
			src := make([]byte, 0, c.bpp*65536)
			for v := range 256 {
				for a := range 256 {
					p := []byte{0x55, 0xaa, 0x33, byte(a)}[4-c.bpp:]
					if c.bpp == 2 {
						p = []byte{0x55, byte(a)}
					}
					p = append([]byte(nil), p...)
					p[ch] = byte(v)
					src = append(src, p...)
				}
			}
			check(fmt.Sprintf("every value of channel %d", ch), src)
		}
	}
}
