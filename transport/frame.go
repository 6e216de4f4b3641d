package transport

import (
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"math"
	"net"

	"github.com/escala-img/escala/internal/codec/mem"
	"github.com/escala-img/escala/scaler"
)

// Limits and constants of the wire format; see the package documentation.
const (
	magic       = "ESCL"
	version     = 1
	headerSize  = 16
	maxMeta     = 4096
	maxMessage  = 1024
	requestMeta = 32
	resultMeta  = 12

	// DefaultMaxFrameSize is the frame and upload limit when
	// MaxFrameSize is 0: room for a 64-megapixel raw gray image.
	DefaultMaxFrameSize = 64 << 20
	// MaxFrameSizeLimit is the largest MaxFrameSize allowed. It keeps
	// framed lengths apart from magic numbers; see Detection.
	MaxFrameSizeLimit = 1 << 30
)

// frameType is the type byte of a native frame.
type frameType uint8

const (
	typeRequest frameType = 1
	typeResult  frameType = 2
	typeError   frameType = 3
)

// Body formats on the wire: image formats have scaler.Format's values.
const (
	wireNone = 0
	wireGray = 16
)

// A frame is one native frame, header checked.
type frame struct {
	typ  frameType
	meta []byte
	body []byte // from mem.Bytes, the reader's to give back
}

// frameLimit returns the effective frame size limit for a configured
// value: 0 means the default, and nothing exceeds MaxFrameSizeLimit.
func frameLimit(n int) int {
	if n <= 0 {
		return DefaultMaxFrameSize
	}
	return min(n, MaxFrameSizeLimit)
}

// headerError is a malformed native header. The connection it came on can
// no longer be read, as the next frame cannot be found.
type headerError struct{ msg string }

func (e *headerError) Error() string { return "transport: " + e.msg }
func (e *headerError) Unwrap() error { return errBadRequest }

// readFrame reads one frame from r, whose first len(pre) bytes (at most
// 4) have already been read into pre. It checks the header before it
// allocates, and refuses metadata over 4096 bytes and frames over max.
// When admit is not nil, it is called with the size of the rest of the
// frame before that is allocated, and its error ends the reading.
func readFrame(r io.Reader, pre []byte, max int, admit func(n int) error) (*frame, error) {
	f, b, err := readHead(r, pre, max, admit)
	if err != nil {
		return nil, err
	}
	if err := f.readBody(r, b, admit); err != nil {
		return nil, err
	}
	return f, nil
}

// readHead reads a frame's header and metadata, as readFrame does, and
// returns the frame without its body, and the length of the body, which
// readBody then reads.
func readHead(r io.Reader, pre []byte, max int, admit func(n int) error) (*frame, int, error) {
	var h [headerSize]byte
	n := copy(h[:], pre)
	if _, err := io.ReadFull(r, h[n:]); err != nil {
		return nil, 0, err
	}
	if string(h[:4]) != magic {
		return nil, 0, &headerError{fmt.Sprintf("bad magic %q", h[:4])}
	}
	if h[4] != version {
		return nil, 0, &headerError{fmt.Sprintf("unsupported protocol version %d; this server speaks %d", h[4], version)}
	}
	typ := frameType(h[5])
	if typ < typeRequest || typ > typeError {
		return nil, 0, &headerError{fmt.Sprintf("unknown frame type %d", typ)}
	}
	if h[6] != 0 || h[7] != 0 {
		return nil, 0, &headerError{"reserved header bytes are not zero"}
	}
	m := binary.BigEndian.Uint32(h[8:])
	b := binary.BigEndian.Uint32(h[12:])
	if m > maxMeta {
		return nil, 0, &headerError{fmt.Sprintf("metadata of %d bytes is over the limit of %d", m, maxMeta)}
	}
	if uint64(m)+uint64(b) > uint64(max) {
		return nil, 0, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, uint64(m)+uint64(b), max)
	}
	// The metadata, 4 KiB at most, has a buffer of its own, so that the
	// body's starts the buffer it came from the pool in, whole, and goes
	// back to its size class.
	meta := make([]byte, m)
	if admit != nil && m > 0 {
		if err := admit(int(m)); err != nil {
			return nil, 0, err
		}
	}
	if _, err := io.ReadFull(r, meta); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	return &frame{typ: typ, meta: meta}, int(b), nil
}

// readBody reads the frame's body of n bytes, as readFrame does.
func (f *frame) readBody(r io.Reader, n int, admit func(n int) error) error {
	if n == 0 {
		return nil
	}
	body, err := readGrowing(r, n, admit)
	if err != nil {
		return err
	}
	f.body = body
	return nil
}

// firstChunk is the buffer readGrowing starts with.
const firstChunk = 64 << 10

