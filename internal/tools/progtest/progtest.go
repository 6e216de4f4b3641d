// Package progtest builds and runs the example programs for tests; only
// tests import it.
//
// The tests of the root module and those of the examples module use it
// alike:
//
//	bins := progtest.Build(t, "scaleserver", "asyncserver")
//	scale := progtest.Start(t, bins["scaleserver"], 1, "--port", "0")
//	gw := progtest.Start(t, bins["asyncserver"], 2, "--port", "0",
//		"--http", "127.0.0.1:0", "--scaler", scale.Addr())
//	// gw.Addr() takes uploads; gw.URL() serves the results.
//
// Every program is stopped with SIGTERM when its test ends, and must then
// exit with status 0, unless the test killed or stopped it itself.
package progtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Timeout bounds the waits of the package: for a program to log its
// addresses, for it to exit after SIGTERM, and for the exchange of
// RawUpload.
const Timeout = 30 * time.Second

// Build compiles the programs ./examples/NAME of the repository, one for
// each of names, into a temporary folder of tb, and returns their paths
// by name. It fails tb if one does not compile.
//
// The programs are built in the workspace of the go.work at the root of
// the repository, with that folder as the working directory, as they are
// a module of their own that needs the others of the workspace. The
// go.work is the one that "go env GOWORK" names in the working directory
// of the test; when there is none (GOWORK=off, say), it is the first
// found walking up from there. So Build works from the tests of every
// module of the repository.
func Build(tb testing.TB, names ...string) map[string]string {
	tb.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	work, err := workspace(goTool)
	if err != nil {
		tb.Fatalf("building the example programs: %v", err)
	}
	bin := tb.TempDir()
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	paths := map[string]string{}
	for _, name := range names {
		args = append(args, "./examples/"+name)
		paths[name] = filepath.Join(bin, name)
		if runtime.GOOS == "windows" {
			paths[name] += ".exe"
		}
	}
	cmd := exec.Command(goTool, args...)
	cmd.Dir = filepath.Dir(work)
	cmd.Env = append(os.Environ(), "GOWORK="+work)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go %s (in %s): %v\n%s", strings.Join(args, " "), cmd.Dir, err, out)
	}
	return paths
}

// workspace returns the path of the go.work of the repository.
func workspace(goTool string) (string, error) {
	out, err := exec.Command(goTool, "env", "GOWORK").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOWORK: %w", err)
	}
	if work := strings.TrimSpace(string(out)); work != "" && work != "off" {
		return work, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		work := filepath.Join(dir, "go.work")
		if _, err := os.Stat(work); err == nil {
			return work, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work in the working directory or above it")
		}
		dir = parent
	}
}

// A Program is a server program started by Start, with the addresses it
// logged. Its methods are safe for concurrent use; Port and WaitLog, which
// may fail the test, must be called from the test's goroutine.
type Program struct {
	cmd   *exec.Cmd
	addrs map[string]string // "addr", "url": the first of each logged
	ended atomic.Bool       // by Kill or Stop: the cleanup leaves it alone
	done  chan struct{}     // closed when it has exited
	err   error             // how it exited, once done is closed

	mu    sync.Mutex
	lines []string      // what it logged
	grew  chan struct{} // closed when a line is added or it exits
}

// logAddr matches the addresses in a log line, of slog's text format
// (addr=host:port) or JSON ("addr":"host:port").
var logAddr = regexp.MustCompile(`\b(addr|url|admin)=(\S+)|"(addr|url|admin)":"([^"]+)"`)

// findAddr returns the kind and the address of the first address in
// line, or nil.
func findAddr(line string) []string {
	m := logAddr.FindStringSubmatch(line)
	switch {
	case m == nil:
		return nil
	case m[1] != "":
		return m[:3]
	}
	return []string{m[0], m[3], m[4]}
}

// Start runs the program at path with args, in a temporary folder of tb,
// and waits until it has logged the addresses it listens on: lines
// lines holding addr=, url= or admin=, as slog writes them. It fails tb if the
// program exits first, or takes longer than Timeout. The program is
// stopped with SIGTERM when tb ends, and tb fails unless it then exits
// with status 0 within Timeout, or if it has exited before.
func Start(tb testing.TB, path string, lines int, args ...string) *Program {
	tb.Helper()
	return StartCmd(tb, exec.Command(path, args...), lines)
}

