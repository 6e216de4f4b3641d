package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/internal/tools/testcerts"
)

// writePair writes a certificate and key to files in dir and returns the
// KeyPair of them.
func writePair(t testing.TB, dir string, certPEM, keyPEM []byte) *KeyPair {
	t.Helper()
	certFile, keyFile := testcerts.Write(t, dir, "server", certPEM, keyPEM)
	return &KeyPair{CertFile: certFile, KeyFile: keyFile}
}

// tlsServer starts a server of echo with TLS from ca's certificate, and
// returns its address and KeyPair.
func tlsServer(t *testing.T, ca *testcerts.CA, require bool) (string, *KeyPair) {
	t.Helper()
	certPEM, keyPEM := ca.Issue(t, testcerts.Options{Serial: 2})
	kp := writePair(t, t.TempDir(), certPEM, keyPEM)
	if _, err := kp.Load(); err != nil {
		t.Fatal(err)
	}
	_, rl := startServer(t, echo, func(s *Server) {
		s.TLSConfig = &tls.Config{GetCertificate: kp.GetCertificate}
		s.RequireTLS = require
		s.StallTimeout = 2 * time.Second
	})
	return rl.Addr().String(), kp
}

// Native and raw requests work over TLS on the port that serves them in
// plaintext, and a Client with the CA checks the server.
func TestTLSRoundTrip(t *testing.T) {
	ca := testcerts.NewCA(t)
	addr, _ := tlsServer(t, ca, false)
	c := &Client{Addr: addr, TLSConfig: &tls.Config{RootCAs: ca.Pool()}}
	defer c.Close()
	resp, err := c.Do(context.Background(), &Request{Body: []byte("over tls")})
	if err != nil || !strings.Contains(resp.Location, "native 8 bytes") {
		t.Fatalf("native request over TLS = %+v, %v", resp, err)
	}
	plain := &Client{Addr: addr}
	defer plain.Close()
	if _, err := plain.Do(context.Background(), &Request{Body: []byte("in clear")}); err != nil {
		t.Errorf("plaintext request beside TLS: %v", err)
	}
	// The original client's protocol, in TLS.
	tc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.Write(append([]byte("GIF89a"), make([]byte, 20)...))
	tc.CloseWrite()
	line, _ := bufio.NewReader(tc).ReadString('\n')
	if !strings.HasPrefix(line, "Error: ") && !strings.HasPrefix(line, "Imagen escalada") {
		t.Errorf("raw upload over TLS got %q, want one reply line", line)
	}
	// The original gateway's framing, in TLS: two requests on one
	// connection.
	fc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	fc.SetDeadline(time.Now().Add(10 * time.Second))
	for _, body := range []string{"first", "second body"} {
		if _, err := fc.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)); err != nil {
			t.Fatal(err)
		}
		var n [4]byte
		if _, err := io.ReadFull(fc, n[:]); err != nil {
			t.Fatalf("framed request over TLS: %v", err)
		}
		reply := make([]byte, binary.BigEndian.Uint32(n[:]))
		if _, err := io.ReadFull(fc, reply); err != nil || string(reply) != body {
			t.Errorf("framed request %q over TLS got %q, %v", body, reply, err)
		}
	}
}

// With RequireTLS, plaintext gets one line (or an error frame) saying to
// use TLS.
func TestRequireTLS(t *testing.T) {
	ca := testcerts.NewCA(t)
	addr, _ := tlsServer(t, ca, true)
	plain := &Client{Addr: addr}
	defer plain.Close()
	_, err := plain.Do(context.Background(), &Request{Body: []byte("in clear")})
	if err == nil || !strings.Contains(err.Error(), "accepts only TLS") {
		t.Errorf("native plaintext request under RequireTLS = %v, want an error saying to use TLS", err)
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("\xff\xd8\xff\xe0"))
	line, _ := bufio.NewReader(nc).ReadString('\n')
	if !strings.HasPrefix(line, "Error: ") || !strings.Contains(line, "connect with TLS") {
		t.Errorf("raw plaintext upload under RequireTLS got %q", line)
	}
	c := &Client{Addr: addr, TLSConfig: &tls.Config{RootCAs: ca.Pool()}}
	defer c.Close()
	if _, err := c.Do(context.Background(), &Request{Body: []byte("x")}); err != nil {
		t.Errorf("TLS request under RequireTLS: %v", err)
	}
}

