package transport

import (
	"context"
	"errors"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/escala-img/escala/scaler"
)

// DefaultHealthInterval is a Balancer's HealthInterval when the field is
// 0: a server that dies while idle is marked down, and one that comes
// back is used again, within a second.
const DefaultHealthInterval = 500 * time.Millisecond

// A Balancer is a scaler.Interface that spreads its calls over several
// others, typically Clients of different scale servers.
//
// A call goes to the scaler, among those up, with the fewest calls in
// flight through this Balancer, so that a slow server gets less work;
// among equals, the search starts at a point that moves on with each
// call, so that they share the work evenly. When that scaler is
// unavailable (its error wraps ErrUnavailable: it is down, or died before
// it replied) or busy (ErrBusy), and ctx has not ended, the call goes on
// to the best of the scalers up that it has not tried; when every one
// fails so, the error is the last one's. Any other error is returned at
// once.
//
// A scaler that cannot be reached, or dies before it replies, is marked
// down at once, so that later calls pass it by rather than each paying a
// failed connection attempt; an error reply ([RemoteError]) does not mark
// it, as the server answered. When no scaler is up, a call still tries
// those marked down, best first, so that a cluster that comes back all at
// once is used again at once; a scaler that a call reaches is marked up.
//
// Every HealthInterval, the scalers that have a method
// Ping(ctx context.Context) error, as a Client does, are probed, each on
// a goroutine of its own and for HealthInterval at most, whether they are
// up or down: a failed probe marks a scaler down, and one that succeeds
// marks it up. So a server that dies while idle is passed by, and one
// that comes back is used again, within two intervals. A scaler
// without Ping stays marked down for HealthInterval; the next call then
// tries it first, and marks it up if it is reached, or down for another
// interval. [Balancer.Status] tells which scalers are up.
//
// The probes start with the first call of Scale, Status or Up (so that a
// readiness check sees a dead server before any request does), on a
// goroutine that
// starts one per probe (none when no scaler has Ping), and stop with
// [Balancer.Close], which waits for every goroutine the Balancer started.
// After Close, Scale still works, without probes: a down mark then lasts
// HealthInterval for every scaler, as for those without Ping.
//
// Its zero value has no scalers and fails every call. It is safe for
// concurrent use; Scalers and HealthInterval must not change after first
// use. It does not close its Scalers.
type Balancer struct {
	// Scalers are the scalers the calls are spread over.
	Scalers []scaler.Interface

	// HealthInterval is how often the scalers with a Ping method are
	// probed, and bounds each probe; it is also how long a scaler
	// without Ping stays marked down before a call tries it again. 0
	// means DefaultHealthInterval.
	HealthInterval time.Duration

	next  atomic.Uint64 // where the next call starts its search
	start sync.Once     // starts the probes

	mu      sync.Mutex
	members []member // one per scaler; made on first use
	closed  bool
	cancel  context.CancelFunc // stops the probes
	probing sync.WaitGroup     // the goroutine of the probes
}

// A ScalerStatus is the state of one of a Balancer's scalers.
type ScalerStatus struct {
	// Up is false from a failure that marked the scaler down until a
	// probe or a call reaches it again.
	Up bool

	// Outstanding counts the calls in flight to the scaler through the
	// Balancer.
	Outstanding int

	// Err is the failure that marked the scaler down, a call's or a
	// probe's; nil when it is up.
	Err error
}

// pinger is a scaler that can be probed, such as a Client.
type pinger interface {
	Ping(ctx context.Context) error
}

// A member is the state of one of a Balancer's scalers.
type member struct {
	ping        pinger // nil when the scaler cannot be probed
	outstanding int
	down        bool
	since       time.Time // when it was marked down, or last given a trial
	err         error     // the failure that marked it down
	gen         uint64    // counts the changes of its mark
}

// Scale implements scaler.Interface: it calls the scaler that the
// Balancer picks and, when that one is unavailable or busy, the next ones
// (see Balancer). With no scalers it fails.
func (b *Balancer) Scale(ctx context.Context, src image.Image, opts *scaler.Options) (image.Image, error) {
	n := len(b.Scalers)
	if n == 0 {
		return nil, errors.New("transport: Balancer has no scalers")
	}
	b.start.Do(b.startProbes)
	first := int((b.next.Add(1) - 1) % uint64(n))
	tried := make([]bool, n)
	var err error
	for {
		i, ok := b.pick(first, tried)
		if !ok {
			return nil, err
		}
		tried[i] = true
		var dst image.Image
		dst, err = b.call(ctx, i, src, opts)
		if err == nil {
			return dst, nil
		}
		if !(errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBusy)) || ctx.Err() != nil {
			return nil, err
		}
	}
}

