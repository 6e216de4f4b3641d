package imagefile

import "bytes"

// JPEG parse states.
const (
	jpegSignature = iota
	jpegMarker    // s.pos is where the next marker is expected
	jpegEntropy   // s.pos is inside entropy-coded data
)

// scanJPEG walks the marker segments of a JPEG file up to its EOI marker.
func (s *Scanner) scanJPEG(b []byte) (int64, error) {
	n := int64(len(b))
	if s.state == jpegSignature {
		if !consistent(b, "jpeg") {
			return 0, s.errorf("bad signature")
		}
		if n < 3 {
			return 0, nil
		}
		s.pos = 2
		s.state = jpegMarker
	}
	for {
		if s.state == jpegEntropy {
			if !s.skipEntropy(b) {
				return 0, nil
			}
			s.state = jpegMarker
		}
		// Skip stray bytes before the marker, as libjpeg does.
		if s.pos >= n {
			return 0, nil
		}
		if b[s.pos] != 0xff {
			i := bytes.IndexByte(b[s.pos:], 0xff)
			if i < 0 {
				s.work += n - s.pos
				s.pos = n
				return 0, nil
			}
			s.work += int64(i)
			s.pos += int64(i)
		}
		// Skip fill bytes: s.pos stays on the last 0xff before the marker.
		for {
			if s.pos+1 >= n {
				return 0, nil
			}
			s.work++
			if b[s.pos+1] != 0xff {
				break
			}
			s.pos++
		}
		m := b[s.pos+1]
		switch {
		case m == 0x00:
			return 0, s.errorf("expected marker at offset %d, found ff 00", s.pos)
		case m == 0xd8:
			return 0, s.errorf("unexpected SOI marker at offset %d", s.pos)
		case m == 0xd9:
			return s.pos + 2, nil
		case m == 0x01 || 0xd0 <= m && m <= 0xd7:
			// TEM and RSTn stand alone.
			s.pos += 2
		default:
			if s.pos+4 > n {
				return 0, nil
			}
			s.work += 2
			length := int64(b[s.pos+2])<<8 | int64(b[s.pos+3])
			if length < 2 {
				return 0, s.errorf("marker ff %02x at offset %d has length %d", m, s.pos, length)
			}
			// The payload is skipped, never scanned.
			s.pos += 2 + length
			if m == 0xda {
				s.state = jpegEntropy
			}
		}
	}
}

// skipEntropy advances s.pos through entropy-coded data to the next marker
// that ends it, and reports whether it found one. When it returns false,
// s.pos is where the next call resumes.
func (s *Scanner) skipEntropy(b []byte) bool {
	n := int64(len(b))
	for s.pos < n {
		i := bytes.IndexByte(b[s.pos:], 0xff)
		if i < 0 {
			s.work += n - s.pos
			s.pos = n
			return false
		}
		p := s.pos + int64(i)
		s.work += int64(i) + 1
		if p+1 >= n {
			s.pos = p
			return false
		}
		s.work++
		switch m := b[p+1]; {
		case m == 0x00 || 0xd0 <= m && m <= 0xd7:
			// A stuffed zero or a restart marker: still entropy-coded data.
			s.pos = p + 2
		case m == 0xff:
			// A fill byte; the marker, if any, follows.
			s.pos = p + 1
		default:
			s.pos = p
			return true
		}
	}
	return false
}
