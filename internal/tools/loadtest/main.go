// Command loadtest drives a gateway, a scale server and the HTTP server of
// the results with concurrent clients, as the original client does: each
// sends a photo as raw bytes, reads the link line and downloads the result.
// It starts the programs itself — escala's (built from examples/) or the
// baseline reconstruction of the original Python system (original/) — and
// measures what each answered request cost the servers: CPU seconds (user
// and system, from /proc/PID/stat) and page faults, with throughput,
// latency and peak memory beside them.
//
//	go run ./internal/tools/loadtest -targets escala,original -clients 32 -images small
//	go run ./internal/tools/loadtest -targets escala,original -clients 8 -images mix
//	go run ./internal/tools/loadtest -targets escala,original -mode latency
//
// With several targets, each runs in turn, -rounds times, so that they are
// measured side by side under the same conditions; the summary gives the
// median of the rounds and the ratio of each target to the last one.
//
// -images is a comma-separated list of photos, or "small" (one 0.15 MP
// JPEG) or "mix" (0.15–18 MP: baseline JPEG in 4:2:0, 4:2:2 and 4:4:4,
// progressive JPEG, PNG with alpha), both from -corpus. Each client sends
// them in turn, starting at its own place in the list.
//
// For escala, the load mode also times the scaling kernel in this process
// on one core (scaler.DecodeGray, Resize to half, Encode as JPEG) on the
// same photos, so that the system's cost can be compared with the work it
// cannot avoid.
//
// Every upload differs from the others (-distinct, the default): a JPEG in
// its quantisation table, and so in its pixels and its result, a PNG in a
// text chunk. escala's gateway answers an upload it has stored the result
// of without decoding it; -distinct=false sends the same bytes again, to
// measure that.
//
// -gateways N runs escala with N gateways and N scale servers, each gateway
// spreading its work over all the scale servers, and the clients spread
// over the gateways. -store s3 keeps escala's results in a bucket of a
// versitygw that it starts (on PATH or in $GOPATH/bin: go install
// github.com/versity/versitygw/cmd/versitygw@v1.8.0), whose CPU and page
// faults count with the servers'; the default is one folder, which all the
// gateways share.
//
// The latency mode measures what one client alone waits for its link and
// the download, as a median per photo, on servers just started and again
// after -duration of load by -clients. With -rounds, the targets run in
// turn that many times, and it prints the median of the rounds, their
// range, and each target's medians over the last target's.
//
// The repeat mode measures what the servers spend on an upload that was
// sent before, against one that is new: for each photo, servers are
// started, one client sends -singles new variants of it one at a time, and
// then the last one again -singles times. It prints the CPU of the first
// upload (to servers that have seen nothing yet), the mean of the other
// new ones, and the mean of the repeats.
//
// Target escala-tls is escala with TLS on the gateway's port and its HTTP
// server of the results: the gateway gets a certificate for 127.0.0.1
// (ECDSA P-256) signed by a CA that this program makes at start, and the
// clients trust that CA alone. The link from the gateway to the scale
// server stays plaintext. With the raw protocol each upload is a new
// connection, and so a full handshake; -protocol native also opens one per
// upload unless -reuse, with which each client keeps its connection, and
// pays the handshake once. With -resume the clients resume TLS sessions
// from the gateway's tickets; TLS 1.3 still agrees a new key each time.
// The downloads keep their HTTPS connections in every case. Measure TLS
// and plaintext in the same run; the summary gives their ratio:
//
//	go run ./internal/tools/loadtest -targets escala-tls,escala -rounds 3
//
// The Python baseline needs python3 with Pillow and aiohttp (Debian:
// apt-get install python3-pil python3-aiohttp).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/escala-img/escala/internal/tools/host"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/transport"
)

// The photo sets of -images, in -corpus.
var presets = map[string][]string{
	"small": {"Garden-350x418.jpg"},
	"mix": {
		"Garden-350x418.jpg",       // 0.15 MP, baseline 4:2:0
		"LadyBird.jpg",             // 4 MP, baseline 4:2:0
		"Storm.jpg",                // 2.5 MP, baseline 4:2:2
		"the-mouse.jpg",            // 9 MP, baseline 4:4:4
		"GreenMeadow.jpg",          // 1.3 MP, progressive
		"LadyBird-progressive.jpg", // 4 MP, progressive
		"Elephants_3840x2160.jpg",  // 8 MP, progressive
		"Elephants_5640x3172.jpg",  // 18 MP, progressive
		"goldfish.png",             // 8.7 MP, RGBA
		"Stripes.png",              // 2.3 MP, gray and alpha
	},
	// The three photos of the latency mode: small, a 4 MP baseline JPEG and
	// an 8 MP progressive one.
	"latency": {"Garden-350x418.jpg", "LadyBird.jpg", "Elephants_3840x2160.jpg"},
}

