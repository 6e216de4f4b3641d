package serverflags

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/tools/testcerts"
)

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.NewCA(t)
	certPEM, keyPEM := ca.Issue(t, testcerts.Options{Serial: 2})
	cert, key := testcerts.Write(t, dir, "server", certPEM, keyPEM)
	caFile, _ := testcerts.Write(t, dir, "ca", ca.PEM(), nil)
	for _, tc := range []struct {
		name    string
		flags   TLS
		wantErr string
		mutual  bool
	}{
		{"off", TLS{}, "", false},
		{"on", TLS{CertFile: cert, KeyFile: key}, "", false},
		{"mutual", TLS{CertFile: cert, KeyFile: key, ClientCAFile: caFile}, "", true},
		{"no key", TLS{CertFile: cert}, "go together", false},
		{"require without a certificate", TLS{Require: true}, "need --tls-cert", false},
		{"a key that is not one", TLS{CertFile: cert, KeyFile: caFile}, "", false},
		{"a CA file without certificates", TLS{CertFile: cert, KeyFile: key, ClientCAFile: key}, "no PEM certificate", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.flags.Config()
			if tc.name == "a key that is not one" {
				if err == nil {
					t.Errorf("Config with a certificate as the key = nil error")
				}
				return
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Config = %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (cfg == nil) != (tc.flags.CertFile == "") || cfg != nil && (cfg.ClientAuth == tls.RequireAndVerifyClientCert) != tc.mutual {
				t.Errorf("Config = %+v", cfg)
			}
		})
	}
}
