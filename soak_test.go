//go:build unix

package escala_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

var (
	soakFor     = flag.Duration("soak", 3*time.Second, "how long TestSoak's clients keep sending requests (60s for the full run)")
	soakClients = flag.Int("soak-clients", 64, "concurrent clients of TestSoak")
)

// soakSystem is the whole system in process on loopback: two scale
// servers, a gateway that spreads its work over them, and the HTTP server
// of the results, wired as examples/asyncserver wires them. With TLS, the
// gateway serves it beside plaintext, and reaches the second scale server,
// which requires it, over TLS.
type soakSystem struct {
	gatewayAddr string // host:port of the gateway
	filesURL    string // "http://" and the address of the HTTP server

	gateway  *transport.Server
	scalers  []*transport.Server
	clients  []*transport.Client // the gateway's, to the scale servers
	balancer *transport.Balancer // over clients
	files    *http.Server
	dir      *store.Dir
	served   chan error // what each Serve returned
	serving  int
	once     sync.Once

	scaled [2]atomic.Int64 // requests each scale server answered with a result
}

// startSoakSystem starts gateway and files, whose timeouts the caller has
// set, with their handlers, and two scale servers behind the gateway, with
// TLS from rig unless it is nil. It is stopped when the test ends, if stop
// has not been called before.
func startSoakSystem(t testing.TB, gateway *transport.Server, files *http.Server, rig *tlsRig) *soakSystem {
	t.Helper()
	s := &soakSystem{gateway: gateway, files: files, served: make(chan error, 4)}
	listen := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	balancer := &transport.Balancer{}
	s.balancer = balancer
	for i := range 2 {
		l := listen()
		srv := &transport.Server{Handler: &transport.ScaleHandler{Logger: quiet}, Logger: quiet}
		srv.Observe = func(tr *transport.Trace) {
			if tr.Result == "ok" {
				s.scaled[i].Add(1)
			}
		}
		s.scalers = append(s.scalers, srv)
		c := &transport.Client{Addr: l.Addr().String()}
		if rig != nil && i == 1 {
			srv.TLSConfig, srv.RequireTLS = rig.server, true
			c.TLSConfig = rig.client
		}
		s.clients = append(s.clients, c)
		balancer.Scalers = append(balancer.Scalers, c)
		s.serve(func() error { return srv.Serve(l) })
	}
	dir, err := store.NewDir(filepath.Join(t.TempDir(), "scaled_images"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s.dir = dir
	hl, gl := listen(), listen()
	s.filesURL, s.gatewayAddr = "http://"+hl.Addr().String(), gl.Addr().String()
	files.Handler = store.Handler(dir)
	gateway.Handler = &escala.Gateway{Scaler: balancer, Store: dir, BaseURL: s.filesURL, Logger: quiet}
	gateway.Logger = quiet
	if rig != nil {
		gateway.TLSConfig = rig.server
	}
	s.serve(func() error { return files.Serve(hl) })
	s.serve(func() error { return gateway.Serve(gl) })
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *soakSystem) serve(f func() error) {
	s.serving++
	go func() { s.served <- f() }()
}

// stop shuts the servers down as the programs do on SIGTERM, gateway
// first, closes the gateway's connections to the scale servers and the
// store, and waits for every Serve to return.
func (s *soakSystem) stop(tb testing.TB) {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.gateway.Shutdown(ctx); err != nil {
			tb.Errorf("gateway Shutdown: %v", err)
			s.gateway.Close()
		}
		if err := s.files.Shutdown(ctx); err != nil {
			tb.Errorf("HTTP server Shutdown: %v", err)
			s.files.Close()
		}
		s.balancer.Close()
		for _, c := range s.clients {
			c.Close()
		}
		for _, srv := range s.scalers {
			if err := srv.Shutdown(ctx); err != nil {
				tb.Errorf("scale server Shutdown: %v", err)
				srv.Close()
			}
		}
		for range s.serving {
			select {
			case err := <-s.served:
				if !errors.Is(err, transport.ErrServerClosed) && !errors.Is(err, http.ErrServerClosed) {
					tb.Errorf("Serve returned %v, want ErrServerClosed", err)
				}
			case <-ctx.Done():
				tb.Errorf("a Serve had not returned 10s after Shutdown")
				return
			}
		}
		if err := s.dir.Close(); err != nil {
			tb.Errorf("closing the store: %v", err)
		}
	})
}