// StartCmd is Start for a command that the caller has prepared: with an
// environment of its own, say. Its standard error must not be set. An
// empty Dir means a temporary folder of tb.
func StartCmd(tb testing.TB, cmd *exec.Cmd, lines int) *Program {
	tb.Helper()
	name := filepath.Base(cmd.Path)
	if cmd.Dir == "" {
		cmd.Dir = tb.TempDir()
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &Program{cmd: cmd, addrs: map[string]string{}, done: make(chan struct{}), grew: make(chan struct{})}
	found := make(chan struct{})
	if lines <= 0 {
		close(found)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		n := 0
		for sc.Scan() {
			var addr []string
			if n < lines {
				addr = findAddr(sc.Text())
			}
			p.add(sc.Text(), addr)
			if addr != nil {
				if n++; n == lines {
					close(found)
				}
			}
		}
		p.err = cmd.Wait()
		close(p.done)
		p.add("", nil)
	}()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case <-found:
	case <-p.done:
	case <-timer.C:
		cmd.Process.Kill()
		<-p.done
	}
	select {
	case <-found:
	default:
		tb.Fatalf("%s %v did not log its %d addresses: it exited (%v), or was killed after %v; it logged:\n%s",
			name, cmd.Args[1:], lines, p.err, Timeout, strings.Join(p.Lines(), "\n"))
	}
	tb.Cleanup(func() {
		if p.ended.Load() {
			return
		}
		select {
		case <-p.done:
			tb.Errorf("%s exited (%v) before the end of the test", name, p.err)
			return
		default:
		}
		if err := p.Stop(); err != nil {
			tb.Errorf("%s after SIGTERM: %v, want exit status 0", name, err)
		}
	})
	return p
}

// add appends line to the log, unless it is empty, with the address
// that findAddr found in it, if any and the first of its kind, and wakes
// the waiters of WaitLog.
func (p *Program) add(line string, addr []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if line != "" {
		p.lines = append(p.lines, line)
	}
	if addr != nil && p.addrs[addr[1]] == "" {
		p.addrs[addr[1]] = addr[2]
	}
	close(p.grew)
	p.grew = make(chan struct{})
}

// Addr returns the first address the program logged as addr=, such as
// "127.0.0.1:8080", or "" if it logged none.
func (p *Program) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addrs["addr"]
}

// URL returns the first URL the program logged as url=, such as
// "http://127.0.0.1:8082", or "" if it logged none.
func (p *Program) URL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addrs["url"]
}

// Admin returns the address of the admin server the program logged as
// admin=, or "" if it logged none.
func (p *Program) Admin() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addrs["admin"]
}

// Port returns the port of Addr. It fails tb if Addr is not a host and
// port.
func (p *Program) Port(tb testing.TB) string {
	tb.Helper()
	_, port, err := net.SplitHostPort(p.Addr())
	if err != nil {
		tb.Fatalf("%s logged addr=%q: %v", filepath.Base(p.cmd.Path), p.Addr(), err)
	}
	return port
}

// Lines returns the lines that the program has logged on its standard
// error so far, its addresses' among them. The slice is the caller's.
func (p *Program) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// WaitLog returns the first line that the program has logged, or logs
// within d, for which match reports true. It fails tb if there is none
// by then, or when the program has exited without one.
func (p *Program) WaitLog(tb testing.TB, d time.Duration, match func(line string) bool) string {
	tb.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	seen := 0
	for {
		p.mu.Lock()
		lines, grew := p.lines[seen:], p.grew
		seen = len(p.lines)
		p.mu.Unlock()
		for _, line := range lines {
			if match(line) {
				return line
			}
		}
		select {
		case <-p.done:
			if len(p.Lines()) == seen {
				tb.Fatalf("%s exited (%v) without logging the line awaited", filepath.Base(p.cmd.Path), p.err)
			}
		case <-grew:
		case <-timer.C:
			tb.Fatalf("%s logged no line awaited within %v", filepath.Base(p.cmd.Path), d)
		}
	}
}

// Kill ends the program with SIGKILL, as a crash would, and waits until
// it has exited.
func (p *Program) Kill() {
	p.ended.Store(true)
	p.cmd.Process.Kill()
	<-p.done
}

// Stop ends the program with SIGTERM and returns how it exited: nil for
// status 0. If it has not exited within Timeout, it is killed and the
// error says so.
func (p *Program) Stop() error {
	p.ended.Store(true)
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(Timeout):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %v of SIGTERM", filepath.Base(p.cmd.Path), Timeout)
	}
}

// RawUpload sends data to the gateway at addr as the original client
// does, without a length and without closing its side, and returns what
// comes back until the gateway closes the connection: a line, with the
// link or an error. The exchange may take Timeout at most. An error means
// that nothing came back.
func RawUpload(addr string, data []byte) (string, error) {
	c, err := net.DialTimeout("tcp", addr, Timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(Timeout))
	if _, err := c.Write(data); err != nil {
		return "", err
	}
	var reply strings.Builder
	_, err = io.Copy(&reply, c)
	if reply.Len() > 0 {
		return reply.String(), nil
	}
	if err == nil {
		err = io.EOF
	}
	return "", fmt.Errorf("reading the reply of %s: %w", addr, err)
}

// PostUpload sends data to POST /upload of the gateway's HTTP server at
// base, with an "Authorization: Bearer" header when token is not "", and
// returns the reply with its body read. The exchange may take Timeout at
// most.
func PostUpload(base string, data []byte, token string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/upload", bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}
