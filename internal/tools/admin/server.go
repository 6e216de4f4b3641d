package admin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/metrics"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/transport"
)

// Start serves h on addr, for --admin, over TLS when tlsConfig is not
// nil: it listens at once, so that a busy
// port is an error of the start, and serves in a goroutine until the
// returned function is called, which shuts the server down within ctx.
// It logs the address with "admin=", as the servers log theirs.
func Start(addr string, h http.Handler, tlsConfig *tls.Config) (stop func(context.Context) error, err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tlsConfig != nil {
		// The server's certificate, but no client certificates asked
		// for: the admin address is for the operator's tools.
		tlsConfig = tlsConfig.Clone()
		tlsConfig.ClientAuth, tlsConfig.ClientCAs = tls.NoClientCert, nil
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      2 * time.Minute, // a 30 s CPU profile, and more
		IdleTimeout:       time.Minute,
		TLSConfig:         tlsConfig,
	}
	served := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			served <- srv.ServeTLS(l, "", "")
			return
		}
		served <- srv.Serve(l)
	}()
	slog.Info("admin listening", "admin", l.Addr().String())
	return func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}, nil
}

// Budgets registers the gauges of budgets by the name of their stage:
// their size, what is in use and how many requests wait.
func Budgets(reg *metrics.Registry, budgets map[string]*scaler.Budget) {
	read := func(f func(scaler.BudgetStats) float64) func() []metrics.Sample {
		return func() []metrics.Sample {
			var out []metrics.Sample
			for _, stage := range slices.Sorted(maps.Keys(budgets)) {
				out = append(out, metrics.Sample{Labels: []string{stage}, Value: f(budgets[stage].Stats())})
			}
			return out
		}
	}
	stage := []string{"stage"}
	reg.GaugeVec("escala_budget_bytes", "Size of the memory budget of each stage.", stage,
		read(func(s scaler.BudgetStats) float64 { return float64(s.Max) }))
	reg.GaugeVec("escala_budget_in_use_bytes", "Bytes of each stage's budget held by requests.", stage,
		read(func(s scaler.BudgetStats) float64 { return float64(s.InUse) }))
	reg.GaugeVec("escala_queue_depth", "Requests waiting for room in each stage's budget.", stage,
		read(func(s scaler.BudgetStats) float64 { return float64(s.Waiting) }))
}

// Scalers registers the gauges of the scale servers of b, named by
// addrs in the order of its Scalers: whether the gateway sees each up,
// and its requests in flight.
func Scalers(reg *metrics.Registry, b *transport.Balancer, addrs []string) {
	read := func(f func(transport.ScalerStatus) float64) func() []metrics.Sample {
		return func() []metrics.Sample {
			var out []metrics.Sample
			for i, st := range b.Status() {
				out = append(out, metrics.Sample{Labels: []string{addrs[i]}, Value: f(st)})
			}
			return out
		}
	}
	scalerLabel := []string{"scaler"}
	reg.GaugeVec("escala_scaler_up", "Whether the gateway sees each scale server up (1) or down (0).", scalerLabel,
		read(func(s transport.ScalerStatus) float64 {
			if s.Up {
				return 1
			}
			return 0
		}))
	reg.GaugeVec("escala_scaler_outstanding", "Requests in flight to each scale server.", scalerLabel,
		read(func(s transport.ScalerStatus) float64 { return float64(s.Outstanding) }))
}

// QueuesReady returns a readiness check that fails while any of budgets
// has as many requests waiting as it lets wait, so that the next request
// would be refused as busy: the readiness of a scale server.
func QueuesReady(budgets map[string]*scaler.Budget) func(context.Context) error {
	return func(context.Context) error {
		for _, stage := range slices.Sorted(maps.Keys(budgets)) {
			b := budgets[stage]
			limit := b.MaxWaiting
			if limit == 0 {
				limit = scaler.DefaultMaxWaiting
			}
			if st := b.Stats(); limit > 0 && st.Waiting >= limit {
				return &escala.NotReadyError{Reason: fmt.Sprintf("busy: %d requests wait for memory to %s", st.Waiting, stage)}
			}
		}
		return nil
	}
}

// All returns a readiness check that runs checks in turn and fails with
// the first that fails.
func All(checks ...func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		for _, check := range checks {
			if err := check(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}
