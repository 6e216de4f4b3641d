package transport

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/escala-img/escala/internal/codec/imagefile"
	"github.com/escala-img/escala/internal/codec/mem"
	"github.com/escala-img/escala/scaler"
)

// Protocol is one of the three protocols a Server speaks; see the package
// documentation.
type Protocol uint8

const (
	// Native is this package's protocol: versioned typed frames, options,
	// error replies and several requests per connection.
	Native Protocol = iota
	// Framed is the original scale server's protocol: a 4-byte length
	// and an image each way.
	Framed
	// Raw is the original client's protocol: the bytes of an image file,
	// answered by one line.
	Raw
	// HTTP names requests that arrive over HTTP, such as the uploads of
	// escala.UploadHandler, in their Traces. A Server never speaks it.
	HTTP
)

var protocolNames = [...]string{Native: "native", Framed: "framed", Raw: "raw", HTTP: "http"}

func (p Protocol) String() string {
	if int(p) < len(protocolNames) {
		return protocolNames[p]
	}
	return fmt.Sprintf("Protocol(%d)", uint8(p))
}

// MarshalText returns the protocol's name, so that a Protocol can be a
// flag (see flag.TextVar).
func (p Protocol) MarshalText() ([]byte, error) {
	return []byte(p.String()), nil
}

// UnmarshalText sets p from its name: "native", "framed" or "raw".
func (p *Protocol) UnmarshalText(text []byte) error {
	for i, name := range protocolNames[:HTTP] {
		if name == string(text) {
			*p = Protocol(i)
			return nil
		}
	}
	return fmt.Errorf("transport: unknown protocol %q (want native, framed or raw)", text)
}

// A Request is an image to be scaled, with how to scale it.
type Request struct {
	// Body is an image file: JPEG, PNG, GIF, BMP, TIFF or WebP.
	Body []byte

	// Image, when set instead of Body, is sent as raw gray pixels, with
	// no encoding either way: the result comes back as Response.Image
	// unless Format asks for a file.
	Image *image.Gray

	// Options say how to scale. Factor, Width, Height, Filter (one of
	// the predefined filters), Quality and Orientation travel in native
	// requests; MaxPixels does not, as the server has its own limit.
	// Orientation 0 in a request for a Body means: read it from the
	// file's EXIF data.
	Options scaler.Options

	// Format is the file format of the result: scaler.JPEG or
	// scaler.PNG. 0 means JPEG, or raw gray when Image is set.
	Format scaler.Format

	// ID names the request in the logs of every server it crosses: 1
	// to MaxIDLen bytes of printable ASCII, no spaces. Native requests
	// carry it; a Server whose Observe is set gives a request without
	// one an ID of its own. A Client that sends Scale requests takes it
	// from the Trace of its ctx.
	ID string

	// Token is the upload token, which native requests carry when it is
	// set: 1 to MaxTokenLen bytes of printable ASCII, no spaces. A
	// Server with Access checks it before the Handler is called, which
	// finds it here, and must not log it. A Client sends its own Token
	// with requests whose Token is "".
	Token string

	// Protocol and RemoteAddr are set by the Server for its Handler.
	Protocol   Protocol
	RemoteAddr string
}

// A Response is a Handler's answer: a scaled image, or the link where one
// was stored, or both.
type Response struct {
	// Body is the result as a file, of format Format.
	Body   []byte
	Format scaler.Format

	// Image is the result as raw gray pixels, when the request asked so.
	Image *image.Gray

	// Width and Height are the size of the result.
	Width, Height int

	// Location is where the result was stored: a URL that a raw-protocol
	// client is given as its reply line.
	Location string

	// pooled are buffers from mem.Bytes that Body or Image use, which
	// the Server gives back once the response is written: a handler of
	// this package sets it for the memory it alone holds.
	pooled [][]byte
}

// A Handler answers requests. Serve is called on the connection's
// goroutine; it may keep req's memory only until it returns, and must not
// change it: the Server reuses that memory for later requests once the
// reply is written. An error it returns is sent to the client (see RemoteError);
// errors that wrap none of the sentinels of this package or of scaler are
// reported to the client only as "internal error", and logged.
type Handler interface {
	Serve(ctx context.Context, req *Request) (*Response, error)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, req *Request) (*Response, error)

// Serve calls f(ctx, req).
func (f HandlerFunc) Serve(ctx context.Context, req *Request) (*Response, error) {
	return f(ctx, req)
}

