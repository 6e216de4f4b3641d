package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escala-img/escala/scaler"
)

// quiet is a logger for servers whose logs the tests do not read.
var quiet = slog.New(slog.DiscardHandler)

// recordingListener remembers the connections it accepts, so that a test
// can count them or cut them.
type recordingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *recordingListener) accepted() []net.Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]net.Conn(nil), l.conns...)
}

// startServer serves h on a free loopback port until the test ends, with
// the server's fields set by configure, and returns its address.
func startServer(tb testing.TB, h Handler, configure func(*Server)) (*Server, *recordingListener) {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	rl := &recordingListener{Listener: l}
	s := &Server{Handler: h, Logger: quiet}
	if configure != nil {
		configure(s)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(rl) }()
	tb.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			tb.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	return s, rl
}

// echo answers with what it was asked, so tests can see what arrived.
var echo = HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
	desc := fmt.Sprintf("%v %d bytes factor=%v w=%d h=%d q=%d o=%d", req.Protocol, len(req.Body), req.Options.Factor,
		req.Options.Width, req.Options.Height, req.Options.Quality, req.Options.Orientation)
	if req.Image != nil {
		return &Response{Image: req.Image}, nil
	}
	return &Response{Location: "loc:" + desc, Body: append([]byte(nil), req.Body...), Format: scaler.JPEG}, nil
})

// failing answers every request with the error of its body's text.
var failing = HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
	switch string(req.Body) {
	case "invalid":
		return nil, fmt.Errorf("%w: jpeg: truncated", scaler.ErrInvalid)
	case "panic":
		panic("handler bug")
	case "secret":
		return nil, errors.New("open /var/lib/secret: permission denied")
	}
	return &Response{Location: "ok"}, nil
})

func testJPEG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x * 3), uint8(y * 5), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestClientNative(t *testing.T) {
	s, rl := startServer(t, echo, nil)
	c := &Client{Addr: rl.Addr().String()}
	defer c.Close()
	ctx := context.Background()
	for i := range 3 {
		resp, err := c.Do(ctx, &Request{Body: []byte("image"), Options: scaler.Options{Factor: 0.25, Width: 7, Quality: 50, Orientation: 3}})
		if err != nil {
			t.Fatal(err)
		}
		if want := "loc:native 5 bytes factor=0.25 w=7 h=0 q=50 o=3"; resp.Location != want || string(resp.Body) != "image" {
			t.Errorf("Do #%d = %q %q, want %q", i, resp.Location, resp.Body, want)
		}
	}
	if n := len(rl.accepted()); n != 1 {
		t.Errorf("3 sequential requests used %d connections, want 1", n)
	}
	_ = s
}

func TestClientRawGray(t *testing.T) {
	_, rl := startServer(t, echo, nil)
	c := &Client{Addr: rl.Addr().String()}
	defer c.Close()
	g := image.NewGray(image.Rect(0, 0, 5, 3))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 17)
	}
	resp, err := c.Do(context.Background(), &Request{Image: g})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Image == nil || !bytes.Equal(resp.Image.Pix, g.Pix) || resp.Image.Rect != g.Rect {
		t.Errorf("raw gray round trip = %+v", resp.Image)
	}
}

func TestRemoteErrors(t *testing.T) {
	_, rl := startServer(t, failing, nil)
	c := &Client{Addr: rl.Addr().String()}
	defer c.Close()
	tests := []struct {
		body string
		code Code
		msg  string
		is   error
	}{
		{"invalid", CodeInvalidImage, "scaler: invalid image: jpeg: truncated", scaler.ErrInvalid},
		{"panic", CodeInternal, "internal error", nil},
		{"secret", CodeInternal, "internal error", nil},
	}
	for _, tc := range tests {
		_, err := c.Do(context.Background(), &Request{Body: []byte(tc.body)})
		var re *RemoteError
		if !errors.As(err, &re) || re.Code != tc.code || re.Message != tc.msg {
			t.Errorf("Do(%s) = %v, want code %v %q", tc.body, err, tc.code, tc.msg)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
		}
	}
	// The connection survives error replies and a handler's panic.
	if _, err := c.Do(context.Background(), &Request{Body: []byte("fine")}); err != nil {
		t.Errorf("Do after errors = %v", err)
	}
	if n := len(rl.accepted()); n != 1 {
		t.Errorf("requests after error replies used %d connections, want 1", n)
	}
}

