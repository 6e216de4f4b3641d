package examples_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/escala-img/escala/internal/tools/progtest"
	"github.com/escala-img/escala/internal/tools/sample"
)

// fetch GETs rawURL and returns the status and body.
func fetch(t *testing.T, rawURL string) (int, string) {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	return resp.StatusCode, string(body)
}

// The servers' admin address serves health, readiness, metrics that
// promtool accepts, and the profiler; the gateway's public HTTP server
// serves health and readiness only; and readiness follows the scale
// servers.
func TestAdmin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	bins := progtest.Build(t, "scaleserver", "asyncserver")
	scale := progtest.Start(t, bins["scaleserver"], 2, "--port", "0", "--admin", "127.0.0.1:0")
	gw := progtest.Start(t, bins["asyncserver"], 3, "--port", "0", "--http", "127.0.0.1:0",
		"--admin", "127.0.0.1:0", "--scaler", scale.Addr(), "--dir", t.TempDir())
	admin, public := "http://"+gw.Admin(), gw.URL()

	for _, base := range []string{admin, public, "http://" + scale.Admin()} {
		if status, body := fetch(t, base+"/healthz"); status != 200 || body != "ok\n" {
			t.Errorf("%s/healthz = %d %q, want 200 ok", base, status, body)
		}
		if status, body := fetch(t, base+"/readyz"); status != 200 || body != "ready\n" {
			t.Errorf("%s/readyz = %d %q, want 200 ready", base, status, body)
		}
	}
	for _, path := range []string{"/metrics", "/debug/pprof/"} {
		if status, _ := fetch(t, admin+path); status != 200 {
			t.Errorf("admin %s = %d, want 200", path, status)
		}
		if status, _ := fetch(t, public+path); status != 404 {
			t.Errorf("public %s = %d, want 404: the public server serves no metrics or profiles", path, status)
		}
	}
	for _, base := range []string{admin, "http://" + scale.Admin()} {
		_, metrics := fetch(t, base+"/metrics")
		for _, want := range []string{"escala_budget_in_use_bytes{stage=\"decode\"}", "escala_queue_depth{stage=\"receive\"}", "go_goroutines "} {
			if !strings.Contains(metrics, want) {
				t.Errorf("%s/metrics lacks %s", base, want)
			}
		}
		promtool(t, metrics)
	}
	if _, metrics := fetch(t, admin+"/metrics"); !strings.Contains(metrics, `escala_scaler_up{scaler="`+scale.Addr()+`"} 1`) {
		t.Errorf("the gateway's metrics do not say its scale server is up:\n%s", metrics)
	}

	// The only scale server dies: within two and a half seconds the gateway
	// is not ready, and says why.
	scale.Kill()
	deadline := time.Now().Add(2500 * time.Millisecond) // the probe, and the readiness answer kept for a second
	for {
		status, body := fetch(t, public+"/readyz")
		if status == 503 && body == "no scale server answers\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz with the scale server dead = %d %q after 2.5s, want 503 no scale server answers", status, body)
		}
	}
}

// promtool checks text in the Prometheus format, when it is installed
// (Debian's prometheus); ESCALA_REQUIRE_PEERS=1 requires it.
func promtool(t *testing.T, text string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("ESCALA_REQUIRE_PEERS") == "1" {
			t.Fatal("promtool is not installed (apt-get install prometheus), and ESCALA_REQUIRE_PEERS=1")
		}
		t.Log("promtool is not installed (apt-get install prometheus): the metrics are not checked with it")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// The gateway's HTTP server has the upload page at / and takes uploads at
// POST /upload, unless --page=false.
func TestUploadPageFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	bins := progtest.Build(t, "scaleserver", "asyncserver")
	scale := progtest.Start(t, bins["scaleserver"], 1, "--port", "0")
	for _, on := range []bool{true, false} {
		gw := progtest.Start(t, bins["asyncserver"], 2, "--port", "0", "--http", "127.0.0.1:0",
			"--scaler", scale.Addr(), "--dir", t.TempDir(), "--page="+strconv.FormatBool(on))
		status, body := fetch(t, gw.URL()+"/")
		if on != (status == 200 && strings.Contains(body, "<html")) {
			t.Errorf("--page=%v: GET / = %d", on, status)
		}
		resp, err := http.Post(gw.URL()+"/upload", "image/jpeg", bytes.NewReader(sample.JPEG(64, 48)))
		if err != nil {
			t.Fatal(err)
		}
		reply, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got struct {
			Link          string
			Width, Height int
		}
		if on {
			if err := json.Unmarshal(reply, &got); err != nil || resp.StatusCode != 200 || got.Width != 32 || got.Height != 24 {
				t.Errorf("--page: POST /upload = %d %s, want a 32x24 result", resp.StatusCode, reply)
			} else if status, _ := fetch(t, got.Link); status != 200 {
				t.Errorf("the link of POST /upload, %s, gives %d", got.Link, status)
			}
		} else if resp.StatusCode == 200 {
			t.Errorf("--page=false: POST /upload = %d %s, want it refused", resp.StatusCode, reply)
		}
	}
}
