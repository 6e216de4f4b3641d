package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3api "github.com/aws/aws-sdk-go-v2/service/s3"
)

// object is what Store.Open returns: the body of a GET of the object, with
// its size and time of storing. Seek moves a position; the next Read
// starts there, asking the store for the rest of the object from it if the
// body in hand is elsewhere. It is not safe for concurrent use.
type object struct {
	s       *Store
	ctx     context.Context         // lives until Close; ends the body's stream
	cancel  context.CancelCauseFunc // ends ctx
	key     string
	size    int64
	modTime time.Time
	etag    string // of the object read, so that a new GET reads the same

	body    io.ReadCloser // nil after a failed new GET, or past the end
	bodyPos int64         // the offset of the next byte of body
	pos     int64         // the offset of the next Read
	closed  bool
}

var errClosed = errors.New("s3: read of a closed object")

func (o *object) Read(p []byte) (int, error) {
	if o.closed {
		return 0, errClosed
	}
	if o.pos >= o.size {
		return 0, io.EOF
	}
	if o.body == nil || o.pos != o.bodyPos {
		if err := o.reopen(); err != nil {
			return 0, err
		}
	}
	n, err := o.body.Read(p)
	o.pos += int64(n)
	o.bodyPos = o.pos
	if err == io.EOF && o.pos < o.size {
		err = fmt.Errorf("s3: read %q: object cut short at %d of %d bytes: %w", o.key, o.pos, o.size, io.ErrUnexpectedEOF)
	}
	return n, err
}

// reopen replaces the body with one that starts at o.pos, asking the store
// for the bytes from there to the end, on condition that the object is
// still the one first read.
func (o *object) reopen() error {
	if o.body != nil {
		o.body.Close()
		o.body = nil
	}
	in := &s3api.GetObjectInput{
		Bucket: aws.String(o.s.bucket),
		Key:    aws.String(o.s.prefix + o.key),
		Range:  aws.String(fmt.Sprintf("bytes=%d-", o.pos)),
	}
	if o.etag != "" {
		in.IfMatch = aws.String(o.etag)
	}
	out, err := o.s.client.GetObject(o.ctx, in)
	if err != nil {
		return fmt.Errorf("s3: read %q from byte %d: %w", o.key, o.pos, err)
	}
	o.body, o.bodyPos = out.Body, o.pos
	return nil
}

func (o *object) Seek(offset int64, whence int) (int64, error) {
	if o.closed {
		return 0, errClosed
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += o.pos
	case io.SeekEnd:
		offset += o.size
	default:
		return 0, fmt.Errorf("s3: seek in %q: invalid whence %d", o.key, whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("s3: seek in %q: negative position %d", o.key, offset)
	}
	o.pos = offset
	return offset, nil
}

// Stat returns the object's size and time of storing, as a regular file's.
func (o *object) Stat() (fs.FileInfo, error) {
	return objectInfo{o}, nil
}

// Close ends the body's stream. Closing again does nothing.
func (o *object) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	var err error
	if o.body != nil {
		err = o.body.Close()
	}
	o.cancel(nil)
	return err
}

// objectInfo is the fs.FileInfo of an object.
type objectInfo struct{ o *object }

func (fi objectInfo) Name() string       { return fi.o.key }
func (fi objectInfo) Size() int64        { return fi.o.size }
func (fi objectInfo) Mode() fs.FileMode  { return 0o444 }
func (fi objectInfo) ModTime() time.Time { return fi.o.modTime }
func (fi objectInfo) IsDir() bool        { return false }
func (fi objectInfo) Sys() any           { return nil }
