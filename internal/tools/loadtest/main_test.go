package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/escala-img/escala/internal/tools/fakescaler"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/transport"
)

// TestVariant checks that -distinct gives JPEGs that decode, each to
// pixels of its own.
func TestVariant(t *testing.T) {
	distinct = true
	t.Cleanup(func() { distinct = false })
	photo := sample.JPEG(64, 48)
	seen := map[string]int{}
	for i := range 20 {
		v := variant(photo)
		if len(v) != len(photo) {
			t.Fatalf("variant %d has %d bytes, the photo %d", i, len(v), len(photo))
		}
		g, err := scaler.DecodeGray(bytes.NewReader(v), nil)
		if err != nil {
			t.Fatalf("variant %d: %v", i, err)
		}
		if j, ok := seen[string(g.Pix)]; ok {
			t.Errorf("variants %d and %d decode to the same pixels", j, i)
		}
		seen[string(g.Pix)] = i
	}
	png := sample.PNG(8, 8)
	want, err := scaler.DecodeGray(bytes.NewReader(png), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := variant(png), variant(png)
	if bytes.Equal(a, b) || bytes.Equal(a, png) {
		t.Errorf("two variants of a PNG are the same bytes, or the photo's")
	}
	for _, v := range [][]byte{a, b} {
		g, err := scaler.DecodeGray(bytes.NewReader(v), nil)
		if err != nil || !bytes.Equal(g.Pix, want.Pix) {
			t.Errorf("a variant of a PNG decodes to %v, want the photo's pixels", err)
		}
	}
	distinct = false
	if v := variant(png); &v[0] != &png[0] {
		t.Errorf("variant with -distinct=false is a copy, want the photo itself")
	}
}

// TestWriteCertificates checks that the clients of escala-tls accept the
// certificate made for the gateway, and only for 127.0.0.1 and from its
// own CA.
func TestWriteCertificates(t *testing.T) {
	certs, err := writeCertificates(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other, err := writeCertificates(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	kp, err := tls.LoadX509KeyPair(certs.cert, certs.key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{kp}}
	addr := fakescaler.Serve(t, func(c net.Conn) { tls.Server(c, cfg).Handshake() })
	byName := certs.client.Clone()
	byName.ServerName = "localhost"
	for _, tc := range []struct {
		name string
		cfg  *tls.Config
		want any // nil, or a pointer to the error type wanted
	}{
		{"its own CA", certs.client, nil},
		{"another CA", other.client, new(x509.UnknownAuthorityError)},
		{"another name", byName, new(x509.HostnameError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := handshake(t.Context(), addr, tc.cfg)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("handshake = %v, want a connection", err)
				}
				if got := describeTLS(st); !strings.HasPrefix(got, "TLS 1.3, ") || !strings.Contains(got, "certificate ECDSA P-256") {
					t.Errorf("describeTLS = %q, want TLS 1.3 and an ECDSA P-256 certificate", got)
				}
				return
			}
			if !errors.As(err, tc.want) {
				t.Errorf("handshake = %v, want a %T", err, tc.want)
			}
		})
	}
}

// TestClientTLS has a load client of escala-tls send photos to a gateway
// that answers with links to an HTTPS server, with each protocol, and
// counts the full handshakes: one per upload, unless -reuse keeps the
// native connection or -resume resumes the session; the downloads keep
// their connection.
func TestClientTLS(t *testing.T) {
	certs, err := writeCertificates(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	kp, err := tls.LoadX509KeyPair(certs.cert, certs.key)
	if err != nil {
		t.Fatal(err)
	}
	result := sample.JPEG(8, 8)
	var downloadConns atomic.Int64
	files := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(result)
	}))
	files.TLS = &tls.Config{Certificates: []tls.Certificate{kp}}
	files.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			downloadConns.Add(1)
		}
	}
	files.StartTLS()
	t.Cleanup(files.Close)

	var handshakes, uploads atomic.Int64
	gw := &transport.Server{
		Handler: transport.HandlerFunc(func(ctx context.Context, req *transport.Request) (*transport.Response, error) {
			uploads.Add(1)
			return &transport.Response{Location: files.URL + "/result.jpg"}, nil
		}),
		TLSConfig: &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			handshakes.Add(1)
			return &kp, nil
		}},
		RequireTLS: true,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- gw.Serve(l) }()
	t.Cleanup(func() {
		gw.Close()
		if err := <-served; !errors.Is(err, transport.ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	t.Cleanup(func() { native, reuse = false, false })
	const n = 3
	for _, tc := range []struct {
		name                  string
		native, reuse, resume bool
		wantHandshakes        int64
	}{
		{"raw", false, false, false, n},
		{"raw resume", false, false, true, 1},
		{"native", true, false, false, n},
		{"native reuse", true, true, false, 1},
		{"native resume", true, false, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			native, reuse = tc.native, tc.reuse
			sys := &system{addrs: []string{l.Addr().String()}, tls: certs.client}
			if tc.resume {
				sys.tls = certs.client.Clone()
				sys.tls.ClientSessionCache = tls.NewLRUClientSessionCache(0)
			}
			handshakes.Store(0)
			uploads.Store(0)
			downloadConns.Store(0)
			c := sys.client(0, 1)
			for i := range n {
				if err := c.exchange(t.Context(), sample.JPEG(64, 48)); err != nil {
					t.Fatalf("exchange %d: %v", i, err)
				}
			}
			c.close()
			if got := uploads.Load(); got != n {
				t.Errorf("the gateway served %d uploads, want %d", got, n)
			}
			if got := handshakes.Load(); got != tc.wantHandshakes {
				t.Errorf("%d uploads made %d full handshakes, want %d", n, got, tc.wantHandshakes)
			}
			if got := downloadConns.Load(); got != 1 {
				t.Errorf("%d downloads used %d connections, want 1", n, got)
			}
		})
	}
}
