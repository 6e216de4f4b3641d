package escala_test

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/escala-img/escala/internal/tools/testcerts"
)

// A tlsRig holds the certificates of a test of the system with TLS on: a
// CA of the test's own and a server certificate from it for 127.0.0.1.
// Its configs are shared by every server and client of the test, and
// must not be changed.
//
// Its clients agree keys on P-256 alone. Go's default, X25519MLKEM768,
// is computed in Go rather than assembly, so that under the race detector
// a handshake with it takes four times as long, and the tests that make
// hundreds of handshakes would be slow for nothing they check.
type tlsRig struct {
	server *tls.Config // a Server's TLSConfig
	client *tls.Config // trusts the CA alone, and checks the name 127.0.0.1
}

func newTLSRig(tb testing.TB) *tlsRig {
	tb.Helper()
	ca := testcerts.NewCA(tb)
	certPEM, keyPEM := ca.Issue(tb, testcerts.Options{Serial: 2})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		tb.Fatal(err)
	}
	return &tlsRig{
		server: &tls.Config{Certificates: []tls.Certificate{cert}},
		client: &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1", CurvePreferences: []tls.CurveID{tls.CurveP256}},
	}
}

// handshake makes nc a TLS client connection of the rig and completes
// its handshake within ctx. On error, nc is left open, for the caller to
// close.
func (r *tlsRig) handshake(ctx context.Context, nc net.Conn) (*tls.Conn, error) {
	tc := tls.Client(nc, r.client)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return tc, nil
}

// clientHello returns the first TLS record that a client of cfg sends:
// its ClientHello, whole, from the record header on.
func clientHello(tb testing.TB, cfg *tls.Config) []byte {
	tb.Helper()
	client, server := net.Pipe()
	defer client.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tls.Client(client, cfg).Handshake() // fails once server is closed
	}()
	defer func() { <-done }()
	defer server.Close()
	record := make([]byte, 5)
	if _, err := io.ReadFull(server, record); err != nil {
		tb.Fatal(err)
	}
	if record[0] != 0x16 {
		tb.Fatalf("a TLS client's first record starts % x, want a handshake record (16)", record)
	}
	record = append(record, make([]byte, binary.BigEndian.Uint16(record[3:]))...)
	if _, err := io.ReadFull(server, record[5:]); err != nil {
		tb.Fatal(err)
	}
	return record
}
