package serverflags

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/escala-img/escala/transport"
)

// TLS are the TLS flags of a server: its certificate, whether plaintext
// is refused, and the CA of the clients it requires certificates of.
type TLS struct {
	CertFile, KeyFile string
	Require           bool
	ClientCAFile      string
}

// RegisterTLS defines --tls-cert, --tls-key, --require-tls and
// --tls-client-ca on fs.
func RegisterTLS(fs *flag.FlagSet) *TLS {
	t := new(TLS)
	fs.StringVar(&t.CertFile, "tls-cert", "", "PEM certificate (chain) of the server: TLS on every listener, beside plaintext; read again when the file changes")
	fs.StringVar(&t.KeyFile, "tls-key", "", "PEM private key of --tls-cert")
	fs.BoolVar(&t.Require, "require-tls", false, "refuse plaintext connections, with a line that says to use TLS")
	fs.StringVar(&t.ClientCAFile, "tls-client-ca", "", "PEM CA certificates: serve only clients that present a certificate signed by one (mutual TLS)")
	return t
}

// TLSFlags are the names of the flags of RegisterTLS, for a Group.
var TLSFlags = []string{"tls-cert", "tls-key", "require-tls", "tls-client-ca"}

// Config returns the server's tls.Config, or nil without --tls-cert. The
// certificate and key are read now, so that a wrong file stops the
// program at start, and again whenever they change.
func (t *TLS) Config() (*tls.Config, error) {
	switch {
	case t.CertFile == "" && t.KeyFile == "":
		if t.Require || t.ClientCAFile != "" {
			return nil, errors.New("--require-tls and --tls-client-ca need --tls-cert and --tls-key")
		}
		return nil, nil
	case t.CertFile == "" || t.KeyFile == "":
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	kp := &transport.KeyPair{CertFile: t.CertFile, KeyFile: t.KeyFile}
	if _, err := kp.Load(); err != nil {
		return nil, err
	}
	cfg := &tls.Config{GetCertificate: kp.GetCertificate, MinVersion: tls.VersionTLS12}
	if t.ClientCAFile != "" {
		pool, err := LoadCAs(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca: %w", err)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// LoadCAs reads the PEM certificates of a file into a pool.
func LoadCAs(name string) (*x509.CertPool, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", name)
	}
	return pool, nil
}

// ClientTLS returns the tls.Config of a client of a TLS server: the CAs of
// caFile (empty: the system's), the server name (empty: the host it dials)
// and, when certFile is set, the certificate it presents, read again when
// its files change. It returns nil when all are empty and !on.
func ClientTLS(on bool, caFile, serverName, certFile, keyFile string) (*tls.Config, error) {
	if !on && caFile == "" && serverName == "" && certFile == "" && keyFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := LoadCAs(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("a client certificate needs both its file and its key")
	}
	if certFile != "" {
		kp := &transport.KeyPair{CertFile: certFile, KeyFile: keyFile}
		if _, err := kp.Load(); err != nil {
			return nil, err
		}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return kp.GetCertificate(nil)
		}
	}
	return cfg, nil
}
