package transport

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escala-img/escala/internal/tools/fakescaler"
	"github.com/escala-img/escala/scaler"
)

// lockedLog is a log written concurrently.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

const switchedLog = "the server speaks only the original framing"

// A Native Client finds that its server is an original scale server,
// whether that closes on the native frame or waits for more, and speaks
// the original framing to it from then on, having said so once.
func TestClientDetectsOriginalFraming(t *testing.T) {
	for _, waits := range []bool{false, true} {
		name := "closes"
		if waits {
			name = "waits"
		}
		t.Run(name, func(t *testing.T) {
			st := fakescaler.Start(t, waits)
			addr := st.Addr
			var log lockedLog
			c := &Client{Addr: addr, Logger: slog.New(slog.NewTextHandler(&log, nil))}
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			src := image.NewGray(image.Rect(0, 0, 40, 30))
			scale := func() {
				dst, err := c.Scale(ctx, src, &scaler.Options{Factor: 0.5})
				if err != nil {
					t.Error(err)
					return
				}
				if b := dst.Bounds(); b.Dx() != 20 || b.Dy() != 15 {
					t.Errorf("Scale(40x30) = %dx%d, want 20x15", b.Dx(), b.Dy())
				}
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(scale) // at first use, at once
			}
			wg.Wait()
			native := st.Native.Load()
			if native < 2 || native > 8 {
				t.Errorf("%d native requests reached the server while 4 calls found out, want 2 to 8", native)
			}
			for range 3 {
				scale()
			}
			resp, err := c.Do(ctx, &Request{Body: testJPEG(t, 64, 48)})
			if err != nil {
				t.Fatal(err)
			}
			if cfg, f, err := scaler.DecodeConfig(bytes.NewReader(resp.Body), nil); err != nil || f != scaler.JPEG || cfg.Width != 32 {
				t.Errorf("Do(64x48 jpeg) = %v %dx%d, %v; want a 32x24 JPEG", f, cfg.Width, cfg.Height, err)
			}
			if n := st.Native.Load(); n != native {
				t.Errorf("%d native requests after the switch, want none", n-native)
			}
			if n := st.Framed.Load(); n < 8 {
				t.Errorf("%d framed requests answered, want at least 8", n)
			}
			if n := strings.Count(log.String(), switchedLog); n != 1 {
				t.Errorf("the switch was logged %d times, want once:\n%s", n, log.String())
			}
		})
	}
}

// dropFirst closes the first connection it accepts, as a server at its
// MaxConns does, and passes on the others.
type dropFirst struct {
	net.Listener
	dropped atomic.Bool
}

func (l *dropFirst) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || l.dropped.Swap(true) {
			return c, err
		}
		c.Close()
	}
}

// A Server of this package that closes a Client's first connection, and
// then answers the framed request that follows, is not taken for an
// original server: the Client asks natively once more before it switches.
func TestClientKeepsNativeAfterOneClose(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: echo, Logger: quiet}
	go s.Serve(&dropFirst{Listener: l})
	t.Cleanup(func() { s.Close() })
	var log lockedLog
	c := &Client{Addr: l.Addr().String(), Logger: slog.New(slog.NewTextHandler(&log, nil))}
	defer c.Close()
	for i := range 3 {
		resp, err := c.Do(context.Background(), &Request{Body: []byte("image"), Options: scaler.Options{Factor: 0.25}})
		if want := "loc:native 5 bytes factor=0.25 w=0 h=0 q=0 o=0"; err != nil || resp.Location != want {
			t.Errorf("Do #%d = %+v, %v; want the native reply %q", i, resp, err, want)
		}
	}
	if strings.Contains(log.String(), switchedLog) {
		t.Errorf("the Client switched to the original framing:\n%s", log.String())
	}
}

// The Client against the original scale server itself, scale_server.py,
// run by Debian's python3 with Pillow. It is skipped with -short, and
// without /usr/bin/python3 or Pillow, unless ESCALA_REQUIRE_PEERS is set.
func TestClientDetectsOriginalPython(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python; not with -short")
	}
	const python = "/usr/bin/python3"
	script, err := filepath.Abs(filepath.Join("..", "internal", "tools", "loadtest", "original", "scale_server.py"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err = os.Stat(script); err == nil {
		err = exec.Command(python, "-c", "import PIL").Run()
	}
	if err != nil {
		if os.Getenv("ESCALA_REQUIRE_PEERS") != "" {
			t.Fatalf("%s cannot run %s with Pillow (%v), and ESCALA_REQUIRE_PEERS is set", python, script, err)
		}
		t.Skipf("%s cannot run %s with Pillow (apt-get install python3-pil): %v", python, script, err)
	}
	port := strconv.Itoa(freePort(t))
	cmd := exec.Command(python, script, port)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	started := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := sc.Scan() && strings.HasPrefix(sc.Text(), "Iniciando")
		started <- ok
		for sc.Scan() { // the server prints a few lines a request
		}
	}()
	select {
	case ok := <-started:
		if !ok {
			t.Fatal("scale_server.py did not start")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("scale_server.py did not start within 20 s")
	}
	var log lockedLog
	c := &Client{Addr: net.JoinHostPort("127.0.0.1", port), Logger: slog.New(slog.NewTextHandler(&log, nil))}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	src := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range 3 {
		dst, err := c.Scale(ctx, src, nil)
		if err != nil {
			t.Fatalf("Scale #%d with the original scale server = %v", i, err)
		}
		if b := dst.Bounds(); b.Dx() != 32 || b.Dy() != 24 {
			t.Errorf("Scale #%d (64x48) = %dx%d, want 32x24", i, b.Dx(), b.Dy())
		}
	}
	if n := strings.Count(log.String(), switchedLog); n != 1 {
		t.Errorf("the switch was logged %d times, want once:\n%s", n, log.String())
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
