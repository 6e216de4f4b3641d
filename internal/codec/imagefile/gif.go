package imagefile

// GIF parse states.
const (
	gifHeader    = iota
	gifBlock     // s.pos is the offset of the next block's introducer
	gifSubBlocks // s.pos is the offset of the next data sub-block
)

// scanGIF walks the blocks of a GIF file up to its trailer.
func (s *Scanner) scanGIF(b []byte) (int64, error) {
	n := int64(len(b))
	if s.state == gifHeader {
		if !consistent(b, "gif") {
			return 0, s.errorf("bad signature")
		}
		// Header (6 bytes), logical screen descriptor (7 bytes), and the
		// global colour table if the flags at offset 10 say there is one.
		if n < 13 {
			return 0, nil
		}
		s.work += 13
		s.pos = 13 + colorTableSize(b[10])
		s.state = gifBlock
	}
	for s.pos < n {
		c := b[s.pos]
		s.work++
		if s.state == gifSubBlocks {
			// A length byte, then that many bytes; a zero length ends the run.
			s.pos += 1 + int64(c)
			if c == 0 {
				s.state = gifBlock
			}
			continue
		}
		switch c {
		case 0x21:
			// Extension: introducer, label, data sub-blocks.
			s.pos += 2
			s.state = gifSubBlocks
		case 0x2c:
			// Image descriptor: separator, 8 bytes of position and size,
			// flags; the local colour table; the LZW minimum code size;
			// data sub-blocks.
			if s.pos+10 > n {
				return 0, nil
			}
			s.work++
			s.pos += 10 + colorTableSize(b[s.pos+9]) + 1
			s.state = gifSubBlocks
		case 0x3b:
			return s.pos + 1, nil
		default:
			return 0, s.errorf("unexpected block type 0x%02x at offset %d", c, s.pos)
		}
	}
	return 0, nil
}

// colorTableSize returns the size in bytes of the colour table that a GIF
// screen or image descriptor's flags byte announces.
func colorTableSize(flags byte) int64 {
	if flags&0x80 == 0 {
		return 0
	}
	return 3 << (1 + flags&7)
}
