package pngdec

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
)

// idatFile returns z split into IDAT chunks of the given sizes (the rest in
// a last one), followed by an IEND chunk, and the offset of the first.
func idatFile(z []byte, sizes []int) []byte {
	var out []byte
	chunk := func(typ string, p []byte) {
		out = binary.BigEndian.AppendUint32(out, uint32(len(p)))
		start := len(out)
		out = append(out, typ...)
		out = append(out, p...)
		out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
	}
	for _, n := range sizes {
		n = min(n, len(z))
		chunk("IDAT", z[:n])
		z = z[n:]
	}
	chunk("IDAT", z)
	chunk("IEND", nil)
	return out
}

// inflateAll inflates the deflate stream of the IDAT chunks of file with
// an inflater, reading pieces of uneven sizes, and returns what it made,
// its error (nil at the end of the stream) and the offset in the chunks'
// data at which it stopped, counted over the chunks as one stream.
func inflateAll(file []byte, rng *rand.Rand) ([]byte, error, int) {
	r := newIDATReader(file, 0)
	f := new(inflater)
	f.reset(r)
	var out []byte
	for {
		p := make([]byte, 1+rng.IntN(40000))
		err := f.readFull(p)
		if err == nil {
			out = append(out, p...)
			continue
		}
		// readFull does not say how much of p it filled: read what is
		// left a byte at a time.
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			f2 := new(inflater)
			f2.reset(newIDATReader(file, 0))
			var all []byte
			var one [1]byte
			for {
				if err := f2.readFull(one[:]); err != nil {
					if err == io.EOF {
						err = nil
					}
					return all, err, streamOffset(file, f2.src)
				}
				all = append(all, one[0])
			}
		}
		// Another error: the bytes before it, a byte at a time.
		f2 := new(inflater)
		f2.reset(newIDATReader(file, 0))
		var all []byte
		var one [1]byte
		for f2.readFull(one[:]) == nil {
			all = append(all, one[0])
		}
		return all, err, -1
	}
}

// streamOffset returns r's position counted over the IDAT data as one
// stream.
func streamOffset(file []byte, r *idatReader) int {
	n := 0
	for pos := 0; pos+8 <= len(file); {
		length := int(binary.BigEndian.Uint32(file[pos:]))
		if pos+8 == r.start {
			return n + r.p - r.start
		}
		n += length
		pos += 12 + length
	}
	return -1
}

// flateAll inflates z with compress/flate, reading through a ByteReader
// as compress/zlib does, and returns the same as inflateAll.
func flateAll(z []byte) ([]byte, error, int) {
	br := bytes.NewReader(z)
	out, err := io.ReadAll(flate.NewReader(br))
	return out, err, len(z) - br.Len()
}

// compareInflate fails unless the inflater and compress/flate agree on z,
// read from IDAT chunks of the given sizes: the same bytes, both failing
// or not, and for a good stream the same end.
func compareInflate(t *testing.T, name string, z []byte, sizes []int, rng *rand.Rand) {
	t.Helper()
	want, wantErr, wantEnd := flateAll(z)
	got, err, end := inflateAll(idatFile(z, sizes), rng)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%s: inflater: %v, compress/flate: %v", name, err, wantErr)
	}
	// compress/flate reads at least as many bits as the end-of-block code
	// has before it decodes a literal/length code, and so, where the data
	// ends early, may fail before codes that the inflater still decodes.
	if wantErr == io.ErrUnexpectedEOF && len(got) > len(want) {
		got = got[:len(want)]
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: inflater made %d bytes, compress/flate %d, differing", name, len(got), len(want))
	}
	if err == nil && end != wantEnd {
		t.Fatalf("%s: inflater stopped at %d, compress/flate at %d", name, end, wantEnd)
	}
}

