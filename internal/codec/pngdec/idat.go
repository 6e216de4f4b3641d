package pngdec

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// errNoIDAT is idatReader's error when the chunk after the IDAT chunks
// that it has read is not IDAT: the compressed data ends there.
var errNoIDAT = errors.New("pngdec: no more IDAT chunks")

// idatReader presents the data of consecutive IDAT chunks as one stream, as
// image/png does, to the zreader and its inflater, which never read past
// the end of the zlib stream. It checks each chunk's bounds and CRC as it
// enters it, and moves to the next chunk only when a byte of it is needed.
// The inflater also reads the data of the current chunk in place, data[p:end].
type idatReader struct {
	data       []byte
	start, end int // the data of the current chunk
	p          int // the next byte, in start..end
	err        error
}

// newIDATReader returns a reader of the IDAT chunk at pos and those that
// follow it.
func newIDATReader(data []byte, pos int) *idatReader {
	return &idatReader{data: data, start: pos - 4, end: pos - 4, p: pos - 4}
}

// advance enters the next chunk that holds data, with r.p at r.end.
func (r *idatReader) advance() error {
	if r.err != nil {
		return r.err
	}
	for r.p == r.end {
		pos := r.end + 4 // past the CRC
		if len(r.data)-pos < 8 {
			r.err = io.ErrUnexpectedEOF
			return r.err
		}
		length := binary.BigEndian.Uint32(r.data[pos:])
		if binary.BigEndian.Uint32(r.data[pos+4:]) != typeIDAT {
			r.err = errNoIDAT
			return r.err
		}
		if uint64(length)+12 > uint64(len(r.data)-pos) {
			r.err = io.ErrUnexpectedEOF
			return r.err
		}
		end := pos + 8 + int(length)
		if crc32.ChecksumIEEE(r.data[pos+4:end]) != binary.BigEndian.Uint32(r.data[end:]) {
			r.err = formatError("bad CRC of the IDAT chunk at offset %d", pos)
			return r.err
		}
		r.start, r.p, r.end = pos+8, pos+8, end
	}
	return nil
}

// ReadByte returns the next byte of the compressed stream.
func (r *idatReader) ReadByte() (byte, error) {
	if r.p >= r.end {
		if err := r.advance(); err != nil {
			return 0, err
		}
	}
	b := r.data[r.p]
	r.p++
	return b, nil
}

// Read reads up to len(p) bytes of the compressed stream, from one chunk.
func (r *idatReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.p >= r.end {
		if err := r.advance(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.data[r.p:r.end])
	r.p += n
	return n, nil
}

// readWindow is the size of the reads in which image/png takes the IDAT
// data: compress/zlib reads it through a bufio.Reader of this size, which
// reads at most one chunk at a time.
const readWindow = 4096

// tailAccepted reports whether image/png accepts the bytes left in the
// current chunk after the end of the zlib stream: it accepts them when the
// read that fetched the stream's last bytes fetched them as well, that is,
// when they lie in the same window of readWindow bytes, counted from the
// chunk's start, as the stream's last byte.
func (r *idatReader) tailAccepted() bool {
	if r.p == r.end {
		return true
	}
	return (r.p-1-r.start)/readWindow == (r.end-1-r.start)/readWindow
}

// idatBytes returns the number of bytes of data in the consecutive IDAT
// chunks that start at pos, and whether the data ends within them.
func idatBytes(data []byte, pos int) (n int64, cut bool) {
	for len(data)-pos >= 8 && binary.BigEndian.Uint32(data[pos+4:]) == typeIDAT {
		length := int64(binary.BigEndian.Uint32(data[pos:]))
		if length+12 > int64(len(data)-pos) {
			return n + int64(len(data)-pos-8), true
		}
		n += length
		pos += 12 + int(length)
	}
	return n, len(data)-pos < 8
}
