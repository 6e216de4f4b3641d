package jpegdec

import (
	"io"
	"testing"
)

// TestHuffmanBuild checks which DHT tables build accepts.
func TestHuffmanBuild(t *testing.T) {
	counts := func(c ...uint8) *[16]uint8 {
		var a [16]uint8
		copy(a[:], c)
		return &a
	}
	seq := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}
	tests := []struct {
		name   string
		counts *[16]uint8
		vals   []byte
		dc     bool
		ok     bool
	}{
		{"empty", counts(), nil, false, true},
		{"two codes of length 1", counts(2), seq(2), false, true},
		{"three codes of length 1", counts(3), seq(3), false, false},
		{"full at length 2, one more at 3", counts(0, 4, 1), seq(5), false, false},
		{"one of each length and two of 16", counts(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2), seq(17), false, true},
		{"one too many of length 16", counts(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3), seq(18), false, false},
		{"DC sizes up to 15", counts(0, 0, 0, 16), seq(16), true, true},
		{"DC size 16", counts(0, 0, 0, 16), seq(17)[1:], true, false},
		{"AC symbol 255", counts(0, 0, 0, 16), seq(256)[240:], false, true},
		{"luminance DC of T.81 K.3", counts(0, 1, 5, 1, 1, 1, 1, 1, 1), seq(12), true, true},
		{"257 codes", counts(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 255), make([]byte, 257), false, false},
		{"fewer symbols than codes", counts(2), seq(1), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h huffTable
			err := h.build(tc.counts, tc.vals, tc.dc)
			if (err == nil) != tc.ok {
				t.Errorf("build = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// bitWriter writes bits MSB first with 0xFF bytes stuffed, as an encoder.
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

func (w *bitWriter) write(v uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | uint64(v>>uint(i)&1)
		w.nacc++
		if w.nacc == 8 {
			w.out = append(w.out, byte(w.acc))
			if byte(w.acc) == 0xff {
				w.out = append(w.out, 0)
			}
			w.acc, w.nacc = 0, 0
		}
	}
}

// flush pads the last byte with 1 bits.
func (w *bitWriter) flush() {
	for w.nacc != 0 {
		w.write(1, 1)
	}
}

// decodeSymbol decodes one symbol as the decoding loops do.
func decodeSymbol(br *bitReader, h *huffTable) (uint32, bool) {
	pos, bits, n := br.pos, br.bits, br.n
	if n < 32 {
		var ok bool
		if pos, bits, n, ok = refill(br.data, pos, bits, n); !ok {
			pos, bits, n = br.fill(pos, bits, n)
		}
	}
	e := h.lut[bits>>(64-lutBits)]
	sym, l := e>>8&0xff, uint(e>>16)&15
	if fl := uint(uint8(e)); fl != 0 {
		l = fl - uint(sym&15) // the code, without its value bits
	}
	if l == 0 {
		if sym, l = h.slow(bits); l == 0 {
			return 0, false
		}
	}
	br.pos, br.bits, br.n = pos, bits<<l, n-l
	return sym, true
}

// TestHuffmanDecode encodes symbols with codes of every length from 1 to 16
// and decodes them through the lookup table and the slow path, across
// stuffed bytes.
func TestHuffmanDecode(t *testing.T) {
	var counts [16]uint8
	for i := range counts {
		counts[i] = 1
	}
	counts[15] = 2
	vals := make([]byte, 17)
	for i := range vals {
		vals[i] = byte(0x11 * (i + 1))
	}
	var h huffTable
	if err := h.build(&counts, vals, false); err != nil {
		t.Fatal(err)
	}
	// The canonical codes: length l has code 2^l-2 (all ones then a 0),
	// and length 16 also has all ones.
	type code struct {
		v uint32
		n uint
	}
	codes := make([]code, 17)
	for l := 1; l <= 16; l++ {
		codes[l-1] = code{1<<l - 2, uint(l)}
	}
	codes[16] = code{1<<16 - 1, 16}
	var w bitWriter
	var want []uint32
	for i := 0; i < 300; i++ {
		k := (i * 7) % 17
		w.write(codes[k].v, codes[k].n)
		want = append(want, uint32(vals[k]))
	}
	w.flush()
	data := append(w.out, 0xff, 0xd9)
	br := bitReader{data: data}
	for i, sym := range want {
		got, ok := decodeSymbol(&br, &h)
		if !ok || got != sym {
			t.Fatalf("symbol %d = %#x, %v; want %#x", i, got, ok, sym)
		}
	}
	if err := br.overrun(); err != nil {
		t.Errorf("overrun after the last symbol: %v", err)
	}
	if br.pos != len(data)-2 {
		t.Errorf("reader stopped at %d, want the marker at %d", br.pos, len(data)-2)
	}
}

// TestBitReaderEnd checks that reading past the data of a scan is noticed as
// truncation, at the end of the file and at a marker.
func TestBitReaderEnd(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"end of file", []byte{0x12, 0x34}, io.ErrUnexpectedEOF},
		{"0xFF at the end of file", []byte{0x12, 0x34, 0xff}, io.ErrUnexpectedEOF},
		{"marker", []byte{0x12, 0x34, 0xff, 0xd9}, io.ErrUnexpectedEOF},
		{"fill bytes and marker", []byte{0x12, 0x34, 0xff, 0xff, 0xd9}, io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			br := bitReader{data: tc.data}
			pos, bits, n := br.fill(0, 0, 0)
			if bits>>48 != 0x1234 && bits>>56 != 0x12 {
				t.Fatalf("bits %#x", bits)
			}
			br.pos, br.bits, br.n = pos, bits<<16, n-16
			if err := br.overrun(); err != nil {
				t.Fatalf("overrun after 16 bits: %v", err)
			}
			br.pos, br.bits, br.n = pos, bits<<17, n-17
			err := br.overrun()
			if !sameError(err, tc.want) {
				t.Errorf("overrun after 17 bits = %v, want %v", err, tc.want)
			}
		})
	}
}