// uploadRaw sends data as the original client does, over TLS if rig is
// not nil, half-closing its side afterwards if asked (in TLS, with
// close_notify), and returns the link of the reply line.
func uploadRaw(ctx context.Context, addr string, data []byte, halfClose bool, rig *tlsRig) (string, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	if end, ok := ctx.Deadline(); ok {
		nc.SetDeadline(end)
	}
	c := nc
	if rig != nil {
		tc, err := rig.handshake(ctx, nc)
		if err != nil {
			return "", fmt.Errorf("TLS handshake: %w", err)
		}
		c = tc
	}
	if _, err := c.Write(data); err != nil {
		return "", fmt.Errorf("sending the image: %w", err)
	}
	if halfClose {
		if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
			return "", err
		}
	}
	reply, err := io.ReadAll(io.LimitReader(c, 4096))
	if err != nil {
		return "", fmt.Errorf("reading the reply: %w (after %q)", err, reply)
	}
	link, ok := strings.CutPrefix(string(reply), "Imagen escalada disponible en: ")
	if !ok || strings.Index(link, "\n") != len(link)-1 {
		return "", fmt.Errorf("reply %q, want one link line", reply)
	}
	return link[:len(link)-1], nil
}

// fetchResult downloads link and checks that it is a gray JPEG of w×h
// that decodes whole.
func fetchResult(ctx context.Context, hc *http.Client, link string, w, h int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		return fmt.Errorf("GET %s: reading the body: %w", link, err)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: %s", link, resp.Status)
	case resp.Header.Get("Content-Type") != "image/jpeg":
		return fmt.Errorf("GET %s: Content-Type %q, want image/jpeg", link, resp.Header.Get("Content-Type"))
	}
	img, err := scaler.Decode(bytes.NewReader(body), nil)
	if err != nil {
		return fmt.Errorf("GET %s: %d bytes: %w", link, len(body), err)
	}
	if g, ok := img.(*image.Gray); !ok || g.Rect != image.Rect(0, 0, w, h) {
		return fmt.Errorf("GET %s: a %T of %v, want a gray %dx%d", link, img, img.Bounds(), w, h)
	}
	return nil
}

// A soakPhoto is an upload of TestSoak.
type soakPhoto struct {
	kind string // "jpeg", "png alpha" or "png gray"
	w, h int
	data []byte
}

func (p *soakPhoto) String() string { return fmt.Sprintf("%s %dx%d", p.kind, p.w, p.h) }

// soakMix is what TestSoak sends: how many different photos of each kind
// and size it draws at the start, n, or nRace under the race detector,
// which makes the pixel loops of the encoders and decoders ten times
// slower: the short run under -race, which CI does, sends no photo over
// 1 MP. The odd sizes check that results are floor(w/2)×floor(h/2).
var soakMix = []struct {
	kind     string
	w, h     int
	n, nRace int
}{
	{"jpeg", 257, 193, 16, 6}, // 0.05 MP
	{"png alpha", 257, 193, 16, 6},
	{"png gray", 257, 193, 16, 6},
	{"jpeg", 640, 480, 4, 1}, // 0.3 MP
	{"png alpha", 640, 480, 4, 1},
	{"png gray", 640, 480, 4, 1},
	{"jpeg", 1155, 866, 2, 1}, // 1 MP
	{"png alpha", 1155, 866, 2, 0},
	{"png gray", 1155, 866, 2, 1},
	{"jpeg", 2309, 1731, 1, 0}, // 4 MP
	{"png alpha", 2309, 1731, 1, 0},
	{"png gray", 2309, 1731, 1, 0},
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// soakPhotos draws the photos of soakMix, each different, largest first.
func soakPhotos(tb testing.TB, race bool) []*soakPhoto {
	tb.Helper()
	var photos []*soakPhoto
	for _, m := range slices.Backward(soakMix) {
		n := m.n
		if race {
			n = m.nRace
		}
		for range n {
			photos = append(photos, &soakPhoto{kind: m.kind, w: m.w, h: m.h})
		}
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, p := range photos {
		g.Go(func() error { return p.draw(uint64(i)) })
	}
	if err := g.Wait(); err != nil {
		tb.Fatal(err)
	}
	return photos
}

// draw fills in p.data with a picture unlike that of any other seed.
func (p *soakPhoto) draw(seed uint64) error {
	var buf bytes.Buffer
	m := soakPicture(p.w, p.h, seed)
	var err error
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	switch p.kind {
	case "jpeg":
		err = jpeg.Encode(&buf, m, &jpeg.Options{Quality: 70 + int(seed%25)})
	case "png alpha":
		// Alpha falls from opaque at the top to a quarter at the bottom.
		for y := range p.h {
			a := uint8(255 - 192*y/p.h)
			for x := range p.w {
				m.Pix[y*m.Stride+4*x+3] = a
			}
		}
		err = enc.Encode(&buf, m)
	case "png gray":
		err = enc.Encode(&buf, scaler.Grayscale(m))
	default:
		err = fmt.Errorf("unknown kind of photo %q", p.kind)
	}
	p.data = buf.Bytes()
	return err
}

// resources counts the goroutines and, on Linux, the open file
// descriptors (-1 elsewhere) of the process.
func resources() (goroutines, fds int) {
	fds = -1
	if runtime.GOOS == "linux" {
		if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
			fds = len(entries)
		}
	}
	return runtime.NumGoroutine(), fds
}

// checkNoLeaks waits up to a few seconds for the goroutines and file
// descriptors of the process to come back to at most slack above what
// resources gave before the system started, and fails with a dump of them
// if they do not.
func checkNoLeaks(t testing.TB, goroutines, fds int) {
	t.Helper()
	const slack = 2
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for {
		g, f := resources()
		if g <= goroutines+slack && f <= fds+slack {
			t.Logf("after shutdown: %d goroutines (%d before), %d file descriptors (%d before)", g, goroutines, f, fds)
			return
		}
		select {
		case <-poll.C:
			continue
		case <-deadline.C:
		}
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var open []string
		if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
			for _, e := range entries {
				target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
				open = append(open, e.Name()+" → "+target)
			}
		}
		t.Fatalf("5s after shutdown, %d goroutines (%d before the servers started) and %d file descriptors (%d before); allowed %d more.\nfile descriptors:\n%s\ngoroutines:\n%s",
			g, goroutines, f, fds, slack, strings.Join(open, "\n"), buf)
	}
}