// Server defaults: see the Server fields.
const (
	DefaultIdleTimeout    = 60 * time.Second
	DefaultStallTimeout   = 5 * time.Second
	DefaultReadTimeout    = 60 * time.Second
	DefaultWriteTimeout   = 30 * time.Second
	DefaultHandlerTimeout = 60 * time.Second
	DefaultMaxConns       = 2048
)

// A Server accepts connections and answers the requests on them with its
// Handler, in any of the three protocols (see Detection in the package
// documentation). Set its fields before calling Serve or ListenAndServe
// and do not change them after; zero fields mean their defaults. Its
// methods are safe for concurrent use.
type Server struct {
	// Addr is the TCP address ListenAndServe listens on. "" means ":8001".
	Addr string

	// Handler answers requests. It must be set.
	Handler Handler

	// MaxFrameSize bounds a native frame, a framed request and a raw
	// upload, in bytes. 0 means DefaultMaxFrameSize; values above
	// MaxFrameSizeLimit mean MaxFrameSizeLimit.
	MaxFrameSize int

	// IdleTimeout is how long a connection may wait for the first byte
	// of a request. 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration

	// StallTimeout is how long a request being received may go without
	// a byte; a raw upload that stalls gets an error line. 0 means
	// DefaultStallTimeout.
	StallTimeout time.Duration

	// ReadTimeout bounds the receipt of a whole request, from its first
	// byte, so that a client sending a byte a second is cut off. 0 means
	// DefaultReadTimeout.
	ReadTimeout time.Duration

	// WriteTimeout bounds the writing of a reply. 0 means
	// DefaultWriteTimeout.
	WriteTimeout time.Duration

	// HandlerTimeout bounds a call of the Handler: its ctx ends then.
	// 0 means DefaultHandlerTimeout.
	HandlerTimeout time.Duration

	// MaxConns bounds the connections open at once. A connection
	// accepted beyond it is closed at once, before anything is read, so
	// that idle or slow peers cannot use up the file descriptors that the
	// listener, the store and the scale servers need. 0 means
	// DefaultMaxConns.
	MaxConns int

	// Budget bounds the memory held by requests, in bytes. A request's
	// buffer starts at 64 KiB and doubles as its bytes arrive, whatever
	// size its header announces, each step taken from the budget first;
	// all of it is given back when the reply is written. A request that
	// finds the budget spent waits, until its ReadTimeout at most, and
	// then gets a busy error, as it does at once when Budget.MaxWaiting
	// others already wait; one larger than the whole budget gets a
	// too-large error. nil means a Budget of its own, of 8×MaxFrameSize.
	Budget *scaler.Budget

	// Logger receives the errors of connections and of requests. nil
	// means slog.Default().
	Logger *slog.Logger

	// TLSConfig, when set, lets clients connect with TLS on the same
	// port as the plaintext protocols: a connection whose first byte is
	// that of a TLS handshake record (0x16) is served over TLS, its
	// protocol told apart as a plaintext one's is. Its certificates
	// come from the config, which may be a KeyPair's GetCertificate.
	// The handshake must be complete within twice StallTimeout (or
	// ReadTimeout, if shorter) of its first byte. With TLS, a framed
	// request may not be of 0x16000000 to 0x16FFFFFF bytes (see
	// Detection).
	TLSConfig *tls.Config

	// RequireTLS refuses plaintext connections, with one line (or an
	// error frame, to a native client) that says to use TLS. It needs
	// TLSConfig.
	RequireTLS bool

	// Access, when set, decides which requests are served: those with a
	// valid upload token, within the limits of their client. It is
	// asked before the body of a request is read, as soon as the
	// protocol is known (for a native request, once its metadata has
	// arrived), and the request it refuses gets its error: the
	// unauthorized or busy code, or an error line; a framed request is
	// refused by closing the connection, as that protocol has no error
	// reply. Over TLS, the handshake comes first.
	Access *Access

	// Observe, when set, is called once for each request read, after its
	// reply is written (or could not be), with its Trace: for a log line
	// and metrics of each request. The Server then logs no refused
	// request itself. The Handler finds the Trace in its ctx, with
	// TraceFrom. Observe runs on the connection's goroutine, so it must
	// be quick; it may keep the Trace.
	Observe func(*Trace)

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   atomic.Bool
	changed   chan struct{} // a connection went idle or ended
	own       scaler.Budget
	refused   atomic.Int64 // connections closed for MaxConns
	lastWarn  atomic.Int64 // when that was last logged, in Unix nanoseconds
	inFlight  atomic.Int64 // requests in the Handler
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// ListenAndServe listens on s.Addr and serves connections until Shutdown
// or Close, when it returns ErrServerClosed; it returns any other error
// ServerStats is what a Server is doing at a moment.
type ServerStats struct {
	Conns    int // connections open
	InFlight int // requests in the Handler
}

// Stats returns what s is doing now, for metrics.
func (s *Server) Stats() ServerStats {
	s.mu.Lock()
	conns := len(s.conns)
	s.mu.Unlock()
	return ServerStats{Conns: conns, InFlight: int(s.inFlight.Load())}
}

// at once, such as an address already in use.
func (s *Server) ListenAndServe() error {
	addr := s.Addr
	if addr == "" {
		addr = ":8001"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l and serves each on its own goroutine
// until Shutdown or Close, when it returns ErrServerClosed. It closes l
// when it returns.
func (s *Server) Serve(l net.Listener) error {
	if s.Handler == nil {
		l.Close()
		return errors.New("transport: Server.Handler is nil")
	}
	if !s.track(l) {
		l.Close()
		return ErrServerClosed
	}
	defer s.untrack(l)
	var backoff time.Duration
	for {
		rwc, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of file descriptors, or a connection reset before it
			// was accepted: wait a little and go on serving.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logger().Warn("transport: accept failed", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		c := &conn{s: s, rwc: rwc, raw: rwc, remote: rwc.RemoteAddr().String()}
		// Each connection's context is its own, not a child of one the
		// server keeps: the children of one context share its lock.
		c.ctx, c.cancel = context.WithCancel(context.Background())
		ok, full := s.addConn(c)
		if !ok {
			c.cancel()
			rwc.Close()
			if full {
				s.refuse()
				continue
			}
			return ErrServerClosed
		}
		go c.serve()
	}
}

// track registers l, and reports false if the server is closing.
func (s *Server) track(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[*conn]struct{}{}
		s.changed = make(chan struct{}, 1)
		s.own.Max = 8 * int64(frameLimit(s.MaxFrameSize))
	}
	s.listeners[l] = struct{}{}
	return true
}

func (s *Server) untrack(l net.Listener) {
	s.mu.Lock()
	delete(s.listeners, l)
	s.mu.Unlock()
	l.Close()
}

// addConn registers c. It reports false if the server is closing, or if
// it has MaxConns connections already, when full is true.
func (s *Server) addConn(c *conn) (ok, full bool) {
	max := s.MaxConns
	if max <= 0 {
		max = DefaultMaxConns
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false, false
	}
	if len(s.conns) >= max {
		return false, true
	}
	s.conns[c] = struct{}{}
	return true, false
}

// refuse counts a connection closed for MaxConns, and logs the count at
// most every 10 seconds.
func (s *Server) refuse() {
	n := s.refused.Add(1)
	now := time.Now().UnixNano()
	last := s.lastWarn.Load()
	if now-last >= int64(10*time.Second) && s.lastWarn.CompareAndSwap(last, now) {
		max := s.MaxConns
		if max <= 0 {
			max = DefaultMaxConns
		}
		s.logger().Warn("transport: connection limit reached; closing new connections", "max_conns", max, "refused_so_far", n)
	}
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.notify()
}

// notify wakes a Shutdown waiting for connections to go idle or end.
func (s *Server) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Shutdown stops the server gracefully: it closes the listeners and the
// connections waiting for a request, lets the requests in progress finish
// and be answered, and returns when all connections have ended. If ctx
// ends first, it returns ctx's error and the remaining connections go on
// until they finish or Close is called. Serve and ListenAndServe return
// ErrServerClosed at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	for l := range s.listeners {
		l.Close()
	}
	s.mu.Unlock()
	for {
		s.mu.Lock()
		for c := range s.conns {
			if c.idle.Load() {
				c.raw.Close()
			}
		}
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.changed:
		}
	}
}