// dialRaw connects to addr as a test peer that writes bytes by hand.
func dialRaw(tb testing.TB, addr string) *net.TCPConn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c.(*net.TCPConn)
}

// The original client writes the file and waits, without closing its side.
func TestRawProtocol(t *testing.T) {
	_, rl := startServer(t, echo, func(s *Server) { s.StallTimeout = 200 * time.Millisecond })
	addr := rl.Addr().String()
	img := testJPEG(t, 40, 30)

	t.Run("whole file", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.Write(img)
		line, err := bufio.NewReader(c).ReadString('\n')
		want := fmt.Sprintf("Imagen escalada disponible en: loc:raw %d bytes factor=0 w=0 h=0 q=0 o=0\n", len(img))
		if err != nil || line != want {
			t.Errorf("reply = %q, %v; want %q", line, err, want)
		}
	})
	t.Run("in pieces", func(t *testing.T) {
		c := dialRaw(t, addr)
		for i := 0; i < len(img); i += 100 {
			c.Write(img[i:min(i+100, len(img))])
		}
		line, _ := bufio.NewReader(c).ReadString('\n')
		if !strings.HasPrefix(line, "Imagen escalada disponible en: ") {
			t.Errorf("reply = %q", line)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
		line, _ := bufio.NewReader(c).ReadString('\n')
		if !strings.HasPrefix(line, "Error: ") || !strings.Contains(line, "not an image") {
			t.Errorf("reply to garbage = %q", line)
		}
	})
	t.Run("half-closed truncated file", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.Write(img[:len(img)/2])
		c.CloseWrite()
		all, _ := io.ReadAll(c)
		// echo accepts anything, so the whole half arrives as the upload.
		want := fmt.Sprintf("loc:raw %d bytes", len(img)/2)
		if !strings.Contains(string(all), want) {
			t.Errorf("reply = %q, want it to contain %q", all, want)
		}
	})
	t.Run("stalled", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.Write(img[:100])
		line, _ := bufio.NewReader(c).ReadString('\n')
		if !strings.HasPrefix(line, "Error: ") || !strings.Contains(line, "stalled") {
			t.Errorf("reply to a stalled upload = %q", line)
		}
	})
	t.Run("nothing then close", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.CloseWrite()
		if all, err := io.ReadAll(c); err != nil || len(all) != 0 {
			t.Errorf("reply to an empty connection = %q, %v; want nothing", all, err)
		}
	})
	t.Run("next client served", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.Write(img)
		line, _ := bufio.NewReader(c).ReadString('\n')
		if !strings.HasPrefix(line, "Imagen escalada disponible en: ") {
			t.Errorf("reply = %q", line)
		}
	})
}

func TestFramedProtocol(t *testing.T) {
	_, rl := startServer(t, failing, nil)
	addr := rl.Addr().String()
	send := func(c net.Conn, body string) {
		c.Write(binary.BigEndian.AppendUint32(nil, uint32(len(body))))
		c.Write([]byte(body))
	}
	c := dialRaw(t, addr)
	for range 2 { // several requests per connection
		send(c, "fine")
		var n uint32
		if err := binary.Read(c, binary.BigEndian, &n); err != nil {
			t.Fatal(err)
		}
		reply := make([]byte, n)
		if _, err := io.ReadFull(c, reply); err != nil || string(reply) != "ok" {
			t.Fatalf("framed reply = %q, %v; want the location", reply, err)
		}
	}
	// A failure has no reply in this protocol: the server hangs up.
	send(c, "invalid")
	if all, err := io.ReadAll(c); err != nil || len(all) != 0 {
		t.Errorf("framed error reply = %q, %v; want the connection closed", all, err)
	}
	// A framed length over the limit looks like no protocol at all.
	c = dialRaw(t, addr)
	c.Write([]byte{0x10, 0, 0, 0})
	line, _ := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, "Error: ") {
		t.Errorf("reply to a 256 MiB framed length = %q", line)
	}
}