// TestSoak has many clients send photos of all kinds and sizes, over the
// raw and the native protocol, for -soak, and download every result. Half
// the clients connect over TLS, to the gateway that serves it beside
// plaintext, which reaches one of its two scale servers over TLS. Every
// request must succeed, and once the system is shut down it must leave no
// goroutine and no file descriptor behind.
func TestSoak(t *testing.T) {
	race := raceEnabled()
	photos := soakPhotos(t, race)
	size := 0
	for _, p := range photos {
		size += len(p.data)
	}
	picks := photos
	if race {
		picks = slices.DeleteFunc(slices.Clone(photos), func(p *soakPhoto) bool { return p.w*p.h > 100_000 })
	}
	rig := newTLSRig(t)
	goroutines, fds := resources()

	sys := startSoakSystem(t, &transport.Server{}, &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
	}, rig)
	clients := *soakClients
	native := &transport.Client{Addr: sys.gatewayAddr}
	nativeTLS := &transport.Client{Addr: sys.gatewayAddr, TLSConfig: rig.client}
	hcTransport := &http.Transport{MaxIdleConnsPerHost: clients}
	hc := &http.Client{Transport: hcTransport}

	type result struct {
		photo   *soakPhoto
		proto   transport.Protocol
		tls     bool
		latency time.Duration
		link    string
		err     error
	}
	perClient := make([][]result, clients)
	start := time.Now()
	stopAt := start.Add(*soakFor)
	var wg sync.WaitGroup
	for i := range clients {
		// The odd clients connect over TLS.
		var secure *tlsRig
		c := native
		if i%2 == 1 {
			secure, c = rig, nativeTLS
		}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 0x50a6))
			for k := 0; time.Now().Before(stopAt); k++ {
				// The first requests send every photo once; then they
				// are picked at random, among the small ones only under
				// the race detector.
				p := photos[i%len(photos)]
				if k > 0 {
					p = picks[rng.IntN(len(picks))]
				}
				// Three uploads in four differ from every other, as
				// the gateway answers one it has seen from the store:
				// those are sent as they are.
				data := p.data
				if rng.IntN(4) != 0 {
					data = sample.WithComment(p.data, fmt.Sprintf("soak %d %d", i, k))
				}
				r := result{photo: p, proto: transport.Raw, tls: secure != nil}
				if (i+k)%2 == 1 {
					r.proto = transport.Native
				}
				began := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				if r.proto == transport.Raw {
					r.link, r.err = uploadRaw(ctx, sys.gatewayAddr, data, rng.IntN(4) == 0, secure)
				} else {
					var resp *transport.Response
					resp, r.err = c.Do(ctx, &transport.Request{Body: data})
					if r.err == nil {
						r.link = resp.Location
						if resp.Width != p.w/2 || resp.Height != p.h/2 {
							r.err = fmt.Errorf("reply says %dx%d, want %dx%d", resp.Width, resp.Height, p.w/2, p.h/2)
						}
					}
				}
				if r.err == nil && !strings.HasPrefix(r.link, sys.filesURL+"/") {
					r.err = fmt.Errorf("link %q is not under %s", r.link, sys.filesURL)
				}
				if r.err == nil {
					r.err = fetchResult(ctx, hc, r.link, p.w/2, p.h/2)
				}
				cancel()
				r.latency = time.Since(began)
				perClient[i] = append(perClient[i], r)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	var latencies []time.Duration
	var failed []string
	links := map[string]bool{}
	count := map[transport.Protocol]int{}
	secure := 0
	for _, rs := range perClient {
		for _, r := range rs {
			count[r.proto]++
			latencies = append(latencies, r.latency)
			over := ""
			if r.tls {
				secure++
				over = " over TLS"
			}
			if r.err != nil {
				failed = append(failed, fmt.Sprintf("%v%s %v: %v", r.proto, over, r.photo, r.err))
				continue
			}
			links[r.link] = true
		}
	}
	slices.Sort(latencies)
	n := len(latencies)
	t.Logf("%d different photos, %.1f MB; race detector: %v; the scale servers answered %d in plaintext, %d over TLS",
		len(photos), float64(size)/1e6, race, sys.scaled[0].Load(), sys.scaled[1].Load())
	t.Logf("%d clients, %v: %d requests (%d raw, %d native; %d over TLS; %d distinct results) in %v, %.1f req/s, latency p50 %v p99 %v max %v",
		clients, *soakFor, n, count[transport.Raw], count[transport.Native], secure, len(links), elapsed.Round(time.Millisecond),
		float64(n)/elapsed.Seconds(), latencies[n/2].Round(time.Millisecond), latencies[min(n-1, n*99/100)].Round(time.Millisecond),
		latencies[n-1].Round(time.Millisecond))
	if len(failed) > 0 {
		t.Errorf("%d of %d requests failed; the first:\n%s", len(failed), n, strings.Join(failed[:min(10, len(failed))], "\n"))
	}

	if secure == 0 || secure == n {
		t.Errorf("%d of %d requests over TLS, want some and not all", secure, n)
	}
	// The balancer would hide a scale server that failed every request.
	if sys.scaled[0].Load() == 0 || sys.scaled[1].Load() == 0 {
		t.Errorf("the scale servers answered %d requests in plaintext and %d over TLS, want some of each", sys.scaled[0].Load(), sys.scaled[1].Load())
	}

	native.Close()
	nativeTLS.Close()
	hcTransport.CloseIdleConnections()
	sys.stop(t)
	checkNoLeaks(t, goroutines, fds)
}

