// Command loadtest drives a gateway, a scale server and the HTTP server of
// the results with concurrent clients, as the original client does: each
// sends a photo as raw bytes, reads the link line and downloads the result.
// It starts the programs itself — escala's (built from examples/) or the
// baseline reconstruction of the original Python system (original/) — and
// reports throughput, latency percentiles, errors, the CPU the servers
// used and their peak memory.
//
//	go run ./internal/tools/loadtest -target escala -clients 8 -duration 30s \
//		-images ../shared/corpus/Garden-350x418.jpg,../shared/corpus/Elephants_3840x2160.jpg
//
// The Python baseline needs python3 with Pillow and aiohttp (Debian:
// apt-get install python3-pil python3-aiohttp).
package main

import (
	"bufio"
	"context"
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
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	target := flag.String("target", "escala", "escala, or original for the Python baseline")
	clients := flag.Int("clients", 8, "concurrent clients")
	duration := flag.Duration("duration", 30*time.Second, "how long to measure, after the warm-up")
	warmup := flag.Duration("warmup", 3*time.Second, "load before measuring starts")
	images := flag.String("images", "../shared/corpus/Garden-350x418.jpg", "comma-separated photos each client sends in turn")
	python := flag.String("python", "python3", "Python with Pillow and aiohttp, for -target original")
	memory := flag.Int("memory-mib", 1024, "--memory-mib of escala's servers")
	flag.Parse()
	log.SetFlags(0)

	var photos [][]byte
	for p := range strings.SplitSeq(*images, ",") {
		data, err := os.ReadFile(p)
		if err != nil {
			log.Fatalf("loadtest: %v", err)
		}
		photos = append(photos, data)
	}
	work, err := os.MkdirTemp("", "loadtest-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)

	var sys *system
	switch *target {
	case "escala":
		sys, err = startEscala(work, *memory)
	case "original":
		sys, err = startOriginal(work, *python)
	default:
		err = fmt.Errorf("unknown -target %q", *target)
	}
	if err != nil {
		log.Fatalf("loadtest: %v", err)
	}
	defer sys.stop()

	fmt.Printf("loadtest %s: %s, %d clients, %v after %v of warm-up, photos %s\n",
		time.Now().Format("2006-01-02"), *target, *clients, *duration, *warmup, *images)
	r := run(sys.addr, photos, *clients, *warmup, *duration, sys.procs)
	r.print(*duration)
}

// A system is a set of started server processes and the gateway's address.
type system struct {
	addr  string
	procs []*exec.Cmd
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

func startEscala(work string, memory int) (*system, error) {
	bin := filepath.Join(work, "bin")
	for _, name := range []string{"scaleserver", "asyncserver"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(bin, name), "./examples/"+name).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("go build ./examples/%s: %v\n%s", name, err, out)
		}
	}
	scalePort, gatewayPort, httpPort := freePort(), freePort(), freePort()
	mem := strconv.Itoa(memory)
	scale, err := start(work, filepath.Join(bin, "scaleserver"), "--port", scalePort, "--memory-mib", mem)
	if err != nil {
		return nil, err
	}
	sys := &system{addr: "127.0.0.1:" + gatewayPort, procs: []*exec.Cmd{scale}}
	gateway, err := start(work, filepath.Join(bin, "asyncserver"), "--port", gatewayPort,
		"--scaler", "127.0.0.1:"+scalePort, "--http", "127.0.0.1:"+httpPort, "--memory-mib", mem)
	if err != nil {
		sys.stop()
		return nil, err
	}
	sys.procs = append(sys.procs, gateway)
	for _, port := range []string{scalePort, gatewayPort, httpPort} {
		if err := waitPort("127.0.0.1:" + port); err != nil {
			sys.stop()
			return nil, err
		}
	}
	return sys, nil
}

func startOriginal(work, python string) (*system, error) {
	here, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	scripts := filepath.Join(here, "internal", "tools", "loadtest", "original")
	scalePort, gatewayPort, httpPort := freePort(), freePort(), freePort()
	scale, err := start(work, python, filepath.Join(scripts, "scale_server.py"), scalePort)
	if err != nil {
		return nil, err
	}
	sys := &system{addr: "127.0.0.1:" + gatewayPort, procs: []*exec.Cmd{scale}}
	gateway, err := start(work, python, filepath.Join(scripts, "async_server.py"), "--ip", "127.0.0.1",
		"--port", gatewayPort, "--http-port", httpPort, "--scaler-port", scalePort)
	if err != nil {
		sys.stop()
		return nil, err
	}
	sys.procs = append(sys.procs, gateway)
	for _, port := range []string{scalePort, gatewayPort, httpPort} {
		if err := waitPort("127.0.0.1:" + port); err != nil {
			sys.stop()
			return nil, err
		}
	}
	return sys, nil
}

