package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"net"
	"sync"
	"time"

	"github.com/escala-img/escala/internal/codec/mem"
	"github.com/escala-img/escala/scaler"
)

// Client defaults: see the Client fields.
const (
	DefaultDialTimeout = 5 * time.Second
	// DefaultMaxIdleConns keeps a connection for each of the requests a
	// busy gateway has in flight at once: with 8, a gateway serving 32
	// clients dialled a new connection for one request in five, each a
	// handshake, an accept and a goroutine on both sides. An idle
	// connection costs a socket and a parked goroutine.
	DefaultMaxIdleConns = 64
	// DefaultClientIdle is below the Server's DefaultIdleTimeout, so
	// that a client gives up a pooled connection before the server does.
	DefaultClientIdle = 30 * time.Second
)

// A Client sends requests to one server and keeps connections open for
// the next ones. It is a scaler.Interface. Set its fields before first
// use; zero fields mean their defaults. It is safe for concurrent use:
// each request in flight has a connection of its own.
type Client struct {
	// Addr is the server's TCP address, "host:port".
	Addr string

	// Protocol is Native, the default, or Framed, to speak to a server
	// that knows only the original framing. Framed sends no options:
	// the server applies its own factor.
	Protocol Protocol

	// MaxFrameSize bounds a reply, in bytes. 0 means
	// DefaultMaxFrameSize.
	MaxFrameSize int

	// DialTimeout bounds connecting. 0 means DefaultDialTimeout.
	DialTimeout time.Duration

	// IdleTimeout is how long an unused connection is kept. 0 means
	// DefaultClientIdle.
	IdleTimeout time.Duration

	// MaxIdleConns bounds the connections kept. 0 means
	// DefaultMaxIdleConns.
	MaxIdleConns int

	mu     sync.Mutex
	idle   []pooled // most recently used last
	closed bool
}

type pooled struct {
	c    net.Conn
	used time.Time
}

// Do sends req and returns the server's reply. An error reply is a
// *RemoteError; a server that cannot be reached, or that closes the
// connection without replying, gives an error wrapping ErrUnavailable. A
// pooled connection that turns out to be closed is replaced once by a new
// one, as requests can safely be repeated, and the other pooled ones are
// dropped, as they are likely closed too. ctx bounds the whole exchange. The
// Response shares no memory with req.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if req.Body == nil && req.Image == nil {
		return nil, fmt.Errorf("%w: request without an image", scaler.ErrInvalid)
	}
	if c.Protocol == Framed {
		return c.doFramed(ctx, req)
	}
	if c.Protocol != Native {
		return nil, fmt.Errorf("transport: a Client cannot speak the %v protocol", c.Protocol)
	}
	meta, body, err := marshalRequest(req)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		nc, reused, err := c.conn(ctx)
		if err != nil {
			return nil, err
		}
		resp, replied, err := c.roundTrip(ctx, nc, meta, body)
		if err == nil {
			c.put(nc)
			return resp, nil
		}
		var re *RemoteError
		if errors.As(err, &re) {
			c.put(nc) // an error reply leaves the connection usable
			return nil, err
		}
		nc.Close()
		if reused && !replied && ctx.Err() == nil {
			// A pooled connection that died unanswered: the server
			// restarted or dropped its connections, and the others
			// kept are as dead. The next try dials.
			c.closeIdle()
		}
		if !reused || replied || attempt > 0 || ctx.Err() != nil {
			return nil, err
		}
	}
}

// roundTrip writes one request frame on nc and reads the reply. replied
// says whether any of the reply arrived, when it fails.
func (c *Client) roundTrip(ctx context.Context, nc net.Conn, meta, body []byte) (resp *Response, replied bool, err error) {
	stop := watch(ctx, nc)
	defer func() {
		if stop() && err != nil {
			err = fmt.Errorf("transport: %s: %w", c.Addr, ctx.Err())
		}
	}()
	if err := writeFrame(nc, typeRequest, meta, body); err != nil {
		return nil, false, fmt.Errorf("%w: %s: sending request: %v", ErrUnavailable, c.Addr, err)
	}
	var first [1]byte
	if _, err := io.ReadFull(nc, first[:]); err != nil {
		return nil, false, fmt.Errorf("%w: %s closed the connection without a reply: %v", ErrUnavailable, c.Addr, err)
	}
	f, err := readFrame(nc, first[:], frameLimit(c.MaxFrameSize), nil)
	if err != nil {
		return nil, true, fmt.Errorf("transport: %s: reading reply: %w", c.Addr, err)
	}
	// The frame's memory is the caller's through the Response's Image or
	// Body; when neither holds it, it goes back to the pool here.
	switch f.typ {
	case typeResult:
		resp, err := parseResult(f)
		if err != nil || resp.Image == nil && resp.Body == nil {
			mem.Bytes.Put(f.body)
		}
		return resp, true, err
	case typeError:
		err := parseError(f)
		mem.Bytes.Put(f.body)
		return nil, true, err
	}
	mem.Bytes.Put(f.body)
	return nil, true, fmt.Errorf("transport: %s replied with a frame of type %d", c.Addr, f.typ)
}

