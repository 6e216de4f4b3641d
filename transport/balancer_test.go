package transport

import (
	"context"
	"errors"
	"fmt"
	"image"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/escala-img/escala/scaler"
)

// fakeScaler is a scaler.Interface that counts its calls and fails them
// with the error set by fail, if any.
type fakeScaler struct {
	calls atomic.Int32
	mu    sync.Mutex
	err   error
}

func (f *fakeScaler) fail(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fakeScaler) failure() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *fakeScaler) Scale(ctx context.Context, src image.Image, opts *scaler.Options) (image.Image, error) {
	f.calls.Add(1)
	if err := f.failure(); err != nil {
		return nil, err
	}
	return src, nil
}

// pingedScaler is a fakeScaler that can be probed: Ping fails as Scale
// does, or waits for its ctx to end while hang is set.
type pingedScaler struct {
	fakeScaler
	hang  atomic.Bool
	pings atomic.Int32
}

func (p *pingedScaler) Ping(ctx context.Context) error {
	p.pings.Add(1)
	if p.hang.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	return p.failure()
}

// heldScaler is a scaler.Interface whose calls say that they entered, and
// then wait for release to be closed.
type heldScaler struct {
	calls   atomic.Int32
	entered chan<- struct{}
	release chan struct{}
}

func (h *heldScaler) Scale(ctx context.Context, src image.Image, opts *scaler.Options) (image.Image, error) {
	h.calls.Add(1)
	h.entered <- struct{}{}
	select {
	case <-h.release:
		return src, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var balancerSrc = image.NewGray(image.Rect(0, 0, 8, 8))

// scaleOK calls b.Scale, which must succeed.
func scaleOK(tb testing.TB, b *Balancer) {
	tb.Helper()
	if _, err := b.Scale(context.Background(), balancerSrc, nil); err != nil {
		tb.Fatalf("Balancer.Scale = %v", err)
	}
}

func ups(st []ScalerStatus) []bool {
	up := make([]bool, len(st))
	for i, s := range st {
		up[i] = s.Up
	}
	return up
}

func outstanding(st []ScalerStatus) []int {
	n := make([]int, len(st))
	for i, s := range st {
		n[i] = s.Outstanding
	}
	return n
}

// While one scaler holds calls, new calls go to the other; calls that
// all wait are split evenly.
func TestBalancerLeastOutstanding(t *testing.T) {
	const held, more = 4, 20
	entered := make(chan struct{}, 2*held+more)
	slow := &heldScaler{entered: entered, release: make(chan struct{})}
	fast := &heldScaler{entered: entered, release: make(chan struct{})}
	b := &Balancer{Scalers: []scaler.Interface{slow, fast}}
	defer b.Close()
	releaseSlow := sync.OnceFunc(func() { close(slow.release) })
	defer releaseSlow()

	results := make(chan error, 2*held)
	for range 2 * held {
		go func() {
			_, err := b.Scale(context.Background(), balancerSrc, nil)
			results <- err
		}()
	}
	for range 2 * held {
		<-entered
	}
	if s, f := slow.calls.Load(), fast.calls.Load(); s != held || f != held {
		t.Fatalf("%d calls in flight went %d and %d to two equal scalers, want %d each", 2*held, s, f, held)
	}
	if got := outstanding(b.Status()); got[0] != held || got[1] != held {
		t.Errorf("Status outstanding = %v, want [%d %d]", got, held, held)
	}

	close(fast.release)
	for range held {
		if err := <-results; err != nil {
			t.Fatalf("a call of the fast scaler = %v", err)
		}
	}
	for i := range more {
		// A call that waits on the slow scaler fails instead of hanging.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := b.Scale(ctx, balancerSrc, nil)
		cancel()
		if err != nil {
			t.Fatalf("call %d with the slow scaler holding %d calls = %v", i, held, err)
		}
	}
	if s, f := slow.calls.Load(), fast.calls.Load(); s != held || f != held+more {
		t.Errorf("with the slow scaler holding %d calls, %d more went %d to it and %d to the other, want 0 and %d",
			held, more, s-held, f-held, more)
	}
	if got := outstanding(b.Status()); got[0] != held || got[1] != 0 {
		t.Errorf("Status outstanding = %v, want [%d 0]", got, held)
	}

	releaseSlow()
	for range held {
		if err := <-results; err != nil {
			t.Errorf("a call of the slow scaler = %v", err)
		}
	}
	if got := outstanding(b.Status()); got[0] != 0 || got[1] != 0 {
		t.Errorf("Status outstanding after every call returned = %v, want [0 0]", got)
	}
}

// Sequential calls, which never overlap, take equal scalers in turn.
func TestBalancerSharesEvenly(t *testing.T) {
	const calls = 200
	a, c := &fakeScaler{}, &fakeScaler{}
	b := &Balancer{Scalers: []scaler.Interface{a, c}}
	defer b.Close()
	for range calls {
		scaleOK(t, b)
	}
	for i, f := range []*fakeScaler{a, c} {
		if n := f.calls.Load(); n < calls*40/100 {
			t.Errorf("scaler %d got %d of %d calls, want at least 40%%", i, n, calls)
		}
	}
}

func TestBalancerFailover(t *testing.T) {
	unavailable := fmt.Errorf("%w: dial tcp: connection refused", ErrUnavailable)
	unavailable2 := fmt.Errorf("%w: closed the connection without a reply", ErrUnavailable)
	busy := &RemoteError{Code: CodeBusy, Message: "scaler: busy: 64 requests wait"}
	busy2 := &RemoteError{Code: CodeBusy, Message: "no memory free"}
	behind := &RemoteError{Code: CodeUnavailable, Message: "the server behind is down"}
	invalid := &RemoteError{Code: CodeInvalidImage, Message: "scaler: invalid image"}
	options := fmt.Errorf("%w: factor -1", scaler.ErrInvalidOptions)
	tests := []struct {
		name    string
		errs    []error // the failure of each scaler; nil: success
		calls   []int32
		wantErr error
		up      []bool
	}{
		{"unavailable, then next", []error{unavailable, nil}, []int32{1, 1}, nil, []bool{false, true}},
		{"busy, then next", []error{busy, nil}, []int32{1, 1}, nil, []bool{true, true}},
		{"unavailable, busy, then next", []error{unavailable, busy, nil}, []int32{1, 1, 1}, nil, []bool{false, true, true}},
		{"error reply unavailable, then next", []error{behind, nil}, []int32{1, 1}, nil, []bool{true, true}},
		{"invalid image", []error{invalid, nil}, []int32{1, 0}, invalid, []bool{true, true}},
		{"invalid options", []error{options, nil}, []int32{1, 0}, options, []bool{true, true}},
		{"busy, then invalid", []error{busy, invalid, nil}, []int32{1, 1, 0}, invalid, []bool{true, true, true}},
		{"all busy", []error{busy, busy2}, []int32{1, 1}, busy2, []bool{true, true}},
		{"busy, then unavailable", []error{busy, unavailable}, []int32{1, 1}, unavailable, []bool{true, false}},
		{"all unavailable", []error{unavailable, unavailable2}, []int32{1, 1}, unavailable2, []bool{false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fakes := make([]*fakeScaler, len(tc.errs))
			b := &Balancer{HealthInterval: time.Hour}
			defer b.Close()
			for i, err := range tc.errs {
				fakes[i] = &fakeScaler{err: err}
				b.Scalers = append(b.Scalers, fakes[i])
			}
			_, err := b.Scale(context.Background(), balancerSrc, nil)
			if err != tc.wantErr {
				t.Errorf("Scale = %v, want %v", err, tc.wantErr)
			}
			for i, f := range fakes {
				if n := f.calls.Load(); n != tc.calls[i] {
					t.Errorf("scaler %d called %d times, want %d", i, n, tc.calls[i])
				}
			}
			if got := ups(b.Status()); fmt.Sprint(got) != fmt.Sprint(tc.up) {
				t.Errorf("Status up = %v, want %v", got, tc.up)
			}
			for i, st := range b.Status() {
				if st.Up != (st.Err == nil) || !st.Up && st.Err != tc.errs[i] {
					t.Errorf("Status[%d] = %+v, want Err the failure that marked it down", i, st)
				}
			}
		})
	}
}

// A call whose ctx has ended stops at the scaler that failed, which is
// not marked down: its failure says nothing of it.
func TestBalancerContextEnded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var first atomic.Int32
	cancelling := scaleFunc(func(context.Context, image.Image, *scaler.Options) (image.Image, error) {
		first.Add(1)
		cancel()
		return nil, fmt.Errorf("%w: connection reset", ErrUnavailable)
	})
	next := &fakeScaler{}
	b := &Balancer{Scalers: []scaler.Interface{cancelling, next}}
	defer b.Close()
	_, err := b.Scale(ctx, balancerSrc, nil)
	if !errors.Is(err, ErrUnavailable) || first.Load() != 1 || next.calls.Load() != 0 {
		t.Errorf("Scale with ctx cancelled during the first try = %v, with %d and %d calls; want its error, 1 and 0",
			err, first.Load(), next.calls.Load())
	}
	if got := ups(b.Status()); !got[0] || !got[1] {
		t.Errorf("Status up = %v, want both up", got)
	}
}

// Scalers marked down are passed by while one is up, and tried, best
// first, when none is.
func TestBalancerAllDown(t *testing.T) {
	a, c := &fakeScaler{}, &fakeScaler{}
	a.fail(fmt.Errorf("%w: a", ErrUnavailable))
	c.fail(fmt.Errorf("%w: c", ErrUnavailable))
	b := &Balancer{Scalers: []scaler.Interface{a, c}, HealthInterval: time.Hour}
	defer b.Close()
	if _, err := b.Scale(context.Background(), balancerSrc, nil); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Scale with both scalers failing = %v, want ErrUnavailable", err)
	}
	if b.Up() != 0 {
		t.Fatalf("Up() = %d after both failed, want 0", b.Up())
	}
	// Both come back: the next call tries them although both are down,
	// and the first it reaches is up again.
	a.fail(nil)
	c.fail(nil)
	scaleOK(t, b)
	if n := a.calls.Load() + c.calls.Load(); n != 3 {
		t.Errorf("%d calls in all, want 3: one each, then one", n)
	}
	if b.Up() != 1 {
		t.Fatalf("Up() = %d after a call reached a scaler, want 1", b.Up())
	}
	st := b.Status()
	downer := a
	if st[0].Up {
		downer = c
	}
	before := downer.calls.Load()
	for range 4 {
		scaleOK(t, b)
	}
	if downer.calls.Load() != before {
		t.Errorf("the scaler still marked down got %d calls while the other was up, want 0", downer.calls.Load()-before)
	}
}

