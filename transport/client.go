package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
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
	//
	// A Native Client also finds out by itself when its server is one of
	// the original system, which does not answer a native request, and
	// then speaks Framed to it for the rest of its life; see Do.
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

	// TLSConfig, when set, makes the Client connect with TLS: its
	// RootCAs (nil: the system's) check the server's certificate, for
	// ServerName (empty: the host of Addr), and its Certificates are
	// presented to a server that asks for one. A certificate that is
	// not trusted, not for the name, or not valid now gives an error
	// that says so. The Framed protocol of the original has no TLS.
	TLSConfig *tls.Config

	// Token is the upload token sent with each native request that has
	// none of its own (see Request.Token), for a server whose Access
	// asks for one. The Framed protocol cannot carry it.
	Token string

	// Logger receives the one message a Native Client logs, when it
	// finds that its server speaks only the original framing. nil means
	// slog.Default().
	Logger *slog.Logger

	mu     sync.Mutex
	idle   []pooled // most recently used last
	closed bool
	speaks atomic.Int32 // what a Native Client found its server speaks
}

// What a Native Client has found that its server speaks.
const (
	speaksUnknown int32 = iota // no reply yet
	speaksNative               // a native reply came
	speaksFramed               // only the original framing: see detect
)

// detectWait is how long a Native Client that has had no native reply yet
// from its server waits for the first byte of one before it half-closes
// the connection. An original scale server reads the magic as the length
// of an image of 1.1 GB and would wait for it; the half-close ends that
// wait, and it closes the connection. A native server answers all the
// same, but the connection cannot be kept.
const detectWait = time.Second

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
//
// Until a Native Client has had a native reply from its server, a server
// that closes the connection without a reply, or replies with something
// other than a native frame, may be a scale server of the original
// system. The Client then sends req again in the original framing and, if
// that is answered, once more natively on a connection that it
// half-closes at once; if that again gets no native reply, the server
// speaks only the original framing: the Client logs so, once, and speaks
// Framed from then on, and the framed reply is req's. Otherwise the error
// says that the server answered neither protocol.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	resp, _, err := c.do(ctx, req)
	return resp, err
}

// do is Do, and also reports the protocol of the reply.
func (c *Client) do(ctx context.Context, req *Request) (*Response, Protocol, error) {
	if req.Body == nil && req.Image == nil {
		return nil, Native, fmt.Errorf("%w: request without an image", scaler.ErrInvalid)
	}
	if c.framed() {
		resp, err := c.doFramed(ctx, req)
		return resp, Framed, err
	}
	if c.Protocol != Native {
		return nil, Native, fmt.Errorf("transport: a Client cannot speak the %v protocol", c.Protocol)
	}
	if req.Token == "" && c.Token != "" {
		withToken := *req
		withToken.Token = c.Token
		req = &withToken
	}
	meta, body, err := marshalRequest(req)
	if err != nil {
		return nil, Native, err
	}
	for attempt := 0; ; attempt++ {
		nc, reused, err := c.conn(ctx)
		if err != nil {
			return nil, Native, err
		}
		// A pooled connection has had a native reply: only a new one
		// can be to a server whose protocol is not known yet.
		detecting := !reused && c.speaks.Load() == speaksUnknown
		wait := time.Duration(0)
		if detecting {
			wait = detectWait
		}
		resp, tr, err := c.roundTrip(ctx, nc, meta, body, wait)
		var re *RemoteError
		if err == nil || errors.As(err, &re) {
			c.speaks.CompareAndSwap(speaksUnknown, speaksNative)
			if tr.halfClosed {
				nc.Close()
			} else {
				c.put(nc) // an error reply leaves the connection usable
			}
			return resp, Native, err
		}
		nc.Close()
		if detecting && tr.foreign && ctx.Err() == nil {
			return c.detect(ctx, req, meta, body, err)
		}
		if reused && !tr.replied && ctx.Err() == nil {
			// A pooled connection that died unanswered: the server
			// restarted or dropped its connections, and the others
			// kept are as dead. The next try dials.
			c.closeIdle()
		}
		if !reused || tr.replied || attempt > 0 || ctx.Err() != nil {
			return nil, Native, err
		}
	}
}

// framed reports whether the Client speaks the original framing: it was
// told to, or found that its server speaks nothing else.
func (c *Client) framed() bool {
	return c.Protocol == Framed || c.Protocol == Native && c.speaks.Load() == speaksFramed
}