func main() {
	targets := flag.String("targets", "escala", "comma-separated systems to measure in turn: escala, escala-tls (escala with TLS), original")
	mode := flag.String("mode", "load", "load: cost per request under load; latency: one client alone; repeat: an upload sent again")
	clients := flag.Int("clients", 8, "concurrent clients")
	duration := flag.Duration("duration", 20*time.Second, "how long to measure, after the warm-up (latency mode: the load between the two measurements)")
	warmup := flag.Duration("warmup", 5*time.Second, "load before measuring starts, at least a full turn of the photos by every client")
	rounds := flag.Int("rounds", 1, "how many times each target runs, in turn (load and latency modes)")
	corpus := flag.String("corpus", "../shared/corpus", "folder of the photos of -images presets")
	images := flag.String("images", "small", `photos each client sends in turn: "small", "mix", or comma-separated files`)
	singles := flag.Int("singles", 15, "latency mode: requests per photo whose median is taken")
	flag.BoolVar(&distinct, "distinct", true, "make every upload differ from the others (false: send the same bytes again)")
	protocol := flag.String("protocol", "raw", "what the clients speak: raw, as the original client, or native (escala only)")
	flag.BoolVar(&reuse, "reuse", false, "-protocol native: each client keeps its connection for its next uploads (default: one per upload, as raw)")
	resume := flag.Bool("resume", false, "escala-tls: clients resume TLS sessions (default: a full handshake on every connection)")
	gateways := flag.Int("gateways", 1, "escala: how many gateways, and scale servers, to run")
	storeKind := flag.String("store", "dir", "escala: where results are kept: dir (a folder) or s3 (a versitygw bucket)")
	python := flag.String("python", "", "Python with Pillow and aiohttp, for the original (default: the first python3 that has them)")
	memory := flag.Int("memory-mib", 1024, "--memory-mib of escala's servers")
	flag.Parse()
	log.SetFlags(0)
	switch *protocol {
	case "raw":
	case "native":
		native = true
	default:
		log.Fatalf("loadtest: -protocol %q: want raw or native", *protocol)
	}
	if reuse && !native {
		log.Fatalf("loadtest: -reuse needs -protocol native")
	}
	if err := checkOS(); err != nil {
		log.Fatalf("loadtest: %v", err)
	}

	names, photos, err := loadPhotos(*images, *mode, *corpus)
	if err != nil {
		log.Fatalf("loadtest: %v", err)
	}
	work, err := os.MkdirTemp("", "loadtest-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	systems := strings.Split(*targets, ",")
	for _, t := range systems {
		if t == "original" && *python == "" {
			if *python, err = host.Python("PIL", "aiohttp"); err != nil {
				log.Fatalf("loadtest: %v", err)
			}
		}
	}
	var certs *tlsFiles
	if slices.Contains(systems, "escala-tls") {
		if certs, err = writeCertificates(work); err != nil {
			log.Fatalf("loadtest: %v", err)
		}
		if *resume {
			certs.client.ClientSessionCache = tls.NewLRUClientSessionCache(0)
		}
	}
	starter := func(target string) (*system, error) {
		switch target {
		case "escala":
			return startEscala(work, *memory, *gateways, *storeKind, nil)
		case "escala-tls":
			return startEscala(work, *memory, *gateways, *storeKind, certs)
		case "original":
			return startOriginal(work, *python)
		}
		return nil, fmt.Errorf("unknown target %q", target)
	}

	conns := "a connection per upload"
	if reuse {
		conns = "each client keeps its connection"
	}
	fmt.Printf("loadtest %s, %s, %d cores: mode %s, %d clients, %v after %v of warm-up, %d round(s), distinct uploads %v\nescala: %d gateway(s), store %s; protocol %s, %s\nphotos: %s\n",
		time.Now().Format("2006-01-02"), host.CPUModel(), runtime.NumCPU(), *mode, *clients, *duration, *warmup, *rounds, distinct,
		*gateways, *storeKind, *protocol, conns, strings.Join(names, ", "))
	if certs != nil {
		handshakes := "a full handshake per connection"
		if *resume {
			handshakes = "sessions resumed"
		}
		fmt.Printf("escala-tls: TLS from the clients to the gateway and its HTTP server (%s; downloads keep their connections), plaintext to the scale server\n", handshakes)
	}
	fmt.Println()
	switch *mode {
	case "load":
		loadMode(starter, systems, *rounds, photos, names, *clients, *warmup, *duration)
	case "latency":
		latencyMode(starter, systems, *rounds, photos, names, *singles, *clients, *duration)
	case "repeat":
		repeatMode(starter, systems, photos, names, *singles)
	default:
		log.Fatalf("loadtest: unknown -mode %q", *mode)
	}
}

// loadPhotos reads the photos that -images names.
func loadPhotos(images, mode, corpus string) ([]string, [][]byte, error) {
	paths := strings.Split(images, ",")
	if mode == "latency" && images == "small" {
		images = "latency"
	}
	if p, ok := presets[images]; ok {
		paths = nil
		for _, name := range p {
			paths = append(paths, filepath.Join(corpus, name))
		}
	}
	var names []string
	var photos [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		names = append(names, filepath.Base(p))
		photos = append(photos, data)
	}
	return names, photos, nil
}

// loadMode runs each target under load in turn and prints what a request
// cost each.
func loadMode(start func(string) (*system, error), targets []string, rounds int, photos [][]byte, names []string,
	clients int, warmup, duration time.Duration) {
	costs := map[string][]*result{}
	for range rounds {
		for _, t := range targets {
			sys, err := start(t)
			if err != nil {
				log.Fatalf("loadtest: %s: %v", t, err)
			}
			r := run(sys, photos, clients, warmup, duration)
			sys.stop()
			fmt.Printf("== %s\n", t)
			if sys.negotiated != "" {
				fmt.Printf("negotiated: %s\n", sys.negotiated)
			}
			r.print(duration)
			costs[t] = append(costs[t], r)
		}
	}
	var kernel float64
	if slices.Contains(targets, "escala") || slices.Contains(targets, "escala-tls") {
		kernel = kernelCPU(photos, names)
	}
	fmt.Printf("\nsummary: medians of %d round(s)\n", rounds)
	fmt.Printf("%-10s %14s %14s %12s %10s\n", "target", "CPU/request", "faults/req", "req/s", "errors")
	last := targets[len(targets)-1]
	for _, t := range targets {
		cpu := median(costs[t], (*result).cpuPerRequest)
		faults := median(costs[t], (*result).faultsPerRequest)
		rate := median(costs[t], func(r *result) float64 { return float64(r.answered) / duration.Seconds() })
		errs := median(costs[t], func(r *result) float64 { return float64(r.errors) })
		fmt.Printf("%-10s %11.2f ms %14.1f %12.1f %10.0f", t, 1000*cpu, faults, rate, errs)
		if t != last {
			fmt.Printf("   CPU/request %.2f× %s's", cpu/median(costs[last], (*result).cpuPerRequest), last)
		}
		if strings.HasPrefix(t, "escala") && kernel > 0 {
			fmt.Printf("   %.2f× the kernel's %.2f ms", cpu/kernel, 1000*kernel)
		}
		fmt.Println()
	}
}

func median(rs []*result, f func(*result) float64) float64 {
	var v []float64
	for _, r := range rs {
		v = append(v, f(r))
	}
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// kernelCPU returns the mean CPU time of the scaling kernel in this
// process on one core, per photo: DecodeGray, Resize to half with the
// default filter, Encode as JPEG at the default quality, as the servers do.
func kernelCPU(photos [][]byte, names []string) float64 {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	fmt.Printf("\nthe kernel in process, one core (CPU time, median of runs):\n")
	total := 0.0
	for i, data := range photos {
		var times []float64
		deadline := time.Now().Add(time.Second)
		for len(times) < 3 || time.Now().Before(deadline) && len(times) < 50 {
			begin := selfCPU()
			if err := kernel(data); err != nil {
				log.Fatalf("loadtest: kernel on %s: %v", names[i], err)
			}
			times = append(times, selfCPU()-begin)
		}
		slices.Sort(times)
		m := times[len(times)/2]
		fmt.Printf("  %-28s %8.2f ms\n", names[i], 1000*m)
		total += m
	}
	mean := total / float64(len(photos))
	fmt.Printf("  %-28s %8.2f ms\n", "mean", 1000*mean)
	return mean
}

func kernel(data []byte) error {
	g, err := scaler.DecodeGray(bytes.NewReader(data), nil)
	if err != nil {
		return err
	}
	half, err := scaler.Resize(g, max(1, g.Rect.Dx()/2), max(1, g.Rect.Dy()/2), nil)
	if err != nil {
		return err
	}
	return scaler.Encode(io.Discard, half, scaler.JPEG, nil)
}

// repeatMode measures, for each target and photo, the servers' CPU time
// per upload that is new and per upload that repeats the one before it.
func repeatMode(start func(string) (*system, error), targets []string, photos [][]byte, names []string, n int) {
	distinct = false // the variants are made here
	send := func(c *client, sys *system, data []byte) float64 {
		before := usages(sys.procs)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.exchange(ctx, data); err != nil {
			log.Fatalf("loadtest: %v", err)
		}
		settle(sys)
		cpu := 0.0
		for i, u := range usages(sys.procs) {
			cpu += u.cpu - before[i].cpu
		}
		return cpu
	}
	fmt.Printf("%-10s %-28s %12s %12s %12s %14s\n", "target", "photo", "first", "new", "again", "again/new")
	for _, t := range targets {
		for i, photo := range photos {
			// Fresh servers for each photo, so that the first upload is
			// the first they see.
			sys, err := start(t)
			if err != nil {
				log.Fatalf("loadtest: %s: %v", t, err)
			}
			c := sys.client(0, 1)
			var first, fresh, again float64
			var last []byte
			for k := range n {
				last = vary(photo, int64(1_000_000*(i+1)+k))
				cpu := send(c, sys, last)
				if k == 0 {
					first = cpu
				} else {
					fresh += cpu
				}
			}
			for range n {
				again += send(c, sys, last)
			}
			c.close()
			sys.stop()
			fresh, again = fresh/float64(max(1, n-1)), again/float64(n)
			if n == 1 {
				fresh = first
			}
			fmt.Printf("%-10s %-28s %9.1f ms %9.1f ms %9.1f ms %14.3f\n", t, names[i], 1000*first, 1000*fresh, 1000*again, again/fresh)
		}
	}
}

// latencyMode measures, for each target, one client's median time to its
// link and download per photo, on servers just started and after load. It
// runs the targets in turn, rounds times, and prints the median of the
// rounds with their range, and each target's medians over the last one's.
func latencyMode(start func(string) (*system, error), targets []string, rounds int, photos [][]byte, names []string,
	singles, clients int, duration time.Duration) {
	// For each target, the times on fresh servers ([0]) and after load
	// ([1]): for each photo, one per round.
	got := map[string]*[2][][]time.Duration{}
	for _, t := range targets {
		got[t] = &[2][][]time.Duration{make([][]time.Duration, len(photos)), make([][]time.Duration, len(photos))}
	}
	for round := range rounds {
		for _, t := range targets {
			sys, err := start(t)
			if err != nil {
				log.Fatalf("loadtest: %s: %v", t, err)
			}
			if round == 0 && sys.negotiated != "" {
				fmt.Printf("%s negotiated: %s\n", t, sys.negotiated)
			}
			fresh := alone(sys, photos, singles)
			run(sys, photos, clients, 0, duration)
			settle(sys)
			loaded := alone(sys, photos, singles)
			sys.stop()
			for i := range photos {
				got[t][0][i] = append(got[t][0][i], fresh[i])
				got[t][1][i] = append(got[t][1][i], loaded[i])
			}
		}
	}
	var wall []time.Duration
	if slices.Contains(targets, "escala") || slices.Contains(targets, "escala-tls") {
		for _, data := range photos {
			wall = append(wall, kernelWall(data))
		}
	}
	fmt.Printf("one client alone, median of %d requests per photo: link and download", singles)
	if rounds > 1 {
		fmt.Printf("; median of %d rounds (their range)", rounds)
	}
	fmt.Printf("\n%-28s", "photo")
	for _, t := range targets {
		fmt.Printf(" %24s %24s", t+" new", t+" loaded")
	}
	if wall != nil {
		fmt.Printf(" %12s", "kernel")
	}
	fmt.Println()
	for i, name := range names {
		fmt.Printf("%-28s", name)
		for _, t := range targets {
			for _, times := range got[t] {
				cell := ms(medianDuration(times[i]))
				if rounds > 1 {
					cell += fmt.Sprintf(" (%.1f–%.1f)", float64(slices.Min(times[i]))/1e6, float64(slices.Max(times[i]))/1e6)
				}
				fmt.Printf(" %24s", cell)
			}
		}
		if wall != nil {
			fmt.Printf(" %12s", ms(wall[i]))
		}
		fmt.Println()
	}
	if wall != nil {
		fmt.Printf("kernel: the same work in process, wall time with GOMAXPROCS %d, median\n", runtime.GOMAXPROCS(0))
	}
	last := targets[len(targets)-1]
	for _, t := range targets[:len(targets)-1] {
		fmt.Printf("\n%s over %s, of the medians:\n%-28s %12s %12s\n", t, last, "photo", "new", "loaded")
		for i, name := range names {
			fmt.Printf("%-28s", name)
			for k := range got[t] {
				fmt.Printf(" %11.2f×", float64(medianDuration(got[t][k][i]))/float64(medianDuration(got[last][k][i])))
			}
			fmt.Println()
		}
	}
}

// medianDuration returns the median of ds, which it leaves as they are.
func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

// settle waits, up to 20 s, until the servers have finished the work the
// load left them (requests whose clients left at the end of the run) and
// use less than 5 ms of CPU in 100 ms.
func settle(sys *system) {
	prev := usages(sys.procs)
	for range 200 {
		time.Sleep(100 * time.Millisecond)
		now := usages(sys.procs)
		busy := 0.0
		for i := range now {
			busy += now[i].cpu - prev[i].cpu
		}
		if busy < 0.005 {
			return
		}
		prev = now
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

// alone sends each photo singles times, one request at a time, and returns
// the median time of each.
func alone(sys *system, photos [][]byte, singles int) []time.Duration {
	c := sys.client(0, 1)
	defer c.close()
	var out []time.Duration
	for _, data := range photos {
		var times []time.Duration
		for range singles {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			begin := time.Now()
			err := c.exchange(ctx, data)
			times = append(times, time.Since(begin))
			cancel()
			if err != nil {
				log.Fatalf("loadtest: one client alone: %v", err)
			}
		}
		slices.Sort(times)
		out = append(out, times[len(times)/2])
	}
	return out
}

// kernelWall returns the median wall time of the kernel on data in this
// process, with all cores.
func kernelWall(data []byte) time.Duration {
	var times []time.Duration
	deadline := time.Now().Add(time.Second)
	for len(times) < 3 || time.Now().Before(deadline) && len(times) < 50 {
		begin := time.Now()
		if err := kernel(data); err != nil {
			log.Fatalf("loadtest: kernel: %v", err)
		}
		times = append(times, time.Since(begin))
	}
	slices.Sort(times)
	return times[len(times)/2]
}

// A system is a set of started server processes and the gateway's address.
type system struct {
	addrs []string // of the gateways; client i uses addrs[i%len(addrs)]
	procs []*exec.Cmd
	names []string

	tls        *tls.Config // of its clients when the gateway speaks TLS
	negotiated string      // what a TLS connection to the gateway negotiated
}

// client returns load client i of n: it sends to gateway i%len(addrs),
// and keeps up to n HTTPS connections for the downloads. Close it when done.
func (s *system) client(i, n int) *client {
	downloads := s.tls
	if downloads != nil && downloads.ClientSessionCache != nil {
		// A cache of its own: the HTTP server's tickets do not resume
		// sessions on the gateway's port, nor the other way round.
		downloads = downloads.Clone()
		downloads.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	}
	c := &client{
		addr: s.addrs[i%len(s.addrs)],
		tls:  s.tls,
		hc:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, TLSClientConfig: downloads}},
	}
	if reuse {
		c.tc = &transport.Client{Addr: c.addr, TLSConfig: s.tls}
	}
	return c
}

func (s *system) stop() {
	for _, p := range s.procs {
		p.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range s.procs {
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			p.Process.Kill()
		}
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// start runs a server program in dir with its output discarded.
func start(dir, name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	return cmd, cmd.Start()
}

// waitPort waits until something accepts connections on addr.
func waitPort(addr string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on %s", addr)
}

// startSystem starts a scale server and then a gateway with the arguments
// that the ports give, and waits until all three ports accept.
func startSystem(scale, gateway func(scalePort, gatewayPort, httpPort string) (*exec.Cmd, error)) (*system, error) {
	scalePort, gatewayPort, httpPort := freePort(), freePort(), freePort()
	s, err := scale(scalePort, gatewayPort, httpPort)
	if err != nil {
		return nil, err
	}
	sys := &system{addrs: []string{"127.0.0.1:" + gatewayPort}, procs: []*exec.Cmd{s}, names: []string{"scale server", "gateway"}}
	g, err := gateway(scalePort, gatewayPort, httpPort)
	if err != nil {
		sys.stop()
		return nil, err
	}
	sys.procs = append(sys.procs, g)
	for _, port := range []string{scalePort, gatewayPort, httpPort} {
		if err := waitPort("127.0.0.1:" + port); err != nil {
			sys.stop()
			return nil, err
		}
	}
	return sys, nil
}

// escalaBin is where escala's programs are built, once per run.
var escalaBin struct {
	once sync.Once
	dir  string
	err  error
}

// startEscala starts escala's programs: n scale servers and n gateways
// that share them, keeping the results in one folder, or in a bucket of a
// versitygw started first when storeKind is "s3".
//
// With certs, the gateways speak TLS with its certificate, on their TCP
// port and their HTTP server; the scale servers do not.
func startEscala(work string, memory, n int, storeKind string, certs *tlsFiles) (*system, error) {
	escalaBin.once.Do(func() {
		escalaBin.dir = filepath.Join(work, "bin")
		for _, name := range []string{"scaleserver", "asyncserver"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(escalaBin.dir, name), "./examples/"+name).CombinedOutput()
			if err != nil {
				escalaBin.err = fmt.Errorf("go build ./examples/%s: %v\n%s", name, err, out)
				return
			}
		}
	})
	if escalaBin.err != nil {
		return nil, escalaBin.err
	}
	if n < 1 {
		return nil, fmt.Errorf("-gateways %d: want at least 1", n)
	}
	bin, mem := escalaBin.dir, strconv.Itoa(memory)
	dir, err := os.MkdirTemp(work, "escala-")
	if err != nil {
		return nil, err
	}
	sys := &system{}
	var ports []string
	launch := func(name string, cmd *exec.Cmd, err error, port string) error {
		if err != nil {
			return err
		}
		sys.procs = append(sys.procs, cmd)
		sys.names = append(sys.names, name)
		ports = append(ports, port)
		return nil
	}
	storeArgs := []string{"--dir", filepath.Join(dir, "results")}
	if storeKind == "s3" {
		port := freePort()
		cmd, err := startVersitygw(dir, port)
		if err := launch("versitygw", cmd, err, port); err != nil {
			return nil, err
		}
		storeArgs = []string{"--store", "s3://results?endpoint=http://127.0.0.1:" + port}
	} else if storeKind != "dir" {
		return nil, fmt.Errorf("-store %q: want dir or s3", storeKind)
	}
	var scalers []string
	for i := range n {
		port := freePort()
		cmd, err := start(dir, filepath.Join(bin, "scaleserver"), "--port", port, "--memory-mib", mem)
		if err := launch(fmt.Sprintf("scale server %d", i+1), cmd, err, port); err != nil {
			sys.stop()
			return nil, err
		}
		scalers = append(scalers, "127.0.0.1:"+port)
	}
	for i := range n {
		port, httpPort := freePort(), freePort()
		args := append([]string{"--port", port, "--http", "127.0.0.1:" + httpPort,
			"--scaler", strings.Join(scalers, ","), "--memory-mib", mem}, storeArgs...)
		if certs != nil {
			args = append(args, "--tls-cert", certs.cert, "--tls-key", certs.key)
		}
		cmd, err := start(dir, filepath.Join(bin, "asyncserver"), args...)
		if err := launch(fmt.Sprintf("gateway %d", i+1), cmd, err, port); err != nil {
			sys.stop()
			return nil, err
		}
		sys.addrs = append(sys.addrs, "127.0.0.1:"+port)
		ports = append(ports, httpPort)
	}
	for _, port := range ports {
		if err := waitPort("127.0.0.1:" + port); err != nil {
			sys.stop()
			return nil, err
		}
	}
	if certs != nil {
		sys.tls = certs.client
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := handshake(ctx, sys.addrs[0], certs.client)
		if err != nil {
			sys.stop()
			return nil, fmt.Errorf("TLS to the gateway: %w", err)
		}
		sys.negotiated = describeTLS(st)
	}
	return sys, nil
}

// versitygw's credentials, for the gateways too.
const s3Access, s3Secret = "loadtest", "loadtest-secret"

// startVersitygw starts versitygw on port with its POSIX backend in a new
// folder under dir that holds the bucket "results".
func startVersitygw(dir, port string) (*exec.Cmd, error) {
	path, err := exec.LookPath("versitygw")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		path = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "versitygw")
		if _, err := os.Stat(path); err != nil {
			return nil, errors.New("-store s3 needs versitygw: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
		}
	}
	root := filepath.Join(dir, "s3")
	if err := os.MkdirAll(filepath.Join(root, "results"), 0o755); err != nil {
		return nil, err
	}
	os.Setenv("AWS_ACCESS_KEY_ID", s3Access) // for the gateways started after it
	os.Setenv("AWS_SECRET_ACCESS_KEY", s3Secret)
	return start(dir, path, "--port", "127.0.0.1:"+port, "--access", s3Access, "--secret", s3Secret, "posix", root)
}

func startOriginal(work, python string) (*system, error) {
	here, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	scripts := filepath.Join(here, "internal", "tools", "loadtest", "original")
	dir, err := os.MkdirTemp(work, "original-")
	if err != nil {
		return nil, err
	}
	return startSystem(func(scalePort, _, _ string) (*exec.Cmd, error) {
		return start(dir, python, filepath.Join(scripts, "scale_server.py"), scalePort)
	}, func(scalePort, gatewayPort, httpPort string) (*exec.Cmd, error) {
		return start(dir, python, filepath.Join(scripts, "async_server.py"), "--ip", "127.0.0.1",
			"--port", gatewayPort, "--http-port", httpPort, "--scaler-port", scalePort)
	})
}

// A result is what a load run measured.
type result struct {
	latencies []time.Duration // of the requests that completed: link and download
	answered  int             // requests that got a link, downloaded or not
	errors    int
	firstErr  error
	names     []string
	usage     []usage // of each server process during the run
	peakRSS   []int64 // peak resident memory of each, in KiB
	self      float64 // CPU seconds of this process, the clients
}

// usage is what a process has used: CPU seconds and page faults.
type usage struct {
	cpu    float64
	faults int64
}

func (r *result) cpuPerRequest() float64 {
	total := 0.0
	for _, u := range r.usage {
		total += u.cpu
	}
	return total / float64(max(1, r.answered))
}

func (r *result) faultsPerRequest() float64 {
	var total int64
	for _, u := range r.usage {
		total += u.faults
	}
	return float64(total) / float64(max(1, r.answered))
}

// run has clients send photos in turn, each waiting for its link and
// downloading the result before it sends the next, and measures the
// requests that begin and end within the measuring window. The window
// opens once warmup has passed and every client has sent every photo once,
// so that the servers have seen the whole load (their buffers for the
// largest photo among it), and lasts duration.
func run(sys *system, photos [][]byte, clients int, warmup, duration time.Duration) *result {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	r := &result{names: sys.names}
	var start []usage
	var selfStart float64
	var measureFrom, end time.Time // zero until the window opens
	cycled := make(chan struct{}, clients)
	go func() {
		time.Sleep(warmup)
		for range clients {
			<-cycled
		}
		mu.Lock()
		start, selfStart = usages(sys.procs), selfCPU()
		measureFrom = time.Now()
		end = measureFrom.Add(duration)
		mu.Unlock()
		time.AfterFunc(duration, cancel)
	}()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			cl := sys.client(c, 1)
			defer cl.close()
			for i := c; ctx.Err() == nil; i++ {
				if i == c+len(photos) {
					cycled <- struct{}{}
				}
				begin := time.Now()
				err := cl.exchange(ctx, photos[i%len(photos)])
				mu.Lock()
				counted := !measureFrom.IsZero() && !begin.Before(measureFrom) && time.Now().Before(end)
				if counted {
					var linkErr *downloadError
					if err == nil || errors.As(err, &linkErr) {
						r.answered++
					}
					if err != nil {
						r.errors++
						if r.firstErr == nil {
							r.firstErr = err
						}
					} else {
						r.latencies = append(r.latencies, time.Since(begin))
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	r.self = selfCPU() - selfStart
	for i, u := range usages(sys.procs) {
		r.usage = append(r.usage, usage{u.cpu - start[i].cpu, u.faults - start[i].faults})
	}
	for _, p := range sys.procs {
		r.peakRSS = append(r.peakRSS, peakRSS(p.Process.Pid))
	}
	return r
}

// A downloadError is a request that got its link but whose download
// failed.
type downloadError struct{ err error }

func (e *downloadError) Error() string { return e.err.Error() }

// distinct is the -distinct flag; uploads counts the uploads so far.
var (
	distinct bool
	uploads  atomic.Int64
)

// variant returns photo, or with -distinct a copy that differs from every
// other upload: for a JPEG, its first quantisation table differs in its ten
// lowest frequencies, by 0 to 3 each (these are nonzero in most blocks, so
// the pixels differ, and so does the result); a PNG gets a text chunk
// after its header that holds a count.
func variant(photo []byte) []byte {
	if !distinct {
		return photo
	}
	return vary(photo, uploads.Add(1))
}

// vary returns the n-th variant of photo that variant describes, or photo
// itself if it is neither JPEG nor PNG.
func vary(photo []byte, n int64) []byte {
	if bytes.HasPrefix(photo, []byte("\x89PNG")) {
		return sample.WithComment(photo, strconv.FormatInt(n, 10))
	}
	if len(photo) < 4 || photo[0] != 0xff || photo[1] != 0xd8 {
		return photo
	}
	out := append([]byte(nil), photo...)
	for i := 2; i+4 < len(out) && out[i] == 0xff; {
		length := int(out[i+2])<<8 | int(out[i+3])
		if out[i+1] == 0xdb && out[i+4]>>4 == 0 && length >= 2+1+64 { // an 8-bit DQT
			table := out[i+5 : i+5+64] // in zigzag order
			for k := range 10 {
				d := byte(n >> (2 * k) & 3)
				if table[k]+d < table[k] { // past 255
					table[k] -= d
				} else {
					table[k] += d
				}
			}
			return out
		}
		if out[i+1] == 0xda { // the scan, with no table before it
			break
		}
		i += 2 + length
	}
	return photo
}

// native is the -protocol flag: true for escala's native protocol; reuse
// is -reuse.
var native, reuse bool

// A client is one load client: it sends photos to the gateway at addr,
// one at a time, and downloads the results with hc. It is not safe for
// concurrent use.
type client struct {
	addr string
	tls  *tls.Config       // nil: plaintext
	hc   *http.Client      // keeps the connections of the downloads
	tc   *transport.Client // with -reuse, the native client it keeps
}

// close closes the connections that c keeps.
func (c *client) close() {
	c.hc.CloseIdleConnections()
	if c.tc != nil {
		c.tc.Close()
	}
}

// exchange is one request: the photo as raw bytes, the link line back (or
// with -protocol native, the photo in a frame and the link in one), then a
// download of the link.
func (c *client) exchange(ctx context.Context, photo []byte) error {
	photo = variant(photo)
	if native {
		tc := c.tc
		if tc == nil {
			tc = &transport.Client{Addr: c.addr, TLSConfig: c.tls} // a connection per request, as raw
			defer tc.Close()
		}
		resp, err := tc.Do(ctx, &transport.Request{Body: photo})
		if err != nil {
			return err
		}
		if err := download(ctx, c.hc, resp.Location); err != nil {
			return &downloadError{err}
		}
		return nil
	}
	var conn net.Conn
	var err error
	if c.tls != nil {
		d := &tls.Dialer{Config: c.tls}
		conn, err = d.DialContext(ctx, "tcp", c.addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", c.addr)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	if _, err := conn.Write(photo); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the reply: %w", err)
	}
	link, ok := strings.CutPrefix(strings.TrimSpace(line), "Imagen escalada disponible en: ")
	if !ok {
		return fmt.Errorf("reply %q", line)
	}
	if err := download(ctx, c.hc, link); err != nil {
		return &downloadError{err}
	}
	return nil
}

// download fetches link and checks that it is a JPEG.
func download(ctx context.Context, hc *http.Client, link string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	head := make([]byte, 2)
	if _, err := io.ReadFull(resp.Body, head); err != nil || resp.StatusCode != http.StatusOK || head[0] != 0xff || head[1] != 0xd8 {
		return errors.Join(fmt.Errorf("download %s: %s, starts %x", link, resp.Status, head), err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// usages returns the CPU time (user and system) and the page faults (minor
// and major) of each process so far.
func usages(procs []*exec.Cmd) []usage {
	var out []usage
	for _, p := range procs {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Process.Pid))
		if err != nil {
			out = append(out, usage{})
			continue
		}
		// Fields after the command name, which is in parentheses: state is
		// the first, minflt the 8th, majflt the 10th, utime and stime the
		// 12th and 13th.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		num := func(i int) float64 {
			v, _ := strconv.ParseFloat(fields[i], 64)
			return v
		}
		out = append(out, usage{
			cpu:    (num(11) + num(12)) / 100, // clock ticks of 1/100 s on Linux
			faults: int64(num(7) + num(9)),
		})
	}
	return out
}

// peakRSS returns a process's peak resident set size in KiB.
func peakRSS(pid int) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kib
		}
	}
	return 0
}

func (r *result) print(d time.Duration) {
	slices.Sort(r.latencies)
	pct := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
	}
	fmt.Printf("requests answered %d in %v (%.1f/s), completed with their download %d; errors %d\n",
		r.answered, d, float64(r.answered)/d.Seconds(), len(r.latencies), r.errors)
	fmt.Printf("latency p50 %v, p90 %v, p99 %v, max %v\n", pct(0.5).Round(time.Millisecond),
		pct(0.9).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	n := float64(max(1, r.answered))
	for i, u := range r.usage {
		fmt.Printf("%-13s %.2f ms CPU and %.1f page faults per request; %.2f cores busy, peak RSS %d MiB\n",
			r.names[i]+":", 1000*u.cpu/n, float64(u.faults)/n, u.cpu/d.Seconds(), r.peakRSS[i]/1024)
	}
	fmt.Printf("%-13s %.2f ms CPU and %.1f page faults per request; the clients used %.2f cores\n",
		"together:", 1000*r.cpuPerRequest(), r.faultsPerRequest(), r.self/d.Seconds())
	if r.firstErr != nil {
		fmt.Printf("first error: %v\n", r.firstErr)
	}
}
