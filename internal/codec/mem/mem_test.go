package mem

import (
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

func TestClasses(t *testing.T) {
	const least = minBytes
	for _, n := range []int{least + 1, least + 2, 5 * least / 4, 5*least/4 + 1, 2*least - 1, 2 * least, 2*least + 1, 3<<20 + 7, 18_000_000, 1 << 30} {
		c := classOf(n, least)
		if c < 0 {
			t.Fatalf("classOf(%d) = %d", n, c)
		}
		got := classLen(c, least)
		if got < n || got > n+n/4 {
			t.Errorf("classOf(%d) holds %d elements, want %d to %d", n, got, n, n+n/4)
		}
		if c > 0 && classLen(c-1, least) >= n {
			t.Errorf("classOf(%d) = %d, but class %d of %d elements holds it too", n, c, c-1, classLen(c-1, least))
		}
	}
}

// TestReuse checks that a slice put back is handed out again for a size
// of its class, and not for a larger one.
func TestReuse(t *testing.T) {
	var p Pool[byte]
	a := p.Get(100_000)
	if len(a) != 100_000 {
		t.Fatalf("Get(100000) has length %d", len(a))
	}
	a[0] = 42
	p.Put(a)
	b := p.Get(99_000)
	if &b[0] != &a[0] {
		t.Errorf("Get(99000) after Put of a 100000-byte slice gave new memory")
	}
	p.Put(b)
	if c := p.Get(200_000); &c[0] == &a[0] {
		t.Errorf("Get(200000) reused a slice of %d bytes", cap(a))
	}
}

// TestSmallNotPooled checks that small slices are fresh memory every
// time: the allocator serves them best, and zeroed.
func TestSmallNotPooled(t *testing.T) {
	var p Pool[byte]
	a := p.Get(1000)
	a[0] = 1
	p.Put(a)
	if b := p.Get(1000); b[0] != 0 {
		t.Errorf("Get(1000) returned a used slice")
	}
}

// TestTypedSizes checks that classes are counted in bytes whatever the
// element type.
func TestTypedSizes(t *testing.T) {
	var p Pool[uint64]
	w := p.Get(3000) // 24 000 bytes: pooled
	p.Put(w)
	if v := p.Get(2900); &v[0] != &w[0] {
		t.Errorf("Get(2900) of uint64 gave new memory after a Put of %d", cap(w))
	}
	if small := p.Get(minBytes/8 - 1); cap(small) != minBytes/8-1 {
		t.Errorf("Get(%d) of uint64 has capacity %d, want exactly that", minBytes/8-1, cap(small))
	}
}

// TestIdleLimit checks that the pools keep idle no more than leaves the
// rest of the live heap under seven eighths of the memory limit, but at
// least a sixteenth of it.
func TestIdleLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(256 << 20)
	t.Cleanup(func() {
		debug.SetMemoryLimit(prev)
		limit.read.Store(0)
	})
	// keep puts 20 MiB back, all live at the last collection, and
	// returns how much of it the pool kept.
	keep := func() int64 {
		var p Pool[byte]
		var held [][]byte
		for range 20 {
			held = append(held, p.Get(1<<20))
		}
		runtime.GC()
		limit.read.Store(0)
		before := idle.Load()
		for _, b := range held {
			p.Put(b)
		}
		kept := idle.Load() - before
		for range 20 {
			p.Get(1 << 20)
		}
		return kept
	}
	if kept := keep(); kept != 20<<20 {
		t.Errorf("20 MiB put back with a 256 MiB memory limit: %d bytes kept, want all", kept)
	}
	live := make([]byte, 220<<20) // with the 20 MiB, the heap is past 7/8 of the limit
	if kept := keep(); kept > 16<<20 || kept < 15<<20 {
		t.Errorf("20 MiB put back with 220 MiB more live: %d bytes kept, want the 16 MiB floor", kept)
	}
	runtime.KeepAlive(live)
}

// TestTrim checks that slices of a class unused for a trimming period are
// dropped, and those in use are kept.
func TestTrim(t *testing.T) {
	var p Pool[byte]
	big := [][]byte{p.Get(4 << 20), p.Get(4 << 20)}
	small := p.Get(64 << 10)
	for _, b := range big {
		p.Put(b)
	}
	p.Put(small)
	// A period in which only the small class is used.
	p.lastTrim = time.Now().Add(-trimInterval)
	p.Put(p.Get(64 << 10)) // trims: nothing was used yet in this period
	p.Put(p.Get(64 << 10))
	p.lastTrim = time.Now().Add(-trimInterval)
	p.Put(p.Get(64 << 10)) // trims the big class, unused all period
	if c := classOf(4<<20, minBytes); len(p.free[c]) != 0 {
		t.Errorf("%d 4 MiB slices kept after a period unused, want 0", len(p.free[c]))
	}
	if c := classOf(64<<10, minBytes); len(p.free[c]) != 1 {
		t.Errorf("%d 64 KiB slices kept, want the 1 in use", len(p.free[c]))
	}
}

// TestConcurrent has goroutines take and give back buffers, each writing
// its own mark and checking it is still there before giving it back: a
// buffer handed to two users at once would show another's mark.
func TestConcurrent(t *testing.T) {
	var p Pool[byte]
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				b := p.Get(20_000 + 1000*((g+i)%50))
				for j := range b {
					b[j] = byte(g)
				}
				for j := range b {
					if b[j] != byte(g) {
						t.Errorf("goroutine %d found %d in its buffer", g, b[j])
						return
					}
				}
				p.Put(b)
			}
		})
	}
	wg.Wait()
}

// TestBuffer checks that a Buffer keeps what is written across growth.
func TestBuffer(t *testing.T) {
	b := NewBuffer(10)
	var want []byte
	for i := range 5000 {
		p := []byte{byte(i), byte(i >> 8), byte(i * 7)}
		if n, err := b.Write(p); n != len(p) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		want = append(want, p...)
	}
	if string(b.Bytes()) != string(want) {
		t.Fatalf("Buffer holds %d bytes, not the %d written", len(b.Bytes()), len(want))
	}
	b.Free()
	if len(b.Bytes()) != 0 {
		t.Errorf("Buffer holds %d bytes after Free", len(b.Bytes()))
	}
}

// TestForeignPutsBounded checks that slices allocated elsewhere and put
// back are kept only as far as Get hands out slices of their class.
func TestForeignPutsBounded(t *testing.T) {
	var p Pool[byte]
	for range 10 {
		p.Put(make([]byte, 100_000))
	}
	c := classOf(100_000+1, minBytes) - 1
	if n := len(p.free[c]); n != 0 {
		t.Fatalf("%d foreign slices kept where Get handed out none", n)
	}
	held := [][]byte{p.Get(90_000), p.Get(90_000)}
	for range 10 {
		p.Put(make([]byte, 100_000))
	}
	if n := len(p.free[classOf(90_000, minBytes)]); n != 2 {
		t.Errorf("%d foreign slices kept with 2 handed out, want 2", n)
	}
	_ = held
}
