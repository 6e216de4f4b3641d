package pngdec

import (
	"encoding/binary"
	"errors"
	"io"
	"sync"
)

// The errors of the zlib stream, which streamError turns into the
// decoder's.
var (
	errZlibHeader   = errors.New("bad zlib header")
	errZlibDict     = errors.New("preset dictionary")
	errZlibChecksum = errors.New("bad Adler-32 checksum")
	errZlibTooLong  = errors.New("more data than the image holds")
)

// zreader reads the zlib stream (RFC 1950) of the IDAT chunks as
// compress/zlib's reader does, accepting and refusing the same streams,
// with an inflater for the deflate data and its own Adler-32.
type zreader struct {
	src *idatReader
	inf *inflater
	sum adler
}

// inflaters are inflaters for reuse: each holds a window of 128 KiB and
// Huffman tables.
var inflaters sync.Pool

// newZReader reads the zlib header from src and returns a reader of the
// data after it. Its errors are src's, io.ErrUnexpectedEOF, errZlibHeader
// and errZlibDict.
func newZReader(src *idatReader) (*zreader, error) {
	var h [4]byte
	if _, err := io.ReadFull(src, h[:2]); err != nil {
		return nil, noEOF(err)
	}
	// Deflate with a window of at most 32 KiB, and a check sum.
	if h[0]&0x0f != 8 || h[0]>>4 > 7 || binary.BigEndian.Uint16(h[:])%31 != 0 {
		return nil, errZlibHeader
	}
	if h[1]&0x20 != 0 {
		// A preset dictionary, which compress/zlib, given none, accepts
		// only when its Adler-32 is that of no bytes: 1.
		if _, err := io.ReadFull(src, h[:4]); err != nil {
			return nil, noEOF(err)
		}
		if binary.BigEndian.Uint32(h[:]) != 1 {
			return nil, errZlibDict
		}
	}
	z := &zreader{src: src, sum: newAdler()}
	z.inf, _ = inflaters.Get().(*inflater)
	if z.inf == nil {
		z.inf = new(inflater)
	}
	z.inf.reset(src)
	return z, nil
}

// readFull fills p with the next bytes of the stream.
func (z *zreader) readFull(p []byte) error {
	if err := z.inf.readFull(p); err != nil {
		return noEOF(err)
	}
	z.sum.update(p)
	return nil
}

// finish checks that the deflate data ends here and that the Adler-32
// after it is right, and returns the inflater for reuse.
func (z *zreader) finish() error {
	var one [1]byte
	switch err := z.inf.readFull(one[:]); err {
	case nil:
		return errZlibTooLong
	case io.EOF:
	default:
		return err
	}
	var s [4]byte
	if _, err := io.ReadFull(z.src, s[:]); err != nil {
		return noEOF(err)
	}
	if binary.BigEndian.Uint32(s[:]) != z.sum.sum() {
		return errZlibChecksum
	}
	z.release()
	return nil
}

// release returns the inflater for reuse; z cannot be used after.
func (z *zreader) release() {
	if z.inf == nil {
		return
	}
	z.inf.reset(nil) // keep no file alive
	inflaters.Put(z.inf)
	z.inf = nil
}

// noEOF turns io.EOF, which means here that data ended early, into
// io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
