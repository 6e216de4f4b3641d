package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/fakescaler"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

var quiet = slog.New(slog.DiscardHandler)

// gateway starts a gateway that scales in process and stores its results
// in a folder served over HTTP, both on loopback, and returns a client of
// it. The results are served at baseURL, or by the gateway's own file
// server when it is "".
func gateway(tb testing.TB, baseURL string) *transport.Client {
	tb.Helper()
	dir, err := store.NewDir(tb.TempDir(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { dir.Close() })
	files := httptest.NewServer(store.Handler(dir))
	tb.Cleanup(files.Close)
	if baseURL == "" {
		baseURL = files.URL
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &transport.Server{Logger: quiet, Handler: &escala.Gateway{Store: dir, BaseURL: baseURL, Logger: quiet}}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	c := &transport.Client{Addr: l.Addr().String()}
	tb.Cleanup(func() {
		c.Close()
		if err := srv.Shutdown(context.Background()); err != nil {
			tb.Errorf("gateway Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, transport.ErrServerClosed) {
			tb.Errorf("gateway Serve: %v, want ErrServerClosed", err)
		}
	})
	return c
}

// closedAddr returns an address of loopback where nothing listens.
func closedAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// write writes the files of data, by name, in dir, and returns their paths
// by name.
func write(tb testing.TB, dir string, data map[string][]byte) map[string]string {
	tb.Helper()
	paths := map[string]string{}
	for name, b := range data {
		paths[name] = filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(paths[name]), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(paths[name], b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return paths
}

// checkSaved checks that path holds a gray JPEG of w×h.
func checkSaved(tb testing.TB, path string, w, h int) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	img, err := scaler.Decode(bytes.NewReader(data), nil)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if _, gray := img.(*image.Gray); !gray || img.Bounds().Size() != image.Pt(w, h) {
		tb.Errorf("%s is a %T of %v, want a gray %dx%d", path, img, img.Bounds().Size(), w, h)
	}
}

// linkLine matches the line of an image that was sent and saved.
var linkLine = regexp.MustCompile(`^(.+): (http://127\.0\.0\.1:\d+/[a-z2-7]{32}\.jpg) \((\d+)x(\d+)\), saved as (.+)$`)

func TestRun(t *testing.T) {
	c := gateway(t, "")
	dir := t.TempDir()
	jpg, png, stdin := sample.JPEG(64, 48), sample.PNG(65, 49), sample.JPEG(30, 20)
	broken := []byte("\xff\xd8\xff\xe0 truncated")
	in := write(t, dir, map[string][]byte{"photos/a.jpg": jpg, "photos/b.png": png, "photos/broken.jpg": broken, "more/a.png": png})
	inputs, err := Inputs([]string{Stdin, in["more/a.png"]}, []string{filepath.Join(dir, "photos")})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := Plan(inputs, filepath.Join(dir, "scaled"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := &Runner{Client: c, Concurrency: 2, Stdin: bytes.NewReader(stdin), Out: &out, Timeout: time.Minute}
	sum := r.Run(t.Context(), jobs)

	wantSent := int64(len(jpg) + 2*len(png) + len(broken) + len(stdin))
	if sum.OK != 4 || sum.Failed != 1 || sum.Sent != wantSent || sum.Received == 0 || sum.Elapsed <= 0 {
		t.Errorf("Run = %+v, want 4 ok, 1 failed, %d bytes sent, some received", sum, wantSent)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 6 || lines[5] != sum.String() {
		t.Fatalf("Run printed:\n%s\nwant 5 lines and the summary %q", out.String(), sum)
	}
	want := map[string]struct {
		out  string
		w, h int
	}{
		"standard input":        {"scaled/stdin.jpg", 15, 10},
		in["more/a.png"]:        {"scaled/a.jpg", 32, 24},
		in["photos/a.jpg"]:      {"scaled/a-2.jpg", 32, 24},
		in["photos/b.png"]:      {"scaled/b.jpg", 32, 24},
		in["photos/broken.jpg"]: {},
	}
	var received int64
	for _, line := range lines[:5] {
		if name, msg, ok := strings.Cut(line, ": error: "); ok {
			if name != in["photos/broken.jpg"] || !strings.HasPrefix(msg, "the gateway replied: ") || !strings.Contains(msg, "invalid image") {
				t.Errorf("error line %q, want one for %s saying the gateway found an invalid image", line, in["photos/broken.jpg"])
			}
			delete(want, name)
			continue
		}
		m := linkLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %q is neither a link nor an error", line)
			continue
		}
		w, ok := want[m[1]]
		if !ok || m[5] != filepath.Join(dir, w.out) || m[3] != fmt.Sprint(w.w) || m[4] != fmt.Sprint(w.h) {
			t.Errorf("line %q, want %s saved as %s (%dx%d)", line, m[1], w.out, w.w, w.h)
			continue
		}
		delete(want, m[1])
		checkSaved(t, m[5], w.w, w.h)
		fi, err := os.Stat(m[5])
		if err != nil {
			t.Fatal(err)
		}
		received += fi.Size()
	}
	if len(want) > 0 {
		t.Errorf("no line for %v", want)
	}
	if received != sum.Received {
		t.Errorf("Summary.Received = %d, want %d, the size of the files saved", sum.Received, received)
	}
	left, err := os.ReadDir(filepath.Join(dir, "scaled"))
	if err != nil || len(left) != 4 {
		t.Errorf("the folder of the results holds %d files (%v), want the 4 results and nothing else", len(left), err)
	}
}

func TestRunBar(t *testing.T) {
	c := gateway(t, "")
	in := write(t, t.TempDir(), map[string][]byte{"a.jpg": sample.JPEG(40, 30), "b.jpg": sample.JPEG(42, 30)})
	jobs, err := Plan([]string{in["a.jpg"], in["b.jpg"]}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := &Runner{Client: c, Concurrency: 1, Out: &out, Bar: true}
	sum := r.Run(t.Context(), jobs)
	if sum.OK != 2 {
		t.Fatalf("Run = %+v, want 2 ok", sum)
	}
	got := out.String()
	// The bar is drawn first, cleared before each line and drawn again
	// after it, then cleared for the summary, which ends the report.
	for _, want := range []string{
		"\r[........................] 0 of 2 files, 0 B sent",
		"\r\x1b[K" + in["a.jpg"] + ": http://",
		"\r[############............] 1 of 2 files, ",
		"\r\x1b[K" + in["b.jpg"] + ": http://",
		"\r[########################] 2 of 2 files, ",
		"\x1b[K\r\x1b[K" + sum.String() + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report with a bar lacks %q:\n%q", want, got)
		}
	}
	if !strings.HasSuffix(got, "\r\x1b[K"+sum.String()+"\n") {
		t.Errorf("report with a bar does not end with the summary on a cleared line:\n%q", got)
	}
}

func TestRunFailures(t *testing.T) {
	jpg := sample.JPEG(40, 30)
	dir := t.TempDir()
	in := write(t, dir, map[string][]byte{"a.jpg": jpg, "empty.jpg": nil})
	missingFile := filepath.Join(dir, "missing.jpg")
	refused := closedAddr(t)
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)

	// A gateway that takes requests and never replies.
	mute := fakescaler.Serve(t, func(c net.Conn) { io.Copy(io.Discard, c) })

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name    string
		client  *transport.Client
		ctx     context.Context
		in, out string
		want    *regexp.Regexp
	}{
		{"gateway down", &transport.Client{Addr: refused}, t.Context(), in["a.jpg"], "a.jpg",
			regexp.MustCompile(`^cannot reach the gateway at ` + regexp.QuoteMeta(refused) + `: connection refused$`)},
		{"no reply", &transport.Client{Addr: mute}, t.Context(), in["a.jpg"], "a.jpg",
			regexp.MustCompile(`^no reply from the gateway at ` + regexp.QuoteMeta(mute) + ` within 200ms$`)},
		{"missing file", gateway(t, ""), t.Context(), missingFile, "a.jpg",
			regexp.MustCompile(`^cannot read ` + regexp.QuoteMeta(missingFile) + `: no such file or directory$`)},
		{"a folder as an image", gateway(t, ""), t.Context(), dir, "a.jpg",
			regexp.MustCompile(`^cannot read ` + regexp.QuoteMeta(dir) + `: is a directory$`)},
		{"empty file", gateway(t, ""), t.Context(), in["empty.jpg"], "a.jpg",
			regexp.MustCompile(`^` + regexp.QuoteMeta(in["empty.jpg"]) + ` is empty: no image to send$`)},
		{"result not served", gateway(t, notFound.URL), t.Context(), in["a.jpg"], "a.jpg",
			regexp.MustCompile(`^cannot download ` + regexp.QuoteMeta(notFound.URL) + `/[a-z2-7]{32}\.jpg: 404 Not Found$`)},
		{"result not saved", gateway(t, ""), t.Context(), in["a.jpg"], "gone/a.jpg",
			regexp.MustCompile(`^cannot save the result as \S+/gone/a\.jpg: no such file or directory$`)},
		{"interrupted", gateway(t, ""), cancelled, in["a.jpg"], "a.jpg", regexp.MustCompile(`^interrupted$`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.client.Close()
			out := filepath.Join(t.TempDir(), tc.out)
			var report bytes.Buffer
			r := &Runner{Client: tc.client, Out: &report, Timeout: 200 * time.Millisecond}
			sum := r.Run(tc.ctx, []Job{{In: tc.in, Out: out}})
			lines := strings.Split(strings.TrimSuffix(report.String(), "\n"), "\n")
			prefix := tc.in + ": error: "
			if sum.Failed != 1 || sum.OK != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], prefix) || !tc.want.MatchString(lines[0][len(prefix):]) {
				t.Errorf("Run = %+v, printing\n%s\nwant 1 failed, and an error line matching %s", sum, report.String(), tc.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed image left %s: %v", out, err)
			}

			// One words the error alike.
			report.Reset()
			err := r.One(tc.ctx, tc.in, out)
			if err == nil || !tc.want.MatchString(err.Error()) {
				t.Errorf("One = %v, want an error matching %s", err, tc.want)
			}
		})
	}
}

func TestOne(t *testing.T) {
	c := gateway(t, "")
	jpg := sample.JPEG(64, 48)
	out := filepath.Join(t.TempDir(), "imagen_escalada.jpg")
	var report bytes.Buffer
	r := &Runner{Client: c, Out: &report, Stdin: bytes.NewReader(jpg)}
	if err := r.One(t.Context(), Stdin, out); err != nil {
		t.Fatal(err)
	}
	checkSaved(t, out, 32, 24)
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(report.String(), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^Connecting to the server at ` + regexp.QuoteMeta(c.Addr) + `\.\.\.$`),
		regexp.MustCompile(fmt.Sprintf(`^Sending image of %d bytes\.\.\.$`, len(jpg))),
		regexp.MustCompile(`^Scaled image \(32x24\) available at: http://127\.0\.0\.1:\d+/[a-z2-7]{32}\.jpg$`),
		regexp.MustCompile(fmt.Sprintf(`^Scaled image received \(%d bytes\) and saved as %s\.$`, fi.Size(), regexp.QuoteMeta(out))),
		regexp.MustCompile(`^$`),
	}
	ok := len(lines) == len(want)
	for i := range lines {
		ok = ok && want[i].MatchString(lines[i])
	}
	if !ok {
		t.Errorf("One printed:\n%s\nwant the 4 lines of the client of one image", report.String())
	}
}

func TestSummaryString(t *testing.T) {
	tests := []struct {
		s    Summary
		want string
	}{
		{Summary{OK: 3, Failed: 1, Sent: 1536, Received: 512, Elapsed: 1423 * time.Millisecond},
			"4 files: 3 ok, 1 failed; sent 1.5 KiB, received 512 B in 1.42s"},
		{Summary{OK: 2, Sent: 3 << 20, Received: 10, Elapsed: 3400 * time.Microsecond},
			"2 files: 2 ok, 0 failed; sent 3.0 MiB, received 10 B in 3ms"},
	}
	for _, tc := range tests {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.s, got, tc.want)
		}
	}
}
