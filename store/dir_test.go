package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/store/storetest"
)

func TestDirConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Interface {
		return newDir(t, t.TempDir(), nil)
	})
}

// newDir returns a Dir on folder, closed when t ends.
func newDir(t testing.TB, folder string, opts *store.DirOptions) *store.Dir {
	t.Helper()
	d, err := store.NewDir(folder, opts)
	if err != nil {
		t.Fatalf("NewDir(%q) = %v", folder, err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close of NewDir(%q) = %v", folder, err)
		}
	})
	return d
}

// putBytes stores data under key in d and fails t if that fails.
func putBytes(t testing.TB, d store.Interface, key string, data []byte) {
	t.Helper()
	if err := d.Put(t.Context(), key, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%q) = %v", key, err)
	}
}

// readKey returns the object under key in d and fails t if it cannot.
func readKey(t testing.TB, d store.Interface, key string) []byte {
	t.Helper()
	rc, err := d.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%q) = %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading Open(%q) = %v", key, err)
	}
	return data
}

// names returns the sorted names in folder.
func names(t testing.TB, folder string) []string {
	t.Helper()
	entries, err := os.ReadDir(folder)
	if err != nil {
		t.Fatalf("ReadDir(%q) = %v", folder, err)
	}
	var ns []string
	for _, e := range entries {
		ns = append(ns, e.Name())
	}
	return ns
}

// checkNoTemps fails t if folder holds a temporary file.
func checkNoTemps(t testing.TB, folder string) {
	t.Helper()
	for _, n := range names(t, folder) {
		if strings.HasPrefix(n, ".tmp-") {
			t.Errorf("%s holds temporary file %q after Put returned", folder, n)
		}
	}
}

// symlink makes a symlink at link to target, or skips t where it cannot.
func symlink(t testing.TB, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("cannot make symlinks here: %v", err)
		}
		t.Fatalf("Symlink(%q, %q) = %v", target, link, err)
	}
}

func TestDirNoTempFilesLeft(t *testing.T) {
	errBoom := errors.New("boom")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		key     string
		r       io.Reader
		setup   func(t *testing.T, folder string)
		wantErr error // nil: want success; else want errors.Is
	}{
		{name: "Success", ctx: context.Background(), key: "ok.jpg", r: strings.NewReader("fine")},
		{
			name: "FailingReader", ctx: context.Background(), key: "fail.jpg",
			r:       io.MultiReader(bytes.NewReader(make([]byte, 200_000)), iotest.ErrReader(errBoom)),
			wantErr: errBoom,
		},
		{name: "CancelledContext", ctx: cancelled, key: "cancel.jpg", r: strings.NewReader("x"), wantErr: context.Canceled},
		{
			name: "RenameFails", ctx: context.Background(), key: "taken.jpg", r: strings.NewReader("x"),
			setup: func(t *testing.T, folder string) {
				if err := os.Mkdir(filepath.Join(folder, "taken.jpg"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: errAny,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			folder := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, folder)
			}
			d := newDir(t, folder, nil)
			err := d.Put(tc.ctx, tc.key, tc.r)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("Put(%q) = %v, want nil", tc.key, err)
			case tc.wantErr == errAny && err == nil,
				tc.wantErr != nil && tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
				t.Errorf("Put(%q) = %v, want an error wrapping %v", tc.key, err, tc.wantErr)
			}
			checkNoTemps(t, folder)
		})
	}
}

// errAny stands for any non-nil error in tables.
var errAny = errors.New("any error")

func TestDirOpenNotRegular(t *testing.T) {
	parent := t.TempDir()
	secret := filepath.Join(parent, "secret.txt")
	if err := os.WriteFile(secret, []byte("TOP SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(parent, "store")
	d := newDir(t, folder, nil)
	putBytes(t, d, "real.jpg", []byte("real"))
	symlink(t, secret, filepath.Join(folder, "outside.jpg"))
	symlink(t, "../secret.txt", filepath.Join(folder, "relative.jpg"))
	symlink(t, "real.jpg", filepath.Join(folder, "inside.jpg"))
	symlink(t, "missing.jpg", filepath.Join(folder, "dangling.jpg"))
	symlink(t, ".", filepath.Join(folder, "self"))
	if err := os.Mkdir(filepath.Join(folder, "sub.jpg"), 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ key, why string }{
		{"outside.jpg", "absolute symlink to a file outside the folder"},
		{"relative.jpg", "relative symlink to a file outside the folder"},
		{"inside.jpg", "symlink to an object in the folder"},
		{"dangling.jpg", "dangling symlink"},
		{"self", "symlink to the folder"},
		{"sub.jpg", "folder"},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			rc, err := d.Open(t.Context(), tc.key)
			if err == nil {
				rc.Close()
				t.Fatalf("Open(%q) of a %s = an object, want store.ErrNotFound", tc.key, tc.why)
			}
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Open(%q) of a %s = %v, want an error wrapping store.ErrNotFound", tc.key, tc.why, err)
			}
		})
	}
	if got := readKey(t, d, "real.jpg"); string(got) != "real" {
		t.Errorf("Open(%q) = %q, want %q", "real.jpg", got, "real")
	}
}

