// Package mem recycles the large buffers of image work: uploads and
// frames as they arrive, decoded pixels, coefficients, resized images and
// encoded files. A server that handles a photo a few milliseconds long
// would otherwise take megabytes of fresh memory from the system for each
// one, and pay in page faults and zeroing more than the image work costs.
//
// It is used by package scaler, package transport, the gateway and the
// codecs under internal/codec; nothing else imports it.
//
// # Ownership
//
// Get hands out a slice that nothing else references; its contents are
// left over from an earlier use, so the caller must write every element it
// reads. Put takes a slice back, and with it the promise that nothing will
// use it again: only the owner of a buffer puts it back, once. Getting is
// always safe; putting a buffer that something still reads would let one
// request see another's data, so callers put back only at points where
// they are sure to hold the last reference (a server after writing its
// reply, say), and simply drop the buffer otherwise.
//
// # What is kept
//
// Slices of fewer than 16 KiB are not pooled: the Go allocator serves
// them well. Larger ones come in size classes four to a power of two; Get
// takes a slice of its size's class or of one of the next three, so that
// images of many sizes share slices, at most about twice as large as
// asked. Idle buffers are kept as long as the live heap stays under seven
// eighths of the Go memory limit (debug.SetMemoryLimit), and up to three
// quarters of it, or up to 128 MiB when there is no limit; past that, Put
// drops them. Buffers of a class that went unused for a whole trimming period
// (30 seconds) are dropped too, so that memory held for a burst of large
// images returns to the garbage collector once the burst is over.
package mem

