// Command scaleserver is a scale server: it receives images over TCP,
// resizes them by --factor and replies with the result. It speaks the
// native protocol of package transport and the framing of the original
// scale server.
//
//	go run ./examples/scaleserver --ip 127.0.0.1 --port 8001 --factor 0.5
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/escala-img/escala/internal/tools/admin"
	"github.com/escala-img/escala/internal/tools/metrics"
	"github.com/escala-img/escala/internal/tools/serverflags"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/transport"
)

func main() {
	ip := flag.String("ip", "127.0.0.1", "IP address to listen on")
	port := flag.Int("port", 8001, "TCP port to listen on")
	factor := flag.Float64("factor", scaler.DefaultFactor, "scale factor for requests that give no size")
	filterName := flag.String("filter", "catmullrom", "resampling filter: box, linear, catmullrom or lanczos3")
	quality := flag.Int("quality", scaler.DefaultQuality, "JPEG quality of results, 1 to 100")
	limits := serverflags.Register(flag.CommandLine)
	tlsFlags := serverflags.RegisterTLS(flag.CommandLine)
	prog := &serverflags.Program{Name: "scaleserver", Groups: []serverflags.Group{
		{Title: "Listening", Flags: []string{"ip", "port"}},
		{Title: "Scaling", Flags: []string{"factor", "filter", "quality"}},
		{Title: "TLS", Flags: serverflags.TLSFlags},
		{Title: "Limits", Flags: serverflags.LimitFlags},
		{Title: "Operations", Flags: serverflags.OperatorFlags},
	}}
	prog.RegisterServer(flag.CommandLine)
	prog.Main(flag.CommandLine)

	filter, err := scaler.ParseFilter(*filterName)
	if err == nil && !(*factor > 0 && *factor <= 1e6) {
		err = fmt.Errorf("--factor %v is not a positive number", *factor)
	}
	if err == nil && (*quality < 1 || *quality > 100) {
		err = fmt.Errorf("--quality %d is not between 1 and 100", *quality)
	}
	if err == nil {
		err = limits.Check()
	}
	var tlsConfig *tls.Config
	if err == nil {
		tlsConfig, err = tlsFlags.Config()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaleserver:", err)
		os.Exit(2)
	}

	l, err := net.Listen("tcp", net.JoinHostPort(*ip, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaleserver:", err)
		os.Exit(1)
	}
	limits.SetMemoryLimit()
	local := &scaler.Local{Factor: *factor, Filter: filter, Budget: limits.Budget(1, 8)}
	handler := &transport.ScaleHandler{
		Scaler:    local,
		Budget:    limits.Budget(1, 4),
		MaxPixels: limits.MaxPixels(),
		Quality:   *quality,
	}
	srv := limits.Server(handler)
	srv.TLSConfig, srv.RequireTLS = tlsConfig, tlsFlags.Require
	reg := &metrics.Registry{}
	srv.Observe = admin.Requests(reg, srv, slog.Default())
	if prog.Admin != "" {
		budgets := map[string]*scaler.Budget{"receive": srv.Budget, "decode": handler.Budget, "scale": local.Budget}
		admin.Budgets(reg, budgets)
		reg.RegisterRuntime()
		stopAdmin, err := admin.Start(prog.Admin, admin.Handler(reg, admin.QueuesReady(budgets)), tlsConfig)
		if err != nil {
			fmt.Fprintln(os.Stderr, "scaleserver:", err)
			os.Exit(1)
		}
		defer stopAdmin(context.Background())
	}
	// Signals are caught before the address is logged, so that whoever
	// waits for that line may stop the server at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.Info("scale server listening", "addr", l.Addr().String(), "factor", *factor, "filter", filter.Name)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		fmt.Fprintln(os.Stderr, "scaleserver:", err)
		os.Exit(1)
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), limits.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		fmt.Fprintln(os.Stderr, "scaleserver: requests still running after --shutdown-timeout:", err)
		os.Exit(1)
	}
}