// Close stops the server at once: it closes the listeners and every
// connection, and cancels the contexts of the handlers running. It does
// not wait for the handlers to return.
func (s *Server) Close() error {
	s.closing.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.cancel()
		c.raw.Close()
	}
	return nil
}

// A conn is one accepted connection.
type conn struct {
	s      *Server
	rwc    net.Conn // the connection, or the TLS one over it: the conn's goroutine's alone
	raw    net.Conn // the accepted connection, which Shutdown and Close may close
	remote string
	ctx    context.Context // ends on Close
	cancel context.CancelFunc
	idle   atomic.Bool // waiting for the first byte of a request
	held   []func()    // releases of the budget the request holds
	bufs   [][]byte    // buffers from mem.Bytes that the request and its reply hold
	began  time.Time   // when the first byte of the request arrived
	trace  *Trace      // of the request being handled, with Server.Observe
	// admitted gives back the request's place in the Server's Access.
	admitted func()
}

// reserve takes n bytes of the server's budget for the request being
// received, waiting until end at the latest.
func (c *conn) reserve(n int, end time.Time) error {
	budget := c.s.Budget
	if budget == nil {
		budget = &c.s.own
	}
	ctx, cancel := context.WithDeadline(c.ctx, end)
	defer cancel()
	release, err := budget.Acquire(ctx, int64(n))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: no memory free for a request of %d bytes", ErrBusy, n)
		}
		return err
	}
	c.held = append(c.held, release)
	return nil
}

