package escala_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escala-img/escala/internal/tools/progtest"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/transport"
)

// linkOf returns the link of a raw-protocol reply line, or "".
func linkOf(reply string) string {
	link, ok := strings.CutPrefix(strings.TrimSpace(reply), "Imagen escalada disponible en: ")
	if !ok {
		return ""
	}
	return link
}

// fetch downloads url and returns the body, or an error for a status
// other than 200.
func fetch(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, err
}

// A gateway killed with SIGKILL while it stores results loses nothing it
// gave a link for: restarted on the same folder, it serves every one with
// the same bytes, and the folder holds no partial file under a key.
func TestGatewaySIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	bins := progtest.Build(t, "scaleserver", "asyncserver")
	scale := progtest.Start(t, bins["scaleserver"], 1, "--port", "0")
	dir := filepath.Join(t.TempDir(), "results")
	args := []string{"--port", "0", "--http", "127.0.0.1:0", "--dir", dir, "--scaler", scale.Addr()}
	gw := progtest.Start(t, bins["asyncserver"], 2, args...)
	gwAddr, files := gw.Addr(), gw.URL()

	// Clients upload different pictures until the gateway dies; each link
	// given is downloaded at once and its digest kept.
	given := map[string][32]byte{} // key → SHA-256 of what it served
	var mu sync.Mutex
	var wg sync.WaitGroup
	enough := make(chan struct{})
	var once sync.Once
	for c := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				data := sample.JPEG(200+8*c, 150+4*(i%40))
				reply, err := progtest.RawUpload(gwAddr, data)
				link := linkOf(reply)
				if err != nil || link == "" {
					return // the gateway is gone
				}
				body, err := fetch(link)
				if err != nil {
					return // the gateway died between the link and the download
				}
				mu.Lock()
				given[link[strings.LastIndexByte(link, '/')+1:]] = sha256.Sum256(body)
				if len(given) >= 40 {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Fatal("fewer than 40 links in 60s")
	}
	gw.Kill()
	wg.Wait()

	gw = progtest.Start(t, bins["asyncserver"], 2, args...)
	files = gw.URL()
	mu.Lock()
	defer mu.Unlock()
	for key, sum := range given {
		body, err := fetch(files + "/" + key)
		if err != nil {
			t.Errorf("after SIGKILL and restart: %v", err)
			continue
		}
		if sha256.Sum256(body) != sum {
			t.Errorf("after SIGKILL and restart, %s serves other bytes", key)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	objects := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			continue // a Put cut short: never served, removed when stale
		}
		objects++
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("stored %s is not a whole JPEG: %v", e.Name(), err)
		}
	}
	if objects < len(given) {
		t.Errorf("%d objects in the folder, fewer than the %d links given", objects, len(given))
	}
	t.Logf("%d links given before SIGKILL, all served after restart; %d objects in the folder", len(given), objects)
}

// On SIGTERM the gateway stops accepting at once, lets the requests in
// flight finish, answers them with their links, and exits 0.
func TestGatewayGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	bins := progtest.Build(t, "asyncserver")

	// A scale server that holds each request until released, so that the
	// requests are surely in flight when the gateway is told to stop.
	const inFlight = 3
	arrived := make(chan struct{}, inFlight)
	release := make(chan struct{})
	scale := &transport.ScaleHandler{Logger: quiet}
	srv := &transport.Server{Logger: quiet, Handler: transport.HandlerFunc(func(ctx context.Context, req *transport.Request) (*transport.Response, error) {
		arrived <- struct{}{}
		<-release
		return scale.Serve(ctx, req)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	dir := filepath.Join(t.TempDir(), "results")
	gw := progtest.Start(t, bins["asyncserver"], 2, "--port", "0", "--http", "127.0.0.1:0", "--dir", dir,
		"--scaler", l.Addr().String(), "--shutdown-timeout", "20s")
	replies := make(chan string, inFlight)
	for i := range inFlight {
		go func() { replies <- rawUploadLine(t, gw.Addr(), sample.JPEG(120+2*i, 90)) }()
	}
	for range inFlight {
		<-arrived
	}
	exited := make(chan error, 1)
	go func() { exited <- gw.Stop() }()
	// The listener closes first: wait until new connections are refused.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", gw.Addr())
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the gateway still accepts 10s after SIGTERM")
		}
	}
	select {
	case err := <-exited:
		t.Fatalf("the gateway exited (%v) with %d requests in flight", err, inFlight)
	default:
	}
	close(release)
	for range inFlight {
		link := linkOf(<-replies)
		if link == "" {
			t.Fatal("a request in flight at SIGTERM got no link")
		}
		data, err := os.ReadFile(filepath.Join(dir, link[strings.LastIndexByte(link, '/')+1:]))
		if err != nil {
			t.Fatalf("the result of a request in flight at SIGTERM: %v", err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("the result of a request in flight at SIGTERM: %v", err)
		}
	}
	if err := <-exited; err != nil {
		t.Errorf("gateway after SIGTERM: %v, want exit 0", err)
	}
}