func TestNativeFrameErrors(t *testing.T) {
	_, rl := startServer(t, echo, func(s *Server) { s.MaxFrameSize = 1000 })
	tests := []struct {
		name  string
		frame []byte
		code  Code
	}{
		{"too large", header(1, 1, 32, 0xFFFFFFFF), CodeTooLarge},
		{"version 9", header(9, 1, 32, 1), CodeBadRequest},
		{"result as request", header(1, 2, 12, 0), CodeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, rl.Addr().String())
			c.Write(tc.frame)
			if tc.name == "result as request" {
				c.Write(make([]byte, 12))
			}
			f, err := readFrame(c, nil, DefaultMaxFrameSize, nil)
			if err != nil {
				t.Fatal(err)
			}
			var re *RemoteError
			if err := parseError(f); f.typ != typeError || !errors.As(err, &re) || re.Code != tc.code {
				t.Errorf("reply to %s = type %d %v, want error code %v", tc.name, f.typ, err, tc.code)
			}
		})
	}
}

func TestClientUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, p := range []Protocol{Native, Framed} {
		c := &Client{Addr: addr, Protocol: p}
		_, err := c.Do(context.Background(), &Request{Body: []byte("x")})
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("Do(%v) to a closed port = %v, want ErrUnavailable", p, err)
		}
	}
}

// A pooled connection the server has dropped is replaced transparently.
func TestClientReplacesDeadConn(t *testing.T) {
	_, rl := startServer(t, echo, nil)
	c := &Client{Addr: rl.Addr().String()}
	defer c.Close()
	if _, err := c.Do(context.Background(), &Request{Body: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	for _, sc := range rl.accepted() {
		sc.Close()
	}
	if _, err := c.Do(context.Background(), &Request{Body: []byte("b")}); err != nil {
		t.Errorf("Do after the server dropped the pooled connection = %v", err)
	}
	if n := len(rl.accepted()); n != 2 {
		t.Errorf("connections = %d, want 2", n)
	}
}

// When the server drops every connection (it restarted, say), one request
// finds the pooled ones dead and still succeeds: the pool is emptied, not
// tried one dead connection after another.
func TestClientDropsDeadPool(t *testing.T) {
	const n = 4
	var arrived sync.WaitGroup
	arrived.Add(n)
	gate := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		if string(req.Body) == "pool" {
			arrived.Done()
			arrived.Wait() // n requests in flight at once: n connections
		}
		return echo(ctx, req)
	})
	_, rl := startServer(t, gate, nil)
	c := &Client{Addr: rl.Addr().String()}
	defer c.Close()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := c.Do(context.Background(), &Request{Body: []byte("pool")}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, sc := range rl.accepted() {
		sc.Close()
	}
	if _, err := c.Do(context.Background(), &Request{Body: []byte("b")}); err != nil {
		t.Errorf("Do after the server dropped %d pooled connections = %v", n, err)
	}
	if got := len(rl.accepted()); got != n+1 {
		t.Errorf("connections = %d, want %d", got, n+1)
	}
}

func TestClientContext(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	blocking := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		entered <- struct{}{}
		<-release
		return &Response{Location: "late"}, nil
	})
	_, rl := startServer(t, blocking, nil)
	defer close(release)
	c := &Client{Addr: rl.Addr().String()}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, &Request{Body: []byte("x")})
		done <- err
	}()
	<-entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Do with a cancelled context = %v, want context.Canceled", err)
	}
}

// Shutdown lets a request in progress finish and be answered, closes idle
// connections, and only then returns.
func TestShutdown(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	slow := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		if string(req.Body) == "slow" {
			entered <- struct{}{}
			<-release
		}
		return &Response{Location: "done:" + string(req.Body)}, nil
	})
	s, rl := startServer(t, slow, nil)
	addr := rl.Addr().String()
	idle := &Client{Addr: addr}
	if _, err := idle.Do(context.Background(), &Request{Body: []byte("warm")}); err != nil {
		t.Fatal(err)
	}
	busy := &Client{Addr: addr}
	result := make(chan string, 1)
	go func() {
		resp, err := busy.Do(context.Background(), &Request{Body: []byte("slow")})
		if err != nil {
			result <- err.Error()
			return
		}
		result <- resp.Location
	}()
	<-entered
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()

	// New connections are refused once the listener is closed.
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		select {
		case err := <-shut:
			t.Fatalf("Shutdown returned %v with a request in progress", err)
		default:
		}
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in progress", err)
	default:
	}
	close(release)
	if got := <-result; got != "done:slow" {
		t.Errorf("request in progress at Shutdown got %q, want its result", got)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

func TestShutdownTimeout(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	slow := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		entered <- struct{}{}
		<-release
		return &Response{Location: "x"}, nil
	})
	s, rl := startServer(t, slow, nil)
	defer close(release)
	go (&Client{Addr: rl.Addr().String()}).Do(context.Background(), &Request{Body: []byte("x")})
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown with an ended context = %v, want context.Canceled", err)
	}
}

