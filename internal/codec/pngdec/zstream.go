package pngdec

import (
	"bytes"
	"compress/flate"
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
// with compress/flate for the deflate data and its own Adler-32, which is
// faster than hash/adler32's.
type zreader struct {
	src *idatReader
	fr  io.ReadCloser // a compress/flate reader
	sum adler
}

// flateReaders are compress/flate readers for reuse: each holds a 32 KiB
// window and its Huffman tables.
var flateReaders sync.Pool

// noInput is what a pooled flate reader reads from, so that it keeps no
// file alive.
var noInput = bytes.NewReader(nil)

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
	if fr, ok := flateReaders.Get().(io.ReadCloser); ok {
		fr.(flate.Resetter).Reset(src, nil)
		z.fr = fr
	} else {
		z.fr = flate.NewReader(src)
	}
	return z, nil
}

// readFull fills p with the next bytes of the stream.
func (z *zreader) readFull(p []byte) error {
	if _, err := io.ReadFull(z.fr, p); err != nil {
		return noEOF(err)
	}
	z.sum.update(p)
	return nil
}

// finish checks that the deflate data ends here and that the Adler-32
// after it is right, and returns the flate reader for reuse.
func (z *zreader) finish() error {
	var one [1]byte
	n, err := 0, error(nil)
	for i := 0; n == 0 && err == nil; i++ {
		if i == 100 {
			return io.ErrNoProgress
		}
		n, err = z.fr.Read(one[:])
	}
	switch {
	case n != 0:
		return errZlibTooLong
	case err != io.EOF:
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

// release returns the flate reader for reuse; z cannot be used after.
func (z *zreader) release() {
	if z.fr == nil {
		return
	}
	z.fr.(flate.Resetter).Reset(noInput, nil)
	flateReaders.Put(z.fr)
	z.fr = nil
}

// noEOF turns io.EOF, which means here that data ended early, into
// io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
