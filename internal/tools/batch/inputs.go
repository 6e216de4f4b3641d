package batch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Stdin is the input that stands for standard input.
const Stdin = "-"

// stdinStem is the name, before ".jpg", of the result of standard input.
const stdinStem = "stdin"

// imageExts are the endings, in lower case, of the names of the files that
// Inputs takes from a folder.
var imageExts = []string{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}

// Inputs returns the files to send: images, in their order, then the image
// files of each folder of dirs, in order, each folder's sorted by name.
//
// The image files of a folder are the regular files directly in it (or
// links to regular files) whose names end in .jpg, .jpeg, .png, .gif, .bmp,
// .tif, .tiff or .webp, in any case, and do not start with a dot: hidden
// files, subfolders and their contents, and other files are left out.
// images are taken as they are, whatever their names, and may include
// Stdin, once. A path named twice, as an image and in a folder say, is sent
// once.
//
// It returns an error if a folder cannot be read, or Stdin is named twice.
func Inputs(images, dirs []string) ([]string, error) {
	var inputs []string
	seen := map[string]bool{}
	add := func(path string) {
		key := path
		if path != Stdin {
			key = filepath.Clean(path)
		}
		if !seen[key] {
			seen[key] = true
			inputs = append(inputs, path)
		}
	}
	stdin := false
	for _, path := range images {
		if path == Stdin {
			if stdin {
				return nil, errors.New("standard input (-) can be sent only once")
			}
			stdin = true
		}
		add(path)
	}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("cannot read the folder %s: %w", dir, reason(err))
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || !slices.Contains(imageExts, strings.ToLower(filepath.Ext(name))) {
				continue
			}
			path := filepath.Join(dir, name)
			if !e.Type().IsRegular() {
				// A link is followed; anything else is not a file.
				if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
					continue
				}
			}
			add(path) // ReadDir sorts by name
		}
	}
	return inputs, nil
}

// A Job is an image to send and the file its result is saved as.
type Job struct {
	In  string // a file's path, or Stdin
	Out string // the path of the result
}

// name is how the report names the input.
func (j Job) name() string {
	if j.In == Stdin {
		return "standard input"
	}
	return j.In
}

// Plan returns a Job for each of inputs that saves its result in the
// folder out, which it creates, with its parents, if missing. A result is
// named after its input, with the extension .jpg as results are JPEG
// files: "photos/cat.png" gives "cat.jpg", and Stdin gives "stdin.jpg".
//
// A result never replaces an input, nor another result of the batch: when
// a name is taken, by photos/cat.jpg and more/cat.png say, or when it is
// that of an input, as when out is the folder of the inputs, the later
// input's result gets "-2", or "-3" and so on, before its extension. Names
// are compared ignoring case, for the file systems that do. Other files
// already in out under a result's name are replaced, as the results of a
// previous run are.
//
// It returns an error if out exists and is not a folder, or cannot be
// created.
func Plan(inputs []string, out string) ([]Job, error) {
	if fi, err := os.Stat(out); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder: with several images, --out names the folder of the results", out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the folder %s: %w", out, reason(err))
	}
	taken := map[string]bool{} // absolute paths, in lower case
	var files []os.FileInfo    // of the inputs, to know them under other names
	for _, in := range inputs {
		if in == Stdin {
			continue
		}
		if abs, err := filepath.Abs(in); err == nil {
			taken[strings.ToLower(abs)] = true
		}
		if fi, err := os.Stat(in); err == nil {
			files = append(files, fi)
		}
	}
	isInput := func(path string) bool {
		fi, err := os.Stat(path)
		if err != nil {
			return false
		}
		return slices.ContainsFunc(files, func(in os.FileInfo) bool { return os.SameFile(fi, in) })
	}
	jobs := make([]Job, 0, len(inputs))
	for _, in := range inputs {
		stem := stdinStem
		if in != Stdin {
			base := filepath.Base(in)
			stem = strings.TrimSuffix(base, filepath.Ext(base))
			if stem == "" {
				stem = base // ".jpg" alone
			}
		}
		for n := 1; ; n++ {
			name := stem
			if n > 1 {
				name += "-" + strconv.Itoa(n)
			}
			path := filepath.Join(out, name+".jpg")
			abs, err := filepath.Abs(path)
			if err != nil {
				return nil, err
			}
			if taken[strings.ToLower(abs)] || isInput(path) {
				continue
			}
			taken[strings.ToLower(abs)] = true
			jobs = append(jobs, Job{In: in, Out: path})
			break
		}
	}
	return jobs, nil
}
