package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

// DirOptions configures [NewDir]. A nil *DirOptions means the defaults.
type DirOptions struct {
	// Perm is the permission of stored files, before the umask, as for
	// os.WriteFile. Only permission bits (fs.ModePerm) are allowed.
	// 0 means 0644.
	Perm fs.FileMode
}

// Dir is an [Interface] that keeps each object as a regular file named by its
// key, directly in one folder. All access goes through an [os.Root], so no
// key, symlink or ".." can reach a file outside the folder.
//
// A Dir is safe for concurrent use by multiple goroutines, and by several
// processes sharing the folder. Create one with [NewDir]; the zero value is
// not usable.
type Dir struct {
	root *os.Root
	perm fs.FileMode

	// Group commit of the renames of concurrent Puts, each batch made
	// durable by one sync of the folder: see commit.
	mu      sync.Mutex
	settled sync.Cond
	pending []*rename
	syncing bool

	// durable holds, for keys this Dir has stored and synced lately, the
	// file then under the key: storing the same bytes again finds it and
	// needs no sync. Emptied when it reaches maxDurable keys.
	durable map[string]fs.FileInfo
}

// maxDurable bounds Dir.durable.
const maxDurable = 4096

// A rename is a Put waiting for its temporary file to take its key.
type rename struct {
	tmp, key string
	file     fs.FileInfo // the file that takes the key, if known
	done     bool
	err      error
}

var _ Interface = (*Dir)(nil)

// tempPrefix starts the name of every temporary file. No valid key starts
// with '.', so a temporary file can never be opened as an object.
const tempPrefix = ".tmp-"

// staleAge is how old a temporary file must be before [NewDir] removes it.
const staleAge = 10 * time.Minute

// copyChunk is the size of the buffer Put copies through; ctx is checked
// before each chunk.
const copyChunk = 64 << 10

// NewDir returns a Dir that stores objects as files in the folder path,
// creating the folder and its parents (mode 0755, before the umask) if they
// are missing. A nil opts means the defaults of [DirOptions].
//
// NewDir removes temporary files (named ".tmp-*") that a crashed Put left in
// the folder more than 10 minutes ago; failing to remove one is not an error.
// (A Put in another process sharing the folder that is still writing its
// temporary file after 10 minutes may then fail; it never stores a part.)
// It returns an error if path cannot be created or opened as a folder, or if
// opts.Perm has bits other than permission bits.
//
// The Dir holds the folder open until [Dir.Close].
func NewDir(path string, opts *DirOptions) (*Dir, error) {
	perm := fs.FileMode(0o644)
	if opts != nil && opts.Perm != 0 {
		if opts.Perm&^fs.ModePerm != 0 {
			return nil, fmt.Errorf("store: new dir %q: Perm %v has bits other than permission bits", path, opts.Perm)
		}
		perm = opts.Perm
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("store: new dir: %w", err)
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("store: new dir: %w", err)
	}
	d := &Dir{root: root, perm: perm}
	d.settled.L = &d.mu
	d.removeStaleTemps(time.Now().Add(-staleAge))
	return d, nil
}

// removeStaleTemps removes the temporary files last modified before cutoff.
// It is best effort: a folder it cannot read or a file it cannot remove is
// left as it is, and Put still works or fails with its own clear error.
func (d *Dir) removeStaleTemps(cutoff time.Time) {
	f, err := d.root.Open(".")
	if err != nil {
		return
	}
	defer f.Close()
	for {
		// Read in batches: the folder may hold millions of objects.
		entries, err := f.ReadDir(1024)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), tempPrefix) || !e.Type().IsRegular() {
				continue
			}
			info, err := e.Info()
			if err != nil || !info.ModTime().Before(cutoff) {
				continue
			}
			_ = d.root.Remove(e.Name()) // best effort, see above
		}
		if err != nil {
			return // io.EOF at the end, or a read error: stop either way
		}
	}
}