// unreserve gives back the budget and the buffers of the request that
// was answered: the Handler has returned, and its reply is written.
func (c *conn) unreserve() {
	for _, release := range c.held {
		release()
	}
	c.held = c.held[:0]
	for i, b := range c.bufs {
		mem.Bytes.Put(b)
		c.bufs[i] = nil
	}
	c.bufs = c.bufs[:0]
}

// keep records the buffers of a response, to be given back with the
// request's.
func (c *conn) keep(resp *Response) {
	if resp != nil {
		c.bufs = append(c.bufs, resp.pooled...)
	}
}

func (c *conn) serve() {
	defer c.s.removeConn(c)
	defer c.cancel()
	defer c.unreserve()
	defer c.rwc.Close()
	defer func() {
		if v := recover(); v != nil {
			c.s.logger().Error("transport: panic serving connection", "peer", c.remote, "panic", v, "stack", string(debug.Stack()))
		}
	}()

	first, ok := c.waitRequest()
	if !ok {
		return
	}
	secure := false
	if c.s.TLSConfig != nil && first == tlsRecord {
		if !c.startTLS(first) {
			return
		}
		secure = true
		if first, ok = c.waitRequest(); !ok {
			return
		}
	}
	end := time.Now().Add(orDefault(c.s.ReadTimeout, DefaultReadTimeout))
	limit := frameLimit(c.s.MaxFrameSize)
	r := c.reader(end)
	pre := make([]byte, 1, 4)
	pre[0] = first
	eof := false
	// Up to four bytes tell the protocol; as soon as those received rule
	// out all three, the peer is told, however few they are.
	for len(pre) < 4 && !eof {
		if !mayStart(pre, limit) {
			c.fail(Raw, len(pre), errNoProtocol)
			return
		}
		n, err := r.Read(pre[len(pre):4])
		pre = pre[:len(pre)+n]
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			eof = true
		case errors.Is(err, os.ErrDeadlineExceeded):
			// Too short to tell the protocol: answer as the humans and
			// original clients that send such things read.
			c.fail(Raw, len(pre), c.timedOut("upload", end, len(pre), err))
			return
		default:
			c.s.logger().Warn("transport: reading request", "peer", c.remote, "err", err)
			return
		}
	}
	if c.s.RequireTLS && !secure {
		if string(pre) == magic {
			c.logError(Native, errTLSRequired)
			c.writeError(errTLSRequired)
			c.closeGently()
			return
		}
		c.fail(Raw, len(pre), errTLSRequired)
		return
	}
	switch {
	case string(pre) == magic:
		c.serveNative(pre, end)
	case imagefile.Sniff(pre) != "":
		c.serveRaw(pre, eof, end)
	case eof && mayStart(pre, limit):
		c.fail(Raw, len(pre), fmt.Errorf("%w: not an image: the upload ended after %s", scaler.ErrInvalid, bytesText(len(pre))))
	case eof:
		c.fail(Raw, len(pre), errNoProtocol)
	default:
		l := binary.BigEndian.Uint32(pre)
		if l == 0 || l > uint32(limit) {
			c.fail(Raw, len(pre), errNoProtocol)
			return
		}
		c.serveFramed(int(l), end)
	}
}

// errNoProtocol tells a peer that its first bytes start no protocol: see
// Detection in the package documentation.
var errNoProtocol = fmt.Errorf("%w: not an image: the upload starts with bytes that no supported format or protocol starts with", scaler.ErrInvalid)

