package transport

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA is a certificate authority made for a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "escala test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert, key, pool}
}

// issue returns a server certificate for 127.0.0.1 and "localhost",
// valid from notBefore to notAfter, as PEM certificate and key.
func (ca *testCA) issue(t testing.TB, serial int64, notBefore, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "escala test server"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// writePair writes a certificate and key to files in dir and returns the
// KeyPair of them.
func writePair(t testing.TB, dir string, certPEM, keyPEM []byte) *KeyPair {
	t.Helper()
	kp := &KeyPair{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
	if err := os.WriteFile(kp.CertFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kp.KeyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return kp
}

// tlsServer starts a server of echo with TLS from ca's certificate, and
// returns its address and KeyPair.
func tlsServer(t *testing.T, ca *testCA, require bool) (string, *KeyPair) {
	t.Helper()
	certPEM, keyPEM := ca.issueNow(t, 2)
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

func (ca *testCA) issueNow(t testing.TB, serial int64) ([]byte, []byte) {
	return ca.issue(t, serial, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
}

// Native and raw requests work over TLS on the port that serves them in
// plaintext, and a Client with the CA checks the server.
func TestTLSRoundTrip(t *testing.T) {
	ca := newCA(t)
	addr, _ := tlsServer(t, ca, false)
	c := &Client{Addr: addr, TLSConfig: &tls.Config{RootCAs: ca.pool}}
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
	tc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool, ServerName: "127.0.0.1"})
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
}

// With RequireTLS, plaintext gets one line (or an error frame) saying to
// use TLS.
func TestRequireTLS(t *testing.T) {
	ca := newCA(t)
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
	c := &Client{Addr: addr, TLSConfig: &tls.Config{RootCAs: ca.pool}}
	defer c.Close()
	if _, err := c.Do(context.Background(), &Request{Body: []byte("x")}); err != nil {
		t.Errorf("TLS request under RequireTLS: %v", err)
	}
}

// A wrong CA, a wrong name and an expired certificate each give the
// client one error that names the problem.
func TestTLSRefusals(t *testing.T) {
	ca := newCA(t)
	addr, _ := tlsServer(t, ca, false)
	other := newCA(t)
	expiredAddr := func() string {
		certPEM, keyPEM := ca.issue(t, 3, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
		kp := writePair(t, t.TempDir(), certPEM, keyPEM)
		_, rl := startServer(t, echo, func(s *Server) { s.TLSConfig = &tls.Config{GetCertificate: kp.GetCertificate} })
		return rl.Addr().String()
	}()
	for _, tc := range []struct {
		name, addr, serverName string
		pool                   *x509.CertPool
		want                   string
	}{
		{"wrong CA", addr, "", other.pool, "not signed by a trusted authority"},
		{"wrong name", addr, "elsewhere.example", ca.pool, "not for that name"},
		{"expired", expiredAddr, "", ca.pool, "not valid now"},
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
	ca := newCA(t)
	addr, kp := tlsServer(t, ca, false)
	serial := func() int64 {
		t.Helper()
		tc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool, ServerName: "127.0.0.1"})
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
	certPEM, keyPEM := ca.issueNow(t, 7)
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
