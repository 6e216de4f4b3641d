package admin

import (
	"context"
	"errors"
	"log/slog"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/metrics"
	"github.com/escala-img/escala/transport"
)

// Requests returns the Observe function of a transport.Server: it logs
// one line per request, and counts it in the metrics it registers in reg
// (which may be nil, for a log without metrics): requests by protocol and
// result, the time of each phase, bytes in and out, and store failures.
// It also registers the server's connections and requests in flight.
func Requests(reg *metrics.Registry, srv *transport.Server, logger *slog.Logger) func(*transport.Trace) {
	var requests, in, out, storeErrors *metrics.CounterVec
	var phases *metrics.HistogramVec
	if reg != nil {
		requests = reg.Counter("escala_requests_total", "Requests answered, by protocol and result (ok, invalid, too_large, busy, unavailable, timeout, bad_request, unauthorized, limited, internal).", "protocol", "result")
		phases = reg.Histogram("escala_phase_seconds", "Time each phase of a request took: receive, lookup, decode, scale, encode, store, reply.", metrics.DurationBuckets, "phase")
		in = reg.Counter("escala_received_bytes_total", "Bytes of the requests received.", "protocol")
		out = reg.Counter("escala_sent_bytes_total", "Bytes of the replies sent.", "protocol")
		storeErrors = reg.Counter("escala_store_errors_total", "Requests whose result the store could not take.")
		reg.Gauge("escala_requests_in_flight", "Requests being handled.", func() float64 { return float64(srv.Stats().InFlight) })
		reg.Gauge("escala_connections", "Connections open.", func() float64 { return float64(srv.Stats().Conns) })
	}
	return func(t *transport.Trace) {
		level := slog.LevelInfo
		switch t.Result {
		case "busy", "unavailable", "timeout", "unauthorized", "limited":
			level = slog.LevelWarn
		case "internal":
			level = slog.LevelError
		}
		logger.LogAttrs(context.Background(), level, "request", t.LogAttrs()...)
		if reg == nil {
			return
		}
		p := t.Protocol.String()
		requests.Add(1, p, t.Result)
		in.Add(float64(t.BytesIn), p)
		out.Add(float64(t.BytesOut), p)
		for _, ph := range t.Phases() {
			phases.Observe(ph.Duration.Seconds(), ph.Name)
		}
		if errors.Is(t.Err, escala.ErrStore) {
			storeErrors.Add(1)
		}
	}
}