// mayStart reports whether pre, the first 1 to 4 bytes of a connection,
// may start a request of one of the protocols, given the frame limit: a
// native frame, an image file of a known format, or a framed request,
// whose length, from 1 to limit, is big-endian, so that the smallest
// length pre can start is pre followed by zeros.
func mayStart(pre []byte, limit int) bool {
	if len(pre) == 0 || len(pre) > 4 {
		return len(pre) == 0
	}
	if string(pre) == magic[:len(pre)] {
		return true
	}
	if len(pre) == 1 && imageStarts()[pre[0]] || len(pre) > 1 && imagefile.Sniff(pre) != "" {
		return true
	}
	var l [4]byte
	copy(l[:], pre)
	least := binary.BigEndian.Uint32(l[:])
	if len(pre) == 4 && least == 0 {
		return false
	}
	return uint64(least) <= uint64(limit)
}

// imageStarts tells the bytes that an image file of a known format can
// start with. imagefile.Sniff needs two bytes; this is its answer for one.
var imageStarts = sync.OnceValue(func() (starts [256]bool) {
	for a := range 256 {
		for b := range 256 {
			if imagefile.Sniff([]byte{byte(a), byte(b)}) != "" {
				starts[a] = true
				break
			}
		}
	}
	return starts
})

// bytesText returns "1 byte" or "n bytes".
func bytesText(n int) string {
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// fail logs err and tells a raw-protocol peer about it. in is the bytes
// of the request received.
func (c *conn) fail(p Protocol, in int, err error) {
	c.logError(p, err)
	start := time.Now()
	out := c.writeLine(nil, err)
	c.observe(p, in, out, start, err)
	c.closeGently()
}

// observe ends the Trace of the request just answered (one of its own if
// the Handler was not called) and gives it to Server.Observe, if set. in
// and out are the bytes of the request and of the reply; the reply phase
// began at start, or never if start is zero.
func (c *conn) observe(p Protocol, in, out int, start time.Time, err error) {
	if c.s.Observe == nil {
		return
	}
	t := c.trace
	c.trace = nil
	if t == nil {
		t = c.newTrace(p, "")
		t.AddPhase("receive", time.Since(c.began))
	}
	if !start.IsZero() {
		t.AddPhase("reply", time.Since(start))
	}
	t.BytesIn, t.BytesOut = int64(in), int64(out)
	t.Result, t.Err = resultOf(err), err
	c.s.Observe(t)
}

// newTrace returns the Trace of a request of protocol p with the id its
// client gave, or a new one.
func (c *conn) newTrace(p Protocol, id string) *Trace {
	if !validID(id) {
		id = newID()
	}
	return &Trace{ID: id, Protocol: p, Peer: c.remote, Start: c.began}
}

// waitRequest waits up to IdleTimeout for the first byte of a request,
// with the connection marked idle so that Shutdown may close it. It
// reports false when there is none: the peer left, or the wait ended.
func (c *conn) waitRequest() (byte, bool) {
	if c.s.closing.Load() {
		return 0, false
	}
	c.idle.Store(true)
	c.s.notify()
	c.rwc.SetReadDeadline(time.Now().Add(orDefault(c.s.IdleTimeout, DefaultIdleTimeout)))
	var b [1]byte
	_, err := io.ReadFull(c.rwc, b[:])
	c.idle.Store(false)
	c.began = time.Now()
	return b[0], err == nil
}

// reader returns a reader of the connection whose reads fail when the
// peer sends nothing for StallTimeout, or at end.
func (c *conn) reader(end time.Time) *stallReader {
	return &stallReader{c: c.rwc, stall: orDefault(c.s.StallTimeout, DefaultStallTimeout), end: end}
}

type stallReader struct {
	c     net.Conn
	stall time.Duration
	end   time.Time
	n     int // bytes read
}

func (r *stallReader) Read(p []byte) (int, error) {
	d := time.Now().Add(r.stall)
	if d.After(r.end) {
		d = r.end
	}
	r.c.SetReadDeadline(d)
	n, err := r.c.Read(p)
	r.n += n
	return n, err
}

// handle calls the Handler with the server's context, bounded by
// HandlerTimeout, and turns a panic into an error.
func (c *conn) handle(req *Request, p Protocol) (resp *Response, err error) {
	req.Protocol, req.RemoteAddr = p, c.remote
	ctx, cancel := context.WithTimeout(c.ctx, orDefault(c.s.HandlerTimeout, DefaultHandlerTimeout))
	defer cancel()
	if c.s.Observe != nil {
		c.trace = c.newTrace(p, req.ID)
		c.trace.AddPhase("receive", time.Since(c.began))
		req.ID = c.trace.ID
		ctx = WithTrace(ctx, c.trace)
	}
	defer func() {
		if v := recover(); v != nil {
			c.s.logger().Error("transport: handler panic", "peer", c.remote, "panic", v, "stack", string(debug.Stack()))
			resp, err = nil, fmt.Errorf("transport: handler panic: %v", v)
		}
	}()
	c.s.inFlight.Add(1)
	defer c.s.inFlight.Add(-1)
	if c.admitted != nil {
		defer func() { c.admitted(); c.admitted = nil }()
	}
	resp, err = c.s.Handler.Serve(ctx, req)
	if err == nil && resp == nil {
		err = errors.New("transport: handler returned no response")
	}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && c.ctx.Err() == nil {
		err = fmt.Errorf("transport: processing took longer than %v: %w", orDefault(c.s.HandlerTimeout, DefaultHandlerTimeout), err)
	}
	return resp, err
}

// admit asks the Server's Access whether to serve a request of protocol
// p carrying token, and when it may, holds the request's place until the
// Handler returns.
func (c *conn) admit(p Protocol, token string) error {
	if c.s.Access == nil {
		return nil
	}
	release, err := c.s.Access.Admit(p, c.remote, token)
	if err != nil {
		return err
	}
	// The place is given back when the Handler returns (see handle),
	// before the reply is written: a client that sends its next request
	// once it has read a reply must find it free. Should the request end
	// before that, it goes back with the budget.
	c.admitted = release
	c.held = append(c.held, release)
	return nil
}

// logError logs a request that failed, with what the peer was told.
func (c *conn) logError(p Protocol, err error) {
	if c.s.Observe != nil {
		return // Observe has the request, error and all
	}
	code, msg, internal := errorReply(err)
	if internal {
		c.s.logger().Error("transport: request failed", "peer", c.remote, "protocol", p, "err", err)
		return
	}
	c.s.logger().Warn("transport: request refused", "peer", c.remote, "protocol", p, "code", code, "err", msg)
}

func (c *conn) setWriteDeadline() {
	c.rwc.SetWriteDeadline(time.Now().Add(orDefault(c.s.WriteTimeout, DefaultWriteTimeout)))
}

// serveNative answers native frames until the peer leaves, stays idle, or
// sends a frame that cannot be read.
func (c *conn) serveNative(pre []byte, end time.Time) {
	limit := frameLimit(c.s.MaxFrameSize)
	for {
		admit := func(n int) error { return c.reserve(n, end) }
		r := c.reader(end)
		f, n, err := readHead(r, pre, limit, admit)
		if err == nil && f.typ == typeRequest {
			// A request refused here is answered below, and as its
			// body is not read, the connection then ends.
			_, token, _ := requestExtras(f.meta)
			err = c.admit(Native, token)
		}
		if err == nil {
			err = f.readBody(r, n, admit)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = c.timedOut("request", end, len(pre)+r.n, err)
		}
		if err != nil {
			var he *headerError
			switch {
			case errors.As(err, &he), errors.Is(err, ErrFrameTooLarge), errors.Is(err, os.ErrDeadlineExceeded),
				errors.Is(err, ErrBusy), errors.Is(err, scaler.ErrBusy), errors.Is(err, scaler.ErrTooLarge),
				errors.Is(err, ErrUnauthorized):
				c.logError(Native, err)
				start := time.Now()
				out, werr := c.writeError(err)
				if werr == nil {
					c.closeGently()
				}
				c.observe(Native, len(pre)+r.n, out, start, err)
			default:
				c.s.logger().Warn("transport: reading request", "peer", c.remote, "err", err)
			}
			return
		}
		in := headerSize + len(f.meta) + len(f.body)
		c.bufs = append(c.bufs, f.body)
		var resp *Response
		var req *Request
		if f.typ != typeRequest {
			err = fmt.Errorf("%w: frame of type %d where a request was expected", errBadRequest, f.typ)
		} else {
			req, err = parseRequest(f)
		}
		if err == nil {
			resp, err = c.handle(req, Native)
			c.keep(resp)
		}
		start := time.Now()
		if err == nil {
			var meta, body []byte
			if meta, body, err = marshalResult(resp); err == nil {
				c.setWriteDeadline()
				if err := writeFrame(c.rwc, typeResult, meta, body); err != nil {
					c.s.logger().Warn("transport: writing reply", "peer", c.remote, "err", err)
					c.observe(Native, in, 0, start, err)
					return
				}
				c.observe(Native, in, headerSize+len(meta)+len(body), start, nil)
			}
		}
		if err != nil {
			c.logError(Native, err)
			out, werr := c.writeError(err)
			c.observe(Native, in, out, start, err)
			if werr != nil {
				return
			}
		}
		c.unreserve()
		first, ok := c.waitRequest()
		if !ok {
			return
		}
		pre = []byte{first}
		end = time.Now().Add(orDefault(c.s.ReadTimeout, DefaultReadTimeout))
	}
}

// writeError sends err to a native peer as an error frame, and returns
// the frame's size.
func (c *conn) writeError(err error) (int, error) {
	code, msg, _ := errorReply(err)
	meta := marshalError(code, msg)
	c.setWriteDeadline()
	return headerSize + len(meta), writeFrame(c.rwc, typeError, meta, nil)
}

// serveFramed answers framed requests, the first of length l, until the
// peer leaves or a request fails.
func (c *conn) serveFramed(l int, end time.Time) {
	limit := frameLimit(c.s.MaxFrameSize)
	for {
		if err := c.admit(Framed, ""); err != nil {
			// The protocol has no error reply: closing is the answer.
			c.logError(Framed, err)
			c.observe(Framed, 4, 0, time.Time{}, err)
			return
		}
		r := c.reader(end)
		body, err := readGrowing(r, l, func(n int) error { return c.reserve(n, end) })
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = c.timedOut("request", end, 4+r.n, err)
		}
		if errors.Is(err, ErrBusy) || errors.Is(err, scaler.ErrBusy) || errors.Is(err, scaler.ErrTooLarge) ||
			errors.Is(err, os.ErrDeadlineExceeded) {
			// The protocol has no error reply: closing is the answer.
			c.logError(Framed, err)
			c.observe(Framed, 4+r.n, 0, time.Time{}, err)
			return
		}
		if err != nil {
			c.s.logger().Warn("transport: reading framed request", "peer", c.remote, "err", err)
			return
		}
		c.bufs = append(c.bufs, body)
		resp, err := c.handle(&Request{Body: body}, Framed)
		c.keep(resp)
		if err != nil {
			// The protocol has no error reply: closing is the answer.
			c.logError(Framed, err)
			c.observe(Framed, 4+len(body), 0, time.Time{}, err)
			return
		}
		reply := resp.Body
		if len(reply) == 0 {
			reply = []byte(resp.Location)
		}
		c.setWriteDeadline()
		bufs := net.Buffers{binary.BigEndian.AppendUint32(nil, uint32(len(reply))), reply}
		start := time.Now()
		out, err := bufs.WriteTo(c.rwc)
		c.observe(Framed, 4+len(body), int(out), start, err)
		if err != nil {
			c.s.logger().Warn("transport: writing reply", "peer", c.remote, "err", err)
			return
		}
		c.unreserve()
		first, ok := c.waitRequest()
		if !ok {
			return
		}
		var hdr [4]byte
		hdr[0] = first
		end = time.Now().Add(orDefault(c.s.ReadTimeout, DefaultReadTimeout))
		if _, err := io.ReadFull(c.reader(end), hdr[1:]); err != nil {
			return
		}
		if l = int(binary.BigEndian.Uint32(hdr[:])); l == 0 || l > limit {
			c.logError(Framed, fmt.Errorf("%w: framed request of %d bytes, limit %d", ErrFrameTooLarge, l, limit))
			return
		}
	}
}

