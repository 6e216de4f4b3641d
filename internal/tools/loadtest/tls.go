package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// tlsFiles are the certificate and key that the gateway of target
// escala-tls is started with, and the config of its clients.
type tlsFiles struct {
	cert, key string // PEM files: the leaf certificate, its private key

	// client trusts only the CA that signed cert, and checks that the
	// certificate is for 127.0.0.1. It has no session cache: every
	// connection makes a full handshake.
	client *tls.Config
}

// writeCertificates makes a self-signed CA and a certificate for
// 127.0.0.1 that it signs, both with ECDSA P-256 keys and valid for a day,
// and writes the certificate and its key as cert.pem and key.pem in dir.
func writeCertificates(dir string) (*tlsFiles, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTemplate := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "escala loadtest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	if caTemplate.SerialNumber, err = serial(); err != nil {
		return nil, err
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leafTemplate := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if leafTemplate.SerialNumber, err = serial(); err != nil {
		return nil, err
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTemplate, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	f := &tlsFiles{cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	if err := os.WriteFile(f.cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(f.key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	f.client = &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return f, nil
}

// serial returns a random certificate serial number of 128 bits.
func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
}

// handshake connects to addr with TLS, as the clients do, and returns
// what was negotiated.
func handshake(ctx context.Context, addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	d := &tls.Dialer{Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState(), nil
}

// describeTLS says what a connection negotiated: the version, the cipher
// suite, the key exchange and the server's certificate key.
func describeTLS(st tls.ConnectionState) string {
	s := fmt.Sprintf("%s, %s, key exchange %v", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), st.CurveID)
	if len(st.PeerCertificates) > 0 {
		leaf := st.PeerCertificates[0]
		s += fmt.Sprintf(", certificate %v", leaf.PublicKeyAlgorithm)
		if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); ok {
			s += " " + k.Curve.Params().Name
		}
	}
	if st.DidResume {
		s += ", resumed"
	}
	return s
}
