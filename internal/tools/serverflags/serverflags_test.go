package serverflags

import (
	"errors"
	"flag"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/transport"
)

func parse(t *testing.T, args ...string) (*Limits, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	l := Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return l, l.Check()
}

// The defaults are the library's, and every flag reaches the server,
// its budgets and the HTTP server.
func TestLimits(t *testing.T) {
	l, err := parse(t)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	srv := l.Server(transport.HandlerFunc(nil))
	if srv.MaxFrameSize != transport.DefaultMaxFrameSize || srv.MaxConns != transport.DefaultMaxConns ||
		srv.IdleTimeout != transport.DefaultIdleTimeout || srv.ReadTimeout != transport.DefaultReadTimeout ||
		l.MaxPixels() != scaler.DefaultMaxPixels || l.Budget(1, 4).MaxWaiting != scaler.DefaultMaxWaiting {
		t.Errorf("defaults differ from the library's: %+v", l)
	}

	l, err = parse(t, "--memory-mib", "512", "--max-upload-mib", "8", "--max-megapixels", "12.5", "--max-conns", "10",
		"--max-queue", "3", "--idle-timeout", "7s", "--stall-timeout", "2s", "--read-timeout", "9s",
		"--process-timeout", "11s", "--write-timeout", "13s", "--shutdown-timeout", "1s")
	if err != nil {
		t.Fatal(err)
	}
	srv = l.Server(transport.HandlerFunc(nil))
	want := transport.Server{MaxFrameSize: 8 << 20, MaxConns: 10, IdleTimeout: 7 * time.Second, StallTimeout: 2 * time.Second,
		ReadTimeout: 9 * time.Second, HandlerTimeout: 11 * time.Second, WriteTimeout: 13 * time.Second}
	if srv.MaxFrameSize != want.MaxFrameSize || srv.MaxConns != want.MaxConns || srv.IdleTimeout != want.IdleTimeout ||
		srv.StallTimeout != want.StallTimeout || srv.ReadTimeout != want.ReadTimeout ||
		srv.HandlerTimeout != want.HandlerTimeout || srv.WriteTimeout != want.WriteTimeout {
		t.Errorf("Server = %+v, want the flags' values", srv)
	}
	if b := srv.Budget; b.Max != 192<<20 || b.MaxWaiting != 3 {
		t.Errorf("request budget = %d bytes, queue %d; want 3/8 of 512 MiB, 3", b.Max, b.MaxWaiting)
	}
	if b := l.Budget(1, 4); b.Max != 128<<20 || b.MaxWaiting != 3 {
		t.Errorf("Budget(1, 4) = %d bytes, queue %d; want 128 MiB, 3", b.Max, b.MaxWaiting)
	}
	if l.MaxPixels() != 12_500_000 {
		t.Errorf("MaxPixels = %d, want 12500000", l.MaxPixels())
	}
	hs := l.HTTPServer(http.NotFoundHandler())
	if hs.ReadHeaderTimeout != 2*time.Second || hs.ReadTimeout != 9*time.Second || hs.WriteTimeout != 13*time.Second ||
		hs.IdleTimeout != 7*time.Second || hs.MaxHeaderBytes != 16<<10 {
		t.Errorf("HTTPServer timeouts %v %v %v %v, headers %d", hs.ReadHeaderTimeout, hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout, hs.MaxHeaderBytes)
	}
}

// Values that make no sense are refused, naming their flag.
func TestLimitsCheck(t *testing.T) {
	for _, args := range [][]string{
		{"--memory-mib", "10"},
		{"--max-upload-mib", "0"},
		{"--max-upload-mib", "2048"},
		{"--max-megapixels", "0"},
		{"--max-megapixels", "NaN"},
		{"--max-conns", "0"},
		{"--max-queue", "0"},
		{"--idle-timeout", "0s"},
		{"--stall-timeout", "-1s"},
		{"--read-timeout", "0s"},
		{"--process-timeout", "0s"},
		{"--write-timeout", "0s"},
		{"--shutdown-timeout", "0s"},
	} {
		_, err := parse(t, args...)
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: Check = %v, want an error naming %s", args, err, args[0])
		}
	}
}

// Connections beyond --max-conns are closed at once; a place comes back
// when a connection is closed.
func TestListener(t *testing.T) {
	l, err := parse(t, "--max-conns", "2")
	if err != nil {
		t.Fatal(err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := l.Listener(inner)
	defer ln.Close()
	accepted := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	dial()
	first, second := <-accepted, <-accepted
	extra := dial()
	extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := extra.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection over --max-conns: Read = %v, want it closed", err)
	}
	first.Close()
	first.Close() // twice: the place is given back once
	dial()
	select {
	case c := <-accepted:
		defer c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted after one of --max-conns closed")
	}
	third := dial()
	third.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := third.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a second Close gave back a second place: Read = %v, want the connection closed", err)
	}
	second.Close()
}
