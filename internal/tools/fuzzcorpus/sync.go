package fuzzcorpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Limits of a committed seed corpus, which [Sync] checks.
const (
	MaxFileSize = 16 << 10  // each file is smaller than this many bytes
	MaxDirSize  = 150 << 10 // the files of a folder hold at most this many bytes in all
	MaxFiles    = 30        // a folder holds at most this many files
)

// foundPrefix starts the names of the inputs that the fuzzer found.
const foundPrefix = "found-"

// A Seed is one file of a seed corpus: its name in the folder, and Args,
// the values of one input of the fuzz target in the order of its
// parameters, of the types that [Encode] takes.
type Seed struct {
	Name string
	Args []any
}

// Sync checks the seed corpus of the fuzz target named target, the folder
// testdata/fuzz/<target> of the current directory: that it holds a file
// named after each of seeds, and that it keeps within [MaxFileSize],
// [MaxFiles] and [MaxDirSize]. Subfolders, which go test ignores, are
// ignored.
//
// With regenerate set, Sync first rewrites the folder from seeds: it
// creates it if needed, removes every file but the inputs that the fuzzer
// found, found-*, and writes each seed in the format of [Encode].
//
// Sync reports a missing seed file or a limit passed with tb.Errorf, so
// that one run lists them all. It stops the test with tb.Fatalf on a seed
// list that is wrong (a name empty, repeated, holding a path separator or
// starting with "found-", or values that Encode refuses) and on a folder
// that it cannot read or write.
func Sync(tb testing.TB, target string, seeds []Seed, regenerate bool) {
	tb.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	named := map[string]bool{}
	for _, s := range seeds {
		switch {
		case s.Name == "" || s.Name == "." || s.Name == ".." || strings.ContainsAny(s.Name, `/\`):
			tb.Fatalf("%s: seed name %q is not a file name", target, s.Name)
		case strings.HasPrefix(s.Name, foundPrefix):
			tb.Fatalf("%s: seed name %q starts with %q, kept for inputs the fuzzer found", target, s.Name, foundPrefix)
		case named[s.Name]:
			tb.Fatalf("%s: two seeds named %s", target, s.Name)
		}
		named[s.Name] = true
	}
	if regenerate {
		rewrite(tb, dir, target, seeds)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatalf("%s: %v (run with -genseeds)", target, err)
	}
	have := map[string]bool{}
	files, total := 0, int64(0)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			tb.Fatalf("%s: %v", target, err)
		}
		if info.Size() >= MaxFileSize {
			tb.Errorf("%s/%s: %d bytes, want under %d", target, e.Name(), info.Size(), MaxFileSize)
		}
		files++
		total += info.Size()
		have[e.Name()] = true
	}
	if files > MaxFiles || total > MaxDirSize {
		tb.Errorf("%s: %d files of %d bytes in all, want at most %d and %d", target, files, total, MaxFiles, MaxDirSize)
	}
	for _, s := range seeds {
		if !have[s.Name] {
			tb.Errorf("%s: seed %s is missing (run with -genseeds)", target, s.Name)
		}
	}
}

// rewrite replaces the files of dir but found-* with seeds.
func rewrite(tb testing.TB, dir, target string, seeds []Seed) {
	tb.Helper()
	// Encode every seed before touching the folder, so that a bad seed
	// list leaves it as it was.
	data := make([][]byte, len(seeds))
	for i, s := range seeds {
		b, err := Encode(s.Args...)
		if err != nil {
			tb.Fatalf("%s: seed %s: %v", target, s.Name, err)
		}
		data[i] = b
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	old, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range old {
		if e.IsDir() || strings.HasPrefix(e.Name(), foundPrefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			tb.Fatal(err)
		}
	}
	for i, s := range seeds {
		if err := os.WriteFile(filepath.Join(dir, s.Name), data[i], 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}
