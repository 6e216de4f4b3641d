package fuzzcorpus

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A recorder is a testing.TB that records failures instead of reporting
// them; Fatal and Fatalf end the goroutine, as they do in a test.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatal(args ...any) {
	r.errors = append(r.errors, fmt.Sprint(args...))
	r.fatal = true
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	runtime.Goexit()
}

// runSync runs Sync on a recorder, in a goroutine that Fatal may end.
func runSync(t *testing.T, target string, seeds []Seed, regenerate bool) *recorder {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Sync(r, target, seeds, regenerate)
	}()
	<-done
	return r
}

// inTempDir makes the current directory a new temporary one, with
// testdata/fuzz/<target> holding files.
func inTempDir(t *testing.T, target string, files map[string]string) string {
	t.Helper()
	t.Chdir(t.TempDir())
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// listDir returns the names in dir and the contents of its files.
func listDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			out[e.Name()] = "(folder)"
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func TestSyncRegenerate(t *testing.T) {
	dir := inTempDir(t, "FuzzX", map[string]string{
		"found-crash": "go test fuzz v1\n[]byte(\"kept\")\nbool(true)\n",
		"old-seed":    "go test fuzz v1\n[]byte(\"gone\")\nbool(false)\n",
		"a":           "stale",
	})
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := []Seed{
		{"a", []any{[]byte("one"), true}},
		{"b", []any{[]byte(nil), false}},
	}
	if r := runSync(t, "FuzzX", seeds, true); len(r.errors) > 0 {
		t.Fatalf("Sync(regenerate) failed: %q", r.errors)
	}
	want := map[string]string{
		"found-crash": "go test fuzz v1\n[]byte(\"kept\")\nbool(true)\n",
		"a":           "go test fuzz v1\n[]byte(\"one\")\nbool(true)\n",
		"b":           "go test fuzz v1\n[]byte(\"\")\nbool(false)\n",
		"sub":         "(folder)",
	}
	if got := listDir(t, dir); !maps.Equal(got, want) {
		t.Errorf("after Sync(regenerate), the folder holds %q, want %q", got, want)
	}
	if r := runSync(t, "FuzzX", seeds, false); len(r.errors) > 0 {
		t.Errorf("Sync of a fresh corpus failed: %q", r.errors)
	}
}

func TestSyncNewFolder(t *testing.T) {
	t.Chdir(t.TempDir())
	seeds := []Seed{{"only", []any{"x"}}}
	if r := runSync(t, "FuzzNew", seeds, true); len(r.errors) > 0 {
		t.Fatalf("Sync(regenerate) into no folder failed: %q", r.errors)
	}
	got := listDir(t, filepath.Join("testdata", "fuzz", "FuzzNew"))
	if want := map[string]string{"only": "go test fuzz v1\nstring(\"x\")\n"}; !maps.Equal(got, want) {
		t.Errorf("Sync(regenerate) wrote %q, want %q", got, want)
	}
}

func TestSyncCheck(t *testing.T) {
	big := strings.Repeat("x", MaxFileSize)
	many := map[string]string{}
	for i := range MaxFiles + 1 {
		many[fmt.Sprint("s", i)] = "go test fuzz v1\nbool(true)\n"
	}
	heavy := map[string]string{}
	for i := range MaxDirSize / (MaxFileSize - 1) {
		heavy[fmt.Sprint("s", i)] = big[1:]
	}
	heavy["last"] = big[:MaxDirSize%(MaxFileSize-1)+1]
	seedA := []Seed{{"a", []any{true}}}
	for _, tc := range []struct {
		name  string
		files map[string]string
		seeds []Seed
		want  []string // a substring of each error, in order
	}{
		{"ok", map[string]string{"a": "go test fuzz v1\nbool(true)\n", "found-1": big[1:]}, seedA, nil},
		{"missing", map[string]string{"b": "x"}, seedA, []string{"FuzzX: seed a is missing (run with -genseeds)"}},
		{"file-too-large", map[string]string{"a": big}, seedA, []string{fmt.Sprintf("FuzzX/a: %d bytes, want under %d", MaxFileSize, MaxFileSize)}},
		{"found-too-large", map[string]string{"a": "x", "found-1": big}, seedA, []string{"FuzzX/found-1: "}},
		{"too-many-files", many, nil, []string{fmt.Sprintf("FuzzX: %d files of", MaxFiles+1)}},
		{"too-many-bytes", heavy, nil, []string{fmt.Sprintf("of %d bytes in all, want at most %d and %d", MaxDirSize+1, MaxFiles, MaxDirSize)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inTempDir(t, "FuzzX", tc.files)
			r := runSync(t, "FuzzX", tc.seeds, false)
			if r.fatal || len(r.errors) != len(tc.want) {
				t.Fatalf("Sync = %q (fatal: %v), want %d errors", r.errors, r.fatal, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(r.errors[i], w) {
					t.Errorf("Sync error %q, want one with %q", r.errors[i], w)
				}
			}
		})
	}
}

func TestSyncFatal(t *testing.T) {
	for _, tc := range []struct {
		name       string
		seeds      []Seed
		regenerate bool
		noFolder   bool
		want       string
	}{
		{"no-folder", nil, false, true, "run with -genseeds"},
		{"empty-name", []Seed{{"", []any{true}}}, true, false, "is not a file name"},
		{"path", []Seed{{"a/b", []any{true}}}, false, false, "is not a file name"},
		{"dot-dot", []Seed{{"..", []any{true}}}, true, false, "is not a file name"},
		{"found", []Seed{{"found-x", []any{true}}}, true, false, `starts with "found-"`},
		{"twice", []Seed{{"a", []any{true}}, {"a", []any{false}}}, true, false, "two seeds named a"},
		{"no-encoding", []Seed{{"a", []any{true}}, {"b", []any{1i}}}, true, false, "seed b: fuzzcorpus: no encoding for complex128"},
		{"no-values", []Seed{{"a", nil}}, true, false, "seed a: fuzzcorpus: no values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := map[string]string{"old": "go test fuzz v1\nbool(true)\n"}
			dir := inTempDir(t, "FuzzX", old)
			if tc.noFolder {
				os.RemoveAll(dir)
			}
			r := runSync(t, "FuzzX", tc.seeds, tc.regenerate)
			if !r.fatal || !strings.Contains(strings.Join(r.errors, "\n"), tc.want) {
				t.Fatalf("Sync = %q (fatal: %v), want a fatal error with %q", r.errors, r.fatal, tc.want)
			}
			if !tc.noFolder {
				// A bad seed list leaves the folder alone.
				if got := listDir(t, dir); !maps.Equal(got, old) {
					t.Errorf("after a failed Sync, the folder holds %q, want %q", got, old)
				}
			}
		})
	}
}