func TestScaleHandler(t *testing.T) {
	_, rl := startServer(t, &ScaleHandler{Logger: quiet}, nil)
	addr := rl.Addr().String()
	src := image.NewGray(image.Rect(0, 0, 101, 60))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 13)
	}
	ctx := context.Background()
	var local scaler.Local
	want, err := local.Scale(ctx, src, &scaler.Options{Orientation: scaler.RightTop})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("native raw gray", func(t *testing.T) {
		c := &Client{Addr: addr}
		defer c.Close()
		got, err := c.Scale(ctx, src, &scaler.Options{Orientation: scaler.RightTop})
		if err != nil {
			t.Fatal(err)
		}
		g, ok := got.(*image.Gray)
		if !ok || g.Rect != image.Rect(0, 0, 30, 50) || !bytes.Equal(g.Pix, want.(*image.Gray).Pix) {
			t.Errorf("remote Scale = %T %v, want the same pixels as Local, 30x50", got, got.Bounds())
		}
	})
	t.Run("framed", func(t *testing.T) {
		c := &Client{Addr: addr, Protocol: Framed}
		got, err := c.Scale(ctx, src, &scaler.Options{Orientation: scaler.RightTop})
		if err != nil {
			t.Fatal(err)
		}
		if got.Bounds() != image.Rect(0, 0, 30, 50) {
			t.Errorf("framed Scale bounds = %v, want 30x50", got.Bounds())
		}
	})
	t.Run("jpeg with options", func(t *testing.T) {
		c := &Client{Addr: addr}
		defer c.Close()
		resp, err := c.Do(ctx, &Request{Body: testJPEG(t, 64, 48), Format: scaler.PNG, Options: scaler.Options{Width: 16}})
		if err != nil {
			t.Fatal(err)
		}
		cfg, f, err := scaler.DecodeConfig(bytes.NewReader(resp.Body), nil)
		if err != nil || f != scaler.PNG || cfg.Width != 16 || cfg.Height != 12 || resp.Width != 16 || resp.Height != 12 {
			t.Errorf("Do(64x48 jpeg, width 16, png) = %v %dx%d (%dx%d), %v", f, cfg.Width, cfg.Height, resp.Width, resp.Height, err)
		}
	})
	t.Run("not an image", func(t *testing.T) {
		c := &Client{Addr: addr}
		defer c.Close()
		_, err := c.Do(ctx, &Request{Body: []byte("\xff\xd8\xff but not really")})
		if !errors.Is(err, scaler.ErrInvalid) {
			t.Errorf("Do(garbage) = %v, want scaler.ErrInvalid", err)
		}
	})
}

func TestBalancer(t *testing.T) {
	_, rl := startServer(t, &ScaleHandler{Logger: quiet}, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	src := image.NewGray(image.Rect(0, 0, 8, 8))
	b := &Balancer{Scalers: []scaler.Interface{&Client{Addr: down}, &Client{Addr: rl.Addr().String()}}}
	defer b.Close()
	for i := range 4 {
		if _, err := b.Scale(context.Background(), src, nil); err != nil {
			t.Errorf("Balancer.Scale #%d with one server down = %v", i, err)
		}
	}
	all := &Balancer{Scalers: []scaler.Interface{&Client{Addr: down}, &Client{Addr: down}}}
	defer all.Close()
	if _, err := all.Scale(context.Background(), src, nil); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Balancer.Scale with every server down = %v, want ErrUnavailable", err)
	}
}

