package pngdec

import (
	"math/rand/v2"
	"testing"

	"github.com/escala-img/escala/internal/codec/simd"
)

// TestPaethAVX2 compares paethAVX2, finished by paethTail, with
// refUnfilter for every bpp it takes, including 2, which unfilterPaeth
// leaves to Go.
func TestPaethAVX2(t *testing.T) {
	if !simd.AVX2 {
		t.Skip("the processor has no AVX2")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	for bpp := 2; bpp <= 8; bpp++ {
		for n := 8; n < 40*bpp; n += bpp {
			cur, prev := make([]byte, n), make([]byte, n)
			for i := range cur {
				cur[i], prev[i] = byte(rng.Uint32()), []byte{0, 255, byte(rng.Uint32())}[rng.IntN(3)]
			}
			want := append([]byte(nil), cur...)
			refUnfilter(ftPaeth, want, prev, bpp)
			i := paethAVX2(cur, prev, bpp, &paethMasks[bpp])
			paethTail(cur, prev, bpp, i)
			if string(cur) != string(want) {
				t.Fatalf("paethAVX2(bpp %d, %d bytes) differs from the reference", bpp, n)
			}
		}
	}
}