// testData returns n bytes of a kind that deflate compresses in some way:
// noise, runs, repeats at near and far distances.
func testData(rng *rand.Rand, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		switch rng.IntN(5) {
		case 0:
			for range rng.IntN(100) {
				out = append(out, byte(rng.Uint32()))
			}
		case 1:
			b := byte(rng.Uint32())
			for range rng.IntN(300) {
				out = append(out, b)
			}
		case 2, 3:
			if len(out) > 0 {
				d := 1 + rng.IntN(min(len(out), 1<<uint(rng.IntN(16))))
				for range rng.IntN(300) {
					out = append(out, out[len(out)-d])
				}
			}
		default:
			for i := range rng.IntN(200) {
				out = append(out, byte(i*3))
			}
		}
	}
	return out[:n]
}

// TestInflate compares the inflater with compress/flate on streams that
// compress/flate writes at every level, stored, fixed and dynamic blocks,
// read from IDAT chunks of every size from 1 byte up.
func TestInflate(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 100, 5000, 70000, 300000} {
		data := testData(rng, n)
		for _, level := range []int{flate.NoCompression, flate.BestSpeed, 5, flate.BestCompression, flate.HuffmanOnly} {
			var b bytes.Buffer
			w, _ := flate.NewWriter(&b, level)
			w.Write(data)
			w.Close()
			z := b.Bytes()
			for _, chunkSize := range []int{0, 1, 7, 8, 9, 100, 8192} {
				var sizes []int
				for i := 0; chunkSize > 0 && i < len(z)/chunkSize; i++ {
					sizes = append(sizes, chunkSize)
				}
				compareInflate(t, fmt.Sprintf("%d bytes, level %d, chunks of %d", n, level, chunkSize), z, sizes, rng)
			}
		}
	}
}

// TestInflateCorrupt compares the inflater with compress/flate on streams
// with bytes changed, and cut short, which both must refuse or accept
// alike and inflate to the same bytes.
func TestInflateCorrupt(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range 3000 {
		data := testData(rng, rng.IntN(3000))
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, []int{1, 6, 9, -2}[i%4])
		w.Write(data)
		w.Close()
		z := b.Bytes()
		for range 1 + rng.IntN(3) {
			if len(z) == 0 {
				break
			}
			switch rng.IntN(3) {
			case 0:
				z[rng.IntN(len(z))] ^= 1 << rng.IntN(8)
			case 1:
				z[rng.IntN(len(z))] = byte(rng.Uint32())
			default:
				z = z[:rng.IntN(len(z))]
			}
		}
		sizes := []int{1 + rng.IntN(20), rng.IntN(3), 1 + rng.IntN(100)}
		compareInflate(t, fmt.Sprintf("case %d", i), z, sizes, rng)
	}
}

// bitWriter writes a deflate stream, bits lowest first.
type bitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

// code writes the Huffman code c of n bits, most significant bit first.
func (w *bitWriter) code(c int, n uint) { w.bits(uint64(reverse(c, n)), n) }

func (w *bitWriter) bytes() []byte {
	if w.nbits > 0 {
		return append(w.out, byte(w.acc))
	}
	return w.out
}

// canonical returns the canonical codes of lengths, which may be
// incomplete or over-subscribed: codes are handed out in order regardless.
func canonical(lengths []uint8) []int {
	var count, next [17]int
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	code := 0
	for l := 1; l <= 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	codes := make([]int, len(lengths))
	for s, l := range lengths {
		if l > 0 {
			codes[s] = next[l]
			next[l]++
		}
	}
	return codes
}

// A sym is a symbol of a block and the extra bits after it.
type sym struct {
	v      int
	extra  uint64
	nextra uint
}

