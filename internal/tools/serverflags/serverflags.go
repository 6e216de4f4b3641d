// Package serverflags holds the limits that the gateway and the scale
// server programs share: their flags, their defaults and how they become a
// transport.Server and its budgets. Each program adds its own flags. Only
// the programs under examples/ import it.
package serverflags

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/transport"
)

// Limits are the values of the shared flags.
type Limits struct {
	MemoryMiB       int64
	MaxUploadMiB    int
	MaxMegapixels   float64
	MaxConns        int
	MaxQueue        int
	IdleTimeout     time.Duration
	StallTimeout    time.Duration
	ReadTimeout     time.Duration
	HandlerTimeout  time.Duration
	WriteTimeout    time.Duration
	ShutdownTimeout time.Duration
}

// Register defines the shared flags on fs, with their defaults, and
// returns where their values go.
func Register(fs *flag.FlagSet) *Limits {
	l := new(Limits)
	fs.Int64Var(&l.MemoryMiB, "memory-mib", 1024, "memory budget in MiB: 3/8 for requests being received, 1/4 for decoding (and 1/8 for scaling in a scale server); the heap is capped at 9/10")
	fs.IntVar(&l.MaxUploadMiB, "max-upload-mib", transport.DefaultMaxFrameSize>>20, "largest request or upload, in MiB, refused before it is read")
	fs.Float64Var(&l.MaxMegapixels, "max-megapixels", scaler.DefaultMaxPixels/1e6, "largest image, in megapixels, refused from its header before it is decoded")
	fs.IntVar(&l.MaxConns, "max-conns", transport.DefaultMaxConns, "connections served at once; more are closed at once")
	fs.IntVar(&l.MaxQueue, "max-queue", scaler.DefaultMaxWaiting, "requests that may wait for memory at each stage; more get a busy error at once")
	fs.DurationVar(&l.IdleTimeout, "idle-timeout", transport.DefaultIdleTimeout, "how long a connection may wait for the first byte of a request")
	fs.DurationVar(&l.StallTimeout, "stall-timeout", transport.DefaultStallTimeout, "how long a request being received may go without a byte")
	fs.DurationVar(&l.ReadTimeout, "read-timeout", transport.DefaultReadTimeout, "how long receiving a whole request may take, from its first byte")
	fs.DurationVar(&l.HandlerTimeout, "process-timeout", transport.DefaultHandlerTimeout, "how long processing a request may take once received")
	fs.DurationVar(&l.WriteTimeout, "write-timeout", transport.DefaultWriteTimeout, "how long writing a reply may take")
	fs.DurationVar(&l.ShutdownTimeout, "shutdown-timeout", 20*time.Second, "how long requests in flight may take to finish on shutdown")
	return l
}

// Check reports the first value that makes no sense, naming its flag.
func (l *Limits) Check() error {
	switch {
	case l.MemoryMiB < 64:
		return fmt.Errorf("--memory-mib %d is below 64", l.MemoryMiB)
	case l.MaxUploadMiB < 1 || l.MaxUploadMiB > transport.MaxFrameSizeLimit>>20:
		return fmt.Errorf("--max-upload-mib %d is not between 1 and %d", l.MaxUploadMiB, transport.MaxFrameSizeLimit>>20)
	case !(l.MaxMegapixels > 0 && l.MaxMegapixels <= 1e6):
		return fmt.Errorf("--max-megapixels %v is not between 0 and 1000000", l.MaxMegapixels)
	case l.MaxConns < 1:
		return fmt.Errorf("--max-conns %d is below 1", l.MaxConns)
	case l.MaxQueue < 1:
		return fmt.Errorf("--max-queue %d is below 1", l.MaxQueue)
	}
	for _, t := range []struct {
		name string
		d    time.Duration
	}{
		{"idle-timeout", l.IdleTimeout}, {"stall-timeout", l.StallTimeout}, {"read-timeout", l.ReadTimeout},
		{"process-timeout", l.HandlerTimeout}, {"write-timeout", l.WriteTimeout}, {"shutdown-timeout", l.ShutdownTimeout},
	} {
		if t.d <= 0 {
			return fmt.Errorf("--%s %v is not positive", t.name, t.d)
		}
	}
	return nil
}

// SetMemoryLimit caps the heap at 90% of --memory-mib, where the garbage
// collector runs however often it must, and below that lets it run when
// the heap has doubled since the last collection (GOGC 100), as Go does
// by default. Collecting by the limit alone let every server grow to the
// limit whatever it served, taking fresh pages from the system for each
// request; the large buffers are now recycled (internal/codec/mem), so the
// heap stays near what the work in flight holds.
func (l *Limits) SetMemoryLimit() {
	debug.SetMemoryLimit(l.bytes() * 9 / 10)
	debug.SetGCPercent(100)
}

func (l *Limits) bytes() int64 { return l.MemoryMiB << 20 }

// MaxPixels is --max-megapixels in pixels.
func (l *Limits) MaxPixels() int64 { return int64(l.MaxMegapixels * 1e6) }

// Budget returns a budget of num/den of --memory-mib, with a queue of
// --max-queue.
func (l *Limits) Budget(num, den int64) *scaler.Budget {
	return &scaler.Budget{Max: l.bytes() * num / den, MaxWaiting: l.MaxQueue}
}

// Server returns a server of h with the limits, the timeouts, and 3/8 of
// --memory-mib for the requests being received.
func (l *Limits) Server(h transport.Handler) *transport.Server {
	return &transport.Server{
		Handler:        h,
		MaxFrameSize:   l.MaxUploadMiB << 20,
		MaxConns:       l.MaxConns,
		IdleTimeout:    l.IdleTimeout,
		StallTimeout:   l.StallTimeout,
		ReadTimeout:    l.ReadTimeout,
		HandlerTimeout: l.HandlerTimeout,
		WriteTimeout:   l.WriteTimeout,
		Budget:         l.Budget(3, 8),
	}
}

// HTTPServer returns a server of h with the timeouts: --stall-timeout for
// the request's headers, which may be 16 KiB at most, --read-timeout for
// the whole request, --write-timeout for the reply and --idle-timeout
// between requests.
func (l *Limits) HTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.StallTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
	}
}

// Listener returns ln with at most --max-conns connections open at once:
// one accepted beyond that is closed before it is returned, and Accept
// goes on to the next. It is what transport.Server does with MaxConns, for
// the HTTP server of the results.
func (l *Limits) Listener(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, max: int64(l.MaxConns)}
}

type limitListener struct {
	net.Listener
	max  int64
	open atomic.Int64
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &limitConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		c.Close()
	}
}

// A limitConn gives its place back when it is first closed.
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}
