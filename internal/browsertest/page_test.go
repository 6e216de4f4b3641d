package browsertest

import (
	"context"
	"image"
	"image/jpeg"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
)

// browserWait bounds the whole test, the browser's start included.
const browserWait = 60 * time.Second

// chromium returns the path of a Chromium or Chrome, or skips the test
// when there is none, unless ESCALA_REQUIRE_BROWSER=1 requires one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "no Chromium or Chrome installed (Debian: apt-get install chromium)"
	if os.Getenv("ESCALA_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + ", and ESCALA_REQUIRE_BROWSER=1")
	}
	t.Skip(msg)
	return ""
}

// startGateway serves the upload page at /, uploads at /upload and the
// results of a Gateway that scales in process at /<key>, as a gateway
// program does, on loopback. It returns the server's URL.
func startGateway(t *testing.T) string {
	t.Helper()
	dir, err := store.NewDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	quiet := slog.New(slog.DiscardHandler)
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	url := "http://" + srv.Listener.Addr().String()
	gw := &escala.Gateway{Scaler: &scaler.Local{}, Store: dir, BaseURL: url, Logger: quiet}
	mux.Handle("/", store.NewHandler(dir, &store.HandlerOptions{Immutable: true}))
	mux.Handle("/upload", &escala.UploadHandler{Handler: gw, Logger: quiet})
	mux.HandleFunc("GET /{$}", escala.UploadPage)
	srv.Start()
	t.Cleanup(srv.Close)
	return url
}

// TestUploadPage opens the upload page in headless Chromium, picks a photo
// and a file that is no image, and checks that the page shows the gray
// result of half the size, with its link and a download link, and the
// error of the other file; that the link serves the result; and that the
// page ran with no exception and nothing refused by its
// Content-Security-Policy.
func TestUploadPage(t *testing.T) {
	path := chromium(t)
	url := startGateway(t)
	files := t.TempDir()
	photo := filepath.Join(files, "photo.jpg")
	notes := filepath.Join(files, "notes.txt")
	if err := os.WriteFile(photo, sample.JPEG(640, 480), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notes, []byte("not a picture\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), browserWait)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in a container has no sandbox to give
		chromedp.DisableGPU,
		chromedp.WindowSize(720, 560),
	)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithErrorf(t.Logf))
	defer cancelTab()

	// The console, read from the start, tells of exceptions and of what
	// the policy refused.
	var mu sync.Mutex
	var console []chromedp.ConsoleMessage
	messages := chromedp.Console(ctx)
	read := make(chan struct{})
	go func() {
		defer close(read)
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, m)
			mu.Unlock()
		}
	}()
	defer func() { cancelTab(); <-read }()

	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.ID("files")),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{photo, notes}),
		chromedp.WaitVisible(chromedp.CSS("#results li.done img")),
		chromedp.WaitVisible(chromedp.CSS("#results li.error")),
	)
	if err != nil {
		t.Fatalf("uploading on the page: %v", err)
	}
	// The image is shown once the browser has loaded it from the link.
	size, err := chromedp.Run(ctx, chromedp.Poll[[]int](`(() => {
		const img = document.querySelector("#results li.done img");
		return img.complete && img.naturalWidth > 0 && [img.naturalWidth, img.naturalHeight];
	})()`))
	if err != nil || len(size) != 2 || size[0] != 320 || size[1] != 240 {
		t.Errorf("the result shown on the page is %v (%v), want 320x240", size, err)
	}
	link, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#results li.done a.link"), "href"))
	if err != nil || !strings.HasPrefix(link.Value, url+"/") || !strings.HasSuffix(link.Value, ".jpg") {
		t.Fatalf("the link on the page is %q (%v), want a JPEG under %s", link.Value, err, url)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#results li.done a.link")))
	if err != nil || text != link.Value {
		t.Errorf("the link reads %q (%v), want %q", text, err, link.Value)
	}
	save, err := chromedp.Run(ctx, chromedp.Attributes(chromedp.CSS("#results li.done a.download")))
	if err != nil || save["href"] != link.Value || save["download"] != "photo-gray.jpg" {
		t.Errorf("the download link has %v (%v), want href %q and download photo-gray.jpg", save, err, link.Value)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#results li.done .status")))
	if err != nil || !strings.Contains(status, "320×240") {
		t.Errorf("the result's status reads %q (%v), want its size, 320×240", status, err)
	}
	failed, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#results li.error")))
	if err != nil || !strings.Contains(failed, "notes.txt") || !strings.Contains(failed, "invalid image") {
		t.Errorf("the error on the page reads %q (%v), want notes.txt and invalid image", failed, err)
	}
	border, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.getElementById("drop")).borderTopStyle`))
	if err != nil || border != "dashed" {
		t.Errorf("the drop zone's border is %q (%v), want dashed: the page's style is not applied", border, err)
	}

	if out := os.Getenv("ESCALA_SCREENSHOT"); out != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("saved a screenshot of %d bytes as %s", len(png), out)
	}

	checkDownload(t, link.Value, 320, 240)

	mu.Lock()
	defer mu.Unlock()
	for _, m := range console {
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
			t.Errorf("the page's console: %s: %s", m.Type, m.Text)
		}
	}
}

// checkDownload checks that link serves a gray JPEG of w×h.
func checkDownload(t *testing.T, link string, w, h int) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", link, resp.Status)
	}
	img, err := jpeg.Decode(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", link, err)
	}
	if g, ok := img.(*image.Gray); !ok || g.Rect.Dx() != w || g.Rect.Dy() != h {
		t.Errorf("GET %s: a %T of %v, want a gray %dx%d JPEG", link, img, img.Bounds(), w, h)
	}
}
