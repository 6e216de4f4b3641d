//go:build linux || darwin

package store_test

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/escala-img/escala/store"
)

func TestDirOpenFIFO(t *testing.T) {
	folder := t.TempDir()
	d := newDir(t, folder, nil)
	if err := syscall.Mkfifo(filepath.Join(folder, "pipe.jpg"), 0o644); err != nil {
		t.Fatalf("Mkfifo = %v", err)
	}
	// Opening a FIFO for reading would block until a writer came: Open must
	// reject it before opening.
	rc, err := d.Open(t.Context(), "pipe.jpg")
	if err == nil {
		rc.Close()
		t.Fatalf("Open(%q) of a FIFO = an object, want store.ErrNotFound", "pipe.jpg")
	}
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Open(%q) of a FIFO = %v, want an error wrapping store.ErrNotFound", "pipe.jpg", err)
	}
}