// Probes mark a scaler that dies while idle down within an interval, and
// up again when it comes back; calls pass it by meanwhile.
func TestBalancerProbes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 100 * time.Millisecond
		a, c := &pingedScaler{}, &pingedScaler{}
		b := &Balancer{Scalers: []scaler.Interface{a, c}, HealthInterval: interval}
		defer b.Close()
		scaleOK(t, b) // starts the probes

		dead := fmt.Errorf("%w: connection refused", ErrUnavailable)
		c.fail(dead)
		time.Sleep(interval * 3 / 2)
		synctest.Wait()
		if st := b.Status(); !st[0].Up || st[1].Up || st[1].Err != dead {
			t.Fatalf("Status 1.5 intervals after a scaler died = %+v, want it down with the probe's error", st)
		}
		for range 10 {
			scaleOK(t, b)
		}
		if n := c.calls.Load(); n != 0 {
			t.Errorf("the scaler marked down got %d calls", n)
		}

		c.fail(nil)
		time.Sleep(interval)
		synctest.Wait()
		if st := b.Status(); !st[1].Up || st[1].Err != nil {
			t.Fatalf("Status an interval after the scaler came back = %+v, want it up", st)
		}
		scaleOK(t, b)
		scaleOK(t, b)
		if n := c.calls.Load(); n != 1 {
			t.Errorf("the scaler that came back got %d of 2 calls, want 1", n)
		}
	})
}

