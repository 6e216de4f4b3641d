package imagefile

import "encoding/binary"

// PNG parse states.
const (
	pngSignature = iota
	pngChunks    // s.pos is the offset of the next chunk
	pngEnd       // s.pos is the end of the IEND chunk
)

// scanPNG walks the chunks of a PNG file up to the end of its IEND chunk.
func (s *Scanner) scanPNG(b []byte) (int64, error) {
	n := int64(len(b))
	if s.state == pngSignature {
		if !consistent(b, "png") {
			return 0, s.errorf("bad signature")
		}
		if n < 8 {
			return 0, nil
		}
		s.pos = 8
		s.state = pngChunks
	}
	for s.state == pngChunks && s.pos+8 <= n {
		p := s.pos
		length := int64(binary.BigEndian.Uint32(b[p:]))
		typ := b[p+4 : p+8]
		s.work += 8
		if length > 1<<31-1 {
			return 0, s.errorf("chunk at offset %d has length %d, more than 2^31-1", p, length)
		}
		for _, c := range typ {
			if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
				return 0, s.errorf("invalid chunk type %q at offset %d", typ, p)
			}
		}
		if p == 8 && string(typ) != "IHDR" {
			return 0, s.errorf("first chunk is %q, not IHDR", typ)
		}
		// Length, type, data and CRC; the CRC is not verified.
		s.pos = p + 12 + length
		if string(typ) == "IEND" {
			s.state = pngEnd
		}
	}
	if s.state == pngEnd && s.pos <= n {
		return s.pos, nil
	}
	return 0, nil
}