// timedOut returns the error that tells a peer its request, upload or
// other thing being received timed out after n bytes: it stalled for
// StallTimeout, or was not complete at end. err is the deadline error,
// which it wraps, but whose text, the socket's, it does not repeat.
func (c *conn) timedOut(what string, end time.Time, n int, err error) error {
	if time.Now().Before(end) {
		return &plainError{fmt.Sprintf("transport: %s stalled: no data for %v after %s (stall timeout)",
			what, orDefault(c.s.StallTimeout, DefaultStallTimeout), bytesText(n)), []error{err}}
	}
	return &plainError{fmt.Sprintf("transport: %s not complete after %v, with %s received (read timeout)",
		what, orDefault(c.s.ReadTimeout, DefaultReadTimeout), bytesText(n)), []error{err}}
}

// A peerGone is a failure to read from a peer that reset or broke the
// connection: there is nobody left to answer.
type peerGone struct{ err error }

func (e *peerGone) Error() string { return "transport: reading upload: " + e.err.Error() }
func (e *peerGone) Unwrap() error { return e.err }

// serveRaw receives one image file whose first bytes are pre, answers it
// with one line and closes. eof says the peer has already half-closed.
func (c *conn) serveRaw(pre []byte, eof bool, end time.Time) {
	if err := c.admit(Raw, ""); err != nil {
		c.fail(Raw, len(pre), err)
		return
	}
	body, err := c.readRaw(pre, eof, end)
	var gone *peerGone
	if errors.As(err, &gone) {
		c.s.logger().Warn("transport: reading upload", "peer", c.remote, "err", gone.err)
		return
	}
	if err == nil {
		c.bufs = append(c.bufs, body)
		var resp *Response
		resp, err = c.handle(&Request{Body: body}, Raw)
		c.keep(resp)
		if err == nil {
			start := time.Now()
			out := c.writeLine(resp, nil)
			c.observe(Raw, len(body), out, start, nil)
			c.closeGently()
			return
		}
	}
	c.fail(Raw, len(body), err)
}

