package jpegdec

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// randomTable returns a Huffman table of n symbols drawn from syms, with
// code lengths from 1 to 16 that make a complete code, or one code short
// of complete with incomplete.
func randomTable(tb testing.TB, r *rand.Rand, syms []byte, n int, incomplete, dc bool) *huffTable {
	tb.Helper()
	// Split random leaves of a binary tree until it has n of them.
	depths := []int{0}
	for len(depths) < n {
		i := r.IntN(len(depths))
		if depths[i] == 16 {
			continue
		}
		depths[i]++
		depths = append(depths, depths[i])
	}
	var counts [16]uint8
	for _, d := range depths {
		counts[d-1]++
	}
	if incomplete {
		for l := 15; l >= 0; l-- {
			if counts[l] > 0 {
				counts[l]--
				n--
				break
			}
		}
	}
	vals := append([]byte(nil), syms...)
	r.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
	var t huffTable
	if err := t.build(&counts, vals[:n], dc); err != nil {
		tb.Fatalf("build: %v", err)
	}
	return &t
}

// randomScan returns n bytes of random entropy-coded data, with a stuffed
// 0xFF now and then and, with marker, a marker somewhere.
func randomScan(r *rand.Rand, n int, marker bool) []byte {
	b := make([]byte, 0, n+2)
	for len(b) < n {
		switch v := byte(r.Uint32()); {
		case v == 0xff:
			b = append(b, 0xff, 0)
		case r.IntN(40) == 0:
			b = append(b, 0xff, 0) // more 0xFF than chance gives
		default:
			b = append(b, v)
		}
	}
	if marker {
		at := r.IntN(len(b))
		if at > 0 && b[at-1] == 0xff {
			at--
		}
		b = append(b[:at], 0xff, byte(0xd0+r.IntN(0x20)))
	}
	return b
}

// consumed returns how many bits br has read from its scan, counting the
// zero bits after its end: refills at other times leave other numbers of
// bytes read and bits left.
func consumed(br *bitReader) int {
	stuffed := bytes.Count(br.data[:br.pos], []byte{0xff, 0})
	return 8*(br.pos-stuffed) + int(br.pad) - int(br.n)
}

// TestSkipTable checks that skipBlock reads the same bits with a
// skipTable as without, and gives the same errors, on random data skipped
// with random tables, complete and not, with long codes, stuffed bytes,
// markers and ends of data.
func TestSkipTable(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for trial := 0; trial < 3000; trial++ {
		name := fmt.Sprintf("trial %d", trial)
		dc := randomTable(t, r, all[:16], 2+r.IntN(15), trial%5 == 1, true)
		ac := randomTable(t, r, all, 2+r.IntN(255), trial%5 == 2, false)
		if trial%3 == 0 {
			// Photo-like: few symbols, short codes, an EOB among them.
			syms := []byte{0x00, 0x01, 0x02, 0x03, 0x11, 0x12, 0x21, 0x31, 0xf0, 0x04, 0x05, 0x41, 0x13, 0x22}
			ac = randomTable(t, r, syms, len(syms), false, false)
		}
		st := &skipTable{t: ac}
		data := randomScan(r, 8+r.IntN(600), trial%2 == 0)
		with, without := bitReader{data: data}, bitReader{data: data}
		for b := 0; b < 200; b++ {
			errWith, errWithout := with.skipBlock(dc, ac, st), without.skipBlock(dc, ac, nil)
			if errWith != errWithout {
				t.Fatalf("%s, block %d: error %v with a skipTable, %v without", name, b, errWith, errWithout)
			}
			if errWith != nil {
				break
			}
			if cw, cwo := consumed(&with), consumed(&without); cw != cwo || (with.overrun() == nil) != (without.overrun() == nil) {
				t.Fatalf("%s, block %d: %d bits read with a skipTable (overrun %v), %d without (%v)",
					name, b, cw, with.overrun(), cwo, without.overrun())
			}
			if with.pad > 1024 {
				break // long past the end of the data
			}
		}
	}
}