// detect follows a native request that got no native reply, with nerr,
// from a server whose protocol is not known yet: see Do.
func (c *Client) detect(ctx context.Context, req *Request, meta, body []byte, nerr error) (*Response, Protocol, error) {
	resp, ferr := c.doFramed(ctx, req)
	if ferr != nil {
		if ctx.Err() != nil {
			return nil, Native, ferr
		}
		return nil, Native, &plainError{
			fmt.Sprintf("%s: %s answered neither escala's protocol (%s) nor the original framing (%s)",
				ErrUnavailable, c.Addr, c.phrase(nerr), c.phrase(ferr)),
			[]error{nerr, ferr},
		}
	}
	// The server answers the original framing. Once more natively, to
	// tell an original server from one of this package that refused a
	// connection (at its MaxConns, say) and then took the next.
	nc, err := c.dial(ctx)
	if err != nil {
		return resp, Framed, nil
	}
	nresp, tr, err := c.roundTrip(ctx, nc, meta, body, -1)
	nc.Close()
	var re *RemoteError
	switch {
	case err == nil || errors.As(err, &re):
		c.speaks.CompareAndSwap(speaksUnknown, speaksNative)
		return nresp, Native, err
	case tr.foreign && ctx.Err() == nil:
		if c.speaks.CompareAndSwap(speaksUnknown, speaksFramed) {
			c.logger().Warn("transport: the server speaks only the original framing, not escala's protocol; "+
				"speaking the original framing to it from now on, in which requests carry no options",
				"addr", c.Addr, "native_reply", nerr.Error())
		}
	}
	return resp, Framed, nil
}

// phrase returns the text of err, an error of this Client, without the
// "transport: server unavailable: " and the server's address that it
// starts with.
func (c *Client) phrase(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, ErrUnavailable.Error()+": ")
	msg = strings.TrimPrefix(msg, "transport: ")
	msg = strings.TrimPrefix(msg, c.Addr+": ")
	return strings.TrimPrefix(msg, c.Addr+" ")
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// A trip says how far a round trip went when it failed.
type trip struct {
	replied    bool // some of the reply arrived
	foreign    bool // no reply at all, or one that is not a native frame
	halfClosed bool // the connection was half-closed, and cannot be kept
}

// roundTrip writes one request frame on nc and reads the reply. When wait
// is not 0, the connection is half-closed if no byte of the reply has come
// after wait, or at once when wait is negative: see detectWait.
func (c *Client) roundTrip(ctx context.Context, nc net.Conn, meta, body []byte, wait time.Duration) (resp *Response, tr trip, err error) {
	stop := watch(ctx, nc)
	defer func() { err = c.ended(ctx, stop(), err) }()
	if err := writeFrame(nc, typeRequest, meta, body); err != nil {
		return nil, tr, c.unavailable(err, "%s could not be sent the request: %s", c.Addr, reason(err))
	}
	var t *time.Timer
	if hc, ok := nc.(interface{ CloseWrite() error }); ok && wait < 0 {
		hc.CloseWrite()
		tr.halfClosed = true
	} else if ok && wait > 0 {
		t = time.AfterFunc(wait, func() { hc.CloseWrite() })
	}
	var pre [4]byte
	n, err := io.ReadFull(nc, pre[:1])
	if t != nil && !t.Stop() {
		tr.halfClosed = true
	}
	if n == 0 {
		// The only deadline of nc is ctx's: a timeout is no answer yet.
		tr.foreign = !isTimeout(err)
		return nil, tr, c.noReply(err)
	}
	tr.replied = true
	if err == nil {
		n, err = io.ReadFull(nc, pre[1:])
		n++
	}
	if string(pre[:n]) != magic[:n] {
		tr.foreign = true
		return nil, tr, &plainError{
			fmt.Sprintf("%s: %s replied with % x, which is not escala's protocol", ErrUnavailable, c.Addr, pre[:n]),
			[]error{ErrUnavailable},
		}
	}
	if err != nil {
		return nil, tr, c.brokenReply(err)
	}
	f, err := readFrame(nc, pre[:], frameLimit(c.MaxFrameSize), nil)
	if err != nil {
		return nil, tr, c.brokenReply(err)
	}
	// The frame's memory is the caller's through the Response's Image or
	// Body; when neither holds it, it goes back to the pool here.
	switch f.typ {
	case typeResult:
		resp, err := parseResult(f)
		if err != nil || resp.Image == nil && resp.Body == nil {
			mem.Bytes.Put(f.body)
		}
		return resp, tr, err
	case typeError:
		err := parseError(f)
		mem.Bytes.Put(f.body)
		return nil, tr, err
	}
	mem.Bytes.Put(f.body)
	return nil, tr, fmt.Errorf("transport: %s replied with a frame of type %d", c.Addr, f.typ)
}