// A result is what a load run measured.
type result struct {
	latencies []time.Duration
	errors    int
	firstErr  error
	cpu       []float64 // CPU seconds of each server process during the run
	peakRSS   []int64   // peak resident memory of each, in KiB
	self      float64   // CPU seconds of this process, the clients
}

// selfCPU returns the CPU time this process has used.
func selfCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// run has clients send photos in turn, each waiting for its link and
// downloading the result before it sends the next, and measures the
// requests that complete within the measuring window.
func run(addr string, photos [][]byte, clients int, warmup, duration time.Duration, procs []*exec.Cmd) *result {
	measureFrom := time.Now().Add(warmup)
	end := measureFrom.Add(duration)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	var mu sync.Mutex
	r := &result{}
	var cpuStart []float64
	var selfStart float64
	go func() {
		time.Sleep(warmup)
		mu.Lock()
		cpuStart, selfStart = cpuSeconds(procs), selfCPU()
		mu.Unlock()
	}()
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := c; ctx.Err() == nil; i++ {
				begin := time.Now()
				err := exchange(ctx, httpClient, addr, photos[i%len(photos)])
				if !time.Now().Before(end) {
					return // cut off by the end of the run
				}
				if begin.Before(measureFrom) {
					continue
				}
				mu.Lock()
				if err != nil {
					r.errors++
					if r.firstErr == nil {
						r.firstErr = err
					}
				} else {
					r.latencies = append(r.latencies, time.Since(begin))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	r.self = selfCPU() - selfStart
	cpuEnd := cpuSeconds(procs)
	for i := range cpuEnd {
		if i < len(cpuStart) {
			r.cpu = append(r.cpu, cpuEnd[i]-cpuStart[i])
		}
	}
	for _, p := range procs {
		r.peakRSS = append(r.peakRSS, peakRSS(p.Process.Pid))
	}
	return r
}

// exchange is one client's request: the photo as raw bytes, the link line
// back, then a download of the link.
func exchange(ctx context.Context, hc *http.Client, addr string, photo []byte) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if deadline, ok := ctx.Deadline(); ok {
		c.SetDeadline(deadline)
	}
	if _, err := c.Write(photo); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the reply: %w", err)
	}
	link, ok := strings.CutPrefix(strings.TrimSpace(line), "Imagen escalada disponible en: ")
	if !ok {
		return fmt.Errorf("reply %q", line)
	}
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

// cpuSeconds returns the user and system CPU time of each process so far.
func cpuSeconds(procs []*exec.Cmd) []float64 {
	var out []float64
	for _, p := range procs {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Process.Pid))
		if err != nil {
			out = append(out, 0)
			continue
		}
		// Fields after the command name, which is in parentheses.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		utime, _ := strconv.ParseFloat(fields[11], 64)
		stime, _ := strconv.ParseFloat(fields[12], 64)
		out = append(out, (utime+stime)/100) // clock ticks of 1/100 s on Linux
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
	fmt.Printf("requests %d in %v: %.1f req/s; errors %d\n", len(r.latencies), d, float64(len(r.latencies))/d.Seconds(), r.errors)
	fmt.Printf("latency p50 %v, p90 %v, p99 %v, max %v\n", pct(0.5).Round(time.Millisecond),
		pct(0.9).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	names := []string{"scale server", "gateway"}
	total := 0.0
	for i, cpu := range r.cpu {
		total += cpu
		fmt.Printf("%s: %.2f cores busy, peak RSS %d MiB\n", names[i], cpu/d.Seconds(), r.peakRSS[i]/1024)
	}
	fmt.Printf("servers together: %.2f cores busy; the clients: %.2f cores\n", total/d.Seconds(), r.self/d.Seconds())
	if r.firstErr != nil {
		fmt.Printf("first error: %v\n", r.firstErr)
	}
}