// A request's bytes come from the server's budget: one larger than the
// whole budget is refused, and one that finds the budget taken waits and
// then gets a busy error, while the connection that holds it is served.
func TestServerBudget(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	h := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		if string(req.Body[:4]) == "hold" {
			entered <- struct{}{}
			<-release
		}
		return &Response{Location: "ok"}, nil
	})
	_, rl := startServer(t, h, func(s *Server) {
		s.Budget = &scaler.Budget{Max: 1000}
		s.ReadTimeout = 300 * time.Millisecond
	})
	addr := rl.Addr().String()
	body := func(prefix string, n int) []byte { return append([]byte(prefix), make([]byte, n-len(prefix))...) }

	c := &Client{Addr: addr}
	defer c.Close()
	if _, err := c.Do(context.Background(), &Request{Body: body("big", 2000)}); !errors.Is(err, scaler.ErrTooLarge) {
		t.Errorf("Do(2000 bytes, budget 1000) = %v, want a too-large error", err)
	}

	held := make(chan error, 1)
	go func() {
		_, err := (&Client{Addr: addr}).Do(context.Background(), &Request{Body: body("hold", 600)})
		held <- err
	}()
	<-entered
	_, err := (&Client{Addr: addr}).Do(context.Background(), &Request{Body: body("next", 600)})
	if !errors.Is(err, ErrBusy) {
		t.Errorf("Do while the budget is taken = %v, want ErrBusy", err)
	}
	close(release)
	if err := <-held; err != nil {
		t.Errorf("the request holding the budget = %v", err)
	}
	if _, err := c.Do(context.Background(), &Request{Body: body("after", 600)}); err != nil {
		t.Errorf("Do after the budget was given back = %v", err)
	}
}

// Close cancels the contexts of the handlers running.
func TestCloseCancelsHandlers(t *testing.T) {
	entered := make(chan struct{})
	cancelled := make(chan error, 1)
	h := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		close(entered)
		<-ctx.Done()
		cancelled <- ctx.Err()
		return nil, ctx.Err()
	})
	s, rl := startServer(t, h, nil)
	go (&Client{Addr: rl.Addr().String()}).Do(context.Background(), &Request{Body: []byte("x")})
	<-entered
	s.Close()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("handler context after Close = %v, want context.Canceled", err)
	}
}

// scaleFunc adapts a function to scaler.Interface.
type scaleFunc func(ctx context.Context, src image.Image, opts *scaler.Options) (image.Image, error)

func (f scaleFunc) Scale(ctx context.Context, src image.Image, opts *scaler.Options) (image.Image, error) {
	return f(ctx, src, opts)
}

// A busy server's call goes on to the next one, as an unavailable one's
// does; other errors end the call.
func TestBalancerBusy(t *testing.T) {
	busy := scaleFunc(func(context.Context, image.Image, *scaler.Options) (image.Image, error) {
		return nil, &RemoteError{Code: CodeBusy, Message: "scaler: busy: 64 requests wait"}
	})
	invalid := scaleFunc(func(context.Context, image.Image, *scaler.Options) (image.Image, error) {
		return nil, &RemoteError{Code: CodeInvalidImage, Message: "scaler: invalid image"}
	})
	var served atomic.Int32
	ok := scaleFunc(func(_ context.Context, src image.Image, _ *scaler.Options) (image.Image, error) {
		served.Add(1)
		return src, nil
	})
	src := image.NewGray(image.Rect(0, 0, 8, 8))
	b := &Balancer{Scalers: []scaler.Interface{busy, ok}}
	defer b.Close()
	for i := range 4 {
		if _, err := b.Scale(context.Background(), src, nil); err != nil {
			t.Errorf("Balancer.Scale #%d with one server busy = %v", i, err)
		}
	}
	if served.Load() != 4 {
		t.Errorf("the server with room served %d of 4 calls", served.Load())
	}
	all := &Balancer{Scalers: []scaler.Interface{busy, busy}}
	defer all.Close()
	if _, err := all.Scale(context.Background(), src, nil); !errors.Is(err, scaler.ErrBusy) || !errors.Is(err, ErrBusy) {
		t.Errorf("Balancer.Scale with every server busy = %v, want busy", err)
	}
	// A fresh Balancer starts at its first scaler.
	first := &Balancer{Scalers: []scaler.Interface{invalid, ok}}
	defer first.Close()
	served.Store(0)
	if _, err := first.Scale(context.Background(), src, nil); !errors.Is(err, scaler.ErrInvalid) || served.Load() != 0 {
		t.Errorf("Balancer.Scale after an invalid-image error = %v, with %d calls to the next server; want the error, none", err, served.Load())
	}
}

