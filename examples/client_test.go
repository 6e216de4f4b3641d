package examples_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/progtest"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

// The tests of this file run the client program against a gateway that
// scales in the test's process.

// inProcessGateway starts a gateway that scales in process and stores its
// results in a folder served over HTTP, both on loopback, and returns its
// port.
func inProcessGateway(t *testing.T) string {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	dir, err := store.NewDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	files := httptest.NewServer(store.Handler(dir))
	t.Cleanup(files.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &transport.Server{Logger: quiet, Handler: &escala.Gateway{Store: dir, BaseURL: files.URL, Logger: quiet}}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("gateway Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, transport.ErrServerClosed) {
			t.Errorf("gateway Serve: %v, want ErrServerClosed", err)
		}
	})
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// A run is what the client did: its exit code and its output.
type run struct {
	code           int
	stdout, stderr string
}

// runIn runs the client at bin in the folder dir with args and, as its
// standard input, stdin.
func runIn(t *testing.T, bin, dir string, stdin []byte, args ...string) run {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return run{exitCode(t, cmd.Run()), stdout.String(), stderr.String()}
}

// exitCode returns the exit code of a program that returned err.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// writeFiles writes the files of data, by path, under dir.
func writeFiles(t *testing.T, dir string, data map[string][]byte) {
	t.Helper()
	for path, b := range data {
		path = filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkGray checks that path holds a gray JPEG of size.
func checkGray(t *testing.T, path string, size image.Point) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, format, err := scaler.DecodeConfig(bytes.NewReader(data), nil); err != nil || format != scaler.JPEG {
		t.Fatalf("%s: %v, %v; want a JPEG", path, format, err)
	}
	img, err := scaler.Decode(bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, gray := img.(*image.Gray); !gray || img.Bounds().Size() != size {
		t.Errorf("%s is a %T of %v, want a gray %v", path, img, img.Bounds().Size(), size)
	}
}

// A fileLine is a line of the client's report on an image.
type fileLine struct {
	in, link, size, out string // size "32x24"
	err                 string
}

var (
	okLine   = regexp.MustCompile(`^(.+): (http://127\.0\.0\.1:\d+/[a-z2-7]{32}\.jpg) \((\d+x\d+)\), saved as (.+)$`)
	errLine  = regexp.MustCompile(`^(.+): error: (.+)$`)
	sumLine  = regexp.MustCompile(`^(\d+) files: (\d+) ok, (\d+) failed; sent \d+(\.\d)? (B|KiB|MiB), received \d+(\.\d)? (B|KiB|MiB) in \S+$`)
	barStart = "\r["
)

// report splits the client's report into the lines on the images, sorted
// by input, and the summary. It fails t if a line is neither.
func report(t *testing.T, stdout string) ([]fileLine, []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	var files []fileLine
	for _, line := range lines[:len(lines)-1] {
		if m := okLine.FindStringSubmatch(line); m != nil {
			files = append(files, fileLine{in: m[1], link: m[2], size: m[3], out: m[4]})
		} else if m := errLine.FindStringSubmatch(line); m != nil {
			files = append(files, fileLine{in: m[1], err: m[2]})
		} else {
			t.Fatalf("line %q of the report is not about an image; the report:\n%s", line, stdout)
		}
	}
	slices.SortFunc(files, func(a, b fileLine) int { return strings.Compare(a.in, b.in) })
	sum := sumLine.FindStringSubmatch(lines[len(lines)-1])
	if sum == nil {
		t.Fatalf("the report does not end with a summary:\n%s", stdout)
	}
	return files, sum[1:4]
}

func TestClientBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the client")
	}
	bin := progtest.Build(t, "client")["client"]
	port := inProcessGateway(t)
	jpg, png, piped := sample.JPEG(64, 48), sample.PNG(66, 50), sample.JPEG(40, 20)
	half := func(w, h int) image.Point { return image.Pt(w/2, h/2) }

	t.Run("pipe", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string][]byte{
			"photos/a.jpg": jpg, "photos/b.png": png, "photos/.hidden.jpg": []byte("not sent"),
			"photos/notes.txt": []byte("not sent"), "photos/sub/c.jpg": []byte("not sent"), "extra/a.png": png,
		})
		r := runIn(t, bin, dir, nil, "--port", port, "--image", "extra/a.png", "--dir", "photos", "--out", "out")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("client exited %d:\n%s%s", r.code, r.stdout, r.stderr)
		}
		if strings.ContainsAny(r.stdout, "\r\x1b") || strings.Contains(r.stdout, "of 3 files") {
			t.Errorf("client drew a progress bar in a pipe:\n%q", r.stdout)
		}
		files, sum := report(t, r.stdout)
		want := []fileLine{
			{in: "extra/a.png", size: "33x25", out: "out/a.jpg"},
			{in: "photos/a.jpg", size: "32x24", out: "out/a-2.jpg"},
			{in: "photos/b.png", size: "33x25", out: "out/b.jpg"},
		}
		for i := range files {
			files[i].link = ""
		}
		if !slices.Equal(files, want) || !slices.Equal(sum, []string{"3", "3", "0"}) {
			t.Errorf("client reported %+v and %q, want %+v and 3 ok:\n%s", files, sum, want, r.stdout)
		}
		checkGray(t, filepath.Join(dir, "out/a.jpg"), half(66, 50))
		checkGray(t, filepath.Join(dir, "out/a-2.jpg"), half(64, 48))
		checkGray(t, filepath.Join(dir, "out/b.jpg"), half(66, 50))
		if entries, _ := os.ReadDir(filepath.Join(dir, "out")); len(entries) != 3 {
			t.Errorf("out holds %d files, want the 3 results", len(entries))
		}
	})

	t.Run("corrupt file", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string][]byte{"photos/a.jpg": jpg, "photos/broken.jpg": []byte("\xff\xd8\xff\xe0 truncated"), "photos/c.png": png})
		r := runIn(t, bin, dir, nil, "--port", port, "--dir", "photos", "--concurrency", "1")
		if r.code != 1 {
			t.Errorf("client with a corrupt file exited %d, want 1:\n%s%s", r.code, r.stdout, r.stderr)
		}
		files, sum := report(t, r.stdout)
		if len(files) != 3 || files[0].out != "scaled/a.jpg" || files[2].out != "scaled/c.jpg" ||
			files[1].in != "photos/broken.jpg" || !strings.Contains(files[1].err, "invalid image") || strings.Contains(files[1].err, "\n") ||
			!slices.Equal(sum, []string{"3", "2", "1"}) {
			t.Errorf("client reported %+v and %q, want 2 results in scaled/ and an error for the corrupt file:\n%s", files, sum, r.stdout)
		}
		checkGray(t, filepath.Join(dir, "scaled/a.jpg"), half(64, 48))
		checkGray(t, filepath.Join(dir, "scaled/c.jpg"), half(66, 50))
		if _, err := os.Stat(filepath.Join(dir, "scaled/broken.jpg")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the corrupt file left a result: %v", err)
		}
	})

	t.Run("stdin", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string][]byte{"b.png": png})
		r := runIn(t, bin, dir, piped, "--port", port, "--image", "-", "--image", "b.png")
		if r.code != 0 {
			t.Fatalf("client exited %d:\n%s%s", r.code, r.stdout, r.stderr)
		}
		files, _ := report(t, r.stdout)
		if len(files) != 2 || files[1].in != "standard input" || files[1].out != "scaled/stdin.jpg" {
			t.Errorf("client reported %+v, want standard input saved as scaled/stdin.jpg", files)
		}
		checkGray(t, filepath.Join(dir, "scaled/stdin.jpg"), half(40, 20))
	})

	t.Run("one image from stdin", func(t *testing.T) {
		dir := t.TempDir()
		r := runIn(t, bin, dir, piped, "--port", port, "--image", "-")
		want := regexp.MustCompile(`^Connecting to the server at 127\.0\.0\.1:` + port + `\.\.\.
Sending image of \d+ bytes\.\.\.
Scaled image \(20x10\) available at: http://\S+\.jpg
Scaled image received \(\d+ bytes\) and saved as imagen_escalada\.jpg\.
$`)
		if r.code != 0 || !want.MatchString(r.stdout) {
			t.Fatalf("client exited %d:\n%s%s\nwant the 4 lines of one image", r.code, r.stdout, r.stderr)
		}
		checkGray(t, filepath.Join(dir, "imagen_escalada.jpg"), half(40, 20))
	})

	t.Run("errors", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, down, _ := net.SplitHostPort(l.Addr().String())
		l.Close()
		dir := t.TempDir()
		writeFiles(t, dir, map[string][]byte{"a.jpg": jpg, "b.jpg": jpg, "file": nil})
		tests := []struct {
			name   string
			args   []string
			code   int
			stdout string // a line it must hold
			stderr string // a line it must hold
		}{
			{"no image", []string{"--port", port}, 2, "", "client: --image or --dir is required"},
			{"no concurrency", []string{"--port", port, "--image", "a.jpg", "--image", "b.jpg", "--concurrency", "0"}, 2, "", "client: --concurrency 0 is not at least 1"},
			{"stray argument", []string{"--port", port, "a.jpg"}, 2, "", `client: unexpected argument "a.jpg": name images with --image`},
			{"missing folder", []string{"--port", port, "--dir", "nope"}, 2, "", "client: cannot read the folder nope: no such file or directory"},
			{"out is a file", []string{"--port", port, "--image", "a.jpg", "--image", "b.jpg", "--out", "file"}, 2, "",
				"client: file is not a folder: with several images, --out names the folder of the results"},
			{"stdin twice", []string{"--port", port, "--image", "-", "--image", "-"}, 2, "", "client: standard input (-) can be sent only once"},
			{"gateway down", []string{"--port", down, "--image", "a.jpg", "--image", "b.jpg"}, 1,
				"a.jpg: error: cannot reach the gateway at 127.0.0.1:" + down + ": connection refused", ""},
			{"gateway down, one image", []string{"--port", down, "--image", "a.jpg"}, 1,
				"", "client: cannot reach the gateway at 127.0.0.1:" + down + ": connection refused"},
			{"missing image", []string{"--port", port, "--image", "a.jpg", "--image", "nope.jpg"}, 1,
				"nope.jpg: error: cannot read nope.jpg: no such file or directory", ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := runIn(t, bin, dir, nil, tc.args...)
				hasLine := func(out, line string) bool { return line == "" || slices.Contains(strings.Split(out, "\n"), line) }
				if r.code != tc.code || !hasLine(r.stdout, tc.stdout) || !hasLine(r.stderr, tc.stderr) {
					t.Errorf("client %q exited %d with\n%s%s\nwant %d and the line %q", tc.args, r.code, r.stdout, r.stderr, tc.code, tc.stdout+tc.stderr)
				}
			})
		}
	})

	t.Run("terminal", func(t *testing.T) {
		master, terminal := openPTY(t)
		dir := t.TempDir()
		writeFiles(t, dir, map[string][]byte{"photos/a.jpg": jpg, "photos/b.png": png, "photos/c.jpg": jpg})
		cmd := exec.Command(bin, "--port", port, "--dir", "photos", "--concurrency", "2")
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = terminal, terminal
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		terminal.Close() // the client's alone: the master reads an error once it exits
		read := make(chan []byte, 1)
		go func() {
			out, _ := io.ReadAll(master) // ends with EIO when the client has exited
			read <- out
		}()
		code := exitCode(t, cmd.Wait())
		var out string
		select {
		case b := <-read:
			out = string(b)
		case <-time.After(progtest.Timeout):
			t.Fatalf("the terminal was still open %v after the client exited", progtest.Timeout)
		}
		if code != 0 {
			t.Fatalf("client exited %d:\n%q", code, out)
		}
		// The bar is drawn at the start, redrawn in place as each file
		// is done, and erased before each line.
		for _, want := range []string{
			barStart + "........................] 0 of 3 files",
			barStart + "########................] 1 of 3 files",
			barStart + "################........] 2 of 3 files",
			barStart + "########################] 3 of 3 files",
			"\r\x1b[Kphotos/a.jpg: http://",
			"\r\x1b[Kphotos/b.png: http://",
			"\r\x1b[Kphotos/c.jpg: http://",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the terminal shows no %q:\n%q", want, out)
			}
		}
		// The bar is erased for the summary, the last line, which the
		// terminal ends with "\r\n".
		_, last, _ := strings.Cut(out[strings.LastIndex(out, "\x1b[K"):], "\x1b[K")
		if sum := sumLine.FindStringSubmatch(strings.TrimSuffix(last, "\r\n")); sum == nil || sum[1] != "3" || sum[2] != "3" {
			t.Errorf("the terminal shows %q after the bar is erased, want the summary of 3 files ok", last)
		}
	})
}
