// Package storetest checks that an implementation of [store.Interface] keeps
// the contract that package store documents. A backend runs [Run] in its
// tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Interface { return newBackend(t) })
//	}
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/escala-img/escala/store"
)

// Run runs the conformance suite as subtests of t. Each subtest gets a fresh,
// empty store from newStore, called with the subtest's *testing.T so that it
// can use t.TempDir and t.Cleanup; newStore fails the test itself if it
// cannot build one. The store is used only through [store.Interface].
//
// The suite checks that objects of 0 bytes to 1 MiB read back exactly; that
// a missing key, and every key [store.ValidKey] rejects, is
// [store.ErrNotFound] on Open; that Put of an invalid key wraps
// [store.ErrInvalidKey]; that Put replaces an object whole; that a Put whose
// reader fails or whose context ends returns why and stores nothing, leaving
// an existing object unchanged; and that concurrent Puts of different keys
// all land while concurrent Puts of one key leave exactly one of their
// contents, never a mix.
func Run(t *testing.T, newStore func(t *testing.T) store.Interface) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Interface)
	}{
		{"RoundTrip", testRoundTrip},
		{"ValidKeys", testValidKeys},
		{"OpenMissing", testOpenMissing},
		{"Replace", testReplace},
		{"InvalidKeys", testInvalidKeys},
		{"FailingReader", testFailingReader},
		{"CancelledContext", testCancelledContext},
		{"ContextEndsDuringPut", testContextEndsDuringPut},
		{"ConcurrentKeys", testConcurrentKeys},
		{"ConcurrentSameKey", testConcurrentSameKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// errBoom is the error of readers that fail on purpose.
var errBoom = errors.New("storetest: reader failed on purpose")

func testRoundTrip(t *testing.T, s store.Interface) {
	for _, size := range []int{0, 1, 1000, 1 << 20} {
		t.Run(fmt.Sprintf("%dB", size), func(t *testing.T) {
			key := fmt.Sprintf("roundtrip-%d.jpg", size)
			want := randomBytes(size, uint64(size))
			put(t, s, key, want)
			if got := read(t, s, key); !bytes.Equal(got, want) {
				t.Errorf("Open(%q) after Put of %d bytes = %d bytes that differ", key, len(want), len(got))
			}
		})
	}
}

func testValidKeys(t *testing.T, s store.Interface) {
	keys := []string{
		"a", "Z", "0", "a-b_c", "A_-_z",
		"0123456789abcdefghijklmnopqrstuv.jpg",
		"x.tiff", "x.12345678", "x.webp",
		strings.Repeat("k", store.MaxKeyLen),
		strings.Repeat("k", store.MaxKeyLen-5) + ".jpeg",
	}
	for i, key := range keys {
		t.Run(key[:min(len(key), 20)], func(t *testing.T) {
			want := []byte(fmt.Sprintf("object %d", i))
			put(t, s, key, want)
			if got := read(t, s, key); !bytes.Equal(got, want) {
				t.Errorf("Open(%q) = %q, want %q", key, got, want)
			}
		})
	}
}

func testOpenMissing(t *testing.T, s store.Interface) {
	put(t, s, "present.jpg", []byte("here"))
	for _, key := range []string{"missing.jpg", "present", "present.jpeg", "Present.jpg"} {
		checkNotFound(t, s, key)
	}
}

func testReplace(t *testing.T, s store.Interface) {
	const key = "replace.jpg"
	long := randomBytes(200_000, 1)
	short := randomBytes(1000, 2)
	put(t, s, key, long)
	put(t, s, key, short)
	if got := read(t, s, key); !bytes.Equal(got, short) {
		t.Errorf("Open(%q) after Put of %d then %d bytes = %d bytes, want the second object",
			key, len(long), len(short), len(got))
	}
	put(t, s, key, nil)
	if got := read(t, s, key); len(got) != 0 {
		t.Errorf("Open(%q) after Put of 0 bytes = %d bytes, want 0", key, len(got))
	}
}

func testInvalidKeys(t *testing.T, s store.Interface) {
	keys := []string{
		"", ".", "..", "../x", "a/b", "/abs", "a\\b", ".hidden", "x y", "%2e",
		"a.", ".jpg", "a.JPG", "a.tar.gz", "a.123456789", "a\x00b", "-a", "é",
		strings.Repeat("k", store.MaxKeyLen+1),
	}
	for _, key := range keys {
		t.Run(fmt.Sprintf("%q", key[:min(len(key), 20)]), func(t *testing.T) {
			err := s.Put(t.Context(), key, strings.NewReader("data"))
			if !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("Put(%q) = %v, want an error wrapping store.ErrInvalidKey", key, err)
			}
			checkNotFound(t, s, key)
		})
	}
}

func testFailingReader(t *testing.T, s store.Interface) {
	half := randomBytes(300_000, 3)
	failing := func() io.Reader {
		return io.MultiReader(bytes.NewReader(half), iotest.ErrReader(errBoom))
	}
	t.Run("NewKey", func(t *testing.T) {
		const key = "failing-new.jpg"
		if err := s.Put(t.Context(), key, failing()); !errors.Is(err, errBoom) {
			t.Errorf("Put(%q) from a reader failing after %d bytes = %v, want an error wrapping %v",
				key, len(half), err, errBoom)
		}
		checkNotFound(t, s, key)
	})
	t.Run("ExistingKey", func(t *testing.T) {
		const key = "failing-existing.jpg"
		want := []byte("the previous object")
		put(t, s, key, want)
		if err := s.Put(t.Context(), key, failing()); !errors.Is(err, errBoom) {
			t.Errorf("Put(%q) from a reader failing after %d bytes = %v, want an error wrapping %v",
				key, len(half), err, errBoom)
		}
		if got := read(t, s, key); !bytes.Equal(got, want) {
			t.Errorf("Open(%q) after a failed Put = %d bytes, want the previous object unchanged (%d bytes)",
				key, len(got), len(want))
		}
	})
}

func testCancelledContext(t *testing.T, s store.Interface) {
	const key = "cancelled.jpg"
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Put(ctx, key, bytes.NewReader(randomBytes(1000, 4)))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Put(%q) with a cancelled context = %v, want an error wrapping context.Canceled", key, err)
	}
	checkNotFound(t, s, key)
}

