package imagefile

import (
	"errors"
	"fmt"
	"math"
)

var errUnknownFormat = errors.New("imagefile: not a known image format")

// A Scanner finds where an image file ends in a byte stream that arrives in
// pieces, for a peer that sends a file with no length prefix and does not
// close the connection after it. Call [Scanner.Scan] with everything received
// so far after each read.
//
// The Scanner keeps its parse position between calls, so the total work over
// all calls is proportional to the length of the file, not to the number of
// calls times the length. It holds no reference to the bytes it is given.
//
// The zero value is ready to use. A Scanner scans one file; use a new one for
// the next. It is not safe for concurrent use.
type Scanner struct {
	format string // detected format, "" until known
	state  uint8  // format-specific parse state; 0 means signature unchecked
	pos    int64  // offset of the next byte to parse
	end    int64  // the file's length once known, else 0
	err    error  // sticky error
	tiff   *tiffWalk

	// work counts the bytes examined, so that tests can check that the work
	// stays proportional to the input.
	work int64
}

// Scan reports where the image file that starts b ends. b holds the bytes
// received so far: each call's b must extend the previous call's b (the same
// bytes, with more appended). Scan does not retain b.
//
// The results are:
//
//   - n > 0, err == nil: the file is n bytes long. When n <= len(b) the file
//     is complete and b[:n] is the file; the bytes after it are not part of
//     it. When n > len(b) the length is known before the file is complete
//     (BMP, WebP, and TIFF once its directory has been read), so the caller
//     can reject a file that exceeds its size limit at once.
//   - n == 0, err == nil: more bytes are needed.
//   - err != nil: b cannot be the start of a valid file of a known format.
//     The error is one line that names the format and what is wrong, such as
//     "imagefile: jpeg: expected marker at offset 1234, found ff 00" or
//     "imagefile: not a known image format".
//
// Once Scan has reported a length or an error, later calls report the same.
// Scan does not check that b extends the previous b; if it does not, the
// results are meaningless, but Scan still does not panic.
func (s *Scanner) Scan(b []byte) (n int, err error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.end == 0 {
		end, err := s.scan(b)
		if err == nil && end > math.MaxInt {
			err = s.errorf("file length %d is too large", end)
		}
		if err != nil {
			s.err = err
			return 0, err
		}
		s.end = end
	}
	return int(s.end), nil
}

// Format reports the format the Scanner has detected: "jpeg", "png", "gif",
// "bmp", "tiff" or "webp", or "" before Scan has seen enough bytes to tell
// (two) or when the bytes match no known format.
func (s *Scanner) Format() string {
	return s.format
}

// scan detects the format and runs its parser. It returns the file's length
// when known, or 0 when more bytes are needed.
func (s *Scanner) scan(b []byte) (int64, error) {
	if s.format == "" {
		if len(b) == 0 {
			return 0, nil
		}
		f := match(b[:min(len(b), 2)])
		if f == "" {
			return 0, errUnknownFormat
		}
		if len(b) < 2 {
			return 0, nil
		}
		s.format = f
	}
	switch s.format {
	case "jpeg":
		return s.scanJPEG(b)
	case "png":
		return s.scanPNG(b)
	case "gif":
		return s.scanGIF(b)
	case "bmp":
		return s.scanBMP(b)
	case "tiff":
		return s.scanTIFF(b)
	default:
		return s.scanWebP(b)
	}
}

// errorf returns an error prefixed with the package and the format name.
func (s *Scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("imagefile: %s: %s", s.format, fmt.Sprintf(format, args...))
}
