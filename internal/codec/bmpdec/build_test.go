package bmpdec_test

import (
	"encoding/binary"
)

// A bmpFile is a BMP file the tests build: a file header, an info header,
// bit field masks, a palette and pixels.
type bmpFile struct {
	headerSize    int // 40 when 0
	width, height int32
	bits          uint16
	compression   uint32
	colors        uint32    // the header's colour count
	masks         []uint32  // in the header if it is larger than 40 bytes, after it otherwise
	palette       [][3]byte // red, green, blue
	offset        int64     // of the pixels; computed when 0, 0 when -1
	pixels        []byte
}

// build returns the file's bytes.
func (f bmpFile) build() []byte {
	size := f.headerSize
	if size == 0 {
		size = 40
	}
	le := binary.LittleEndian
	ih := make([]byte, size)
	le.PutUint32(ih, uint32(size))
	if size == 12 {
		le.PutUint16(ih[4:], uint16(f.width))
		le.PutUint16(ih[6:], uint16(f.height))
		le.PutUint16(ih[8:], 1)
		le.PutUint16(ih[10:], f.bits)
	} else {
		le.PutUint32(ih[4:], uint32(f.width))
		le.PutUint32(ih[8:], uint32(f.height))
		le.PutUint16(ih[12:], 1)
		le.PutUint16(ih[14:], f.bits)
	}
	if size >= 40 {
		le.PutUint32(ih[16:], f.compression)
		le.PutUint32(ih[20:], uint32(len(f.pixels)))
		le.PutUint32(ih[32:], f.colors)
	}
	var after []byte
	for i, m := range f.masks {
		if size > 40 {
			le.PutUint32(ih[40+4*i:], m)
		} else {
			after = le.AppendUint32(after, m)
		}
	}
	var pal []byte
	for _, c := range f.palette {
		pal = append(pal, c[2], c[1], c[0])
		if size != 12 {
			pal = append(pal, 0)
		}
	}
	body := append(append(ih, after...), pal...)
	offset := f.offset
	switch offset {
	case 0:
		offset = int64(14 + len(body))
	case -1:
		offset = 0
	}
	out := []byte{'B', 'M'}
	out = le.AppendUint32(out, uint32(14+len(body)+len(f.pixels)))
	out = le.AppendUint32(out, 0)
	out = le.AppendUint32(out, uint32(offset))
	out = append(out, body...)
	return append(out, f.pixels...)
}

// grayPalette returns a palette of n entries where entry i is gray i,
// except entry 0, which is gray 50: the pixels an RLE stream leaves are
// index 0, and so 50.
func grayPalette(n int) [][3]byte {
	p := make([][3]byte, n)
	for i := range p {
		p[i] = [3]byte{byte(i), byte(i), byte(i)}
	}
	p[0] = [3]byte{50, 50, 50}
	return p
}
