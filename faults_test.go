package escala_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escala-img/escala/internal/tools/progtest"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/transport"
)

// scaleServer serves a ScaleHandler on addr ("127.0.0.1:0" for a free
// port) until the test ends or it is closed. When hold is set, each request
// first reports on entered and then waits for ctx to end: the server can
// then be killed mid-request. It counts the requests it gets.
type scaleServer struct {
	srv   *transport.Server
	addr  string
	calls atomic.Int32
	done  chan error
}

func startScaleServer(t *testing.T, addr string, entered chan<- struct{}) *scaleServer {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &scaleServer{addr: l.Addr().String(), done: make(chan error, 1)}
	scale := &transport.ScaleHandler{Logger: quiet}
	s.srv = &transport.Server{Logger: quiet, Handler: transport.HandlerFunc(func(ctx context.Context, req *transport.Request) (*transport.Response, error) {
		s.calls.Add(1)
		if entered != nil {
			entered <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return scale.Serve(ctx, req)
	})}
	go func() { s.done <- s.srv.Serve(l) }()
	t.Cleanup(s.kill)
	return s
}

// kill closes the server and its connections at once, as if its process
// died, and waits for Serve to return.
func (s *scaleServer) kill() {
	s.srv.Close()
	<-s.done
	s.done <- transport.ErrServerClosed // for a second kill
}

// startGateway serves a Gateway over the given scale servers and returns
// its address and the folder it stores in.
func startGateway(t *testing.T, scalers ...string) string {
	addr, _ := startGatewayBalancer(t, scalers...)
	return addr
}

// startGatewayBalancer is startGateway, and returns the gateway's Balancer
// too.
func startGatewayBalancer(t *testing.T, scalers ...string) (string, *transport.Balancer) {
	t.Helper()
	b := &transport.Balancer{HealthInterval: 100 * time.Millisecond}
	t.Cleanup(func() { b.Close() })
	for _, addr := range scalers {
		c := &transport.Client{Addr: addr}
		t.Cleanup(func() { c.Close() })
		b.Scalers = append(b.Scalers, c)
	}
	g, _ := newGateway(t, b)
	srv := &transport.Server{Handler: g, Logger: quiet, HandlerTimeout: 10 * time.Second}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return l.Addr().String(), b
}

// A scale server that dies while it holds a request costs that request
// nothing: the gateway sends it to the next server of its list.
func TestScaleServerKilledMidRequest(t *testing.T) {
	entered := make(chan struct{}, 1)
	dying := startScaleServer(t, "127.0.0.1:0", entered)
	healthy := startScaleServer(t, "127.0.0.1:0", nil)
	gw := startGateway(t, dying.addr, healthy.addr) // a fresh Balancer starts with dying

	reply := make(chan string, 1)
	go func() { reply <- rawUploadLine(t, gw, sample.JPEG(320, 240)) }()
	select {
	case <-entered:
	case line := <-reply:
		t.Fatalf("the request never reached the first scale server: %q", line)
	}
	dying.kill()
	line := <-reply
	link, ok := strings.CutPrefix(strings.TrimSpace(line), "Imagen escalada disponible en: ")
	if !ok {
		t.Fatalf("reply after the scale server died mid-request = %q, want a link", line)
	}
	if !strings.HasPrefix(link, "http://files.test/i/") {
		t.Errorf("link %q", link)
	}
	if healthy.calls.Load() != 1 {
		t.Errorf("the healthy scale server got %d requests, want 1", healthy.calls.Load())
	}
}

// With every scale server dead mid-request, the client gets a clear error
// line at once, not a hang.
func TestAllScaleServersKilled(t *testing.T) {
	entered := make(chan struct{}, 1)
	dying := startScaleServer(t, "127.0.0.1:0", entered)
	gw := startGateway(t, dying.addr)
	reply := make(chan string, 1)
	go func() { reply <- rawUploadLine(t, gw, sample.JPEG(320, 240)) }()
	<-entered
	start := time.Now()
	dying.kill()
	line := <-reply
	if !strings.HasPrefix(line, "Error: ") || !strings.Contains(line, "unavailable") || strings.Count(line, "\n") != 1 {
		t.Errorf("reply with the only scale server dead = %q, want one error line saying unavailable", line)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the error came %v after the scale server died", d)
	}
}

// A scale server that comes back on its address is used again by the
// same gateway within a second, and while it is down no request waits
// for it.
func TestScaleServerComesBack(t *testing.T) {
	first := startScaleServer(t, "127.0.0.1:0", nil)
	other := startScaleServer(t, "127.0.0.1:0", nil)
	gw, balancer := startGatewayBalancer(t, first.addr, other.addr)
	// Each upload differs, as one already stored is answered without a
	// scale server.
	n := 0
	upload := func(when string) {
		t.Helper()
		n++
		if line := rawUploadLine(t, gw, sample.JPEG(64+n, 48)); !strings.HasPrefix(line, "Imagen escalada") {
			t.Fatalf("reply %s = %q", when, line)
		}
	}
	for range 2 {
		upload("with both up")
	}
	if first.calls.Load() != 1 || other.calls.Load() != 1 {
		t.Fatalf("calls %d and %d, want one each", first.calls.Load(), other.calls.Load())
	}
	first.kill()
	for range 4 {
		upload("with one scale server down")
	}
	back := startScaleServer(t, first.addr, nil)
	returned := time.Now()
	for back.calls.Load() == 0 {
		if time.Since(returned) > time.Second {
			t.Fatalf("the scale server that came back got no request within 1s; the Balancer says %+v", balancer.Status())
		}
		upload("after the scale server came back")
	}
	for range 4 {
		upload("after the scale server came back")
	}
	if got := back.calls.Load(); got < 2 {
		t.Errorf("the scale server that came back got %d of the last 4 requests and more, want 2 at least", got)
	}
}

// rawUploadLine sends data as an original client and returns its reply;
// a failure to get one is an error of the test.
func rawUploadLine(t *testing.T, addr string, data []byte) string {
	reply, err := progtest.RawUpload(addr, data)
	if err != nil {
		t.Error(err)
	}
	return reply
}