// dynamicBlock writes a block with the given literal/length and distance
// code lengths, sent with a code-length code in which every length 0 to
// 15 has 5 bits, 16 has 2 and 17 and 18 have 3, and then syms: literal or
// length symbols, each length followed by its distance symbol.
func dynamicBlock(w *bitWriter, final bool, lit, dist []uint8, lengthsRaw []sym, syms []sym) {
	fin := uint64(0)
	if final {
		fin = 1
	}
	w.bits(fin, 1)
	w.bits(2, 2)
	w.bits(uint64(len(lit)-257), 5)
	w.bits(uint64(len(dist)-1), 5)
	w.bits(19-4, 4)
	clen := make([]uint8, 19)
	for i := range 16 {
		clen[i] = 5
	}
	clen[16], clen[17], clen[18] = 2, 3, 3
	for _, i := range codeLenOrder {
		w.bits(uint64(clen[i]), 3)
	}
	ccodes := canonical(clen)
	if lengthsRaw == nil {
		for _, l := range append(append([]uint8(nil), lit...), dist...) {
			lengthsRaw = append(lengthsRaw, sym{v: int(l)})
		}
	}
	for _, s := range lengthsRaw {
		w.code(ccodes[s.v], uint(clen[s.v]))
		w.bits(s.extra, s.nextra)
	}
	lcodes, dcodes := canonical(lit), canonical(dist)
	isDist := false
	for _, s := range syms {
		if isDist {
			w.code(dcodes[s.v], uint(dist[s.v]))
			isDist = false
		} else {
			w.code(lcodes[s.v], uint(lit[s.v]))
			isDist = s.v > 256
		}
		w.bits(s.extra, s.nextra)
	}
}

