package scaler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/escala-img/escala/internal/codec/simd"
)

var printHashes = flag.Bool("portable-hashes", false, "TestPortable: print the hashes of this platform, to record them")

// portableInputs returns the files of TestPortable, made in memory: a
// gradient with noise as a 4:2:0 JPEG (image/jpeg), and as a PNG with
// alpha, gradients of both colour and opacity, at sizes that are not
// multiples of 8 or 16 and large enough to be split between goroutines.
func portableInputs(tb testing.TB) map[string][]byte {
	tb.Helper()
	picture := func(w, h int, alpha bool) *image.NRGBA {
		rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
		m := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				n := int(rng.Uint32()%33) - 16 // ±16 levels of noise
				c := color.NRGBA{
					R: uint8(max(0, min(255, 255*x/w+n))),
					G: uint8(max(0, min(255, 255*y/h-n))),
					B: uint8(max(0, min(255, 128+(x-y)/4+n))),
					A: 255,
				}
				if alpha {
					c.A = uint8(255 * (x + y) / (w + h))
				}
				m.SetNRGBA(x, y, c)
			}
		}
		return m
	}
	var j, p bytes.Buffer
	if err := jpeg.Encode(&j, picture(643, 481, false), &jpeg.Options{Quality: 85}); err != nil {
		tb.Fatal(err)
	}
	if err := png.Encode(&p, picture(333, 257, true)); err != nil {
		tb.Fatal(err)
	}
	return map[string][]byte{"gradient.jpg": j.Bytes(), "alpha.png": p.Bytes()}
}

// portableHashes are the SHA-256 hashes, as TestPortable computes them on
// linux/amd64, of each input file, of its gray, of the gray halved and of
// the half encoded as JPEG. They must be the same on every platform and
// with the vector code on or off.
var portableHashes = map[string][4]string{
	"gradient.jpg": {
		"1af41eef1a301fb74e4f4cc5644ee0405e59af0a8acd2f69d6dd13a4de6eda6d",
		"827e6aa8f5983e637893b80e1e190eb58fe54e3e106b5b4ceaa4a58aee7614cf",
		"bdcb03f9f2515b5ede76edb1907604924813012e9ade63f2b0de2a16b47568d7",
		"27928efc4ff56963161f5a746ecece64316c5fab03ef807b9ff7481a9ef4c15b",
	},
	"alpha.png": {
		"c2687bde2c8f62d6d425e69cda7e7752c93173636948771ef0a15222aabbc8ca",
		"2cecfff2712da5e58d90cb9fd8b047061d81293b8aa5b9ad8a88ebce7012be0f",
		"b738cad7c9a496d046e720e445e11c4e34996ed9e724df9b05879ac04f29d0f8",
		"48cae9749866884f4e0f16c9335ddc966548d21ea1651c9f7b101e923364a0a1",
	},
}

// TestPortable checks that decoding to gray, halving and encoding as JPEG
// give the same bytes on every platform, whatever the word size, and with
// and without the AVX2 code: the results are those recorded from
// linux/amd64. Run it with GOARCH=386, and print this platform's hashes
// with -portable-hashes.
func TestPortable(t *testing.T) {
	inputs := portableInputs(t)
	modes := []bool{false}
	if simd.AVX2 {
		modes = append(modes, true)
	}
	saved := simd.AVX2
	t.Cleanup(func() { simd.AVX2 = saved })
	for _, avx2 := range modes {
		simd.AVX2 = avx2
		for name, data := range inputs {
			got := portableRun(t, data)
			if *printHashes {
				t.Logf("%s/%s AVX2 %v: %q", runtime.GOARCH, name, avx2, got)
			}
			want := portableHashes[name]
			if got[0] != want[0] {
				t.Errorf("%s: the input file's hash is %s, not %s: image/jpeg or image/png writes other bytes than when the hashes were recorded, so record them again with -portable-hashes", name, got[0], want[0])
				continue
			}
			for i, what := range []string{"", "gray", "half", "JPEG"} {
				if i > 0 && got[i] != want[i] {
					t.Errorf("%s on %s, AVX2 %v: hash of the %s %s, want %s", name, runtime.GOARCH, avx2, what, got[i], want[i])
				}
			}
		}
	}
}

// portableRun decodes data to gray, halves it and encodes the half as
// JPEG, and returns the hashes of data, the gray, the half and the JPEG.
func portableRun(tb testing.TB, data []byte) [4]string {
	tb.Helper()
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	gray, err := DecodeGray(bytes.NewReader(data), nil)
	if err != nil {
		tb.Fatal(err)
	}
	half, err := Resize(gray, gray.Rect.Dx()/2, 0, nil)
	if err != nil {
		tb.Fatal(err)
	}
	h, ok := half.(*image.Gray)
	if !ok {
		tb.Fatalf("Resize of an *image.Gray gave a %T", half)
	}
	var out bytes.Buffer
	if err := Encode(&out, h, JPEG, nil); err != nil {
		tb.Fatal(err)
	}
	return [4]string{sum(data), sum(grayBytes(gray)), sum(grayBytes(h)), sum(out.Bytes())}
}

// grayBytes returns the pixels of g, row after row, without padding.
func grayBytes(g *image.Gray) []byte {
	w := g.Rect.Dx()
	b := make([]byte, 0, w*g.Rect.Dy())
	for y := g.Rect.Min.Y; y < g.Rect.Max.Y; y++ {
		i := g.PixOffset(g.Rect.Min.X, y)
		b = append(b, g.Pix[i:i+w]...)
	}
	return b
}