func TestDirPutFailure(t *testing.T) {
	t.Run("ReadOnlyFolder", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("folder permissions do not stop writes on Windows; TargetIsDirectory covers the failure path")
		}
		folder := t.TempDir()
		d := newDir(t, folder, nil)
		putBytes(t, d, "old.jpg", []byte("old"))
		if err := os.Chmod(folder, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(folder, 0o755) }) // so that TempDir can remove it
		// Root, or a file system ignoring modes, writes anyway: find out.
		probe := filepath.Join(folder, "probe")
		if err := os.WriteFile(probe, nil, 0o644); err == nil {
			os.Remove(probe)
			t.Skip("chmod 0555 does not stop writes here (running as root?); TargetIsDirectory covers the failure path")
		}

		err := d.Put(t.Context(), "new.jpg", strings.NewReader("new"))
		if err == nil {
			t.Fatalf("Put(%q) in a read-only folder = nil, want an error", "new.jpg")
		}
		if !errors.Is(err, fs.ErrPermission) || !strings.HasPrefix(err.Error(), `store: put "new.jpg": `) {
			t.Errorf("Put(%q) in a read-only folder = %q, want `store: put \"new.jpg\": ...` wrapping fs.ErrPermission", "new.jpg", err)
		}
		if got, want := strings.Join(names(t, folder), " "), "old.jpg"; got != want {
			t.Errorf("folder after a failed Put holds %q, want %q", got, want)
		}
		if got := readKey(t, d, "old.jpg"); string(got) != "old" {
			t.Errorf("Open(%q) after a failed Put = %q, want %q", "old.jpg", got, "old")
		}
	})

	t.Run("TargetIsDirectory", func(t *testing.T) {
		folder := t.TempDir()
		inner := filepath.Join(folder, "taken.jpg", "inner")
		if err := os.MkdirAll(filepath.Dir(inner), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(inner, []byte("inner"), 0o644); err != nil {
			t.Fatal(err)
		}
		d := newDir(t, folder, nil)

		err := d.Put(t.Context(), "taken.jpg", strings.NewReader("new"))
		if err == nil {
			t.Fatalf("Put(%q) onto a folder = nil, want an error", "taken.jpg")
		}
		var pe *fs.PathError
		var le *os.LinkError
		if !strings.HasPrefix(err.Error(), `store: put "taken.jpg": `) || !errors.As(err, &pe) && !errors.As(err, &le) {
			t.Errorf("Put(%q) onto a folder = %q, want `store: put \"taken.jpg\": ...` wrapping the file system error", "taken.jpg", err)
		}
		if got, want := strings.Join(names(t, folder), " "), "taken.jpg"; got != want {
			t.Errorf("folder after a failed Put holds %q, want %q", got, want)
		}
		if got, err := os.ReadFile(inner); err != nil || string(got) != "inner" {
			t.Errorf("ReadFile(%q) after a failed Put = %q, %v; want it unchanged", inner, got, err)
		}
	})
}

