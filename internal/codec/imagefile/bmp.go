package imagefile

import (
	"encoding/binary"
	"math"
)

// scanBMP reads a BMP file's length from its headers.
func (s *Scanner) scanBMP(b []byte) (int64, error) {
	n := int64(len(b))
	le := binary.LittleEndian
	// File header (14 bytes) and the DIB header's size.
	if n < 18 {
		return 0, nil
	}
	s.work += 18
	fileSize := int64(le.Uint32(b[2:]))
	pixOffset := int64(le.Uint32(b[10:]))
	dibSize := int64(le.Uint32(b[14:]))
	switch dibSize {
	case 12, 16, 40, 52, 56, 64, 108, 124: // 16 and 64: OS/2 2.x
	default:
		return 0, s.errorf("unsupported DIB header size %d", dibSize)
	}
	if pixOffset < 14+dibSize {
		// An offset of 0 (or another inside the headers) means that the
		// pixels follow the palette, as decoders read it; the file's size
		// must then be given.
		if fileSize >= 14+dibSize {
			return fileSize, nil
		}
		return 0, s.errorf("pixel data offset %d lies inside the %d-byte headers", pixOffset, 14+dibSize)
	}
	if fileSize >= pixOffset {
		return fileSize, nil
	}

	// bfSize is unusable: compute the pixel array's size.
	var width, height, bpp, compression, imageSize int64
	if dibSize == 12 {
		// BITMAPCOREHEADER: 16-bit width, height, planes, bit count.
		if n < 26 {
			return 0, nil
		}
		s.work += 8
		width = int64(le.Uint16(b[18:]))
		height = int64(le.Uint16(b[20:]))
		bpp = int64(le.Uint16(b[24:]))
	} else {
		if n < 38 {
			return 0, nil
		}
		s.work += 20
		width = int64(int32(le.Uint32(b[18:])))
		height = int64(int32(le.Uint32(b[22:])))
		bpp = int64(le.Uint16(b[28:]))
		if dibSize > 16 { // the short OS/2 2.x header ends at the bit count
			compression = int64(le.Uint32(b[30:]))
			imageSize = int64(le.Uint32(b[34:]))
		}
	}
	if imageSize != 0 {
		return pixOffset + imageSize, nil
	}
	switch compression {
	case 0, 3, 6: // BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS
	default:
		return 0, s.errorf("compressed pixel data (compression %d) with neither bfSize nor biSizeImage", compression)
	}
	switch bpp {
	case 1, 2, 4, 8, 16, 24, 32, 64:
	default:
		return 0, s.errorf("unsupported bit count %d", bpp)
	}
	if width < 0 {
		return 0, s.errorf("negative width %d", width)
	}
	if height < 0 {
		height = -height // top-down rows
	}
	// Rows are padded to a multiple of 4 bytes.
	row := (width*bpp + 31) / 32 * 4
	if row > 0 && height > (math.MaxInt64-pixOffset)/row {
		return 0, s.errorf("%dx%d image at %d bits per pixel is too large", width, height, bpp)
	}
	return pixOffset + row*height, nil
}
