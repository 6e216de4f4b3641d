package metrics

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestExposition(t *testing.T) {
	var r Registry
	req := r.Counter("escala_requests_total", "Requests answered, by protocol and result.", "protocol", "result")
	req.Add(2, "raw", "ok")
	req.Add(1, "native", `a "quoted"\value`)
	r.Gauge("escala_in_flight", "Requests being handled.", func() float64 { return 3 })
	r.GaugeVec("escala_scaler_up", "Whether each scale server is up.", []string{"scaler"}, func() []Sample {
		return []Sample{{Labels: []string{"10.0.0.1:8001"}, Value: 1}}
	})
	h := r.Histogram("escala_phase_seconds", "Time spent in each phase.", []float64{0.01, 0.1}, "phase")
	h.Observe(0.005, "decode")
	h.Observe(0.05, "decode")
	h.Observe(5, "decode")
	h.Observe(0.1, "store") // on a bound: counted in that bucket

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	want := `# HELP escala_requests_total Requests answered, by protocol and result.
# TYPE escala_requests_total counter
escala_requests_total{protocol="native",result="a \"quoted\"\\value"} 1
escala_requests_total{protocol="raw",result="ok"} 2
# HELP escala_in_flight Requests being handled.
# TYPE escala_in_flight gauge
escala_in_flight 3
# HELP escala_scaler_up Whether each scale server is up.
# TYPE escala_scaler_up gauge
escala_scaler_up{scaler="10.0.0.1:8001"} 1
# HELP escala_phase_seconds Time spent in each phase.
# TYPE escala_phase_seconds histogram
escala_phase_seconds_bucket{phase="decode",le="0.01"} 1
escala_phase_seconds_bucket{phase="decode",le="0.1"} 2
escala_phase_seconds_bucket{phase="decode",le="+Inf"} 3
escala_phase_seconds_sum{phase="decode"} 5.055
escala_phase_seconds_count{phase="decode"} 3
escala_phase_seconds_bucket{phase="store",le="0.01"} 0
escala_phase_seconds_bucket{phase="store",le="0.1"} 1
escala_phase_seconds_bucket{phase="store",le="+Inf"} 1
escala_phase_seconds_sum{phase="store"} 0.1
escala_phase_seconds_count{phase="store"} 1
`
	if got := rec.Body.String(); got != want {
		t.Errorf("exposition:\n%s\nwant:\n%s", got, want)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestRegisterTwice(t *testing.T) {
	var r Registry
	r.Counter("x_total", "x")
	defer func() {
		if recover() == nil {
			t.Errorf("registering x_total twice did not panic")
		}
	}()
	r.Counter("x_total", "x again")
}

// promtool, from Debian's prometheus package, accepts what a registry
// with every kind of metric and the runtime's writes.
func TestPromtool(t *testing.T) {
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("ESCALA_REQUIRE_PEERS") == "1" {
			t.Fatal("promtool is not installed (apt-get install prometheus); ESCALA_REQUIRE_PEERS=1 requires it")
		}
		t.Skip("promtool is not installed (apt-get install prometheus)")
	}
	var r Registry
	r.Counter("escala_requests_total", "Requests.", "protocol", "result").Add(1, "raw", "ok")
	r.Histogram("escala_phase_seconds", "Phases.", DurationBuckets, "phase").Observe(0.02, "decode")
	r.Gauge("escala_in_flight", "In flight.", func() float64 { return 0 })
	r.RegisterRuntime()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(rec.Body.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n%s", err, out, rec.Body.String())
	}
}