// A probe that hangs delays no other, and ends after an interval, with
// its scaler marked down.
func TestBalancerProbeHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 100 * time.Millisecond
		a, hung := &pingedScaler{}, &pingedScaler{}
		b := &Balancer{Scalers: []scaler.Interface{a, hung}, HealthInterval: interval}
		defer b.Close()
		scaleOK(t, b)
		hung.hang.Store(true)
		a.fail(fmt.Errorf("%w: connection refused", ErrUnavailable))
		time.Sleep(interval * 3 / 2)
		synctest.Wait()
		if st := b.Status(); st[0].Up || !st[1].Up {
			t.Fatalf("Status while one probe hangs and the other scaler is dead = %+v, want [down up]", st)
		}
		time.Sleep(interval)
		synctest.Wait()
		if st := b.Status(); st[1].Up || !errors.Is(st[1].Err, context.DeadlineExceeded) {
			t.Fatalf("Status after the hung probe's interval = %+v, want it down with a deadline error", st)
		}
		if n := hung.pings.Load(); n > 2 {
			t.Errorf("%d probes of the hung scaler in 2.5 intervals, want at most 2", n)
		}
	})
}

// A scaler without Ping stays down for an interval, and then the next
// call tries it first.
func TestBalancerDownMarkExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 100 * time.Millisecond
		a, c := &fakeScaler{}, &fakeScaler{}
		b := &Balancer{Scalers: []scaler.Interface{a, c}, HealthInterval: interval}
		defer b.Close()
		a.fail(fmt.Errorf("%w: connection refused", ErrUnavailable))
		scaleOK(t, b)
		if a.calls.Load() != 1 || c.calls.Load() != 1 || b.Up() != 1 {
			t.Fatalf("calls %d and %d, %d up; want 1 and 1, 1 up", a.calls.Load(), c.calls.Load(), b.Up())
		}
		time.Sleep(interval / 2)
		for range 4 {
			scaleOK(t, b)
		}
		if n := a.calls.Load(); n != 1 {
			t.Errorf("the scaler marked down got %d calls within its interval, want 0", n-1)
		}
		// Its trial fails: down for another interval.
		time.Sleep(interval / 2)
		scaleOK(t, b)
		if n := a.calls.Load(); n != 2 || b.Up() != 1 {
			t.Errorf("after an interval, the scaler marked down got %d calls with %d up; want 1, still 1 up", n-1, b.Up())
		}
		a.fail(nil)
		time.Sleep(interval / 2)
		scaleOK(t, b)
		if n := a.calls.Load(); n != 2 {
			t.Errorf("the scaler whose trial failed got %d calls within its next interval, want 0", n-2)
		}
		time.Sleep(interval / 2)
		scaleOK(t, b)
		if n := a.calls.Load(); n != 3 || b.Up() != 2 {
			t.Errorf("after another interval, %d calls to the scaler, %d up; want 3, 2 up", n, b.Up())
		}
	})
}