// pick chooses the scaler for the next try of a call that started its
// search at first and has tried those marked in tried, and counts the
// call as outstanding there. It reports false when none is left to try.
func (b *Balancer) pick(first int, tried []bool) (int, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ms := b.state()
	now := time.Now()
	up := 0
	for i := range ms {
		if !ms[i].down {
			up++
		}
	}
	// Ranks: 0, a scaler without probes whose down mark has lasted its
	// interval, due for a trial; 1, up; 2, down, when none is up.
	best, bestRank := -1, 0
	for k := range ms {
		i := (first + k) % len(ms)
		m := &ms[i]
		if tried[i] {
			continue
		}
		var rank int
		switch {
		case !m.down:
			rank = 1
		case (m.ping == nil || b.closed) && now.Sub(m.since) >= b.interval():
			rank = 0
		case up == 0:
			rank = 2
		default:
			continue
		}
		if best < 0 || rank < bestRank || rank == bestRank && m.outstanding < ms[best].outstanding {
			best, bestRank = i, rank
		}
	}
	if best < 0 {
		return 0, false
	}
	if bestRank == 0 {
		ms[best].since = now // the other calls wait for this one's trial
	}
	ms[best].outstanding++
	return best, true
}

// call calls scaler i, and then marks it by the outcome and counts the
// call out.
func (b *Balancer) call(ctx context.Context, i int, src image.Image, opts *scaler.Options) (dst image.Image, err error) {
	returned := false
	defer func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		m := &b.members[i]
		m.outstanding--
		var re *RemoteError
		switch {
		case !returned: // it panicked
		case err == nil:
			m.mark(nil)
		case ctx.Err() != nil:
			// Cancelled, or out of time: nothing was learnt of it.
		case errors.Is(err, ErrUnavailable) && !errors.As(err, &re):
			m.mark(err)
		default:
			m.mark(nil) // it was reached
		}
	}()
	dst, err = b.Scalers[i].Scale(ctx, src, opts)
	returned = true
	return dst, err
}

// mark marks m down with err, or up when err is nil. A mark that stays
// as it was keeps its error and time.
func (m *member) mark(err error) {
	m.gen++
	if m.down == (err != nil) {
		return
	}
	m.down, m.err = err != nil, err
	if m.down {
		m.since = time.Now()
	}
}

// state returns the members, which it makes on first use. b.mu is held.
func (b *Balancer) state() []member {
	if b.members == nil {
		b.members = make([]member, len(b.Scalers))
		for i, s := range b.Scalers {
			b.members[i].ping, _ = s.(pinger)
		}
	}
	return b.members
}

func (b *Balancer) interval() time.Duration {
	return orDefault(b.HealthInterval, DefaultHealthInterval)
}

// startProbes starts the goroutine of the probes, unless the Balancer is
// closed or no scaler can be probed.
func (b *Balancer) startProbes() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	var probed []int
	for i, m := range b.state() {
		if m.ping != nil {
			probed = append(probed, i)
		}
	}
	if len(probed) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.probing.Add(1)
	go b.probe(ctx, probed)
}

// probe probes the scalers of the indices in probed every HealthInterval
// until ctx ends, each on a goroutine of its own, so that one that hangs
// delays no other; a scaler whose last probe still runs is skipped. It
// returns when its probes have ended.
func (b *Balancer) probe(ctx context.Context, probed []int) {
	defer b.probing.Done()
	var running sync.WaitGroup
	defer running.Wait()
	busy := make([]atomic.Bool, len(b.Scalers))
	interval := b.interval()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, i := range probed {
			if busy[i].Swap(true) {
				continue
			}
			running.Go(func() {
				defer busy[i].Store(false)
				b.probeOne(ctx, i, interval)
			})
		}
	}
}

// probeOne pings scaler i, for timeout at most, and marks it by the
// outcome, unless a call has marked it in the meantime, as its news is
// at least as recent.
func (b *Balancer) probeOne(ctx context.Context, i int, timeout time.Duration) {
	b.mu.Lock()
	m := &b.members[i]
	gen := m.gen
	b.mu.Unlock()
	pctx, cancel := context.WithTimeout(ctx, timeout)
	err := m.ping.Ping(pctx)
	cancel()
	if ctx.Err() != nil {
		return // closing
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if m.gen == gen {
		m.mark(err)
	}
}

// Close stops the probes, cancelling those in progress, and waits for
// every goroutine the Balancer started to end. Scale still works after
// it, without probes (see Balancer). It does not close the Scalers. It
// always returns nil, and may be called more than once.
func (b *Balancer) Close() error {
	b.mu.Lock()
	b.closed = true
	cancel := b.cancel
	b.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	b.probing.Wait()
	return nil
}

// Status returns the state of each of the Scalers, in their order.
func (b *Balancer) Status() []ScalerStatus {
	b.start.Do(b.startProbes)
	b.mu.Lock()
	defer b.mu.Unlock()
	ms := b.state()
	st := make([]ScalerStatus, len(ms))
	for i, m := range ms {
		st[i] = ScalerStatus{Up: !m.down, Outstanding: m.outstanding, Err: m.err}
	}
	return st
}

// Up returns the number of the Scalers that are up; see Status.
func (b *Balancer) Up() int {
	b.start.Do(b.startProbes)
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.state() {
		if !m.down {
			n++
		}
	}
	return n
}
