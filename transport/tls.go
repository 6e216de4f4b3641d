package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// tlsRecord is the first byte of a TLS connection: a handshake record,
// whose ClientHello comes first. No image format, the native magic or a
// framed length within DefaultMaxFrameSize starts with it.
const tlsRecord = 0x16

// errTLSRequired tells a plaintext peer of a Server with RequireTLS what
// to do.
var errTLSRequired = fmt.Errorf("%w: this server accepts only TLS connections: connect with TLS", errBadRequest)

// prefixConn is a connection whose first bytes, already read, are read
// again before the rest.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// startTLS makes the connection, whose first byte was first, a TLS one,
// with a handshake bounded by StallTimeout and ReadTimeout. It reports
// false, having logged why, when the handshake fails.
func (c *conn) startTLS(first byte) bool {
	tc := tls.Server(&prefixConn{Conn: c.rwc, pre: []byte{first}}, c.s.TLSConfig)
	d := min(orDefault(c.s.ReadTimeout, DefaultReadTimeout), 2*orDefault(c.s.StallTimeout, DefaultStallTimeout))
	// The wait for the first byte is over: the handshake has its own
	// bound, from that byte.
	c.rwc.SetDeadline(time.Now().Add(d))
	ctx, cancel := context.WithTimeout(c.ctx, d)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		c.s.logger().Warn("transport: TLS handshake failed", "peer", c.remote, "err", err)
		return false
	}
	c.rwc = tc
	return true
}

// A KeyPair is a certificate and its key in two PEM files, read again
// when either file changes, so that a renewed certificate is used for new
// connections without a restart. Its GetCertificate is the
// tls.Config.GetCertificate of a server:
//
//	kp := &transport.KeyPair{CertFile: "server.pem", KeyFile: "server.key"}
//	if _, err := kp.Load(); err != nil { ... }    // fail at start, not at the first client
//	srv.TLSConfig = &tls.Config{GetCertificate: kp.GetCertificate}
//
// The files are looked at, at most, once a second. When they change but
// do not make a valid pair (a certificate written before its key, say),
// the pair loaded before stays in use, and the error is reported by the
// next Load. It is safe for concurrent use.
type KeyPair struct {
	CertFile, KeyFile string

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // of the files when cert was loaded
	checked time.Time
	err     error
}

// Load reads the files now, if they changed since they were last read,
// and returns the certificate in use. It returns an error if the files
// cannot be read or do not make a pair; the certificate loaded before, if
// any, then stays in use.
func (k *KeyPair) Load() (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.load()
	if k.err != nil {
		return k.cert, k.err
	}
	return k.cert, nil
}

// load reads the pair if its files changed. k.mu is held.
func (k *KeyPair) load() {
	k.checked = time.Now()
	stamp, err := fileStamp(k.CertFile, k.KeyFile)
	if err == nil && stamp == k.stamp && k.cert != nil {
		k.err = nil
		return
	}
	if err == nil {
		var cert tls.Certificate
		cert, err = tls.LoadX509KeyPair(k.CertFile, k.KeyFile)
		if err == nil {
			k.cert, k.stamp = &cert, stamp
		}
	}
	if err != nil {
		k.err = fmt.Errorf("transport: TLS certificate %s and key %s: %w", k.CertFile, k.KeyFile, err)
		return
	}
	k.err = nil
}

// GetCertificate returns the certificate to present, reading the files
// again when they changed: see KeyPair.
func (k *KeyPair) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cert == nil || time.Since(k.checked) >= time.Second {
		k.load()
	}
	if k.cert == nil {
		return nil, k.err
	}
	return k.cert, nil
}

// fileStamp describes the size and modification time of files, so that a
// change of either shows.
func fileStamp(names ...string) (string, error) {
	s := ""
	for _, name := range names {
		fi, err := os.Stat(name)
		if err != nil {
			return "", err
		}
		s += fmt.Sprintf("%d:%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return s, nil
}

// tlsError returns the error of a failed TLS handshake with the server at
// addr, saying in words what was wrong with its certificate when that is
// the cause.
func tlsError(addr string, err error) error {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("transport: TLS with %s: its certificate is not signed by a trusted authority (give the CA that signed it): %w", addr, err)
	case errors.As(err, &hostname):
		return fmt.Errorf("transport: TLS with %s: its certificate is not for that name (see the server name): %w", addr, err)
	case errors.As(err, &invalid):
		return fmt.Errorf("transport: TLS with %s: its certificate is not valid now (expired, or not yet valid): %w", addr, err)
	}
	return fmt.Errorf("transport: TLS with %s: %w", addr, err)
}