// Close ends the probes, in progress or not, and every goroutine of the
// Balancer (synctest.Test fails if one remains); Scale still works after
// it, and marks expire as for scalers without Ping.
func TestBalancerClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 100 * time.Millisecond
		a, c := &pingedScaler{}, &pingedScaler{}
		b := &Balancer{Scalers: []scaler.Interface{a, c}, HealthInterval: interval}
		scaleOK(t, b)
		c.hang.Store(true)
		time.Sleep(interval * 3 / 2) // a probe of c is in progress
		synctest.Wait()
		if err := b.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
		if err := b.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		pings := a.pings.Load()

		a.fail(fmt.Errorf("%w: connection refused", ErrUnavailable))
		scaleOK(t, b)
		scaleOK(t, b) // one of the two tries a
		if st := b.Status(); st[0].Up || a.calls.Load() != 2 {
			t.Fatalf("Status after a failed call = %+v, with %d calls; want the scaler down, 2 calls", st, a.calls.Load())
		}
		a.fail(nil)
		time.Sleep(interval)
		scaleOK(t, b)
		if st := b.Status(); !st[0].Up {
			t.Errorf("Status an interval after Close and a failure = %+v, want the scaler tried and up", st)
		}
		if n := a.pings.Load(); n != pings {
			t.Errorf("%d probes after Close", n-pings)
		}
	})
}

// A Balancer closed before its first call never probes.
func TestBalancerCloseFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var zero Balancer
		if err := zero.Close(); err != nil {
			t.Errorf("Close of a zero Balancer = %v", err)
		}
		if _, err := zero.Scale(context.Background(), balancerSrc, nil); err == nil {
			t.Errorf("Scale of a zero Balancer succeeded")
		}
		if st := zero.Status(); len(st) != 0 {
			t.Errorf("Status of a zero Balancer = %v", st)
		}

		a := &pingedScaler{}
		b := &Balancer{Scalers: []scaler.Interface{a}, HealthInterval: time.Millisecond}
		b.Close()
		scaleOK(t, b)
		time.Sleep(10 * time.Millisecond)
		if n := a.pings.Load(); n != 0 {
			t.Errorf("%d probes by a Balancer closed before its first call", n)
		}
	})
}