func TestNewDirRemovesStaleTemps(t *testing.T) {
	folder := t.TempDir()
	old := time.Now().Add(-11 * time.Minute)
	files := []struct {
		name string
		old  bool
		want bool // still there after NewDir
	}{
		{".tmp-OLD", true, false},
		{".tmp-NEW", false, true},
		{"keep.jpg", true, true},
		{".other", true, true},
	}
	for _, f := range files {
		p := filepath.Join(folder, f.name)
		if err := os.WriteFile(p, []byte(f.name), 0o644); err != nil {
			t.Fatal(err)
		}
		if f.old {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An old temp-named folder is not a temp file: it stays.
	if err := os.Mkdir(filepath.Join(folder, ".tmp-DIR"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(folder, ".tmp-DIR"), old, old); err != nil {
		t.Fatal(err)
	}

	newDir(t, folder, nil)

	for _, f := range files {
		_, err := os.Lstat(filepath.Join(folder, f.name))
		if got := err == nil; got != f.want {
			t.Errorf("after NewDir, %q (old: %v) exists = %v, want %v", f.name, f.old, got, f.want)
		}
	}
	if _, err := os.Lstat(filepath.Join(folder, ".tmp-DIR")); err != nil {
		t.Errorf("after NewDir, folder %q: %v, want it kept", ".tmp-DIR", err)
	}
}

func TestNewDir(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		opts    *store.DirOptions
		wantErr bool
	}{
		{"Nested", filepath.Join(parent, "a", "b", "c"), nil, false},
		{"Existing", parent, &store.DirOptions{}, false},
		{"Perm", filepath.Join(parent, "p"), &store.DirOptions{Perm: 0o600}, false},
		{"PathIsFile", file, nil, true},
		{"UnderFile", filepath.Join(file, "x"), nil, true},
		{"BadPerm", filepath.Join(parent, "q"), &store.DirOptions{Perm: fs.ModeDir | 0o755}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := store.NewDir(tc.path, tc.opts)
			if tc.wantErr {
				if err == nil {
					d.Close()
					t.Fatalf("NewDir(%q, %+v) = nil error, want an error", tc.path, tc.opts)
				}
				if !strings.HasPrefix(err.Error(), "store: new dir") {
					t.Errorf("NewDir(%q, %+v) = %q, want it to start with \"store: new dir\"", tc.path, tc.opts, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewDir(%q, %+v) = %v", tc.path, tc.opts, err)
			}
			t.Cleanup(func() { d.Close() })
			if fi, err := os.Stat(tc.path); err != nil || !fi.IsDir() {
				t.Errorf("after NewDir(%q), Stat = %v, %v; want a folder", tc.path, fi, err)
			}
		})
	}
}

func TestDirPerm(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	tests := []struct {
		name string
		opts *store.DirOptions
		max  fs.FileMode // the umask may only remove bits
		min  fs.FileMode
	}{
		{"Default", nil, 0o644, 0o600},
		{"Zero", &store.DirOptions{Perm: 0}, 0o644, 0o600},
		{"0600", &store.DirOptions{Perm: 0o600}, 0o600, 0o600},
		{"0640", &store.DirOptions{Perm: 0o640}, 0o640, 0o600},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			folder := t.TempDir()
			d := newDir(t, folder, tc.opts)
			putBytes(t, d, "k.jpg", []byte("x"))
			fi, err := os.Stat(filepath.Join(folder, "k.jpg"))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode(); !got.IsRegular() || got.Perm()&^tc.max != 0 || got.Perm()&tc.min != tc.min {
				t.Errorf("mode of a stored file with %+v = %v, want a regular file within %v and at least %v",
					tc.opts, got, tc.max, tc.min)
			}
		})
	}
}

func TestDirOpenIsFile(t *testing.T) {
	d := newDir(t, t.TempDir(), nil)
	putBytes(t, d, "f.jpg", []byte("0123456789"))
	rc, err := d.Open(t.Context(), "f.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	f, ok := rc.(*os.File)
	if !ok {
		t.Fatalf("Open(%q) = %T, want *os.File", "f.jpg", rc)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 10 {
		t.Errorf("Stat of Open(%q) = %v, %v; want size 10", "f.jpg", fi, err)
	}
	if _, err := f.Seek(6, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(f); err != nil || string(got) != "6789" {
		t.Errorf("ReadAll after Seek(6) = %q, %v; want %q", got, err, "6789")
	}
}

func TestDirOpenCancelledContext(t *testing.T) {
	d := newDir(t, t.TempDir(), nil)
	putBytes(t, d, "f.jpg", []byte("x"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rc, err := d.Open(ctx, "f.jpg")
	if err == nil {
		rc.Close()
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Open(%q) with a cancelled context = %v, want an error wrapping context.Canceled", "f.jpg", err)
	}
}

func TestDirClose(t *testing.T) {
	d, err := store.NewDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	putBytes(t, d, "f.jpg", []byte("still here"))
	rc, err := d.Open(t.Context(), "f.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := d.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if got, err := io.ReadAll(rc); err != nil || string(got) != "still here" {
		t.Errorf("reading an object opened before Close = %q, %v; want %q", got, err, "still here")
	}
	if err := d.Put(t.Context(), "g.jpg", strings.NewReader("x")); err == nil {
		t.Errorf("Put after Close = nil, want an error")
	}
	if rc, err := d.Open(t.Context(), "f.jpg"); err == nil {
		rc.Close()
		t.Errorf("Open after Close = an object, want an error")
	}
}

// TestDirReadWhileReplacing checks that a reader racing with Puts of one key
// always sees one whole object.
func TestDirReadWhileReplacing(t *testing.T) {
	d := newDir(t, t.TempDir(), nil)
	const key = "race.jpg"
	a := bytes.Repeat([]byte("a"), 300_000)
	b := bytes.Repeat([]byte("b"), 100_000)
	putBytes(t, d, key, a)

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			obj := a
			if i%2 == 0 {
				obj = b
			}
			if err := d.Put(t.Context(), key, bytes.NewReader(obj)); err != nil {
				t.Errorf("Put(%q) = %v", key, err)
				return
			}
		}
	}()
	for reads := 0; ; reads++ {
		select {
		case <-done:
			if reads == 0 {
				t.Log("no read overlapped the Puts")
			}
			return
		default:
		}
		got := readKey(t, d, key)
		if !bytes.Equal(got, a) && !bytes.Equal(got, b) {
			t.Fatalf("Open(%q) during Puts = %d bytes, neither whole object", key, len(got))
		}
	}
}

// TestDirPutStopsOnCancel checks that Put stops reading soon after ctx ends,
// rather than copying the rest of a long reader.
func TestDirPutStopsOnCancel(t *testing.T) {
	folder := t.TempDir()
	d := newDir(t, folder, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	const total = 256 << 20
	r := &countingReader{r: io.LimitReader(zeros{}, total), cancel: cancel}
	err := d.Put(ctx, "long.jpg", r)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Put(%q) cancelled during the copy = %v, want an error wrapping context.Canceled", "long.jpg", err)
	}
	if r.n >= 1<<20 {
		t.Errorf("Put(%q) read %d bytes after its context was cancelled, want less than 1 MiB", "long.jpg", r.n)
	}
	checkNoTemps(t, folder)
}

// countingReader calls cancel on its first Read and counts the bytes read
// after that.
type countingReader struct {
	r         io.Reader
	cancel    context.CancelFunc
	cancelled bool
	n         int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.cancelled {
		c.n += n
	}
	c.cancel()
	c.cancelled = true
	return n, err
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestDirOpenWhileManyPut checks that Open never fails while many Puts
// replace the object it opens at once, as when many clients upload the same
// photo to a content-addressed store: every rename in a batch replaces the
// name again while readers open it.
func TestDirOpenWhileManyPut(t *testing.T) {
	d := newDir(t, t.TempDir(), nil)
	const key = "same.jpg"
	obj := []byte("the same bytes from every writer")
	putBytes(t, d, key, obj)

	var writers sync.WaitGroup
	for range 64 {
		writers.Go(func() {
			for range 20 {
				if err := d.Put(t.Context(), key, bytes.NewReader(obj)); err != nil {
					t.Errorf("Put(%q) = %v", key, err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { writers.Wait(); close(done) }()

	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				f, err := d.Open(t.Context(), key)
				if err != nil {
					t.Errorf("Open(%q) during Puts: %v", key, err)
					return
				}
				got, err := io.ReadAll(f)
				f.Close()
				if err != nil || !bytes.Equal(got, obj) {
					t.Errorf("Open(%q) during Puts read %q, %v; want %q", key, got, err, obj)
					return
				}
			}
		})
	}
	readers.Wait()
}

// TestDirPutSameBytes checks that storing the bytes a file already holds
// leaves that file in place, and that anything else replaces it.
func TestDirPutSameBytes(t *testing.T) {
	data := make([]byte, 100_000)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	other := append([]byte(nil), data...)
	other[50_000] ^= 1
	tests := []struct {
		name string
		r    io.Reader
		want []byte
		kept bool
	}{
		{"same bytes", bytes.NewReader(data), data, true},
		{"same bytes after a read", func() io.Reader {
			r := bytes.NewReader(append([]byte("head"), data...))
			r.Read(make([]byte, 4))
			return r
		}(), data, true},
		{"one bit differs", bytes.NewReader(other), other, false},
		{"shorter", bytes.NewReader(data[:99_999]), data[:99_999], false},
		{"same bytes from a stream", io.MultiReader(bytes.NewReader(data)), data, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			folder := t.TempDir()
			d := newDir(t, folder, nil)
			if err := d.Put(t.Context(), "k.jpg", bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			before, err := os.Stat(filepath.Join(folder, "k.jpg"))
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Put(t.Context(), "k.jpg", tc.r); err != nil {
				t.Fatalf("second Put = %v", err)
			}
			after, err := os.Stat(filepath.Join(folder, "k.jpg"))
			if err != nil {
				t.Fatal(err)
			}
			if kept := os.SameFile(before, after); kept != tc.kept {
				t.Errorf("file kept in place: %v, want %v", kept, tc.kept)
			}
			got, err := os.ReadFile(filepath.Join(folder, "k.jpg"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("the file holds %d bytes that are not the %d put", len(got), len(tc.want))
			}
			checkNoTemps(t, folder)
		})
	}
}
