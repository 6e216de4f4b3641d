package pngdec

import (
	"fmt"
	"hash/adler32"
	"math/rand/v2"
	"testing"

	"github.com/escala-img/escala/internal/codec/simd"
)

// TestAdler compares adler with hash/adler32 on random and on all-0xff
// data (the largest sums) of many lengths, with and without AVX2, fed in
// one piece and in uneven pieces.
func TestAdler(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 31, 32, 33, 100, 5535, 5536, 5537, 5552, 5553, 20000, 100003} {
		for _, fill := range []string{"random", "0xff"} {
			p := make([]byte, n)
			for i := range p {
				p[i] = 0xff
				if fill == "random" {
					p[i] = byte(rng.Uint32())
				}
			}
			want := adler32.Checksum(p)
			check := func(impl string) {
				a := newAdler()
				a.update(p)
				if got := a.sum(); got != want {
					t.Errorf("%s adler of %d bytes (%s) = %08x, want %08x", impl, n, fill, got, want)
				}
				a = newAdler()
				for q := p; len(q) > 0; {
					k := min(len(q), 1+rng.IntN(9000))
					a.update(q[:k])
					q = q[k:]
				}
				if got := a.sum(); got != want {
					t.Errorf("%s adler of %d bytes (%s) in pieces = %08x, want %08x", impl, n, fill, got, want)
				}
			}
			check(fmt.Sprintf("AVX2=%v", simd.AVX2))
			withoutAVX2(func() { check("Go") })
		}
	}
}

func BenchmarkAdler(b *testing.B) {
	p := make([]byte, 64<<10)
	for i := range p {
		p[i] = byte(i * 7)
	}
	run := func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			a := newAdler()
			a.update(p)
		}
	}
	b.Run("std", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			adler32.Checksum(p)
		}
	})
	b.Run("auto", run)
	b.Run("go", func(b *testing.B) { withoutAVX2(func() { run(b) }) })
}
