package transport

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escala-img/escala/internal/tools/testcerts"
)

// errorCatcher is a slog.Handler that keeps the messages of level Error.
type errorCatcher struct {
	mu     sync.Mutex
	errors []string
}

func (h *errorCatcher) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h *errorCatcher) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *errorCatcher) WithGroup(string) slog.Handler                { return h }
func (h *errorCatcher) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.errors = append(h.errors, r.Message)
	h.mu.Unlock()
	return nil
}

func (h *errorCatcher) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.errors
	h.errors = nil
	return e
}

// FuzzTLSDetect sends data as the first bytes of a connection to a Server
// with TLS, as a client that may start a TLS handshake or a plaintext
// protocol, and half-closes. The server must neither panic nor log an
// internal error, must answer or close within a deadline, and must then
// still serve a request over TLS.
func FuzzTLSDetect(f *testing.F) {
	for _, seed := range []string{
		"\x16", "\x16\x03", "\x16\x03\x01\x00\x05hello", "\x16\x03\x03\xff\xff",
		"\x16\x03\x01\x00\x2a\x01\x00\x00\x26\x03\x03" + strings.Repeat("\x00", 38),
		"ESCL\x01\x01", "\xff\xd8\xff", "\x00\x00\x00\x05abcde", "abc",
	} {
		f.Add([]byte(seed))
	}
	ca := testcerts.NewCA(f)
	certPEM, keyPEM := ca.Issue(f, testcerts.Options{Serial: 2})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		f.Fatal(err)
	}
	catcher := &errorCatcher{}
	_, rl := startServer(f, echo, func(s *Server) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.StallTimeout = 50 * time.Millisecond
		s.IdleTimeout = 50 * time.Millisecond
		s.ReadTimeout = time.Second
		s.Logger = slog.New(catcher)
	})
	addr := rl.Addr().String()
	client := &Client{Addr: addr, TLSConfig: &tls.Config{RootCAs: ca.Pool()}}
	f.Cleanup(func() { client.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			t.Skip()
		}
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		nc.Write(data)
		nc.(*net.TCPConn).CloseWrite()
		if _, err := io.Copy(io.Discard, nc); isTimeout(err) {
			t.Fatalf("the server neither answered nor closed within 5s of %q", data)
		}
		if errs := catcher.take(); len(errs) > 0 {
			t.Fatalf("after %q the server logged errors: %q", data, errs)
		}
		if _, err := client.Do(context.Background(), &Request{Body: []byte("check")}); err != nil {
			t.Fatalf("after %q a TLS request failed: %v", data, err)
		}
	})
}
