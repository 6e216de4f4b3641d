package tiffdec

import (
	"bytes"
	"compress/zlib"
	"math/rand/v2"
	"testing"
)

// inflateInputs returns data of the kinds that Deflate codes differently:
// random bytes (stored blocks), text-like bytes (literals and matches),
// runs (overlapping matches), and mixtures.
func inflateInputs() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100000)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	text := make([]byte, 200000)
	for i := range text {
		text[i] = "abcdefgh  ,.\n"[r.IntN(13)] + byte(i/5000)
	}
	runs := make([]byte, 300000)
	for i := 0; i < len(runs); {
		n := 1 + r.IntN(600)
		v := byte(r.IntN(4))
		for ; n > 0 && i < len(runs); n-- {
			runs[i] = v
			i++
		}
	}
	mixed := append(append(append([]byte(nil), text[:50000]...), random[:30000]...), runs[:70000]...)
	return [][]byte{{}, {7}, random, text, runs, mixed}
}

// TestInflate checks the inflater against compress/zlib at every level,
// with the output cut short too, and that cut streams are errors.
func TestInflate(t *testing.T) {
	var f inflater
	for i, in := range inflateInputs() {
		for _, level := range []int{zlib.NoCompression, zlib.BestSpeed, 5, zlib.BestCompression, zlib.HuffmanOnly} {
			var buf bytes.Buffer
			zw, _ := zlib.NewWriterLevel(&buf, level)
			zw.Write(in)
			zw.Close()
			z := buf.Bytes()
			dst := make([]byte, len(in))
			n, err := f.inflate(dst, z)
			if err != nil || n != len(in) || !bytes.Equal(dst, in) {
				t.Fatalf("input %d, level %d: inflate = %d, %v; equal %v", i, level, n, err, bytes.Equal(dst, in))
			}
			if len(in) > 10 {
				// A buffer shorter than the data: filled, and no error.
				short := dst[:len(in)/3]
				if n, err := f.inflate(short, z); n != len(short) || err != nil || !bytes.Equal(short, in[:len(short)]) {
					t.Fatalf("input %d, level %d, short buffer: %d, %v", i, level, n, err)
				}
				// A stream cut short: less than the buffer, or an error.
				if n, err := f.inflate(dst, z[:len(z)/2]); n == len(dst) && err == nil {
					t.Fatalf("input %d, level %d, cut stream: %d bytes and no error", i, level, n)
				}
			}
		}
	}
}

// TestInflateCorrupt checks that corrupt streams give errors, not panics.
func TestInflateCorrupt(t *testing.T) {
	var f inflater
	r := rand.New(rand.NewPCG(3, 4))
	for _, in := range inflateInputs() {
		var buf bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&buf, 6)
		zw.Write(in)
		zw.Close()
		z := buf.Bytes()
		for range 300 {
			c := append([]byte(nil), z...)
			for range 1 + r.IntN(4) {
				c[2+r.IntN(len(c)-2)] ^= byte(1 << r.IntN(8))
			}
			dst := make([]byte, len(in))
			f.inflate(dst, c) // must not panic
		}
	}
	for _, bad := range [][]byte{{}, {0x78}, {0x79, 0x9c}, {0x78, 0xbb}, {0x78, 0x9c, 0x07}} {
		if _, err := f.inflate(make([]byte, 10), bad); err == nil {
			t.Errorf("inflate(%x) gave no error", bad)
		}
	}
}
