package admin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/metrics"
	"github.com/escala-img/escala/scaler"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestHealth(t *testing.T) {
	notReady := &escala.NotReadyError{Reason: "the store refuses a write", Err: errors.New("open /var/lib/escala/x: read-only file system")}
	tests := []struct {
		name       string
		ready      error
		detail     bool
		wantStatus int
		wantBody   string
	}{
		{"ready", nil, false, 200, "ready\n"},
		{"not ready, public", notReady, false, 503, "the store refuses a write\n"},
		{"not ready, admin", notReady, true, 503, "the store refuses a write: open /var/lib/escala/x: read-only file system\n"},
		{"another error, public", errors.New("secret detail"), false, 503, "not ready\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			Health(mux, func(context.Context) error { return tc.ready }, tc.detail)
			if status, body := get(t, mux, "/healthz"); status != 200 || body != "ok\n" {
				t.Errorf("/healthz = %d %q, want 200 ok", status, body)
			}
			if status, body := get(t, mux, "/readyz"); status != tc.wantStatus || body != tc.wantBody {
				t.Errorf("/readyz = %d %q, want %d %q", status, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	var reg metrics.Registry
	reg.Gauge("escala_test_gauge", "A gauge.", func() float64 { return 7 })
	h := Handler(&reg, func(context.Context) error { return nil })
	if status, body := get(t, h, "/metrics"); status != 200 || !strings.Contains(body, "escala_test_gauge 7\n") {
		t.Errorf("/metrics = %d %q", status, body)
	}
	if status, body := get(t, h, "/debug/pprof/"); status != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ = %d, %d bytes", status, len(body))
	}
	if status, _ := get(t, h, "/readyz"); status != 200 {
		t.Errorf("/readyz = %d", status)
	}
}

// A burst of readiness probes runs the check once.
func TestHealthCached(t *testing.T) {
	calls := 0
	mux := http.NewServeMux()
	Health(mux, func(context.Context) error { calls++; return nil }, false)
	for range 5 {
		if status, _ := get(t, mux, "/readyz"); status != 200 {
			t.Fatalf("/readyz = %d", status)
		}
	}
	if calls != 1 {
		t.Errorf("5 probes in a row ran the check %d times, want 1", calls)
	}
}

// QueuesReady fails while a budget's queue is full, and All gives the
// first failure of its checks.
func TestQueuesReadyAll(t *testing.T) {
	full := &scaler.Budget{Max: 10, MaxWaiting: 1}
	hold, err := full.Acquire(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	ctx, cancel := context.WithCancel(context.Background())
	waited := make(chan struct{})
	go func() {
		defer close(waited)
		full.Acquire(ctx, 1) // waits until cancelled
	}()
	defer func() { cancel(); <-waited }()
	for full.Stats().Waiting < 1 {
		runtime.Gosched()
	}
	ready := QueuesReady(map[string]*scaler.Budget{"idle": {}, "receive": full})
	var nr *escala.NotReadyError
	if err := ready(context.Background()); !errors.As(err, &nr) || nr.Reason != "busy: 1 requests wait for memory to receive" {
		t.Errorf("QueuesReady with a full queue = %v", err)
	}
	second := errors.New("second")
	if err := All(func(context.Context) error { return nil }, func(context.Context) error { return second })(context.Background()); err != second {
		t.Errorf("All = %v, want the second check's error", err)
	}
	if err := QueuesReady(map[string]*scaler.Budget{"idle": {}})(context.Background()); err != nil {
		t.Errorf("QueuesReady of an idle budget = %v", err)
	}
}