import (
	"math"
	"math/bits"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// The pools of the element types that image work uses.
var (
	Bytes  Pool[byte]   // files, frames and 8-bit pixels
	Int16s Pool[int16]  // coefficients of blocks being transformed
	Words  Pool[uint64] // packed coefficients of progressive JPEG
)

const (
	minBytes     = 16 << 10 // smallest pooled slice, in bytes
	classes      = 4 * 28   // four per power of two, up to 2^42 bytes
	reach        = 4        // classes Get looks in: its own and the next three
	trimInterval = 30 * time.Second
	defaultIdle  = 128 << 20
)

// idle is the bytes held by all pools together, free for reuse.
var idle atomic.Int64

// A Pool keeps slices of T for reuse. Its zero value is ready to use, and
// it is safe for concurrent use.
type Pool[T any] struct {
	mu       sync.Mutex
	free     [classes][][]T
	out      [classes]int // slices of each class handed out by Get and not put back
	low      [classes]int // the fewest free slices of each class since the last trim
	lastTrim time.Time
}

// elemSize is the size of a T in bytes.
func elemSize[T any]() int {
	var zero T
	return int(unsafe.Sizeof(zero))
}

// classLen returns the length in elements of the slices of class c, for
// pools whose smallest slice has least elements.
func classLen(c, least int) int {
	base := least << (c / 4)
	return base + base/4*(c%4)
}

// classOf returns the smallest class whose slices hold n elements, for
// n > least, or -1 if n is beyond every class.
func classOf(n, least int) int {
	// The power of two at or below n-1, relative to min, gives the group
	// of four classes; the quarter steps within it are tried in turn.
	g := bits.Len(uint((n-1)/least)) - 1
	for c := 4 * max(g, 0); c < classes; c++ {
		if classLen(c, least) >= n {
			return c
		}
	}
	return -1
}

// Get returns a slice of length n, from the pool when one of its class is
// free. Its elements hold whatever an earlier user left in them.
func (p *Pool[T]) Get(n int) []T {
	size := elemSize[T]()
	least := minBytes / size
	if n <= least {
		return make([]T, n)
	}
	c := classOf(n, least)
	if c < 0 {
		return make([]T, n)
	}
	p.mu.Lock()
	// A slice of the class, or else of one of the next few, at most
	// about twice as large: images of many sizes then share slices.
	for h := c; h < min(c+reach, classes); h++ {
		if k := len(p.free[h]); k > 0 {
			s := p.free[h][k-1]
			p.free[h][k-1] = nil
			p.free[h] = p.free[h][:k-1]
			p.low[h] = min(p.low[h], k-1)
			p.out[h]++
			p.mu.Unlock()
			idle.Add(-int64(cap(s) * size))
			return s[:n]
		}
	}
	p.out[c]++
	p.low[c] = 0
	p.mu.Unlock()
	return make([]T, n, classLen(c, least))
}

// Put gives s back for reuse: nothing may use s, or any slice sharing its
// memory, after. A class keeps no more slices than Get has handed out and
// not had back, so that slices allocated elsewhere, put back, do not pile
// up where nothing asks for them. Slices too small or too large to pool,
// and slices beyond what the pools may keep, are dropped.
func (p *Pool[T]) Put(s []T) {
	size := elemSize[T]()
	least := minBytes / size
	if cap(s) < least {
		return
	}
	// The largest class that s can serve.
	c := classOf(cap(s)+1, least) - 1
	if c < 0 {
		return
	}
	s = s[:classLen(c, least)]
	bytes := int64(cap(s) * size)
	if idle.Add(bytes) > idleLimit() {
		idle.Add(-bytes)
		return
	}
	p.mu.Lock()
	if p.out[c] == 0 {
		p.mu.Unlock()
		idle.Add(-bytes)
		return
	}
	p.out[c]--
	p.free[c] = append(p.free[c], s)
	now := time.Now()
	if now.Sub(p.lastTrim) >= trimInterval {
		p.trim(size)
		p.lastTrim = now
	}
	p.mu.Unlock()
}

// trim drops, in each class, as many free slices as stayed unused since
// the last trim. It is called with p.mu held.
func (p *Pool[T]) trim(size int) {
	for c := range p.free {
		drop := min(p.low[c], len(p.free[c]))
		for i := range drop {
			idle.Add(-int64(cap(p.free[c][i]) * size))
			p.free[c][i] = nil
		}
		p.free[c] = append(p.free[c][:0], p.free[c][drop:]...)
		p.low[c] = len(p.free[c])
	}
}

// limit caches idleLimit's value, which reading the memory limit and the
// live heap would otherwise cost on every Put.
var limit struct {
	bytes atomic.Int64
	read  atomic.Int64 // when, in Unix nanoseconds
}

// idleLimit returns how many bytes the pools may keep idle. Without a Go
// memory limit it is defaultIdle. With one, it is what leaves the rest of
// the live heap room under seven eighths of the limit, but at least a
// sixteenth of the limit and at most three quarters. Keeping much is what
// keeps the heap small: a slice dropped here becomes garbage, and the one
// allocated in its place fresh pages, which near the limit the runtime
// returns to the system and faults in again. It is worked out again every
// 100 ms at most.
func idleLimit() int64 {
	now := time.Now().UnixNano()
	if now-limit.read.Load() < int64(100*time.Millisecond) {
		return limit.bytes.Load()
	}
	l := debug.SetMemoryLimit(-1)
	n := int64(defaultIdle)
	if l != math.MaxInt64 {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(sample)
		var others int64 // the live heap apart from the idle slices
		if sample[0].Value.Kind() == metrics.KindUint64 {
			others = int64(sample[0].Value.Uint64()) - idle.Load()
		}
		n = min(max(l*7/8-others, l/16), l*3/4)
	}
	limit.bytes.Store(n)
	limit.read.Store(now)
	return n
}

// A Buffer is an io.Writer that collects what is written in a slice from
// Bytes, growing through Bytes too. Its zero value is an empty buffer. It
// is not safe for concurrent use.
type Buffer struct {
	b []byte
}

// NewBuffer returns an empty Buffer with room for n bytes.
func NewBuffer(n int) *Buffer {
	return &Buffer{b: Bytes.Get(n)[:0]}
}

// Write appends p to the buffer. It never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	if len(b.b)+len(p) > cap(b.b) {
		next := Bytes.Get(max(2*cap(b.b), len(b.b)+len(p)))[:len(b.b)]
		copy(next, b.b)
		Bytes.Put(b.b)
		b.b = next
	}
	b.b = append(b.b, p...)
	return len(p), nil
}

// Bytes returns what was written. The slice is the buffer's memory: it is
// valid until Free.
func (b *Buffer) Bytes() []byte { return b.b }

// Free gives the buffer's memory back to Bytes and empties it: nothing may
// use what Bytes returned after.
func (b *Buffer) Free() {
	Bytes.Put(b.b)
	b.b = nil
}
