package pngdec

// The Adler-32 checksum of the zlib stream (RFC 1950), which compress/zlib
// computes a byte at a time; here it is computed eight bytes at a time, or
// with AVX2 32 at a time.

const (
	adlerMod = 65521
	// adlerBlock is the most bytes summed between reductions modulo
	// adlerMod: a multiple of 32 below zlib's NMAX, 5552, the most for
	// which the sums of a byte at a time stay within 32 bits.
	adlerBlock = 5536
)

// adler is a running Adler-32 checksum. Its zero value is not a valid
// checksum: start from newAdler.
type adler struct{ s1, s2 uint32 }

func newAdler() adler { return adler{1, 0} }

// sum returns the checksum of what update has been given.
func (a adler) sum() uint32 { return a.s2<<16 | a.s1 }

// update adds p to the checksum.
func (a *adler) update(p []byte) {
	s1, s2 := a.s1, a.s2
	for len(p) > 0 {
		n := min(len(p), adlerBlock)
		s1, s2 = adlerUpdate(s1, s2, p[:n])
		s1 %= adlerMod
		s2 %= adlerMod
		p = p[n:]
	}
	a.s1, a.s2 = s1, s2
}

// adlerGo returns s1 and s2 after the bytes of p, at most adlerBlock of
// them, given them before, both below adlerMod, without reducing them.
// For each eight bytes b0…b7 it adds 8·s1 + 8·b0 + 7·b1 + … + 1·b7 to s2
// and b0 + … + b7 to s1, as the byte-at-a-time sums do; the weighted sums
// come from multiplying the even and the odd bytes, spread into 16-bit
// lanes, by constants whose top lane gathers the products.
func adlerGo(s1, s2 uint32, p []byte) (uint32, uint32) {
	const (
		lanes = 0x00ff00ff00ff00ff
		ones  = 0x0001000100010001
		// Lane j of the constant is the weight of lane 3−j: the even
		// bytes b0, b2, b4, b6 weigh 8, 6, 4, 2 and the odd ones 7, 5,
		// 3, 1.
		even = 8<<48 | 6<<32 | 4<<16 | 2
		odd  = 7<<48 | 5<<32 | 3<<16 | 1
	)
	for len(p) >= 8 {
		x := uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
			uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56
		e, o := x&lanes, x>>8&lanes
		s2 += 8*s1 + uint32((e*even)>>48) + uint32((o*odd)>>48)
		s1 += uint32(((e + o) * ones) >> 48)
		p = p[8:]
	}
	for _, b := range p {
		s1 += uint32(b)
		s2 += s1
	}
	return s1, s2
}
