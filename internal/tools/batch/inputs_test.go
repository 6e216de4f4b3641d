package batch

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// files makes the files of names, empty, under dir; a name ending in "/"
// is a folder.
func files(tb testing.TB, dir string, names ...string) {
	tb.Helper()
	for _, name := range names {
		path := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(path, 0o755); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func TestInputs(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, "photos/b.png", "photos/A.JPG", "photos/c.webp", "photos/.hidden.jpg", "photos/notes.txt",
		"photos/noext", "photos/folder.jpg/", "photos/sub/deep.jpg", "more/a.jpeg", "other/x.gif")
	photos, more := filepath.Join(dir, "photos"), filepath.Join(dir, "more")
	if err := os.Symlink(filepath.Join(dir, "other/x.gif"), filepath.Join(photos, "link.gif")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "missing.jpg"), filepath.Join(photos, "broken.jpg")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "other"), filepath.Join(photos, "dirlink.png")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name         string
		images, dirs []string
		want         []string
	}{
		{"folder", nil, []string{photos},
			[]string{photos + "/A.JPG", photos + "/b.png", photos + "/c.webp", photos + "/link.gif"}},
		{"images first, then folders in order", []string{Stdin, photos + "/notes.txt"}, []string{more, photos},
			[]string{Stdin, photos + "/notes.txt", more + "/a.jpeg", photos + "/A.JPG", photos + "/b.png", photos + "/c.webp", photos + "/link.gif"}},
		{"a path named twice is sent once", []string{photos + "/./b.png", more + "/a.jpeg"}, []string{photos, more},
			[]string{photos + "/./b.png", more + "/a.jpeg", photos + "/A.JPG", photos + "/c.webp", photos + "/link.gif"}},
		{"a folder without images", nil, []string{filepath.Join(photos, "folder.jpg")}, nil},
		{"images only", []string{"x.jpg", "y"}, nil, []string{"x.jpg", "y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Inputs(tc.images, tc.dirs)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("Inputs(%q, %q) = %q, %v; want %q", tc.images, tc.dirs, got, err, tc.want)
			}
		})
	}
}

func TestInputsErrors(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, "file.jpg")
	tests := []struct {
		name         string
		images, dirs []string
		want         string
	}{
		{"stdin twice", []string{Stdin, "a.jpg", Stdin}, nil, "standard input (-) can be sent only once"},
		{"missing folder", nil, []string{dir + "/nope"}, "cannot read the folder " + dir + "/nope: no such file or directory"},
		{"file as a folder", nil, []string{dir + "/file.jpg"}, "cannot read the folder " + dir + "/file.jpg: not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Inputs(tc.images, tc.dirs)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Inputs(%q, %q) = %q, %v; want error %q", tc.images, tc.dirs, got, err, tc.want)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name   string
		files  []string // made in the test's folder, which the paths are relative to
		inputs []string
		out    string
		want   []string // the Out of each Job
	}{
		{"names kept, extension .jpg", nil, []string{"photos/cat.png", "photos/dog.jpeg", "x/bird.JPG", Stdin}, "scaled",
			[]string{"scaled/cat.jpg", "scaled/dog.jpg", "scaled/bird.jpg", "scaled/stdin.jpg"}},
		{"same base name in two folders", nil, []string{"a/cat.jpg", "b/cat.png", "c/cat.gif", "c/cat-2.jpg"}, "scaled",
			[]string{"scaled/cat.jpg", "scaled/cat-2.jpg", "scaled/cat-3.jpg", "scaled/cat-2-2.jpg"}},
		{"names differing in case only", nil, []string{"a/Cat.jpg", "b/cat.jpg"}, "scaled",
			[]string{"scaled/Cat.jpg", "scaled/cat-2.jpg"}},
		{"out is the folder of the inputs", []string{"photos/a.jpg", "photos/a.png", "photos/a-2.jpg"},
			[]string{"photos/a.png", "photos/a.jpg"}, "photos",
			[]string{"photos/a-2.jpg", "photos/a-3.jpg"}},
		{"input under another name", []string{"photos/a.JPG"}, []string{"./photos/a.JPG", "photos/b.png"}, "photos",
			[]string{"photos/a-2.jpg", "photos/b.jpg"}},
		{"earlier results are replaced", []string{"scaled/a.jpg"}, []string{"photos/a.png"}, "scaled",
			[]string{"scaled/a.jpg"}},
		{"a name that is all extension", nil, []string{"photos/.jpg", Stdin, "stdin.png"}, "out/deep",
			[]string{"out/deep/.jpg.jpg", "out/deep/stdin.jpg", "out/deep/stdin-2.jpg"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			files(t, ".", tc.files...)
			jobs, err := Plan(tc.inputs, tc.out)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, j := range jobs {
				if j.In != tc.inputs[i] {
					t.Errorf("job %d is for %q, want %q", i, j.In, tc.inputs[i])
				}
				got = append(got, j.Out)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Plan(%q, %q) saves as %q, want %q", tc.inputs, tc.out, got, tc.want)
			}
			if fi, err := os.Stat(tc.out); err != nil || !fi.IsDir() {
				t.Errorf("Plan left no folder %s: %v", tc.out, err)
			}
		})
	}
}

func TestPlanLinkedInput(t *testing.T) {
	t.Chdir(t.TempDir())
	files(t, ".", "photos/a.jpg")
	if err := os.Symlink("photos", "alias"); err != nil {
		t.Fatal(err)
	}
	jobs, err := Plan([]string{"alias/a.jpg"}, "photos")
	if err != nil || len(jobs) != 1 || jobs[0].Out != "photos/a-2.jpg" {
		t.Errorf("Plan of alias/a.jpg into photos, which holds it: %v, %v; want it saved as photos/a-2.jpg", jobs, err)
	}
}

func TestPlanOutNotFolder(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, "result.jpg")
	out := filepath.Join(dir, "result.jpg")
	_, err := Plan([]string{"a.jpg", "b.jpg"}, out)
	if want := out + " is not a folder"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Plan into a file: %v, want an error starting %q", err, want)
	}
	_, err = Plan([]string{"a.jpg", "b.jpg"}, filepath.Join(out, "sub"))
	if want := "cannot create the folder " + out + "/sub: not a directory"; err == nil || err.Error() != want {
		t.Errorf("Plan under a file: %v, want %q", err, want)
	}
}
