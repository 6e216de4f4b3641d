// Command asyncserver is the gateway: it receives images from clients,
// turns them to grayscale, has the scale servers named by --scaler resize
// them, stores the results in --dir, serves that folder over HTTP on
// --http, and answers each client with the link to its result.
//
//	go run ./examples/asyncserver --ip 127.0.0.1 --port 8080
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

func main() {
	ip := flag.String("ip", "127.0.0.1", "IP address to listen on for clients")
	port := flag.Int("port", 8080, "TCP port to listen on for clients")
	scalers := flag.String("scaler", "127.0.0.1:8001", "scale server address; a comma-separated list spreads the work")
	dirPath := flag.String("dir", "scaled_images", "folder of the stored results, created if missing")
	httpAddr := flag.String("http", "127.0.0.1:8082", "address of the HTTP server of the results")
	publicURL := flag.String("public-url", "", `start of the links given to clients (default "http://" and the address --http listens on)`)
	var protocol transport.Protocol
	flag.TextVar(&protocol, "scaler-protocol", transport.Native, "protocol of the scale servers: native, or framed for one that speaks only the original framing")
	quality := flag.Int("quality", scaler.DefaultQuality, "JPEG quality of results, 1 to 100")
	grace := flag.Duration("shutdown-timeout", 20*time.Second, "how long requests in flight may take to finish on shutdown")
	memory := flag.Int64("memory-mib", 1024, "memory budget in MiB: 3/8 for uploads being received, 1/4 for decoding, the rest for the garbage collector")
	flag.Parse()
	if *quality < 1 || *quality > 100 || protocol == transport.Raw || *memory < 64 {
		fmt.Fprintln(os.Stderr, "asyncserver: --quality must be between 1 and 100, --scaler-protocol native or framed, --memory-mib at least 64")
		os.Exit(2)
	}
	mem := *memory << 20
	// The garbage collector runs by the memory limit alone, at 90% of the
	// budget: the admission budgets below keep the live data at 5/8 of it
	// at most, and between collections the garbage of large images may
	// use the rest instead of costing a collection each.
	debug.SetMemoryLimit(mem * 9 / 10)
	debug.SetGCPercent(-1)

	gl, err := net.Listen("tcp", net.JoinHostPort(*ip, strconv.Itoa(*port)))
	if err != nil {
		fail(err)
	}
	hl, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		fail(err)
	}
	if *publicURL == "" {
		*publicURL = "http://" + hl.Addr().String()
	}
	dir, err := store.NewDir(*dirPath, nil)
	if err != nil {
		fail(err)
	}
	defer dir.Close()
	var balancer transport.Balancer
	for addr := range strings.SplitSeq(*scalers, ",") {
		balancer.Scalers = append(balancer.Scalers, &transport.Client{Addr: strings.TrimSpace(addr), Protocol: protocol})
	}
	gateway := &transport.Server{
		Budget: &scaler.Budget{Max: mem * 3 / 8},
		Handler: &escala.Gateway{
			Scaler:  &balancer,
			Store:   dir,
			BaseURL: *publicURL,
			Quality: *quality,
			Budget:  &scaler.Budget{Max: mem / 4},
		},
	}
	files := &http.Server{
		Handler:           store.Handler(dir),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
	}

	slog.Info("gateway listening", "addr", gl.Addr().String(), "scalers", *scalers, "dir", *dirPath)
	slog.Info("serving results", "url", "http://"+hl.Addr().String(), "links", *publicURL)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 2)
	go func() { served <- gateway.Serve(gl) }()
	go func() { served <- files.Serve(hl) }()
	select {
	case err := <-served:
		fail(err)
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	// Clients in flight get their links, and the links still work while
	// the gateway finishes.
	err = gateway.Shutdown(shutdownCtx)
	err = errors.Join(err, files.Shutdown(shutdownCtx))
	if err != nil {
		gateway.Close()
		fail(fmt.Errorf("requests still running after --shutdown-timeout: %w", err))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "asyncserver:", err)
	os.Exit(1)
}