// ended returns err, or, when it is the failure of a socket operation
// that ctx ended or that reached ctx's deadline (set on the connection,
// and maybe reached before ctx's own timer fires), an error that says so
// and wraps ctx's error. stopped says whether ctx ended.
func (c *Client) ended(ctx context.Context, stopped bool, err error) error {
	if err == nil || !stopped && !isTimeout(err) {
		return err
	}
	cause := ctx.Err()
	if cause == nil {
		cause = context.DeadlineExceeded
	}
	return fmt.Errorf("transport: %s: %w", c.Addr, cause)
}

// isTimeout reports whether err is, or wraps, the timeout of a socket
// operation; a RemoteError of CodeTimeout is not.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// unavailable returns an error wrapping ErrUnavailable and err, whose
// text is "transport: server unavailable: " and the sentence of format.
func (c *Client) unavailable(err error, format string, args ...any) error {
	return &plainError{ErrUnavailable.Error() + ": " + fmt.Sprintf(format, args...), []error{ErrUnavailable, err}}
}

// noReply returns the error of a server that closed the connection, with
// err, before any byte of a reply.
func (c *Client) noReply(err error) error {
	if errors.Is(err, io.EOF) {
		return c.unavailable(err, "%s closed the connection without a reply", c.Addr)
	}
	return c.unavailable(err, "%s closed the connection without a reply: %s", c.Addr, reason(err))
}

// brokenReply returns the error of a reply that could not be read whole.
func (c *Client) brokenReply(err error) error {
	return &plainError{fmt.Sprintf("transport: %s: reading the reply: %s", c.Addr, scrub(err)), []error{err}}
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
		return nil, c.unavailable(err, "cannot connect to %s: %s", c.Addr, reason(err))
	}
	if c.TLSConfig != nil {
		tc := tls.Client(nc, c.tlsConfig())
		hctx, cancel := context.WithTimeout(ctx, orDefault(c.DialTimeout, DefaultDialTimeout))
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			nc.Close()
			return nil, tlsError(c.Addr, err)
		}
		return tc, nil
	}
	return nc, nil
}

// tlsConfig returns TLSConfig with ServerName set from Addr if empty.
func (c *Client) tlsConfig() *tls.Config {
	if c.TLSConfig.ServerName != "" {
		return c.TLSConfig
	}
	cfg := c.TLSConfig.Clone()
	if host, _, err := net.SplitHostPort(c.Addr); err == nil {
		cfg.ServerName = host
	}
	return cfg
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
	defer func() { err = c.ended(ctx, stop(), err) }()
	bufs := net.Buffers{binary.BigEndian.AppendUint32(nil, uint32(len(body))), body}
	if _, err := bufs.WriteTo(nc); err != nil {
		return nil, c.unavailable(err, "%s could not be sent the request: %s", c.Addr, reason(err))
	}
	var hdr [4]byte
	if n, err := io.ReadFull(nc, hdr[:]); n == 0 {
		// The original server's only way to report a failure.
		return nil, c.noReply(err)
	} else if err != nil {
		return nil, c.brokenReply(err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if limit := frameLimit(c.MaxFrameSize); n == 0 || uint64(n) > uint64(limit) {
		return nil, fmt.Errorf("%w: framed reply of %d bytes, limit %d", ErrFrameTooLarge, n, limit)
	}
	reply := make([]byte, n)
	if _, err := io.ReadFull(nc, reply); err != nil {
		return nil, c.brokenReply(err)
	}
	return &Response{Body: reply}, nil
}

// Scale implements scaler.Interface by sending src to the server. A
// *image.Gray travels as raw pixels and comes back so, with no encoding
// and no loss; any other image travels as PNG. In the Framed protocol
// (also when a Native Client found its server speaks only that, see Do)
// the gray image travels as PNG too, the server applies its own factor,
// and the orientation is applied here to the result. The request carries
// the ID of the Trace of ctx, if any.
func (c *Client) Scale(ctx context.Context, src image.Image, opts *scaler.Options) (image.Image, error) {
	req := &Request{}
	if t := TraceFrom(ctx); t != nil {
		req.ID = t.ID // so that the scale server's log names it too
	}
	if opts != nil {
		req.Options = *opts
	}
	if g, ok := src.(*image.Gray); ok && !c.framed() {
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
	resp, proto, err := c.do(ctx, req)
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
	if proto == Framed {
		dst = scaler.Orient(dst, req.Options.Orientation)
	}
	return dst, nil
}
