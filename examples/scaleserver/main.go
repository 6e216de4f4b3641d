// Command scaleserver is a scale server: it receives images over TCP,
// resizes them by --factor and replies with the result. It speaks the
// native protocol of package transport and the framing of the original
// scale server.
//
//	go run ./examples/scaleserver --ip 127.0.0.1 --port 8001 --factor 0.5
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/transport"
)

func main() {
	ip := flag.String("ip", "127.0.0.1", "IP address to listen on")
	port := flag.Int("port", 8001, "TCP port to listen on")
	factor := flag.Float64("factor", scaler.DefaultFactor, "scale factor for requests that give no size")
	filterName := flag.String("filter", "catmullrom", "resampling filter: box, linear, catmullrom or lanczos3")
	quality := flag.Int("quality", scaler.DefaultQuality, "JPEG quality of results, 1 to 100")
	grace := flag.Duration("shutdown-timeout", 20*time.Second, "how long requests in flight may take to finish on shutdown")
	memory := flag.Int64("memory-mib", 1024, "memory budget in MiB: 3/8 for requests being received, 1/4 for decoding, 1/8 for scaling, the rest for the garbage collector")
	flag.Parse()

	filter, err := scaler.ParseFilter(*filterName)
	if err == nil && !(*factor > 0 && *factor <= 1e6) {
		err = fmt.Errorf("--factor %v is not a positive number", *factor)
	}
	if err == nil && (*quality < 1 || *quality > 100) {
		err = fmt.Errorf("--quality %d is not between 1 and 100", *quality)
	}
	if err == nil && *memory < 64 {
		err = fmt.Errorf("--memory-mib %d is below 64", *memory)
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
	mem := *memory << 20
	// The garbage collector runs by the memory limit alone, at 90% of the
	// budget: the admission budgets below keep the live data at 5/8 of it
	// at most, and between collections the garbage of large images may
	// use the rest instead of costing a collection each.
	debug.SetMemoryLimit(mem * 9 / 10)
	debug.SetGCPercent(-1)
	srv := &transport.Server{
		Budget: &scaler.Budget{Max: mem * 3 / 8},
		Handler: &transport.ScaleHandler{
			Scaler:  &scaler.Local{Factor: *factor, Filter: filter, Budget: &scaler.Budget{Max: mem / 8}},
			Budget:  &scaler.Budget{Max: mem / 4},
			Quality: *quality,
		},
	}
	slog.Info("scale server listening", "addr", l.Addr().String(), "factor", *factor, "filter", filter.Name)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		fmt.Fprintln(os.Stderr, "scaleserver:", err)
		os.Exit(1)
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		fmt.Fprintln(os.Stderr, "scaleserver: requests still running after --shutdown-timeout:", err)
		os.Exit(1)
	}
}
