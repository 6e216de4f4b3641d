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
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/serverflags"
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
	linkSecret := flag.String("link-secret", "", "sign links so that they expire after --link-ttl: the secret, or @file to read it from a file (empty: links never expire)")
	linkTTL := flag.Duration("link-ttl", time.Hour, "how long a signed link works, with --link-secret")
	limits := serverflags.Register(flag.CommandLine)
	flag.Parse()
	err := limits.Check()
	switch {
	case *quality < 1 || *quality > 100:
		err = fmt.Errorf("--quality %d is not between 1 and 100", *quality)
	case protocol == transport.Raw:
		err = errors.New("--scaler-protocol must be native or framed")
	case *linkTTL <= 0:
		err = fmt.Errorf("--link-ttl %v is not positive", *linkTTL)
	}
	var links *store.Signer
	if err == nil && *linkSecret != "" {
		links, err = signer(*linkSecret, *linkTTL)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "asyncserver:", err)
		os.Exit(2)
	}
	limits.SetMemoryLimit()

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
	gateway := limits.Server(&escala.Gateway{
		Scaler:    &balancer,
		Store:     dir,
		BaseURL:   *publicURL,
		Links:     links,
		Quality:   *quality,
		MaxPixels: limits.MaxPixels(),
		Budget:    limits.Budget(1, 4),
	})
	files := limits.HTTPServer(store.NewHandler(dir, &store.HandlerOptions{Immutable: true, Links: links}))

	slog.Info("gateway listening", "addr", gl.Addr().String(), "scalers", *scalers, "dir", *dirPath)
	slog.Info("serving results", "url", "http://"+hl.Addr().String(), "links", *publicURL)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 2)
	go func() { served <- gateway.Serve(gl) }()
	go func() { served <- files.Serve(limits.Listener(hl)) }()
	select {
	case err := <-served:
		fail(err)
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), limits.ShutdownTimeout)
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

// signer returns the Signer of --link-secret: the secret itself, or the
// contents of the file named after an '@', without a final line break.
func signer(secret string, ttl time.Duration) (*store.Signer, error) {
	if name, ok := strings.CutPrefix(secret, "@"); ok {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("--link-secret: %w", err)
		}
		secret = strings.TrimRight(string(data), "\r\n")
	}
	if len(secret) < 16 {
		return nil, errors.New("--link-secret is shorter than 16 bytes")
	}
	return &store.Signer{Secret: []byte(secret), TTL: ttl}, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "asyncserver:", err)
	os.Exit(1)
}