// readRaw reads an upload until the bytes form a whole image file, the
// peer half-closes, or it stalls or grows too large.
func (c *conn) readRaw(pre []byte, eof bool, end time.Time) (_ []byte, err error) {
	limit := frameLimit(c.s.MaxFrameSize)
	size := 64 << 10
	if err := c.reserve(size, end); err != nil {
		return nil, err
	}
	// The buffers come from mem.Bytes; those outgrown go back at once,
	// and so does the last one on an error.
	buf := mem.Bytes.Get(size)[:len(pre)]
	copy(buf, pre)
	defer func() {
		if err != nil {
			mem.Bytes.Put(buf)
		}
	}()
	r := c.reader(end)
	var sc imagefile.Scanner
	for {
		n, err := sc.Scan(buf)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%w: %v", scaler.ErrInvalid, err)
		case n > 0 && n <= len(buf):
			return buf[:n], nil
		case n > limit:
			return nil, fmt.Errorf("%w: the %s header gives %d bytes, limit %d", ErrFrameTooLarge, sc.Format(), n, limit)
		case eof:
			return buf, nil // the decoder will say what is missing
		case len(buf) > limit:
			return nil, fmt.Errorf("%w: upload over the limit of %d bytes", ErrFrameTooLarge, limit)
		}
		if len(buf) == size {
			// Double, up to the size the header gave, if any: memory
			// follows the bytes that arrived, whatever the header says.
			grown := 2 * size
			if n > 0 {
				grown = min(grown, n)
			}
			grown = min(grown, limit+1)
			if err := c.reserve(grown-size, end); err != nil {
				return nil, err
			}
			next := mem.Bytes.Get(grown)[:len(buf)]
			copy(next, buf)
			mem.Bytes.Put(buf)
			buf, size = next, grown
		}
		m, err := r.Read(buf[len(buf):size])
		buf = buf[:len(buf)+m]
		switch {
		case errors.Is(err, io.EOF):
			eof = true
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, c.timedOut("upload", end, len(buf), err)
		case err != nil:
			return nil, &peerGone{err}
		}
	}
}

