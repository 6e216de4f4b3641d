package packed

import (
	"math/rand/v2"
	"testing"
)

// TestExpand compares Expand with a sample-by-sample reading of the bits,
// for every depth and every row length up to 40 pixels, on random bytes.
func TestExpand(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var lut [256]uint8
	for i := range lut {
		lut[i] = uint8(r.Uint32())
	}
	for _, depth := range []int{1, 2, 4, 8} {
		expand := Expand(depth, &lut)
		for width := range 41 {
			src := make([]byte, (width*depth+7)/8)
			for i := range src {
				src[i] = uint8(r.Uint32())
			}
			dst := make([]byte, width)
			expand(dst, src)
			for x := range width {
				bit := x * depth
				v := src[bit/8] >> (8 - depth - bit%8) & (1<<depth - 1)
				if dst[x] != lut[v] {
					t.Fatalf("Expand(%d bits) of %d pixels: pixel %d = %d, want lut[%d] = %d", depth, width, x, dst[x], v, lut[v])
				}
			}
		}
	}
}

func TestExpandPanicsOnOtherDepths(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Expand(3) did not panic")
		}
	}()
	var lut [256]uint8
	Expand(3, &lut)
}
