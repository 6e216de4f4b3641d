package examples_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escala-img/escala/internal/tools/progtest"
	"github.com/escala-img/escala/internal/tools/sample"
)

// postUpload sends data to POST /upload of base with a Bearer token, when
// token is not "", and returns the reply and its body.
func postUpload(t *testing.T, base string, data []byte, token string) (*http.Response, string) {
	t.Helper()
	resp, body, err := progtest.PostUpload(base, data, token)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// A gateway with --auth-tokens serves only uploads with a token of its
// file, over the native protocol and HTTP; refuses the raw protocol; reads
// the file again when it changes; counts the refusals in its metrics; and
// never logs a token.
func TestAuthPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	const first, second, wrong = "first-Zq81vT", "second-Kd03mW", "wrong-Hx55pL"
	writeFile(t, tokens, "# the client of the tests\n"+first+"\n")
	image := filepath.Join(dir, "photo.jpg")
	writeFile(t, image, string(sample.JPEG(64, 48)))

	bins := progtest.Build(t, "scaleserver", "asyncserver", "client")
	scale := progtest.Start(t, bins["scaleserver"], 1, "--port", "0")
	gw := progtest.Start(t, bins["asyncserver"], 3, "--port", "0", "--http", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--dir", t.TempDir(), "--scaler", scale.Addr(), "--auth-tokens", "@"+tokens, "--log-format", "json")

	// client runs the client program with the token in its environment,
	// or none, and returns its output.
	client := func(token string, args ...string) (string, error) {
		cmd := exec.Command(bins["client"], append([]string{"--port", gw.Port(t), "--image", image, "--out", filepath.Join(dir, "out.jpg")}, args...)...)
		cmd.Env = os.Environ()
		if token != "" {
			cmd.Env = append(cmd.Env, "ESCALA_AUTH_TOKEN="+token)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := client(""); err == nil || !strings.Contains(out, "needs an upload token, and the request carries none") {
		t.Errorf("client without a token: %v\n%s", err, out)
	}
	if out, err := client("", "--auth-token", wrong); err == nil || !strings.Contains(out, "the upload token is not accepted") {
		t.Errorf("client with a wrong token: %v\n%s", err, out)
	}
	if out, err := client(first); err != nil || !strings.Contains(out, "http://") {
		t.Errorf("client with ESCALA_AUTH_TOKEN: %v\n%s", err, out)
	}
	if line, _ := progtest.RawUpload(gw.Addr(), sample.JPEG(32, 32)); !strings.Contains(line, "original protocols cannot carry") {
		t.Errorf("raw upload to a gateway with tokens = %q", line)
	}
	if resp, body := postUpload(t, gw.URL(), sample.JPEG(40, 30), ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /upload without a token = %s %s, want 401", resp.Status, body)
	}
	if resp, body := postUpload(t, gw.URL(), sample.JPEG(40, 30), first); resp.StatusCode != http.StatusOK {
		t.Errorf("POST /upload with a token = %s %s, want 200", resp.Status, body)
	}

	// A new file: the new token is served and the old one refused, with
	// no restart.
	writeFile(t, tokens+".new", second+"\n")
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(tokens+".new", later, later)
	if err := os.Rename(tokens+".new", tokens); err != nil {
		t.Fatal(err)
	}
	if out, err := client(second); err != nil {
		t.Errorf("client with the token of the new file: %v\n%s", err, out)
	}
	if out, err := client(first); err == nil || !strings.Contains(out, "not accepted") {
		t.Errorf("client with a token no longer in the file: %v\n%s", err, out)
	}

	_, metrics := fetch(t, "http://"+gw.Admin()+"/metrics")
	for _, want := range []string{
		`escala_requests_total{protocol="native",result="unauthorized"} 3`,
		`escala_requests_total{protocol="raw",result="unauthorized"} 1`,
		`escala_requests_total{protocol="http",result="unauthorized"} 1`,
		`escala_requests_total{protocol="native",result="ok"} 2`,
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("the gateway's metrics lack %s", want)
		}
	}
	logs := strings.Join(gw.Lines(), "\n")
	if !strings.Contains(logs, `"result":"unauthorized"`) {
		t.Errorf("no refusal logged:\n%s", logs)
	}
	for _, token := range []string{first, second, wrong} {
		if strings.Contains(logs, token) {
			t.Errorf("the gateway logged a token:\n%s", logs)
		}
	}
}

// A gateway with --client-rate refuses a client over it as busy at once:
// a line for the client program, 429 with Retry-After over HTTP.
func TestClientLimitsPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	dir := t.TempDir()
	image := filepath.Join(dir, "photo.jpg")
	writeFile(t, image, string(sample.JPEG(64, 48)))
	bins := progtest.Build(t, "scaleserver", "asyncserver", "client")
	scale := progtest.Start(t, bins["scaleserver"], 1, "--port", "0")
	gw := progtest.Start(t, bins["asyncserver"], 2, "--port", "0", "--http", "127.0.0.1:0",
		"--dir", t.TempDir(), "--scaler", scale.Addr(), "--client-rate", "0.01", "--client-burst", "2")
	run := func() (string, error) {
		out, err := exec.Command(bins["client"], "--port", gw.Port(t), "--image", image, "--out", filepath.Join(dir, "out.jpg")).CombinedOutput()
		return string(out), err
	}
	if out, err := run(); err != nil {
		t.Fatalf("first upload: %v\n%s", err, out)
	}
	if resp, body := postUpload(t, gw.URL(), sample.JPEG(40, 30), ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("second upload, over HTTP = %s %s, want 200", resp.Status, body)
	}
	out, err := run()
	if err == nil || !strings.Contains(out, "busy: this address is over its limit of 0.01 requests a second") {
		t.Errorf("third upload, over the rate: %v\n%s", err, out)
	}
	resp, body := postUpload(t, gw.URL(), sample.JPEG(40, 30), "")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("POST /upload over the rate = %s (Retry-After %q) %s, want 429", resp.Status, resp.Header.Get("Retry-After"), body)
	}
}

// writeFile writes data to path, or fails t.
func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