// writeLine answers a raw-protocol peer: the link line, the image, or an
// error line. It returns the bytes written; the caller then closes the
// connection with closeGently.
func (c *conn) writeLine(resp *Response, err error) int {
	var out []byte
	switch {
	case err != nil:
		_, msg, _ := errorReply(err)
		out = []byte("Error: " + msg + "\n")
	case resp.Location != "":
		out = []byte("Imagen escalada disponible en: " + resp.Location + "\n")
	default:
		out = resp.Body
	}
	c.setWriteDeadline()
	n, err := c.rwc.Write(out)
	if err != nil {
		c.s.logger().Warn("transport: writing reply", "peer", c.remote, "err", err)
	}
	return n
}

// Lingering after the last reply: see closeGently.
const (
	lingerTime  = 500 * time.Millisecond
	lingerBytes = 256 << 10
)

// closeGently ends the connection after a final reply when the peer may
// still be sending: closing a socket with unread input makes the kernel
// send a reset, which can destroy the reply before the peer reads it. So
// it half-closes, then reads and discards what still arrives, for a
// moment, before the connection is closed.
func (c *conn) closeGently() {
	if hc, ok := c.rwc.(interface{ CloseWrite() error }); ok {
		hc.CloseWrite()
	}
	c.rwc.SetReadDeadline(time.Now().Add(lingerTime))
	io.Copy(io.Discard, io.LimitReader(c.rwc, lingerBytes))
}
