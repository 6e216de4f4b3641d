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
	"github.com/escala-img/escala/transport"
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

// Each server logs one line per request, in JSON with --log-format json,
// with its id, sizes, phases and result; the scale server's line has the
// gateway's id, so that a request can be followed across both logs; and
// the metrics count it.
func TestRequestLog(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	bins := progtest.Build(t, "scaleserver", "asyncserver")
	scale := progtest.Start(t, bins["scaleserver"], 1, "--port", "0", "--log-format", "json")
	gw := progtest.Start(t, bins["asyncserver"], 3, "--port", "0", "--http", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--scaler", scale.Addr(), "--dir", t.TempDir(), "--log-format", "json")
	c := &transport.Client{Addr: gw.Addr()}
	defer c.Close()
	if _, err := c.Do(t.Context(), &transport.Request{Body: sample.JPEG(96, 64)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(t.Context(), &transport.Request{Body: []byte("hello, this is text")}); err == nil {
		t.Fatal("a text was accepted as an image")
	}
	type line struct {
		Msg, ID, Protocol, Result, From, To, Error string
		In, Out                                    int64
		ReceiveMs                                  *float64 `json:"receive_ms"`
		DecodeMs                                   *float64 `json:"decode_ms"`
		ScaleMs                                    *float64 `json:"scale_ms"`
		EncodeMs                                   *float64 `json:"encode_ms"`
		StoreMs                                    *float64 `json:"store_ms"`
		ReplyMs                                    *float64 `json:"reply_ms"`
	}
	requests := func(p *progtest.Program, want int) []line {
		var got []line
		p.WaitLog(t, 10*time.Second, func(string) bool {
			got = nil
			for _, l := range p.Lines() {
				var v line
				if json.Unmarshal([]byte(l), &v) == nil && v.Msg == "request" {
					got = append(got, v)
				}
			}
			return len(got) >= want
		})
		return got
	}
	g := requests(gw, 2)
	ok, bad := g[0], g[1]
	if ok.Result != "ok" || ok.Protocol != "native" || ok.From != "96x64" || ok.To != "48x32" || ok.In == 0 || ok.Out == 0 || ok.ID == "" {
		t.Errorf("the gateway's line of a good upload: %+v", ok)
	}
	for name, ms := range map[string]*float64{"receive": ok.ReceiveMs, "decode": ok.DecodeMs, "scale": ok.ScaleMs,
		"encode": ok.EncodeMs, "store": ok.StoreMs, "reply": ok.ReplyMs} {
		if ms == nil || *ms < 0 {
			t.Errorf("the gateway's line has no %s_ms: %+v", name, ok)
		}
	}
	if bad.Result != "invalid" || !strings.Contains(bad.Error, "invalid image") || bad.ID == ok.ID {
		t.Errorf("the gateway's line of a broken upload: %+v", bad)
	}
	s := requests(scale, 1)
	if len(s) != 1 || s[0].ID != ok.ID || s[0].Result != "ok" || s[0].From != "96x64" || s[0].ScaleMs == nil {
		t.Errorf("the scale server's lines %+v; want one, with the gateway's id %s", s, ok.ID)
	}

	_, metrics := fetch(t, "http://"+gw.Admin()+"/metrics")
	for _, want := range []string{
		`escala_requests_total{protocol="native",result="ok"} 1`,
		`escala_requests_total{protocol="native",result="invalid"} 1`,
		`escala_phase_seconds_count{phase="decode"} 1`,
		`escala_phase_seconds_count{phase="store"} 1`,
		`escala_store_errors_total 0`,
		`escala_requests_in_flight 0`,
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("the gateway's metrics lack %s", want)
		}
	}
	promtool(t, metrics)
}
