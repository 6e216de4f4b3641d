package escala_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

// memStore is a store.Interface in memory.
type memStore struct {
	mu      sync.Mutex
	objects map[string][]byte
	puts    int
}

func (m *memStore) Put(ctx context.Context, key string, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.objects == nil {
		m.objects = map[string][]byte{}
	}
	m.objects[key] = data
	m.puts++
	return nil
}

func (m *memStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.objects[key]
	if !ok {
		return nil, fmt.Errorf("memStore: open %q: %w", key, store.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// countingScaler halves images in process, counting its calls. When gate
// is set, each call waits for a value from it, or for its ctx.
type countingScaler struct {
	calls atomic.Int32
	gate  chan struct{}
}

func (s *countingScaler) Scale(ctx context.Context, src image.Image, opts *scaler.Options) (image.Image, error) {
	s.calls.Add(1)
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return (&scaler.Local{}).Scale(ctx, src, opts)
}

// An upload whose result is in the store already is answered from it, by
// the same gateway or another that shares the store, without a scale
// server and without decoding: the second gateway here could not decode
// the upload at all, as it allows 1 pixel.
func TestGatewayFindsStoredResult(t *testing.T) {
	st := &memStore{}
	s := &countingScaler{}
	a := &escala.Gateway{Scaler: s, Store: st, BaseURL: "http://a.test", Logger: quiet}
	b := &escala.Gateway{Scaler: s, Store: st, BaseURL: "http://b.test", MaxPixels: 1, Logger: quiet}
	photo := sample.JPEG(120, 80)
	first, err := a.Serve(context.Background(), &transport.Request{Body: photo})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []*escala.Gateway{a, b} {
		again, err := g.Serve(context.Background(), &transport.Request{Body: photo})
		if err != nil {
			t.Fatalf("the same upload again at %s: %v", g.BaseURL, err)
		}
		if key := strings.TrimPrefix(again.Location, g.BaseURL+"/"); "http://a.test/"+key != first.Location {
			t.Errorf("the same upload at %s got %s, want the key of %s", g.BaseURL, again.Location, first.Location)
		}
		if again.Width != 60 || again.Height != 40 || again.Format != scaler.JPEG {
			t.Errorf("the result found at %s is %dx%d %v, want 60x40 jpeg", g.BaseURL, again.Width, again.Height, again.Format)
		}
	}
	if n := s.calls.Load(); n != 1 {
		t.Errorf("3 identical uploads scaled %d times, want 1", n)
	}
	if st.puts != 1 {
		t.Errorf("3 identical uploads stored %d times, want 1", st.puts)
	}

	// Other options, or another format, are another result.
	for _, req := range []*transport.Request{
		{Body: photo, Options: scaler.Options{Width: 30}},
		{Body: photo, Options: scaler.Options{Quality: 50}},
		{Body: photo, Options: scaler.Options{Filter: scaler.Lanczos3}},
		{Body: photo, Format: scaler.PNG},
	} {
		resp, err := a.Serve(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Location == first.Location {
			t.Errorf("Serve(%+v, %v) got the link of the default result", req.Options, req.Format)
		}
	}
	if n := s.calls.Load(); n != 5 {
		t.Errorf("4 uploads with other options scaled %d times in all, want 1+4", n-1)
	}
}

// A stored result that cannot be read is made again and replaced.
func TestGatewayReplacesUnreadableResult(t *testing.T) {
	st := &memStore{}
	s := &countingScaler{}
	g := &escala.Gateway{Scaler: s, Store: st, BaseURL: "http://a.test", Logger: quiet}
	photo := sample.JPEG(64, 64)
	resp, err := g.Serve(context.Background(), &transport.Request{Body: photo})
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimPrefix(resp.Location, "http://a.test/")
	st.objects[key] = []byte("not a jpeg")
	if _, err := g.Serve(context.Background(), &transport.Request{Body: photo}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := scaler.DecodeConfig(bytes.NewReader(st.objects[key]), nil); err != nil || s.calls.Load() != 2 {
		t.Errorf("after an unreadable result: %d scales, stored result %v; want 2 and a valid image", s.calls.Load(), err)
	}
}

// Identical uploads that arrive together are processed once, and every
// one gets the result.
func TestGatewayIdenticalUploadsTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &countingScaler{gate: make(chan struct{})}
		g := &escala.Gateway{Scaler: s, Store: &memStore{}, BaseURL: "http://a.test", Logger: quiet}
		photo := sample.JPEG(96, 64)
		const n = 8
		links := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				resp, err := g.Serve(context.Background(), &transport.Request{Body: photo})
				if err != nil {
					t.Error(err)
					return
				}
				links[i] = resp.Location
			})
		}
		synctest.Wait() // all 8 wait: one in Scale, the others for it
		if c := s.calls.Load(); c != 1 {
			t.Fatalf("%d identical uploads waiting: %d calls of Scale, want 1", n, c)
		}
		close(s.gate)
		wg.Wait()
		for i, l := range links {
			if l != links[0] {
				t.Errorf("upload %d got %q, upload 0 %q", i, l, links[0])
			}
		}
		if c := s.calls.Load(); c != 1 {
			t.Errorf("%d identical uploads: %d calls of Scale, want 1", n, c)
		}
	})
}

// When the request doing the work for others is cancelled, one that is
// still wanted does it again.
func TestGatewayIdenticalUploadLeaderCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &countingScaler{gate: make(chan struct{}, 1)}
		g := &escala.Gateway{Scaler: s, Store: &memStore{}, BaseURL: "http://a.test", Logger: quiet}
		photo := sample.JPEG(96, 64)
		ctx, cancel := context.WithCancel(context.Background())
		leader := make(chan error, 1)
		go func() {
			_, err := g.Serve(ctx, &transport.Request{Body: photo})
			leader <- err
		}()
		synctest.Wait()
		follower := make(chan error, 1)
		go func() {
			_, err := g.Serve(context.Background(), &transport.Request{Body: photo})
			follower <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-leader; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled upload: %v, want context.Canceled", err)
		}
		s.gate <- struct{}{}
		if err := <-follower; err != nil {
			t.Errorf("the upload that waited for a cancelled one: %v", err)
		}
		if c := s.calls.Load(); c != 2 {
			t.Errorf("Scale called %d times, want 2", c)
		}
	})
}

// slowStore answers nothing until the ctx of the call ends.
type slowStore struct{}

func (slowStore) Put(ctx context.Context, key string, r io.Reader) error {
	<-ctx.Done()
	return fmt.Errorf("slowStore: put: %w", ctx.Err())
}

func (slowStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("slowStore: open: %w", ctx.Err())
}

// A store that does not answer makes the request fail with "the result
// could not be stored; try again later" before the request's deadline,
// and not as a timeout.
func TestGatewaySlowStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &escala.Gateway{Store: slowStore{}, BaseURL: "http://a.test", Logger: quiet}
		const timeout = 60 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		start := time.Now()
		_, err := g.Serve(ctx, &transport.Request{Body: sample.JPEG(64, 48)})
		took := time.Since(start)
		if err == nil || err.Error() != "escala: the result could not be stored; try again later" || !errors.Is(err, transport.ErrUnavailable) {
			t.Errorf("Serve with a store that does not answer = %v, want the store's error wrapping ErrUnavailable", err)
		}
		if took >= timeout {
			t.Errorf("the error came after %v, at the deadline of %v", took, timeout)
		}
		if ctx.Err() != nil {
			t.Errorf("the request's ctx ended before Serve returned")
		}
	})
}
