package examples_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/tools/progtest"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/internal/tools/testcerts"
	"github.com/escala-img/escala/transport"
)

// A deployment with TLS everywhere: a scale server that serves only
// clients with a certificate of its CA (mutual TLS), and a gateway that
// presents one, serves its clients over TLS only, and serves the results
// over HTTPS.
func TestTLSPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	dir := t.TempDir()
	ca := testcerts.NewCA(t)
	caFile, _ := testcerts.Write(t, dir, "ca", ca.PEM(), nil)
	certPEM, keyPEM := ca.Issue(t, testcerts.Options{Serial: 2})
	serverCert, serverKey := testcerts.Write(t, dir, "server", certPEM, keyPEM)
	certPEM, keyPEM = ca.Issue(t, testcerts.Options{Serial: 3, Client: true})
	gwCert, gwKey := testcerts.Write(t, dir, "gateway", certPEM, keyPEM)

	bins := progtest.Build(t, "scaleserver", "asyncserver")
	scale := progtest.Start(t, bins["scaleserver"], 1, "--port", "0",
		"--tls-cert", serverCert, "--tls-key", serverKey, "--require-tls", "--tls-client-ca", caFile)
	gw := progtest.Start(t, bins["asyncserver"], 2, "--port", "0", "--http", "127.0.0.1:0", "--dir", t.TempDir(),
		"--tls-cert", serverCert, "--tls-key", serverKey, "--require-tls",
		"--scaler", scale.Addr(), "--scaler-tls-ca", caFile, "--scaler-tls-cert", gwCert, "--scaler-tls-key", gwKey)

	client := &transport.Client{Addr: gw.Addr(), TLSConfig: &tls.Config{RootCAs: ca.Pool()}}
	defer client.Close()
	resp, err := client.Do(context.Background(), &transport.Request{Body: sample.JPEG(80, 60)})
	if err != nil || resp.Width != 40 || resp.Height != 30 {
		t.Fatalf("upload over TLS through a gateway with mutual TLS to its scale server = %+v, %v", resp, err)
	}
	if !strings.HasPrefix(resp.Location, "https://") {
		t.Errorf("link %q, want an https one", resp.Location)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	if got, err := hc.Get(resp.Location); err != nil || got.StatusCode != 200 {
		t.Errorf("GET %s over HTTPS = %v, %v", resp.Location, got, err)
	} else {
		got.Body.Close()
	}
	// The upload page's POST /upload, over HTTPS.
	if !strings.HasPrefix(gw.URL(), "https://") {
		t.Errorf("the gateway serves %s, want https", gw.URL())
	}
	if got, err := hc.Post(gw.URL()+"/upload", "image/jpeg", bytes.NewReader(sample.JPEG(40, 30))); err != nil || got.StatusCode != 200 {
		t.Errorf("POST /upload over HTTPS = %v, %v", got, err)
	} else {
		got.Body.Close()
	}

	// Refused: plaintext to the gateway; a client of the scale server
	// without a certificate; a client that does not trust the CA.
	plain := &transport.Client{Addr: gw.Addr()}
	defer plain.Close()
	if _, err := plain.Do(context.Background(), &transport.Request{Body: sample.JPEG(8, 8)}); err == nil || !strings.Contains(err.Error(), "connect with TLS") {
		t.Errorf("plaintext upload to a gateway with --require-tls = %v, want one saying to use TLS", err)
	}
	noCert := &transport.Client{Addr: scale.Addr(), TLSConfig: &tls.Config{RootCAs: ca.Pool()}}
	defer noCert.Close()
	if _, err := noCert.Do(context.Background(), &transport.Request{Body: sample.JPEG(8, 8)}); err == nil {
		t.Errorf("a client without a certificate was served by a scale server with --tls-client-ca")
	}
	scale.WaitLog(t, progtest.Timeout, func(line string) bool { return strings.Contains(line, "TLS handshake failed") })
	untrusting := &transport.Client{Addr: gw.Addr(), TLSConfig: &tls.Config{RootCAs: testcerts.NewCA(t).Pool()}}
	defer untrusting.Close()
	if _, err := untrusting.Do(context.Background(), &transport.Request{Body: sample.JPEG(8, 8)}); err == nil || !strings.Contains(err.Error(), "not signed by a trusted authority") {
		t.Errorf("a client that does not trust the gateway's CA = %v", err)
	}
}

// The client program speaks TLS with --tls-ca, and a wrong CA gives it one
// line that names the problem.
func TestClientTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	dir := t.TempDir()
	ca := testcerts.NewCA(t)
	caFile, _ := testcerts.Write(t, dir, "ca", ca.PEM(), nil)
	otherCA, _ := testcerts.Write(t, dir, "other", testcerts.NewCA(t).PEM(), nil)
	certPEM, keyPEM := ca.Issue(t, testcerts.Options{Serial: 2})
	cert, key := testcerts.Write(t, dir, "server", certPEM, keyPEM)
	bins := progtest.Build(t, "scaleserver", "asyncserver", "client")
	scale := progtest.Start(t, bins["scaleserver"], 1, "--port", "0")
	gw := progtest.Start(t, bins["asyncserver"], 2, "--port", "0", "--http", "127.0.0.1:0", "--dir", t.TempDir(),
		"--tls-cert", cert, "--tls-key", key, "--scaler", scale.Addr())
	image := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(image, sample.JPEG(64, 48), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(ca string) (string, error) {
		cmd := exec.Command(bins["client"], "--port", gw.Port(t), "--image", image, "--out", filepath.Join(dir, "out.jpg"), "--tls-ca", ca)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(caFile); err != nil || !strings.Contains(out, "https://") {
		t.Errorf("client --tls-ca: %v\n%s", err, out)
	}
	out, err := run(otherCA)
	if err == nil || !strings.Contains(out, "not signed by a trusted authority") || strings.Count(strings.TrimSpace(out), "\n") > 2 {
		t.Errorf("client with the wrong CA: %v\n%s", err, out)
	}
}