// TestInflateCodes compares the inflater with compress/flate on blocks
// written bit by bit: the codes compress/flate accepts and refuses, the
// symbols deflate leaves unused, distances past the start, stored and
// fixed blocks, the repeat codes of the code lengths.
func TestInflateCodes(t *testing.T) {
	var fixed [288]uint8 // the lengths of the fixed code
	for v := range fixed {
		switch {
		case v < 144:
			fixed[v] = 8
		case v < 256:
			fixed[v] = 9
		case v < 280:
			fixed[v] = 7
		default:
			fixed[v] = 8
		}
	}
	lit := completeLengths(286)
	dist := completeLengths(30)
	end := sym{v: 256}
	tests := []struct {
		name string
		z    func() []byte
	}{
		{"dynamic", func() []byte {
			var w bitWriter
			dynamicBlock(&w, true, lit, dist, nil, []sym{{v: 'a'}, {v: 'b'}, {v: 257}, {v: 0}, {v: 258}, {v: 1}, end})
			return w.bytes()
		}},
		{"distance-past-start", func() []byte {
			var w bitWriter
			dynamicBlock(&w, true, lit, dist, nil, []sym{{v: 'a'}, {v: 257}, {v: 1}, end})
			return w.bytes()
		}},
		{"distance-to-start", func() []byte {
			var w bitWriter
			dynamicBlock(&w, true, lit, dist, nil, []sym{{v: 'a'}, {v: 'b'}, {v: 257}, {v: 1}, end})
			return w.bytes()
		}},
		{"longest-distance", func() []byte {
			var w bitWriter
			var syms []sym
			for range 130 {
				syms = append(syms, sym{v: 285}, sym{v: 0})
			}
			syms = append(syms, sym{v: 'x'}, sym{v: 285}, sym{v: 29, extra: 8191, nextra: 13}, end)
			dynamicBlock(&w, true, lit, dist, nil, append([]sym{{v: 'a'}}, syms...))
			return w.bytes()
		}},
		{"single-distance-code", func() []byte {
			var w bitWriter
			d := make([]uint8, 30)
			d[0] = 1
			dynamicBlock(&w, true, lit, d, nil, []sym{{v: 'a'}, {v: 257}, {v: 0}, end})
			return w.bytes()
		}},
		{"single-distance-code-other-half", func() []byte {
			var w bitWriter
			d := make([]uint8, 30)
			d[0] = 1
			dynamicBlock(&w, true, lit, d, nil, []sym{{v: 'a'}, {v: 257}})
			w.bits(1, 1) // the pattern no code has
			w.bits(0, 16)
			return w.bytes()
		}},
		{"no-distance-codes", func() []byte {
			var w bitWriter
			dynamicBlock(&w, true, lit, make([]uint8, 1), nil, []sym{{v: 'a'}, {v: 'b'}, end})
			return w.bytes()
		}},
		{"no-distance-codes-used", func() []byte {
			var w bitWriter
			dynamicBlock(&w, true, lit, make([]uint8, 1), nil, []sym{{v: 'a'}, {v: 257}})
			w.bits(0, 16)
			return w.bytes()
		}},
		{"single-distance-code-of-2-bits", func() []byte {
			var w bitWriter
			d := make([]uint8, 30)
			d[0] = 2
			dynamicBlock(&w, true, lit, d, nil, []sym{{v: 'a'}, end})
			return w.bytes()
		}},
		{"incomplete-literals", func() []byte {
			var w bitWriter
			l := append([]uint8(nil), lit...)
			l[0]++
			dynamicBlock(&w, true, l, dist, nil, []sym{{v: 'a'}, end})
			return w.bytes()
		}},
		{"over-subscribed-literals", func() []byte {
			var w bitWriter
			l := append([]uint8(nil), lit...)
			for i := range l {
				if l[i] > 1 {
					l[i]--
					break
				}
			}
			dynamicBlock(&w, true, l, dist, nil, []sym{{v: 'a'}, end})
			return w.bytes()
		}},
		{"no-end-code", func() []byte {
			var w bitWriter
			l := make([]uint8, 257)
			l['a'], l['b'] = 1, 1
			dynamicBlock(&w, true, l, dist, nil, []sym{{v: 'a'}, {v: 'b'}})
			w.bits(0, 20)
			return w.bytes()
		}},
		{"repeats", func() []byte {
			// Literals 0-253 of 8 bits, 254-257 of 9, none for the rest;
			// two distance codes of 1 bit.
			raw := []sym{{v: 8}}
			for range 42 {
				raw = append(raw, sym{v: 16, extra: 3, nextra: 2}) // 6 more
			}
			raw = append(raw, sym{v: 8}, sym{v: 9}, sym{v: 16, extra: 0, nextra: 2})
			raw = append(raw, sym{v: 18, extra: 17, nextra: 7})
			raw = append(raw, sym{v: 1}, sym{v: 1}, sym{v: 17, extra: 7, nextra: 3}, sym{v: 18, extra: 7, nextra: 7})
			l := make([]uint8, 286)
			for v := range 258 {
				l[v] = map[bool]uint8{true: 8, false: 9}[v < 254]
			}
			var w bitWriter
			d := make([]uint8, 30)
			d[0], d[1] = 1, 1
			dynamicBlock(&w, true, l, d, raw, []sym{{v: 'a'}, {v: 257}, {v: 0}, {v: 256}})
			return w.bytes()
		}},
		{"repeat-first", func() []byte {
			var w bitWriter
			dynamicBlock(&w, true, lit, dist, []sym{{v: 16, extra: 0, nextra: 2}}, nil)
			w.bits(0, 30)
			return w.bytes()
		}},
		{"repeat-past-count", func() []byte {
			var w bitWriter
			raw := []sym{{v: 18, extra: 127, nextra: 7}, {v: 18, extra: 127, nextra: 7}, {v: 18, extra: 127, nextra: 7}}
			dynamicBlock(&w, true, lit, dist, raw, nil)
			w.bits(0, 30)
			return w.bytes()
		}},
		{"287-literal-codes", func() []byte {
			var w bitWriter
			w.bits(1, 1)
			w.bits(2, 2)
			w.bits(30, 5)
			w.bits(0, 30)
			return w.bytes()
		}},
		{"31-distance-codes", func() []byte {
			var w bitWriter
			w.bits(1, 1)
			w.bits(2, 2)
			w.bits(0, 5)
			w.bits(30, 5)
			w.bits(0, 30)
			return w.bytes()
		}},
		{"block-type-3", func() []byte {
			var w bitWriter
			w.bits(7, 3)
			w.bits(0, 16)
			return w.bytes()
		}},
		{"stored-and-fixed", func() []byte {
			var w bitWriter
			w.bits(0, 3)
			w.bits(0, 5)
			w.bits(5, 16)
			w.bits(^uint64(5)&0xffff, 16)
			for _, b := range []byte("hello") {
				w.bits(uint64(b), 8)
			}
			w.bits(0, 3) // empty stored block
			w.bits(0, 5)
			w.bits(0xffff0000, 32)
			w.bits(1, 1) // fixed, final
			w.bits(1, 2)
			fc := canonical(fixed[:])
			w.code(fc['!'], 8)
			w.code(fc[257], 7) // length 3
			w.bits(uint64(reverse(4, 5)), 5)
			w.code(fc[256], 7)
			return w.bytes()
		}},
		{"stored-bad-length", func() []byte {
			var w bitWriter
			w.bits(1, 3)
			w.bits(0, 5)
			w.bits(5, 16)
			w.bits(5, 16)
			w.bits(0, 40)
			return w.bytes()
		}},
		{"fixed-literal-286", func() []byte {
			var w bitWriter
			w.bits(3, 3)
			w.code(canonical(fixed[:])[286], 8)
			w.bits(0, 16)
			return w.bytes()
		}},
		{"fixed-distance-30", func() []byte {
			var w bitWriter
			w.bits(3, 3)
			fc := canonical(fixed[:])
			w.code(fc['a'], 8)
			w.code(fc[257], 7)
			w.bits(uint64(reverse(30, 5)), 5)
			w.bits(0, 16)
			return w.bytes()
		}},
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := tc.z()
			for _, sizes := range [][]int{nil, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 0, 5}} {
				compareInflate(t, tc.name, z, sizes, rng)
			}
		})
	}
}