// killableServer is a scale server on a loopback address, which a test
// may kill before it ends.
type killableServer struct {
	tb   testing.TB
	srv  *Server
	addr string
	done chan error
	once sync.Once
}

// startKillable serves a ScaleHandler on addr, "127.0.0.1:0" for any free
// port, until kill or the end of the test.
func startKillable(tb testing.TB, addr string) *killableServer {
	tb.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	s := &killableServer{
		tb:   tb,
		srv:  &Server{Handler: &ScaleHandler{Logger: quiet}, Logger: quiet},
		addr: l.Addr().String(),
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(l) }()
	tb.Cleanup(s.kill)
	return s
}

// kill closes the server and its connections, as if its process died.
func (s *killableServer) kill() {
	s.once.Do(func() {
		s.srv.Close()
		if err := <-s.done; !errors.Is(err, ErrServerClosed) {
			s.tb.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
}

// countingClient is a Client that counts its calls of Scale; its Ping is
// the Client's.
type countingClient struct {
	*Client
	scales atomic.Int32
}

func (c *countingClient) Scale(ctx context.Context, src image.Image, opts *scaler.Options) (image.Image, error) {
	c.scales.Add(1)
	return c.Client.Scale(ctx, src, opts)
}

// balancerOver returns a Balancer probing every 100ms over Clients of
// the given servers, each counting its calls.
func balancerOver(tb testing.TB, servers ...*killableServer) (*Balancer, []*countingClient) {
	b := &Balancer{HealthInterval: 100 * time.Millisecond}
	var clients []*countingClient
	for _, s := range servers {
		c := &countingClient{Client: &Client{Addr: s.addr}}
		tb.Cleanup(func() { c.Close() })
		clients = append(clients, c)
		b.Scalers = append(b.Scalers, c)
	}
	tb.Cleanup(func() { b.Close() })
	return b, clients
}

// within polls cond until it holds, for d at most, and reports whether
// it did.
func within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// A server that dies is marked down within a second, after which no call
// goes to it, and one that comes back on its address gets calls again
// within a second.
func TestBalancerHealth(t *testing.T) {
	a, s := startKillable(t, "127.0.0.1:0"), startKillable(t, "127.0.0.1:0")
	b, clients := balancerOver(t, a, s)
	for range 4 {
		scaleOK(t, b)
	}
	if n, m := clients[0].scales.Load(), clients[1].scales.Load(); n != 2 || m != 2 {
		t.Fatalf("4 calls went %d and %d to two servers, want 2 each", n, m)
	}

	s.kill()
	if !within(time.Second, func() bool { return !b.Status()[1].Up }) {
		t.Fatalf("Status 1s after a server died = %+v, want it down", b.Status())
	}
	if err := b.Status()[1].Err; !errors.Is(err, ErrUnavailable) {
		t.Errorf("Status Err of the dead server = %v, want ErrUnavailable", err)
	}
	before := clients[1].scales.Load()
	for range 20 {
		scaleOK(t, b)
	}
	if n := clients[1].scales.Load() - before; n != 0 {
		t.Errorf("the server marked down got %d of 20 calls, want 0", n)
	}

	startKillable(t, s.addr)
	if !within(time.Second, func() bool {
		scaleOK(t, b)
		return clients[1].scales.Load() > before
	}) {
		t.Fatalf("no call reached the server 1s after it came back; Status = %+v", b.Status())
	}
	if st := b.Status(); !st[1].Up || st[1].Err != nil {
		t.Errorf("Status after the server came back = %+v, want it up", st)
	}
}

// A server that dies while no calls are made is marked down by the probes
// within a second.
func TestBalancerIdleDeath(t *testing.T) {
	a, s := startKillable(t, "127.0.0.1:0"), startKillable(t, "127.0.0.1:0")
	b, clients := balancerOver(t, a, s)
	scaleOK(t, b) // starts the probes
	s.kill()
	if !within(time.Second, func() bool { return !b.Status()[1].Up }) {
		t.Fatalf("Status 1s after an idle server died = %+v, want it down", b.Status())
	}
	if !b.Status()[0].Up {
		t.Errorf("Status = %+v, want the live server up", b.Status())
	}
	if n := clients[1].scales.Load(); n != 0 {
		t.Errorf("the dead server got %d calls, want 0", n)
	}
}
