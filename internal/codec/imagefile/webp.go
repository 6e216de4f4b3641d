package imagefile

import "encoding/binary"

// scanWebP reads a WebP file's length from its RIFF header.
func (s *Scanner) scanWebP(b []byte) (int64, error) {
	if !consistent(b, "webp") {
		return 0, s.errorf("not a RIFF WEBP header")
	}
	if len(b) < 12 {
		return 0, nil
	}
	s.work += 12
	size := int64(binary.LittleEndian.Uint32(b[4:]))
	if size < 4 {
		return 0, s.errorf("RIFF size %d is less than 4", size)
	}
	// The chunk header, then the data padded to an even length.
	return 8 + size + size&1, nil
}