// completeLengths returns code lengths of a complete code of n symbols, n
// at least 2: two of 1 and 2 bits... made by splitting the longest code
// until there are n.
func completeLengths(n int) []uint8 {
	lengths := []uint8{1, 1}
	for len(lengths) < n {
		// Split the shortest code of the largest index into two one bit
		// longer, keeping the code complete.
		i := 0
		for j := range lengths {
			if lengths[j] < lengths[i] {
				i = j
			}
		}
		lengths[i]++
		lengths = append(lengths, lengths[i])
	}
	return lengths
}

// TestInflateRandomCodes compares the inflater with compress/flate on
// dynamic blocks of random code lengths, complete or not, and random
// symbols.
func TestInflateRandomCodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for i := range 2000 {
		nlit, ndist := 257+rng.IntN(30), 1+rng.IntN(30)
		var lit, dist []uint8
		if rng.IntN(4) == 0 {
			lit, dist = make([]uint8, nlit), make([]uint8, ndist)
			for j := range lit {
				lit[j] = uint8(rng.IntN(16))
			}
			for j := range dist {
				dist[j] = uint8(rng.IntN(16))
			}
		} else {
			lit = completeLengths(nlit)
			dist = completeLengths(ndist)
			rng.Shuffle(len(lit), func(a, b int) { lit[a], lit[b] = lit[b], lit[a] })
			rng.Shuffle(len(dist), func(a, b int) { dist[a], dist[b] = dist[b], dist[a] })
			for _, l := range lit {
				if l > 15 {
					lit = completeLengths(257)
					break
				}
			}
		}
		var syms []sym
		for range rng.IntN(200) {
			v := rng.IntN(nlit)
			if lit[v] == 0 {
				continue
			}
			syms = append(syms, sym{v: v})
			if v > 256 {
				d := rng.IntN(ndist)
				if dist[d] == 0 {
					syms = syms[:len(syms)-1]
					continue
				}
				syms[len(syms)-1].extra = rng.Uint64() & 31
				syms[len(syms)-1].nextra = uint(litLenSyms[v] >> 8 & 15)
				syms = append(syms, sym{v: d, extra: rng.Uint64() & 8191, nextra: uint(distSyms[d] >> 8 & 15)})
			}
		}
		if lit[256] > 0 {
			syms = append(syms, sym{v: 256})
		}
		var w bitWriter
		for _, l := range lit {
			if l > 15 {
				t.Fatalf("length %d", l)
			}
		}
		dynamicBlock(&w, true, lit, dist, nil, syms)
		w.bits(rng.Uint64(), 64)
		compareInflate(t, fmt.Sprintf("case %d", i), w.bytes(), []int{1 + rng.IntN(30)}, rng)
	}
}