// A slowConn is a connection of TestSlowloris that sends its first bytes
// at once and then drips the rest, a byte per tick, until the server
// ends it.
type slowConn struct {
	kind  *slowKind
	c     net.Conn  // over TLS, for a kind with tls
	nc    net.Conn  // the TCP connection, c or the one under it
	since time.Time // before the server's timeout started: before dialling

	ended chan struct{} // closed when the server has ended the connection
	at    time.Time     // when it did
	reply []byte        // what the server sent before
	err   error         // the read error that ended it, nil for EOF
}

// A slowKind is a way of being slow, and how the server must answer it.
type slowKind struct {
	name  string
	files bool   // to the HTTP server, not the gateway
	tls   bool   // does a TLS handshake first; first and drip are sent inside
	first []byte // sent at once
	drip  []byte // then sent a byte per tick
	limit time.Duration
	reply string // the start of the server's reply, "" for none
	n     int    // connections of this kind
	conns []*slowConn
}

// TestSlowloris holds 600 slow or idle connections open to the gateway,
// some of them over TLS, and to the HTTP server of the results: a normal
// client must still be served at once, and each slow connection must be
// cut off by the timeout that applies to it.
func TestSlowloris(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur < 2000 {
		t.Fatalf("the file descriptor limit is %d: this test holds 600 connections open, 1200 descriptors with the servers' ends; raise it to 2000 at least (ulimit -n)", lim.Cur)
	}
	const (
		idleTimeout   = 2 * time.Second
		stallTimeout  = time.Second
		readTimeout   = 3 * time.Second
		headerTimeout = time.Second
		tick          = 250 * time.Millisecond // below stallTimeout
		margin        = time.Second            // for a loaded machine, under -race
	)
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, soakPicture(320, 240, 1), nil); err != nil {
		t.Fatal(err)
	}
	header := []byte("ESCL\x01\x01\x00\x00")
	header = binary.BigEndian.AppendUint32(header, 32)   // metadata
	header = binary.BigEndian.AppendUint32(header, 4096) // body
	request := []byte("GET /abcdefghijklmnopqrstuvwxyz234567.jpg HTTP/1.1\r\nHost: files.test\r\nUser-Agent: slow\r\n\r\n")
	rig := newTLSRig(t)
	hello := clientHello(t, rig.client)
	// A TLS handshake is bounded by the IdleTimeout that began when the
	// connection was accepted, which is still running, and from its first
	// byte, by ReadTimeout and twice the StallTimeout.
	handshakeTimeout := min(idleTimeout, readTimeout, 2*stallTimeout)
	kinds := []*slowKind{
		// The kinds with the longest timeouts are opened first, so that
		// all are open together, and of those, the ones over TLS, which
		// take longest to open.
		{name: "gateway, TLS, raw upload dripping", tls: true, first: jpg.Bytes()[:4], drip: jpg.Bytes()[4:], limit: readTimeout, reply: "Error: ", n: 60},
		{name: "gateway, raw upload dripping", first: jpg.Bytes()[:4], drip: jpg.Bytes()[4:], limit: readTimeout, reply: "Error: ", n: 80},
		{name: "gateway, TLS, idle after the handshake", tls: true, limit: idleTimeout, n: 60},
		{name: "gateway, idle", limit: idleTimeout, n: 80},
		{name: "gateway, half a ClientHello then stalled", first: hello[:len(hello)/2], limit: handshakeTimeout, n: 60},
		{name: "gateway, native header then stalled", first: header, limit: stallTimeout, reply: "ESCL", n: 80},
		{name: "gateway, framed length then stalled", first: []byte{0, 0, 16, 0}, limit: stallTimeout, n: 80},
		{name: "files, idle", files: true, limit: headerTimeout, n: 50},
		{name: "files, request line dripping", files: true, first: request[:5], drip: request[5:], limit: headerTimeout, reply: "HTTP/1.1 4", n: 50},
	}

	goroutines, fds := resources()
	sys := startSoakSystem(t, &transport.Server{
		IdleTimeout:  idleTimeout,
		StallTimeout: stallTimeout,
		ReadTimeout:  readTimeout,
	}, &http.Server{
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       idleTimeout,
	}, rig)
	filesAddr := strings.TrimPrefix(sys.filesURL, "http://")

	// closeAll closes the slow connections and ends their goroutines.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var all []*slowConn
	var closeOnce sync.Once
	closeAll := func() {
		closeOnce.Do(func() {
			close(stop)
			for _, sc := range all {
				sc.nc.Close()
			}
			wg.Wait()
		})
	}
	defer closeAll()
	openedAt := time.Now()
	for _, k := range kinds {
		addr := sys.gatewayAddr
		if k.files {
			addr = filesAddr
		}
		for range k.n {
			since := time.Now()
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatalf("dialling connection %d: %v", len(all)+1, err)
			}
			c := nc
			if k.tls {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				tc, err := rig.handshake(ctx, nc)
				cancel()
				if err != nil {
					nc.Close()
					t.Fatalf("TLS handshake of connection %d: %v", len(all)+1, err)
				}
				c = tc
			}
			sc := &slowConn{kind: k, c: c, nc: nc, since: since, ended: make(chan struct{})}
			all = append(all, sc)
			k.conns = append(k.conns, sc)
			if len(k.first) > 0 {
				if _, err := c.Write(k.first); err != nil {
					t.Fatal(err)
				}
			}
			wg.Go(func() {
				sc.reply, sc.err = io.ReadAll(io.LimitReader(c, 4096))
				sc.at = time.Now()
				close(sc.ended)
			})
			if len(k.drip) > 0 {
				wg.Go(func() {
					ticker := time.NewTicker(tick)
					defer ticker.Stop()
					for _, b := range k.drip {
						select {
						case <-stop:
							return
						case <-sc.ended:
							return
						case <-ticker.C:
						}
						if _, err := c.Write([]byte{b}); err != nil {
							return
						}
					}
				})
			}
		}
	}
	opened := time.Since(openedAt)

	// A normal client, in both protocols and over TLS, and the download
	// of its results.
	hcTransport := &http.Transport{}
	defer hcTransport.CloseIdleConnections()
	hc := &http.Client{Transport: hcTransport}
	native := &transport.Client{Addr: sys.gatewayAddr}
	defer native.Close()
	normal := func() (raw, nat, secure time.Duration, err error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		began := time.Now()
		link, err := uploadRaw(ctx, sys.gatewayAddr, jpg.Bytes(), false, nil)
		if err == nil {
			err = fetchResult(ctx, hc, link, 160, 120)
		}
		if err != nil {
			return 0, 0, 0, fmt.Errorf("raw protocol: %w", err)
		}
		raw, began = time.Since(began), time.Now()
		resp, err := native.Do(ctx, &transport.Request{Body: jpg.Bytes()})
		if err == nil {
			err = fetchResult(ctx, hc, resp.Location, 160, 120)
		}
		if err != nil {
			return 0, 0, 0, fmt.Errorf("native protocol: %w", err)
		}
		nat, began = time.Since(began), time.Now()
		link, err = uploadRaw(ctx, sys.gatewayAddr, jpg.Bytes(), false, rig)
		if err == nil {
			err = fetchResult(ctx, hc, link, 160, 120)
		}
		if err != nil {
			return 0, 0, 0, fmt.Errorf("raw protocol over TLS: %w", err)
		}
		return raw, nat, time.Since(began), nil
	}
	raw, nat, secure, err := normal()
	if err != nil {
		t.Fatalf("a normal client, with %d slow connections open: %v", len(all), err)
	}
	servedAt := time.Now()
	t.Logf("%d slow connections opened in %v; a normal client then got its link and result in %v (raw), %v (native), %v (raw over TLS)",
		len(all), opened.Round(time.Millisecond), raw.Round(time.Millisecond), nat.Round(time.Millisecond), secure.Round(time.Millisecond))
	if raw >= time.Second || nat >= time.Second || secure >= time.Second {
		t.Errorf("a normal client took %v (raw), %v (native), %v (raw over TLS) to be served, want under 1s", raw, nat, secure)
	}

	// Each slow connection is cut off by its timeout, not before, and not
	// much after.
	for _, sc := range all {
		timer := time.NewTimer(time.Until(sc.since.Add(sc.kind.limit + margin)))
		select {
		case <-sc.ended:
		case <-timer.C:
		}
		timer.Stop()
	}
	for _, k := range kinds {
		var early, late, wrong, beforeServed int
		var example string
		best, worst := time.Duration(math.MaxInt64), time.Duration(0)
		for _, sc := range k.conns {
			select {
			case <-sc.ended:
			default:
				late++
				continue
			}
			d := sc.at.Sub(sc.since)
			best, worst = min(best, d), max(worst, d)
			if d < k.limit-50*time.Millisecond {
				early++
				example = fmt.Sprintf("cut after %v with %q, %v", d, sc.reply, sc.err)
			}
			if sc.at.Before(servedAt) {
				beforeServed++
			}
			if (k.reply == "") != (len(sc.reply) == 0) || !bytes.HasPrefix(sc.reply, []byte(k.reply)) {
				wrong++
				example = fmt.Sprintf("replied %q", sc.reply)
			}
		}
		t.Logf("%-42s %3d cut off after %v to %v (timeout %v)", k.name+":", len(k.conns)-late, best.Round(time.Millisecond), worst.Round(time.Millisecond), k.limit)
		if early > 0 || late > 0 || wrong > 0 {
			t.Errorf("%s: of %d connections, %d were cut off before the timeout of %v, %d were still open %v after it, %d got a reply not starting %q (e.g. %s)",
				k.name, len(k.conns), early, k.limit, late, margin, wrong, k.reply, example)
		}
		if beforeServed > 0 {
			t.Errorf("%s: %d connections were cut off before the normal client was served: it was not served while all were open", k.name, beforeServed)
		}
	}

	closeAll()
	if _, _, _, err := normal(); err != nil {
		t.Errorf("a normal client, after the slow connections: %v", err)
	}
	native.Close()
	hcTransport.CloseIdleConnections()
	sys.stop(t)
	checkNoLeaks(t, goroutines, fds)
}