// A wrong CA, a wrong name and an expired certificate each give the
// client one error that names the problem.
func TestTLSRefusals(t *testing.T) {
	ca := testcerts.NewCA(t)
	addr, _ := tlsServer(t, ca, false)
	other := testcerts.NewCA(t)
	expiredAddr := func() string {
		certPEM, keyPEM := ca.Issue(t, testcerts.Options{Serial: 3, NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
		kp := writePair(t, t.TempDir(), certPEM, keyPEM)
		_, rl := startServer(t, echo, func(s *Server) { s.TLSConfig = &tls.Config{GetCertificate: kp.GetCertificate} })
		return rl.Addr().String()
	}()
	for _, tc := range []struct {
		name, addr, serverName string
		pool                   *x509.CertPool
		want                   string
	}{
		{"wrong CA", addr, "", other.Pool(), "not signed by a trusted authority"},
		{"wrong name", addr, "elsewhere.example", ca.Pool(), "not for that name"},
		{"expired", expiredAddr, "", ca.Pool(), "not valid now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{Addr: tc.addr, TLSConfig: &tls.Config{RootCAs: tc.pool, ServerName: tc.serverName}}
			defer c.Close()
			_, err := c.Do(context.Background(), &Request{Body: []byte("x")})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("Do = %v, want one line saying %q", err, tc.want)
			}
		})
	}
}

// A KeyPair whose files change gives the new certificate to the next
// connection, without a restart; files that make no pair leave the old
// one in use.
func TestKeyPairReload(t *testing.T) {
	ca := testcerts.NewCA(t)
	addr, kp := tlsServer(t, ca, false)
	serial := func() int64 {
		t.Helper()
		tc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		defer tc.Close()
		return tc.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if s := serial(); s != 2 {
		t.Fatalf("serial %d, want 2", s)
	}
	// Half-written: a new certificate with the old key makes no pair.
	certPEM, keyPEM := ca.Issue(t, testcerts.Options{Serial: 7})
	os.WriteFile(kp.CertFile, certPEM, 0o600)
	os.Chtimes(kp.CertFile, time.Now(), time.Now().Add(time.Minute))
	if _, err := kp.Load(); err == nil {
		t.Errorf("Load of a certificate with another's key succeeded")
	}
	if s := serial(); s != 2 {
		t.Errorf("after a half-written renewal the server presents serial %d, want the old 2", s)
	}
	os.WriteFile(kp.KeyFile, keyPEM, 0o600)
	os.Chtimes(kp.KeyFile, time.Now(), time.Now().Add(2*time.Minute))
	if _, err := kp.Load(); err != nil {
		t.Fatal(err)
	}
	if s := serial(); s != 7 {
		t.Errorf("after the renewal the server presents serial %d, want 7", s)
	}
}

// A foreign TLS client, Python's ssl module, uploads as the original
// client does over TLS, and gets the reply line.
func TestTLSForeignPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python; not with -short")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("ESCALA_REQUIRE_PEERS") == "1" {
			t.Fatal("no python3, and ESCALA_REQUIRE_PEERS=1")
		}
		t.Skip("no python3 for a foreign TLS peer")
	}
	ca := testcerts.NewCA(t)
	addr, _ := tlsServer(t, ca, true)
	dir := t.TempDir()
	caFile, _ := testcerts.Write(t, dir, "ca", ca.PEM(), nil)
	image := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(image, sample.JPEG(16, 16), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	script := `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection((sys.argv[2], int(sys.argv[3]))) as raw:
    with ctx.wrap_socket(raw, server_hostname=sys.argv[2]) as s:
        s.sendall(open(sys.argv[4], "rb").read())
        print(s.version(), s.recv(4096).decode().strip())
`
	out, err := exec.Command(python, "-c", script, caFile, host, port, image).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 ssl client: %v\n%s", err, out)
	}
	if got := string(out); !strings.HasPrefix(got, "TLSv1.3 ") || !strings.Contains(got, "Imagen escalada disponible en: loc:raw") {
		t.Errorf("python3 ssl client printed %q, want TLSv1.3 and the link line", got)
	}
}
