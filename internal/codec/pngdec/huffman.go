package pngdec

import (
	"math/bits"
	"sync"
)

// A huffTable decodes a canonical Huffman code of deflate, whose codes
// are read from the low bits of the bit buffer up: a primary table indexed
// by the next root bits, whose entries for longer codes point to
// subtables indexed by the bits after those.
//
// An entry is a uint32:
//
//	bits 0-5    the length of the code, the bits to consume (0 for an
//	            entry no code reaches); 6 bits so that a shift by e&63
//	            is a single instruction
//	bits 8-11   the extra bits that follow a length or distance code; in
//	            a subtable pointer, the bits that index the subtable
//	bits 12-15  flags: entryLiteral, entryEnd, entrySub, entryBad
//	bits 16-31  the literal byte, the base length or distance, the
//	            code-length symbol, or the subtable's offset
type huffTable struct {
	entries []uint32 // the table, within the capacity it was made with
	root    uint
}

// Sizes of the tables: the largest that a code accepted by build can
// need. A subtable of 2^k entries holds a complete subtree of depth k,
// which has at least k+1 codes, so 286 literal/length codes with 10 root
// bits need at most 1024 + 47·32 + 8 entries, and 30 distance codes with
// 8 root bits at most 256 + 3·128 + 32.
const (
	litTableSize  = 4096
	distTableSize = 1024
)

const (
	entryLiteral = 0x1000 // a literal byte
	entryEnd     = 0x2000 // the end of the block
	entrySub     = 0x4000 // a pointer to a subtable
	entryBad     = 0x8000 // a symbol that deflate does not allow, or no code
)

// lookup returns the entry of the code at the low bits of b. With fewer
// bits known than the code has, it may give an entry of a longer code than
// the zeros that stand for the unknown bits would; the caller compares
// the entry's length with the bits it has.
func (t *huffTable) lookup(b uint64) uint32 {
	e := t.entries[b&(1<<t.root-1)]
	if e&entrySub != 0 {
		e = t.entries[e>>16+uint32(b>>t.root)&(1<<(e>>8&15)-1)]
	}
	return e
}

// build makes t decode the code of the given code lengths (0 for a symbol
// without a code), symbol i decoding to entry syms[i] with its length
// added. It accepts and refuses the sets of lengths that compress/flate
// does: a complete code, a single code of length 1 (whose other bit
// pattern is then bad), or no codes at all (every pattern bad); it
// reports false for over-subscribed and other incomplete codes.
func (t *huffTable) build(lengths []uint8, syms []uint32, root uint) bool {
	var count [16]int
	maxLen := 0
	for _, l := range lengths {
		count[l]++
		maxLen = max(maxLen, int(l))
	}
	count[0] = 0
	// The codes use 2^maxLen patterns of maxLen bits exactly when the code
	// is complete.
	used := 0
	for l := 1; l <= maxLen; l++ {
		used += count[l] << (maxLen - l)
	}
	if maxLen > 0 && used != 1<<maxLen && !(maxLen == 1 && count[1] == 1) {
		return false
	}

	t.root = root
	t.entries = t.entries[:1<<root]
	if used != 1<<maxLen {
		// Incomplete: the patterns no code reaches are bad. A complete
		// code fills every entry below.
		for i := range t.entries {
			t.entries[i] = entryBad
		}
	}
	if maxLen == 0 {
		return true
	}
	// The first code of each length, most significant bit first.
	var next [16]int
	code := 0
	for l := 1; l <= 15; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	// Subtables: for each root pattern of codes longer than root, the
	// length of the longest such code. Canonical codes that share their
	// first root bits are consecutive, so they are assigned in a second
	// pass in the same order.
	var subLen [1 << 10]uint8
	codes := next
	for _, l := range lengths {
		if uint(l) > root {
			r := reverse(codes[l], uint(l))
			i := r & (1<<root - 1)
			subLen[i] = max(subLen[i], l)
		}
		codes[l]++
	}
	for i, l := range subLen[:1<<root] {
		if l == 0 {
			continue
		}
		subBits := uint32(uint(l) - root)
		n := len(t.entries)
		t.entries[i] = uint32(n)<<16 | entrySub | subBits<<8
		// Within the capacity, by the sizes above: the table stays where
		// huffman reads it.
		t.entries = t.entries[:n+1<<subBits]
	}
	codes = next
	for s, l := range lengths {
		if l == 0 {
			continue
		}
		r := reverse(codes[l], uint(l))
		codes[l]++
		e := syms[s] | uint32(l)
		if uint(l) <= root {
			for i := r; i < 1<<root; i += 1 << l {
				t.entries[i] = e
			}
			continue
		}
		p := t.entries[r&(1<<root-1)]
		off, subBits := int(p>>16), uint(p>>8&15)
		for i := r >> root; i < 1<<subBits; i += 1 << (uint(l) - root) {
			t.entries[off+i] = e
		}
	}
	return true
}

// reverse returns the n low bits of code in reverse order.
func reverse(code int, n uint) int {
	return int(bits.Reverse16(uint16(code)) >> (16 - n))
}

// The entries of the symbols of deflate's three alphabets.
var (
	litLenSyms  [288]uint32
	distSyms    [32]uint32
	codeLenSyms [19]uint32
)

func init() {
	for v := range 256 {
		litLenSyms[v] = uint32(v)<<16 | entryLiteral
	}
	litLenSyms[256] = entryEnd
	// Lengths 3 to 10 have no extra bits; then each group of four codes
	// has one extra bit more, up to 285, which is 258.
	base := 3
	for v := 257; v < 285; v++ {
		extra := 0
		if v >= 265 {
			extra = (v - 261) / 4
		}
		litLenSyms[v] = uint32(base)<<16 | uint32(extra)<<8
		base += 1 << extra
	}
	litLenSyms[285] = 258 << 16
	litLenSyms[286], litLenSyms[287] = entryBad, entryBad
	base = 1
	for v := range 30 {
		extra := 0
		if v >= 4 {
			extra = (v - 2) / 2
		}
		distSyms[v] = uint32(base)<<16 | uint32(extra)<<8
		base += 1 << extra
	}
	distSyms[30], distSyms[31] = entryBad, entryBad
	for v := range codeLenSyms {
		codeLenSyms[v] = uint32(v) << 16
	}
}

// Root bits of the tables: codes are at most 15 bits long, 7 for the
// code-length alphabet.
const (
	litRoot     = 10
	distRoot    = 8
	codeLenRoot = 7
)

// fixedTables returns the tables of the fixed Huffman codes of RFC 1951
// 3.2.6, built once.
var fixedTables = sync.OnceValues(func() (lit, dist *huffTable) {
	lit = &huffTable{entries: new([litTableSize]uint32)[:0]}
	dist = &huffTable{entries: new([distTableSize]uint32)[:0]}
	var lengths [288]uint8
	for v := range lengths {
		switch {
		case v < 144:
			lengths[v] = 8
		case v < 256:
			lengths[v] = 9
		case v < 280:
			lengths[v] = 7
		default:
			lengths[v] = 8
		}
	}
	lit.build(lengths[:], litLenSyms[:], litRoot)
	// compress/flate reads the 5 bits of a fixed distance code directly;
	// a code of 32 lengths of 5 bits is the same, with 30 and 31 bad.
	var dl [32]uint8
	for i := range dl {
		dl[i] = 5
	}
	dist.build(dl[:], distSyms[:], distRoot)
	return lit, dist
})
