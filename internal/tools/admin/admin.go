// Package admin serves what an operator reads of a running server: whether
// it is alive (/healthz) and ready for work (/readyz), its metrics
// (/metrics) and the Go profiler (/debug/pprof/). Only the programs under
// examples/ import it.
package admin

import (
	"context"
	"errors"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/metrics"
)

// ReadyTimeout bounds a readiness check.
const ReadyTimeout = 2 * time.Second

// ReadyFor is how long the answer of a readiness check is given again
// rather than checked anew: a check writes to the store, and a public
// /readyz must not let anyone make the store write at will.
const ReadyFor = time.Second

// Health registers /healthz, which answers 200 "ok" while the process
// serves HTTP at all, and /readyz, which answers 200 "ready" when ready
// returns nil and otherwise 503 with a one-line reason. With detail the
// reason is the whole error; without, only the Reason of an
// escala.NotReadyError (or "not ready"), so that a public server names no
// host or file of this machine. ready runs at most once per ReadyFor; the
// requests in between get its last answer.
func Health(mux *http.ServeMux, ready func(context.Context) error, detail bool) {
	var mu sync.Mutex
	var last error
	var at time.Time
	check := func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(at) >= ReadyFor {
			ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
			defer cancel()
			last, at = ready(ctx), time.Now()
		}
		return last
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		text(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		err := check(context.WithoutCancel(r.Context()))
		if err == nil {
			text(w, http.StatusOK, "ready")
			return
		}
		reason := "not ready"
		var nr *escala.NotReadyError
		switch {
		case detail:
			reason = err.Error()
		case errors.As(err, &nr):
			reason = nr.Reason
		}
		text(w, http.StatusServiceUnavailable, reason)
	})
}

// Handler returns the admin address's handler: Health with detail, the
// metrics of reg at /metrics, and the profiler at /debug/pprof/.
func Handler(reg *metrics.Registry, ready func(context.Context) error) http.Handler {
	mux := http.NewServeMux()
	Health(mux, ready, true)
	mux.Handle("GET /metrics", reg)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// text writes a one-line plain-text reply that no cache keeps.
func text(w http.ResponseWriter, status int, line string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(line + "\n"))
}