// watch applies ctx's deadline to nc, and makes nc's pending reads and
// writes fail at once when ctx is cancelled. The function it returns
// stops that and reports whether ctx ended.
func watch(ctx context.Context, nc net.Conn) func() bool {
	if d, ok := ctx.Deadline(); ok {
		nc.SetDeadline(d)
	} else {
		nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	return func() bool {
		stopped := stop()
		return !stopped || ctx.Err() != nil
	}
}

// conn returns a pooled connection, or a new one.
func (c *Client) conn(ctx context.Context) (nc net.Conn, reused bool, err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, false, ErrClientClosed
	}
	idle := orDefault(c.IdleTimeout, DefaultClientIdle)
	for len(c.idle) > 0 {
		p := c.idle[len(c.idle)-1]
		c.idle = c.idle[:len(c.idle)-1]
		if time.Since(p.used) < idle {
			c.mu.Unlock()
			return p.c, true, nil
		}
		p.c.Close()
	}
	c.mu.Unlock()
	nc, err = c.dial(ctx)
	return nc, false, err
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: orDefault(c.DialTimeout, DefaultDialTimeout)}
	nc, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("transport: dial %s: %w", c.Addr, ctx.Err())
		}
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nc, nil
}

// put returns nc to the pool, or closes it when the pool is full.
func (c *Client) put(nc net.Conn) {
	nc.SetDeadline(time.Time{})
	c.mu.Lock()
	defer c.mu.Unlock()
	max := c.MaxIdleConns
	if max <= 0 {
		max = DefaultMaxIdleConns
	}
	if c.closed || len(c.idle) >= max {
		nc.Close()
		return
	}
	c.idle = append(c.idle, pooled{nc, time.Now()})
}

// closeIdle closes the pooled connections.
func (c *Client) closeIdle() {
	c.mu.Lock()
	idle := c.idle
	c.idle = nil
	c.mu.Unlock()
	for _, p := range idle {
		p.c.Close()
	}
}

// Close closes the pooled connections; requests in flight finish, and
// later calls of Do fail with ErrClientClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, p := range c.idle {
		p.c.Close()
	}
	c.idle = nil
	return nil
}

// doFramed sends req in the original framing on a connection of its own.
func (c *Client) doFramed(ctx context.Context, req *Request) (resp *Response, err error) {
	body := req.Body
	if req.Image != nil {
		var buf bytes.Buffer
		if err := scaler.Encode(&buf, req.Image, scaler.PNG, nil); err != nil {
			return nil, err
		}
		body = buf.Bytes()
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClientClosed
	}
	nc, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	stop := watch(ctx, nc)
	defer func() {
		if stop() && err != nil {
			err = fmt.Errorf("transport: %s: %w", c.Addr, ctx.Err())
		}
	}()
	bufs := net.Buffers{binary.BigEndian.AppendUint32(nil, uint32(len(body))), body}
	if _, err := bufs.WriteTo(nc); err != nil {
		return nil, fmt.Errorf("%w: %s: sending request: %v", ErrUnavailable, c.Addr, err)
	}
	var hdr [4]byte
	if _, err := io.ReadFull(nc, hdr[:]); err != nil {
		// The original server's only way to report a failure.
		return nil, fmt.Errorf("%w: %s closed the connection without a reply: %v", ErrUnavailable, c.Addr, err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if limit := frameLimit(c.MaxFrameSize); n == 0 || uint64(n) > uint64(limit) {
		return nil, fmt.Errorf("%w: framed reply of %d bytes, limit %d", ErrFrameTooLarge, n, limit)
	}
	reply := make([]byte, n)
	if _, err := io.ReadFull(nc, reply); err != nil {
		return nil, fmt.Errorf("transport: %s: reading reply: %w", c.Addr, err)
	}
	return &Response{Body: reply}, nil
}

// Scale implements scaler.Interface by sending src to the server. A
// *image.Gray travels as raw pixels and comes back so, with no encoding
// and no loss; any other image travels as PNG. In the Framed protocol the
// gray image travels as PNG too, the server applies its own factor, and
// the orientation is applied here to the result.
func (c *Client) Scale(ctx context.Context, src image.Image, opts *scaler.Options) (image.Image, error) {
	req := &Request{}
	if opts != nil {
		req.Options = *opts
	}
	if g, ok := src.(*image.Gray); ok && c.Protocol == Native {
		req.Image = g
	} else {
		var buf bytes.Buffer
		if err := scaler.Encode(&buf, src, scaler.PNG, nil); err != nil {
			return nil, err
		}
		req.Body, req.Format = buf.Bytes(), scaler.PNG
		if req.Options.Orientation == 0 {
			req.Options.Orientation = scaler.TopLeft // not "read the EXIF data"
		}
	}
	resp, err := c.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	var dst image.Image
	if resp.Image != nil {
		dst = resp.Image
	} else {
		limits := &scaler.Options{MaxPixels: req.Options.MaxPixels}
		dst, err = scaler.Decode(bytes.NewReader(resp.Body), limits)
		mem.Bytes.Put(resp.Body) // read from the connection: no one else holds it
		if err != nil {
			return nil, fmt.Errorf("transport: %s: reply: %w", c.Addr, err)
		}
	}
	if c.Protocol == Framed {
		dst = scaler.Orient(dst, req.Options.Orientation)
	}
	return dst, nil
}