func testContextEndsDuringPut(t *testing.T, s store.Interface) {
	const key = "cancelled-midway.jpg"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// The reader cancels ctx once Put has read from it, then goes on
	// giving bytes: Put must notice and give up.
	r := &cancellingReader{r: bytes.NewReader(randomBytes(4<<20, 5)), cancel: cancel}
	err := s.Put(ctx, key, r)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Put(%q) with the context cancelled during the copy = %v, want an error wrapping context.Canceled", key, err)
	}
	checkNotFound(t, s, key)
}

// cancellingReader reads from r and calls cancel after its first Read.
type cancellingReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.cancel()
	return n, err
}

// concurrency is the number of goroutines of the concurrent subtests.
const concurrency = 16

func testConcurrentKeys(t *testing.T, s store.Interface) {
	want := make([][]byte, concurrency)
	for i := range want {
		want[i] = randomBytes(50_000+i, uint64(100+i))
	}
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Go(func() {
			key := fmt.Sprintf("concurrent-%d.jpg", i)
			if err := s.Put(t.Context(), key, bytes.NewReader(want[i])); err != nil {
				t.Errorf("concurrent Put(%q) = %v", key, err)
			}
		})
	}
	wg.Wait()
	for i := range concurrency {
		key := fmt.Sprintf("concurrent-%d.jpg", i)
		if got := read(t, s, key); !bytes.Equal(got, want[i]) {
			t.Errorf("Open(%q) after concurrent Puts = %d bytes, want the %d bytes put", key, len(got), len(want[i]))
		}
	}
}

func testConcurrentSameKey(t *testing.T, s store.Interface) {
	const key = "same.jpg"
	contents := make([][]byte, concurrency)
	for i := range contents {
		// Different sizes and bytes, so that any mix of two is detected.
		contents[i] = randomBytes(200_000+1000*i, uint64(200+i))
	}
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Go(func() {
			if err := s.Put(t.Context(), key, bytes.NewReader(contents[i])); err != nil {
				t.Errorf("concurrent Put(%q) of object %d = %v", key, i, err)
			}
		})
	}
	wg.Wait()
	got := read(t, s, key)
	for _, c := range contents {
		if bytes.Equal(got, c) {
			return
		}
	}
	t.Errorf("Open(%q) after %d concurrent Puts = %d bytes equal to none of the objects put", key, concurrency, len(got))
}

// put stores data under key and fails t if that fails.
func put(t testing.TB, s store.Interface, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%q, %d bytes) = %v", key, len(data), err)
	}
}

// read returns the whole object under key and fails t if it cannot.
func read(t testing.TB, s store.Interface, key string) []byte {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%q) = %v", key, err)
	}
	data, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil && cerr != nil {
		t.Fatalf("Close of Open(%q) = %v", key, cerr)
	}
	if err != nil {
		t.Fatalf("reading Open(%q) = %v", key, err)
	}
	return data
}

// checkNotFound fails t unless Open of key is store.ErrNotFound.
func checkNotFound(t testing.TB, s store.Interface, key string) {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err == nil {
		rc.Close()
		t.Errorf("Open(%q) = an object, want store.ErrNotFound", key)
		return
	}
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Open(%q) = %v, want an error wrapping store.ErrNotFound", key, err)
	}
}

// randomBytes returns n pseudo-random bytes, the same for the same seed.
func randomBytes(n int, seed uint64) []byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(s).Read(b) // ChaCha8.Read never fails
	return b
}
