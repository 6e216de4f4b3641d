package store_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/escala-img/escala/store"
)

// A write that the disk refuses halfway (here a file size limit, the way
// a full disk refuses it) fails Put with the cause, and leaves neither a
// partial object nor a temporary file; the previous object is unchanged.
// The limit applies to a whole process, so the Put runs in a child.
func TestDirPutDiskRefuses(t *testing.T) {
	if folder := os.Getenv("ESCALA_TEST_FSIZE_FOLDER"); folder != "" {
		putOverLimit(t, folder)
		return
	}
	folder := t.TempDir()
	d := newDir(t, folder, nil)
	putBytes(t, d, "old.jpg", []byte("old"))

	cmd := exec.Command(os.Args[0], "-test.run=^TestDirPutDiskRefuses$", "-test.v")
	cmd.Env = append(os.Environ(), "ESCALA_TEST_FSIZE_FOLDER="+folder)
	if out, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(out, []byte("refused:")) {
		t.Fatalf("the Put over the limit: %v\n%s", err, out)
	}
	if got, want := strings.Join(names(t, folder), " "), "old.jpg"; got != want {
		t.Errorf("folder after a refused Put holds %q, want %q", got, want)
	}
	if got := readKey(t, d, "old.jpg"); string(got) != "old" {
		t.Errorf("Open(%q) after a refused Put = %q, want %q", "old.jpg", got, "old")
	}
}

// putOverLimit limits files to 16 KiB and stores 256 KiB under new.jpg,
// which must fail with EFBIG.
func putOverLimit(t *testing.T, folder string) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = 16 << 10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	d, err := store.NewDir(folder, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = d.Put(t.Context(), "new.jpg", bytes.NewReader(make([]byte, 256<<10)))
	if !errors.Is(err, syscall.EFBIG) || !strings.HasPrefix(err.Error(), `store: put "new.jpg": `) {
		t.Fatalf("Put over the file size limit = %v, want `store: put \"new.jpg\": ...` wrapping EFBIG", err)
	}
	t.Logf("refused: %v", err)
	if _, err := os.Stat(filepath.Join(folder, "new.jpg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("new.jpg after the refused Put: %v, want it absent", err)
	}
}