// readGrowing reads exactly n bytes from r. It does not trust n: its
// buffer starts at 64 KiB and doubles only when full, so that memory
// follows the bytes that arrived, and each allocation is first admitted
// (when admit is not nil) for the bytes it adds. A peer that announces a
// large frame and then trickles thus holds no more of a budget than it
// has sent. A stream that ends early gives io.ErrUnexpectedEOF.
//
// The buffers come from mem.Bytes, and those outgrown go back at once;
// the result is the caller's to give back, and on an error nothing is
// left to give back.
func readGrowing(r io.Reader, n int, admit func(n int) error) (_ []byte, err error) {
	size := min(n, firstChunk)
	if admit != nil {
		if err := admit(size); err != nil {
			return nil, err
		}
	}
	buf := mem.Bytes.Get(size)[:0]
	defer func() {
		if err != nil {
			mem.Bytes.Put(buf)
		}
	}()
	for len(buf) < n {
		if len(buf) == size {
			grown := min(2*size, n)
			if admit != nil {
				if err := admit(grown - size); err != nil {
					return nil, err
				}
			}
			next := mem.Bytes.Get(grown)[:len(buf)]
			copy(next, buf)
			mem.Bytes.Put(buf)
			buf, size = next, grown
		}
		// Never past size: the pool's buffers may be larger, and the
		// bytes after this frame belong to the next.
		k, err := r.Read(buf[len(buf):size])
		buf = buf[:len(buf)+k]
		if err != nil && len(buf) < n {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return buf, nil
}

// writeFrame writes one frame to w in as few writes as the writer allows.
func writeFrame(w io.Writer, typ frameType, meta, body []byte) error {
	h := make([]byte, headerSize, headerSize+len(meta))
	copy(h, magic)
	h[4] = version
	h[5] = byte(typ)
	binary.BigEndian.PutUint32(h[8:], uint32(len(meta)))
	binary.BigEndian.PutUint32(h[12:], uint32(len(body)))
	h = append(h, meta...)
	if len(body) == 0 {
		_, err := w.Write(h)
		return err
	}
	bufs := net.Buffers{h, body}
	_, err := bufs.WriteTo(w)
	return err
}

// Filter ids on the wire, in the order of the package documentation.
var wireFilters = [...]*scaler.Filter{1: scaler.Box, 2: scaler.Linear, 3: scaler.CatmullRom, 4: scaler.Lanczos3}

func filterID(f *scaler.Filter) (byte, error) {
	if f == nil {
		return 0, nil
	}
	for id, g := range wireFilters {
		if g != nil && g == f {
			return byte(id), nil
		}
	}
	return 0, fmt.Errorf("%w: filter %q has no wire id", scaler.ErrInvalidOptions, f.Name)
}

// marshalRequest returns the metadata and body of req's request frame.
func marshalRequest(req *Request) (meta, body []byte, err error) {
	o := &req.Options
	switch {
	case math.IsNaN(o.Factor) || math.IsInf(o.Factor, 0) || o.Factor < 0:
		return nil, nil, fmt.Errorf("%w: factor %v", scaler.ErrInvalidOptions, o.Factor)
	case o.Width < 0 || o.Height < 0 || int64(o.Width) > math.MaxUint32 || int64(o.Height) > math.MaxUint32:
		return nil, nil, fmt.Errorf("%w: size %dx%d", scaler.ErrInvalidOptions, o.Width, o.Height)
	case o.Quality < 0 || o.Quality > 100:
		return nil, nil, fmt.Errorf("%w: quality %d", scaler.ErrInvalidOptions, o.Quality)
	case o.Orientation > 8:
		return nil, nil, fmt.Errorf("%w: orientation %d", scaler.ErrInvalidOptions, o.Orientation)
	case req.Format != 0 && req.Format != scaler.JPEG && req.Format != scaler.PNG:
		return nil, nil, fmt.Errorf("%w: result format %v", scaler.ErrInvalidOptions, req.Format)
	}
	fid, err := filterID(o.Filter)
	if err != nil {
		return nil, nil, err
	}
	meta = make([]byte, requestMeta, requestMeta+2+MaxIDLen+MaxTokenLen)
	if req.ID != "" && !validID(req.ID) {
		return nil, nil, fmt.Errorf("%w: request id %q is not 1 to %d printable ASCII bytes without spaces", scaler.ErrInvalidOptions, req.ID, MaxIDLen)
	}
	if req.Token != "" && !ValidToken(req.Token) {
		// The token is not quoted: errors are logged.
		return nil, nil, fmt.Errorf("%w: the upload token is not 1 to %d printable ASCII bytes without spaces", scaler.ErrInvalidOptions, MaxTokenLen)
	}
	if req.ID != "" || req.Token != "" {
		meta = append(append(meta, byte(len(req.ID))), req.ID...)
	}
	if req.Token != "" {
		meta = append(append(meta, byte(len(req.Token))), req.Token...)
	}
	binary.BigEndian.PutUint64(meta[0:], math.Float64bits(o.Factor))
	binary.BigEndian.PutUint32(meta[8:], uint32(o.Width))
	binary.BigEndian.PutUint32(meta[12:], uint32(o.Height))
	meta[16] = fid
	meta[17] = byte(o.Quality)
	meta[18] = byte(req.Format)
	meta[19] = byte(o.Orientation)
	body = req.Body
	if req.Image != nil {
		b := req.Image.Bounds()
		if req.Format == 0 {
			meta[18] = wireGray
		}
		meta[20] = wireGray
		binary.BigEndian.PutUint32(meta[24:], uint32(b.Dx()))
		binary.BigEndian.PutUint32(meta[28:], uint32(b.Dy()))
		body = grayBytes(req.Image)
	}
	return meta, body, nil
}

// parseRequest returns the Request of a request frame. The request's Body
// or Image uses f's memory.
func parseRequest(f *frame) (*Request, error) {
	req := &Request{}
	if len(f.meta) < requestMeta {
		return nil, fmt.Errorf("%w: request metadata of %d bytes, want %d at least", errBadRequest, len(f.meta), requestMeta)
	}
	id, token, ok := requestExtras(f.meta)
	if !ok {
		return nil, fmt.Errorf("%w: request metadata of %d bytes: after the first %d, want a length byte and a request id of 0 to %d printable bytes, then maybe a length byte and an upload token of 1 to %d",
			errBadRequest, len(f.meta), requestMeta, MaxIDLen, MaxTokenLen)
	}
	req.ID, req.Token = id, token
	m := f.meta
	o := &req.Options
	o.Factor = math.Float64frombits(binary.BigEndian.Uint64(m[0:]))
	o.Width = int(binary.BigEndian.Uint32(m[8:]))
	o.Height = int(binary.BigEndian.Uint32(m[12:]))
	if o.Width < 0 || o.Height < 0 { // past MaxInt on a 32-bit platform
		return nil, fmt.Errorf("%w: result size %dx%d is more than this platform can address", scaler.ErrTooLarge, binary.BigEndian.Uint32(m[8:]), binary.BigEndian.Uint32(m[12:]))
	}
	if math.IsNaN(o.Factor) || math.IsInf(o.Factor, 0) || o.Factor < 0 {
		return nil, fmt.Errorf("%w: factor %v is not a positive number", scaler.ErrInvalidOptions, o.Factor)
	}
	if int(m[16]) >= len(wireFilters) || m[16] != 0 && wireFilters[m[16]] == nil {
		return nil, fmt.Errorf("%w: unknown filter id %d", scaler.ErrInvalidOptions, m[16])
	}
	o.Filter = wireFilters[m[16]]
	if o.Quality = int(m[17]); o.Quality > 100 {
		return nil, fmt.Errorf("%w: quality %d is not between 1 and 100", scaler.ErrInvalidOptions, o.Quality)
	}
	if o.Orientation = scaler.Orientation(m[19]); o.Orientation > 8 {
		return nil, fmt.Errorf("%w: orientation %d is not between 1 and 8", scaler.ErrInvalidOptions, m[19])
	}
	if m[21] != 0 || m[22] != 0 || m[23] != 0 {
		return nil, fmt.Errorf("%w: reserved request bytes are not zero", errBadRequest)
	}
	rw, rh := binary.BigEndian.Uint32(m[24:]), binary.BigEndian.Uint32(m[28:])
	switch m[20] {
	case wireNone:
		if rw != 0 || rh != 0 {
			return nil, fmt.Errorf("%w: raw size given for an image file", errBadRequest)
		}
		if len(f.body) == 0 {
			return nil, fmt.Errorf("%w: empty upload", scaler.ErrInvalid)
		}
		req.Body = f.body
	case wireGray:
		if rw == 0 || rh == 0 {
			return nil, fmt.Errorf("%w: raw gray size %dx%d is empty", errBadRequest, rw, rh)
		}
		if uint64(rw)*uint64(rh) != uint64(len(f.body)) {
			return nil, fmt.Errorf("%w: raw gray body of %d bytes is not %dx%d", errBadRequest, len(f.body), rw, rh)
		}
		req.Image = &image.Gray{Pix: f.body, Stride: int(rw), Rect: image.Rect(0, 0, int(rw), int(rh))}
	default:
		return nil, fmt.Errorf("%w: unknown body format %d", errBadRequest, m[20])
	}
	switch m[18] {
	case wireNone, byte(scaler.JPEG), byte(scaler.PNG):
		req.Format = scaler.Format(m[18])
	case wireGray:
		if req.Image == nil {
			return nil, fmt.Errorf("%w: a raw gray result needs a raw gray request", scaler.ErrInvalidOptions)
		}
	default:
		return nil, fmt.Errorf("%w: unknown result format %d", scaler.ErrInvalidOptions, m[18])
	}
	return req, nil
}

// requestExtras returns the request id and the upload token that follow
// the fixed fields of a request's metadata, either or both "", and
// reports whether they are laid out as the package documentation says.
func requestExtras(meta []byte) (id, token string, ok bool) {
	rest := meta[min(len(meta), requestMeta):]
	if len(rest) == 0 {
		return "", "", len(meta) == requestMeta
	}
	n := int(rest[0])
	if n > MaxIDLen || len(rest) < 1+n {
		return "", "", false
	}
	id, rest = string(rest[1:1+n]), rest[1+n:]
	if n > 0 && !validID(id) {
		return "", "", false
	}
	if len(rest) == 0 {
		return id, "", n > 0
	}
	n = int(rest[0])
	if len(rest) != 1+n {
		return "", "", false
	}
	token = string(rest[1:])
	return id, token, ValidToken(token)
}

// marshalResult returns the metadata and body of resp's result frame.
func marshalResult(resp *Response) (meta, body []byte, err error) {
	if len(resp.Location) > maxMeta-resultMeta {
		return nil, nil, fmt.Errorf("transport: location of %d bytes is too long", len(resp.Location))
	}
	meta = make([]byte, resultMeta, resultMeta+len(resp.Location))
	w, h := resp.Width, resp.Height
	switch {
	case resp.Image != nil:
		b := resp.Image.Bounds()
		w, h = b.Dx(), b.Dy()
		meta[8] = wireGray
		body = grayBytes(resp.Image)
	case len(resp.Body) > 0:
		meta[8] = byte(resp.Format)
		body = resp.Body
	}
	binary.BigEndian.PutUint32(meta[0:], uint32(w))
	binary.BigEndian.PutUint32(meta[4:], uint32(h))
	return append(meta, resp.Location...), body, nil
}

// parseResult returns the Response of a result frame.
func parseResult(f *frame) (*Response, error) {
	if len(f.meta) < resultMeta {
		return nil, fmt.Errorf("transport: result metadata of %d bytes, want at least %d", len(f.meta), resultMeta)
	}
	m := f.meta
	resp := &Response{
		Width:    int(binary.BigEndian.Uint32(m[0:])),
		Height:   int(binary.BigEndian.Uint32(m[4:])),
		Location: string(m[resultMeta:]),
	}
	switch m[8] {
	case wireNone:
		if len(f.body) != 0 {
			return nil, fmt.Errorf("transport: result has a body but no format")
		}
	case wireGray:
		if resp.Width == 0 || resp.Height == 0 || uint64(resp.Width)*uint64(resp.Height) != uint64(len(f.body)) {
			return nil, fmt.Errorf("transport: raw gray result of %d bytes is not %dx%d", len(f.body), resp.Width, resp.Height)
		}
		resp.Image = &image.Gray{Pix: f.body, Stride: resp.Width, Rect: image.Rect(0, 0, resp.Width, resp.Height)}
	default:
		if m[8] > byte(scaler.WebP) {
			return nil, fmt.Errorf("transport: result body format %d is unknown", m[8])
		}
		resp.Format = scaler.Format(m[8])
		resp.Body = f.body
	}
	return resp, nil
}

// marshalError returns the metadata of an error frame.
func marshalError(code Code, msg string) []byte {
	msg = oneLine(msg)
	meta := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(msg)), uint16(code))
	return append(meta, msg...)
}

// parseError returns the RemoteError of an error frame.
func parseError(f *frame) error {
	if len(f.meta) < 2 {
		return fmt.Errorf("transport: error metadata of %d bytes, want at least 2", len(f.meta))
	}
	return &RemoteError{Code: Code(binary.BigEndian.Uint16(f.meta)), Message: oneLine(string(f.meta[2:]))}
}

// grayBytes returns the pixels of g row after row with no padding: g.Pix
// itself when its rows are contiguous.
func grayBytes(g *image.Gray) []byte {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	start := g.PixOffset(b.Min.X, b.Min.Y)
	if g.Stride == w {
		return g.Pix[start : start+w*h]
	}
	out := make([]byte, 0, w*h)
	for y := range h {
		out = append(out, g.Pix[start+y*g.Stride:][:w]...)
	}
	return out
}