// Connections beyond MaxConns are closed at once, and the server accepts
// again when one of its connections ends.
func TestMaxConns(t *testing.T) {
	_, rl := startServer(t, echo, func(s *Server) { s.MaxConns = 2 })
	addr := rl.Addr().String()
	idle := []*net.TCPConn{dialRaw(t, addr), dialRaw(t, addr)}
	// The listener accepts in arrival order, so this one comes after both.
	extra := dialRaw(t, addr)
	extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := extra.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection over MaxConns: Read = %d, %v; want it closed", n, err)
	}
	idle[0].Close()
	// The server notices the close on its own time: try until it serves.
	img := testJPEG(t, 16, 16)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dialRaw(t, addr)
		c.Write(img)
		c.CloseWrite()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		reply, _ := io.ReadAll(c)
		c.Close()
		if strings.HasPrefix(string(reply), "Imagen escalada disponible en: ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection served 5s after one of MaxConns closed; last reply %q", reply)
		}
	}
	idle[1].Close()
}

// Peers that announce large requests and then trickle hold only as much of
// the budget as they have sent, in each protocol, so that a few of them
// cannot keep everyone else waiting.
func TestSlowRequestsHoldLittle(t *testing.T) {
	const slow, announced = 8, 600 << 10
	budget := &scaler.Budget{Max: slow*firstChunk + 200<<10}
	_, rl := startServer(t, echo, func(s *Server) {
		s.Budget = budget
		s.StallTimeout = 10 * time.Second
		s.ReadTimeout = 10 * time.Second
	})
	addr := rl.Addr().String()
	for i := range slow {
		c := dialRaw(t, addr)
		var hdr []byte
		switch i % 2 {
		case 0: // a native frame of 600 KiB, its metadata sent whole
			hdr = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32([]byte(magic+"\x01\x01\x00\x00"), 32), announced-32)
			hdr = append(hdr, make([]byte, 32)...)
		case 1: // a framed request of 600 KiB
			hdr = binary.BigEndian.AppendUint32(nil, announced)
		}
		if _, err := c.Write(append(hdr, 0)); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until the slow peers hold their first chunks: then less than
	// 200 KiB of the budget is left.
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		release, err := budget.Acquire(ended, 200<<10+1)
		if err != nil {
			break
		}
		release()
		if time.Now().After(deadline) {
			t.Fatal("the slow peers hold no budget after 5s")
		}
		runtime.Gosched()
	}
	start := time.Now()
	c := &Client{Addr: addr}
	defer c.Close()
	if _, err := c.Do(context.Background(), &Request{Body: testJPEG(t, 64, 64)}); err != nil {
		t.Fatalf("a request while %d peers trickle large requests: %v", slow, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a request while %d peers trickle large requests took %v", slow, d)
	}
}

// Processing that outlasts HandlerTimeout ends with a timeout error that
// says so, and a peer that does not read its reply is cut off after
// WriteTimeout, so that neither holds the connection for ever.
func TestHandlerAndWriteTimeouts(t *testing.T) {
	h := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		if string(req.Body) == "slow" {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return &Response{Body: make([]byte, 32<<20), Format: scaler.JPEG}, nil
	})
	srv, rl := startServer(t, h, func(s *Server) {
		s.HandlerTimeout = 100 * time.Millisecond
		s.WriteTimeout = 200 * time.Millisecond
	})
	addr := rl.Addr().String()

	c := &Client{Addr: addr}
	defer c.Close()
	start := time.Now()
	_, err := c.Do(context.Background(), &Request{Body: []byte("slow")})
	var re *RemoteError
	if !errors.As(err, &re) || re.Code != CodeTimeout || !strings.Contains(re.Message, "processing took longer than 100ms") {
		t.Errorf("Do(slow) = %v, want a timeout saying processing took longer than 100ms", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the timeout came after %v", d)
	}

	// A framed request whose 32 MiB reply is never read.
	conn := dialRaw(t, addr)
	start = time.Now() // before the server can set its write deadline
	if _, err := conn.Write(append(binary.BigEndian.AppendUint32(nil, 4), "big!"...)); err != nil {
		t.Fatal(err)
	}
	// Once the reply has begun, the server is writing it.
	if _, err := io.ReadFull(conn, make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown with a peer that does not read its reply: %v; want the write cut off by WriteTimeout", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("the connection writing a reply ended after %v, before WriteTimeout", d)
	}
}