// Put stores the bytes of r as the file named key, atomically, as
// [Interface.Put] requires. It reads r in chunks into a new temporary file in
// the folder (checking ctx before each chunk), flushes the file to disk,
// renames it onto key and flushes the folder, and only then returns nil.
// On Unix, readers that opened the previous object keep reading it whole.
//
// When r is a *bytes.Reader and the file named key already holds exactly
// its bytes, as a result named by its content does when it is stored
// again, nothing is written: Put only waits for a sync of the folder, as
// the Put that stored the file did, so that the object is as durable as
// one just written; if this Dir stored and synced that very file itself,
// lately, Put returns at once.
//
// On any failure the temporary file is removed and the previous object, if
// any, is unchanged. The error reads "store: put "key": ..." and wraps the
// cause: [ErrInvalidKey], ctx.Err(), the error of r, or the *fs.PathError
// or *os.LinkError of the file system (a full or read-only disk, a folder in
// the way of the key). The one exception is a failure to flush the
// folder after the rename: the new object is then in place but may not
// survive a crash, and Put returns that error.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader) error {
	if !ValidKey(key) {
		return fmt.Errorf("store: put %q: %w", key, ErrInvalidKey)
	}
	if err := d.put(ctx, key, r); err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	return nil
}

// put does the work of Put; its errors are wrapped by Put.
func (d *Dir) put(ctx context.Context, key string, r io.Reader) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if br, ok := r.(*bytes.Reader); ok {
		if info := d.holds(key, br); info != nil {
			if d.isDurable(key, info) {
				return nil
			}
			return d.commit("", key, info)
		}
	}
	tmp := tempPrefix + rand.Text()
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, d.perm)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close() // may be closed already; the first error matters
			d.root.Remove(tmp)
		}
	}()
	if err := copyContext(ctx, f, r); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	file, _ := f.Stat() // which file the key will name, if Stat can tell
	if err := f.Close(); err != nil {
		return err
	}
	// Last chance to give up: after the rename the object is stored.
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.commit(tmp, key, file)
}

// holds returns the file named key if it holds exactly the unread bytes
// of r, and nil otherwise. It leaves r as it was.
func (d *Dir) holds(key string, r *bytes.Reader) fs.FileInfo {
	info, err := d.root.Lstat(key)
	if err != nil || !info.Mode().IsRegular() || info.Size() != int64(r.Len()) {
		return nil
	}
	f, err := d.root.Open(key)
	if err != nil {
		return nil
	}
	defer f.Close()
	start := r.Size() - int64(r.Len())
	var have, want [8 << 10]byte
	for off := int64(0); off < info.Size(); {
		n, err := f.ReadAt(have[:], off)
		if n == 0 {
			return nil // a file shorter than Lstat said, or unreadable
		}
		if m, _ := r.ReadAt(want[:n], start+off); m != n || !bytes.Equal(have[:n], want[:n]) {
			return nil
		}
		off += int64(n)
		if err != nil && off < info.Size() {
			return nil
		}
	}
	// The file is the one checked if it still has the size read through
	// the name: a Put replacing it meanwhile renames another file there.
	if opened, err := f.Stat(); err != nil || !os.SameFile(info, opened) {
		return nil
	}
	return info
}

// isDurable reports whether file is the one this Dir last stored under
// key and synced.
func (d *Dir) isDurable(key string, file fs.FileInfo) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	known, ok := d.durable[key]
	return ok && os.SameFile(known, file)
}

// remember records, with d.mu held, the files of keys whose rename a sync
// of the folder has made durable.
func (d *Dir) remember(batch []*rename) {
	for _, r := range batch {
		if r.err != nil || r.file == nil {
			continue
		}
		if d.durable == nil || len(d.durable) >= maxDurable {
			d.durable = make(map[string]fs.FileInfo)
		}
		d.durable[r.key] = r.file
	}
}

// commit renames tmp to key and syncs the folder, so that the rename
// survives a crash. An empty tmp renames nothing: the caller found key
// stored already and only waits for a sync. file, when not nil, is the
// file that takes the key, which the Dir then remembers as durable. Concurrent Puts share the work: while one sync runs,
// the renames that arrive wait, and the first of them then renames them
// all and syncs once for the batch. A Put returns when a sync that began
// after its rename has ended. If the rename fails, the temporary file is
// the caller's to remove; if the sync fails, every Put of the batch gets
// the error.
func (d *Dir) commit(tmp, key string, file fs.FileInfo) error {
	r := &rename{tmp: tmp, key: key, file: file}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pending = append(d.pending, r)
	for !r.done {
		if d.syncing {
			d.settled.Wait()
			continue
		}
		batch := d.pending
		d.pending, d.syncing = nil, true
		d.mu.Unlock()
		errs := d.commitBatch(batch)
		d.mu.Lock()
		for i, b := range batch {
			b.err, b.done = errs[i], true
		}
		d.remember(batch)
		d.syncing = false
		d.settled.Broadcast()
	}
	return r.err
}

