// Command asyncserver is the gateway: it receives images from clients,
// turns them to grayscale, has the scale servers named by --scaler resize
// them, stores the results in the folder --dir or the bucket --store,
// serves them over HTTP on --http, and answers each client with the link
// to its result.
//
//	go run ./examples/asyncserver --ip 127.0.0.1 --port 8080
//	go run ./examples/asyncserver --store 's3://results/thumbs?endpoint=http://127.0.0.1:7070'
//
// --links chooses the links: "http" (the default) points at this server's
// --http, or at --public-url, which serves every result in the store, so
// that any gateway sharing the store serves any link; "presigned" gives
// presigned URLs of the bucket, which expire after --link-ttl; "public"
// gives --public-url + "/" + key, for a public bucket or a CDN.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/admin"
	"github.com/escala-img/escala/internal/tools/metrics"
	"github.com/escala-img/escala/internal/tools/serverflags"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/store/s3"
	"github.com/escala-img/escala/transport"
)

func main() {
	ip := flag.String("ip", "127.0.0.1", "IP address to listen on for clients")
	port := flag.Int("port", 8080, "TCP port to listen on for clients")
	scalers := flag.String("scaler", "127.0.0.1:8001", "scale server address; a comma-separated list spreads the work")
	dirPath := flag.String("dir", "scaled_images", "folder of the stored results, created if missing, unless --store is given")
	storeURL := flag.String("store", "", "object store of the results instead of --dir: s3://BUCKET/PREFIX?endpoint=URL&region=R&public-endpoint=URL&path-style=true; credentials from the AWS chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
	httpAddr := flag.String("http", "127.0.0.1:8082", "address of the HTTP server of the results")
	page := flag.Bool("page", true, "serve an upload page at / of --http, which sends images with POST /upload")
	linkKind := flag.String("links", "http", "links given to clients: http (served by --http), presigned (S3 URLs that expire after --link-ttl; needs --store) or public (--public-url + key)")
	publicURL := flag.String("public-url", "", `start of the links: with --links http, where --http is reached (default "http://" and its address); with --links public, the public bucket or CDN (required)`)
	var protocol transport.Protocol
	flag.TextVar(&protocol, "scaler-protocol", transport.Native, "protocol of the scale servers: native, or framed for one that speaks only the original framing")
	quality := flag.Int("quality", scaler.DefaultQuality, "JPEG quality of results, 1 to 100")
	linkSecret := flag.String("link-secret", "", "with --links http, sign links so that they expire after --link-ttl: the secret, or @file to read it from a file (empty: links never expire); gateways sharing a store share it")
	linkTTL := flag.Duration("link-ttl", time.Hour, "how long a link works: presigned links, and http links with --link-secret")
	limits := serverflags.Register(flag.CommandLine)
	tlsFlags := serverflags.RegisterTLS(flag.CommandLine)
	accessFlags := serverflags.RegisterAccess(flag.CommandLine)
	scalerTLS := flag.Bool("scaler-tls", false, "speak TLS to the scale servers (implied by the other --scaler-tls flags)")
	scalerCA := flag.String("scaler-tls-ca", "", "PEM CA certificates that sign the scale servers' (default: the system's)")
	scalerCert := flag.String("scaler-tls-cert", "", "PEM certificate the gateway presents to the scale servers, for mutual TLS")
	scalerKey := flag.String("scaler-tls-key", "", "PEM private key of --scaler-tls-cert")
	scalerName := flag.String("scaler-tls-server-name", "", "name the scale servers' certificates must have (default: the host of each --scaler)")
	prog := &serverflags.Program{Name: "asyncserver", Groups: []serverflags.Group{
		{Title: "Listening", Flags: []string{"ip", "port", "http", "page"}},
		{Title: "Scale servers", Flags: []string{"scaler", "scaler-protocol", "scaler-tls", "scaler-tls-ca", "scaler-tls-cert", "scaler-tls-key", "scaler-tls-server-name"}},
		{Title: "TLS", Flags: serverflags.TLSFlags},
		{Title: "Who may upload", Flags: serverflags.AccessFlags},
		{Title: "Results", Flags: []string{"dir", "store", "quality"}},
		{Title: "Links", Flags: []string{"links", "public-url", "link-secret", "link-ttl"}},
		{Title: "Limits", Flags: serverflags.LimitFlags},
		{Title: "Operations", Flags: serverflags.OperatorFlags},
	}}
	prog.RegisterServer(flag.CommandLine)
	prog.Main(flag.CommandLine)
	err := limits.Check()
	switch {
	case *quality < 1 || *quality > 100:
		err = fmt.Errorf("--quality %d is not between 1 and 100", *quality)
	case protocol == transport.Raw:
		err = errors.New("--scaler-protocol must be native or framed")
	case *linkTTL <= 0:
		err = fmt.Errorf("--link-ttl %v is not positive", *linkTTL)
	case *linkKind != "http" && *linkKind != "presigned" && *linkKind != "public":
		err = fmt.Errorf("--links %q is not http, presigned or public", *linkKind)
	case *linkKind == "presigned" && *storeURL == "":
		err = errors.New("--links presigned needs an object store: --store s3://...")
	case *linkKind == "public" && *publicURL == "":
		err = errors.New("--links public needs --public-url, where the bucket or its CDN is reached")
	case *linkKind != "http" && *linkSecret != "":
		err = fmt.Errorf("--link-secret signs the links of --http, not --links %s", *linkKind)
	}
	var links *store.Signer
	if err == nil && *linkSecret != "" {
		links, err = signer(*linkSecret, *linkTTL)
	}
	var tlsConfig, scalerConfig *tls.Config
	if err == nil {
		tlsConfig, err = tlsFlags.Config()
	}
	var access *transport.Access
	if err == nil {
		access, err = accessFlags.Access()
	}
	if err == nil {
		scalerConfig, err = serverflags.ClientTLS(*scalerTLS, *scalerCA, *scalerName, *scalerCert, *scalerKey)
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
		if tlsConfig != nil {
			*publicURL = "https://" + hl.Addr().String()
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, where, presign, err := openStore(ctx, *storeURL, *dirPath)
	if err != nil {
		fail(err)
	}
	if c, ok := results.(io.Closer); ok {
		defer c.Close()
	}
	var balancer transport.Balancer
	var scalerAddrs []string
	for addr := range strings.SplitSeq(*scalers, ",") {
		scalerAddrs = append(scalerAddrs, strings.TrimSpace(addr))
		balancer.Scalers = append(balancer.Scalers, &transport.Client{Addr: scalerAddrs[len(scalerAddrs)-1], Protocol: protocol, TLSConfig: scalerConfig})
	}
	defer balancer.Close()
	gw := &escala.Gateway{
		Scaler:    &balancer,
		Store:     results,
		BaseURL:   *publicURL,
		Links:     links,
		Quality:   *quality,
		MaxPixels: limits.MaxPixels(),
		Budget:    limits.Budget(1, 4),
	}
	if *linkKind == "presigned" {
		gw.Linker = escala.LinkFunc(func(ctx context.Context, key string) (string, error) {
			return presign(ctx, key, *linkTTL)
		})
	}
	gateway := limits.Server(gw)
	gateway.TLSConfig, gateway.RequireTLS = tlsConfig, tlsFlags.Require
	gateway.Access = access
	reg := &metrics.Registry{}
	gateway.Observe = admin.Requests(reg, gateway, slog.Default())
	web := http.NewServeMux()
	web.Handle("/", store.NewHandler(results, &store.HandlerOptions{Immutable: true, Links: links}))
	ready := admin.All(admin.QueuesReady(map[string]*scaler.Budget{"receive": gateway.Budget}), gw.Check)
	admin.Health(web, ready, false)
	if *page {
		web.Handle("/upload", &escala.UploadHandler{
			Handler:        gw,
			MaxBytes:       limits.MaxUploadMiB << 20,
			StallTimeout:   limits.StallTimeout,
			ReadTimeout:    limits.ReadTimeout,
			HandlerTimeout: limits.HandlerTimeout,
			WriteTimeout:   limits.WriteTimeout,
			Budget:         gateway.Budget, // the TCP port's: one budget for what is being received
			Access:         access,         // and one count of each client's uploads
			Observe:        gateway.Observe,
		})
		web.HandleFunc("GET /{$}", escala.UploadPage)
	}
	files := limits.HTTPServer(web)

	if prog.Admin != "" {
		admin.Budgets(reg, map[string]*scaler.Budget{"receive": gateway.Budget, "decode": gw.Budget})
		admin.Scalers(reg, &balancer, scalerAddrs)
		reg.RegisterRuntime()
		stopAdmin, err := admin.Start(prog.Admin, admin.Handler(reg, ready), tlsConfig)
		if err != nil {
			fail(err)
		}
		defer stopAdmin(context.Background())
	}

	slog.Info("gateway listening", "addr", gl.Addr().String(), "scalers", *scalers, "store", where)
	scheme := "http://"
	if tlsConfig != nil {
		scheme = "https://"
	}
	slog.Info("serving results", "url", scheme+hl.Addr().String(), "links", *linkKind)

	served := make(chan error, 2)
	go func() { served <- gateway.Serve(gl) }()
	go func() {
		if tlsConfig != nil {
			// With a certificate, the HTTP server speaks only HTTPS.
			files.TLSConfig = tlsConfig
			served <- files.ServeTLS(limits.Listener(hl), "", "")
			return
		}
		served <- files.Serve(limits.Listener(hl))
	}()
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

// openStore opens the store of the results: the bucket of storeURL, or
// else the folder dirPath. It names it for the log, and returns the
// bucket's presigner (nil for a folder). A bucket that cannot be reached
// now is only logged, as the gateway works once it is back; one that
// refuses the credentials, or is missing, stops the program.
func openStore(ctx context.Context, storeURL, dirPath string) (st store.Interface, where string, presign func(context.Context, string, time.Duration) (string, error), err error) {
	if storeURL == "" {
		dir, err := store.NewDir(dirPath, nil)
		return dir, dirPath, nil, err
	}
	opts, err := s3.ParseURL(storeURL)
	if err != nil {
		return nil, "", nil, err
	}
	opts.Immutable = true // results are named by what they are made from
	bucket, err := s3.New(ctx, opts)
	if err != nil {
		return nil, "", nil, err
	}
	checkCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := bucket.Check(checkCtx); errors.Is(err, s3.ErrUnavailable) {
		slog.Warn("the store does not answer; requests fail until it does", "store", storeURL, "err", err)
	} else if err != nil {
		return nil, "", nil, err
	}
	return bucket, storeURL, bucket.PresignGet, nil
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