// commitBatch renames the files of batch and syncs the folder once, and
// returns the outcome of each. It does not touch batch, which others read
// under d.mu.
func (d *Dir) commitBatch(batch []*rename) []error {
	errs := make([]error, len(batch))
	toSync := 0
	for i, r := range batch {
		if r.tmp == "" {
			toSync++ // stored already: its rename may await this sync
			continue
		}
		if errs[i] = d.root.Rename(r.tmp, r.key); errs[i] == nil {
			toSync++
		}
	}
	if toSync > 0 {
		if err := d.syncFolder(); err != nil {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
	}
	return errs
}

// copyContext copies r to w until io.EOF, checking ctx before each chunk.
// Errors of r are returned as they are; errors of w are *fs.PathError. A
// *bytes.Reader, whose bytes are all in memory already, is written at once.
func copyContext(ctx context.Context, w io.Writer, r io.Reader) error {
	if br, ok := r.(*bytes.Reader); ok {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, err := br.WriteTo(w)
		return err
	}
	buf := make([]byte, copyChunk)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// syncFolder flushes the folder, so that a rename in it survives a crash.
func (d *Dir) syncFolder() error {
	if runtime.GOOS == "windows" {
		// Windows cannot flush a folder handle; NTFS journals renames.
		return nil
	}
	f, err := d.root.Open(".")
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Open returns the file stored under key. The result is an *os.File, so it
// also has Seek, ReadAt and Stat (serving it with [Handler] supports Range
// requests); the caller closes it.
//
// Only regular files are objects: a missing file, an invalid key, a folder,
// a device or a symlink (even one to a file inside the folder) gives an
// error that satisfies errors.Is(err, ErrNotFound) and says which. Other
// errors read "store: open "key": ..." and wrap the cause, as does a ctx
// that has already ended.
func (d *Dir) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("store: open %q: invalid key: %w", key, ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: open %q: %w", key, err)
	}
	// The os.Root would follow a symlink whose target is inside the folder,
	// but objects are never links: check the name with Lstat, open it, and
	// make sure the file opened is the one checked. If the name was replaced
	// in between (a concurrent Put, usually), check again.
	for range openAttempts {
		f, err := d.openRegular(key)
		if err == nil {
			return f, nil
		}
		if err != errReplaced {
			return nil, err // not f: a nil *os.File is a non-nil io.ReadCloser
		}
	}
	return nil, fmt.Errorf("store: open %q: replaced %d times while opening", key, openAttempts)
}

// openAttempts is how many times Open checks and opens a name that keeps
// being replaced before it gives up. Each attempt fails only if the name is
// replaced twice within a few system calls.
const openAttempts = 8

// errReplaced tells Open that the file at a name changed while it opened it.
var errReplaced = errors.New("replaced while opening")

// openRegular opens key if it is a regular file. The file opened must be the
// one the name held just before it was opened, or the one it holds just after:
// either way it was stored under key and not reached through a symlink. If it
// is neither, a concurrent Put replaced the name twice in between, and
// openRegular returns errReplaced.
func (d *Dir) openRegular(key string) (*os.File, error) {
	before, err := d.root.Lstat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: open %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", key, err)
	}
	if !before.Mode().IsRegular() {
		return nil, fmt.Errorf("store: open %q: not a regular file: %w", key, ErrNotFound)
	}
	f, err := d.root.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: open %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", key, err)
	}
	opened, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: open %q: %w", key, err)
	}
	if os.SameFile(before, opened) {
		return f, nil
	}
	if after, err := d.root.Lstat(key); err == nil && after.Mode().IsRegular() && os.SameFile(after, opened) {
		return f, nil
	}
	f.Close()
	return nil, errReplaced
}

// Close releases the handle on the folder. Files returned by Open stay
// readable. After Close, Put and Open return errors. Close is safe to call
// concurrently with other methods, which then either complete or fail.
func (d *Dir) Close() error {
	return d.root.Close()
}
