package escala_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

var quiet = slog.New(slog.DiscardHandler)

// newGateway returns a Gateway scaling in process and storing in a fresh
// folder, with that folder.
func newGateway(tb testing.TB, s scaler.Interface) (*escala.Gateway, *store.Dir) {
	tb.Helper()
	dir, err := store.NewDir(tb.TempDir(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { dir.Close() })
	return &escala.Gateway{Scaler: s, Store: dir, BaseURL: "http://files.test/i/", Logger: quiet}, dir
}

// stored returns the decoded result behind a link of newGateway's.
func stored(tb testing.TB, dir *store.Dir, link string) image.Image {
	tb.Helper()
	key, ok := strings.CutPrefix(link, "http://files.test/i/")
	if !ok {
		tb.Fatalf("link %q does not start with the BaseURL", link)
	}
	rc, err := dir.Open(context.Background(), key)
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	img, err := scaler.Decode(rc, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// reference is what the gateway should produce, before JPEG coding:
// grayscale, then the default filter to half size.
func reference(tb testing.TB, data []byte) *image.Gray {
	tb.Helper()
	img, err := scaler.Decode(bytes.NewReader(data), nil)
	if err != nil {
		tb.Fatal(err)
	}
	b := img.Bounds()
	half, err := scaler.Resize(scaler.Grayscale(img), b.Dx()/2, b.Dy()/2, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return half.(*image.Gray)
}

// meanAbsDiff compares two gray images of the same size.
func meanAbsDiff(a, b *image.Gray) float64 {
	sum := 0
	w, h := a.Rect.Dx(), a.Rect.Dy()
	for y := range h {
		ra := a.Pix[a.PixOffset(a.Rect.Min.X, a.Rect.Min.Y+y):][:w]
		rb := b.Pix[b.PixOffset(b.Rect.Min.X, b.Rect.Min.Y+y):][:w]
		for x := range w {
			d := int(ra[x]) - int(rb[x])
			sum += max(d, -d)
		}
	}
	return float64(sum) / float64(w*h)
}

func TestGatewayServe(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		format scaler.Format
		w, h   int
	}{
		{"jpeg", sample.JPEG(400, 300), 0, 200, 150},
		{"png with alpha", sample.PNG(401, 301), 0, 200, 150},
		{"png result", sample.JPEG(64, 48), scaler.PNG, 32, 24},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, dir := newGateway(t, nil)
			resp, err := g.Serve(context.Background(), &transport.Request{Body: tc.data, Format: tc.format})
			if err != nil {
				t.Fatal(err)
			}
			ext := ".jpg"
			if tc.format == scaler.PNG {
				ext = ".png"
			}
			if !regexp.MustCompile(`^http://files\.test/i/[a-z2-7]{32}\` + ext + `$`).MatchString(resp.Location) {
				t.Errorf("link %q is not the BaseURL, 160 bits of name and %s", resp.Location, ext)
			}
			img := stored(t, dir, resp.Location)
			gray, ok := img.(*image.Gray)
			if !ok || gray.Rect != image.Rect(0, 0, tc.w, tc.h) || resp.Width != tc.w || resp.Height != tc.h {
				t.Fatalf("stored %T %v (reply %dx%d), want a gray %dx%d", img, img.Bounds(), resp.Width, resp.Height, tc.w, tc.h)
			}
			if d := meanAbsDiff(gray, reference(t, tc.data)); d > 1.5 {
				t.Errorf("stored result differs from the in-process reference by %.2f levels on average, want ≤ 1.5", d)
			}
		})
	}
}

// withOrientation returns a JPEG with an EXIF APP1 segment recording
// orientation o, inserted after its SOI marker.
func withOrientation(jpg []byte, o uint16) []byte {
	tiff := []byte("II*\x00\x08\x00\x00\x00")        // little-endian, IFD0 at 8
	tiff = binary.LittleEndian.AppendUint16(tiff, 1) // one entry
	tiff = binary.LittleEndian.AppendUint16(tiff, 0x0112)
	tiff = binary.LittleEndian.AppendUint16(tiff, 3) // SHORT
	tiff = binary.LittleEndian.AppendUint32(tiff, 1)
	tiff = binary.LittleEndian.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0, 0, 0, 0, 0) // value padding, no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff...)
	app1 := binary.BigEndian.AppendUint16([]byte{0xff, 0xe1}, uint16(len(payload)+2))
	app1 = append(app1, payload...)
	return append(append(append([]byte(nil), jpg[:2]...), app1...), jpg[2:]...)
}

// A phone photo stored sideways comes out upright: orientation 6 turns the
// stored 80×40 into a 20×40 result at half size.
func TestGatewayOrientation(t *testing.T) {
	photo := sample.JPEG(80, 40)
	for _, tc := range []struct {
		o    uint16
		w, h int
	}{{1, 40, 20}, {3, 40, 20}, {6, 20, 40}, {8, 20, 40}} {
		t.Run(fmt.Sprint(tc.o), func(t *testing.T) {
			g, dir := newGateway(t, nil)
			resp, err := g.Serve(context.Background(), &transport.Request{Body: withOrientation(photo, tc.o)})
			if err != nil {
				t.Fatal(err)
			}
			if b := stored(t, dir, resp.Location).Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Errorf("orientation %d: stored %v, want %dx%d", tc.o, b, tc.w, tc.h)
			}
		})
	}
	// The disc of the sample picture is right of centre; after a
	// clockwise quarter turn it is below centre.
	g, dir := newGateway(t, nil)
	resp, err := g.Serve(context.Background(), &transport.Request{Body: withOrientation(sample.JPEG(200, 100), 6)})
	if err != nil {
		t.Fatal(err)
	}
	img := stored(t, dir, resp.Location).(*image.Gray)
	if top, bottom := rowMean(img, 5), rowMean(img, 95); !(bottom > top+20) {
		t.Errorf("after orientation 6, row means top %.0f bottom %.0f: the bright disc is not below", top, bottom)
	}
}

func rowMean(g *image.Gray, y int) float64 {
	sum := 0
	for _, v := range g.Pix[y*g.Stride:][:g.Rect.Dx()] {
		sum += int(v)
	}
	return float64(sum) / float64(g.Rect.Dx())
}

// Names are content-derived: concurrent different results never collide,
// and the same result always gets the same name.
func TestGatewayNames(t *testing.T) {
	g, dir := newGateway(t, nil)
	const n = 24
	links := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := g.Serve(context.Background(), &transport.Request{Body: sample.JPEG(60+2*i, 40)})
			if err != nil {
				t.Error(err)
				return
			}
			links[i] = resp.Location
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, l := range links {
		if seen[l] {
			t.Errorf("two results share the link %s", l)
		}
		seen[l] = true
		if b := stored(t, dir, l).Bounds(); b.Dx() != 30+i {
			t.Errorf("link %d serves a result %d wide, want %d", i, b.Dx(), 30+i)
		}
	}
	again, err := g.Serve(context.Background(), &transport.Request{Body: sample.JPEG(60, 40)})
	if err != nil || again.Location != links[0] {
		t.Errorf("the same image again got %q, %v; want %q", again.Location, err, links[0])
	}
}

type failingStore struct{ store.Interface }

var errNoSpace = errors.New("store: put: no space left on device")

func (failingStore) Put(ctx context.Context, key string, r io.Reader) error {
	return errNoSpace
}

func (failingStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	return nil, fmt.Errorf("store: open %q: %w", key, store.ErrNotFound)
}

func TestGatewayErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := &transport.Client{Addr: l.Addr().String()}
	l.Close()
	photo := sample.JPEG(40, 30)
	tests := []struct {
		name   string
		scaler scaler.Interface
		req    transport.Request
		want   error
	}{
		{"not an image", nil, transport.Request{Body: []byte("hello")}, scaler.ErrInvalid},
		{"truncated", nil, transport.Request{Body: photo[:len(photo)/2]}, scaler.ErrInvalid},
		{"nan factor", nil, transport.Request{Body: photo, Options: scaler.Options{Factor: math.NaN()}}, scaler.ErrInvalidOptions},
		{"gif result", nil, transport.Request{Body: photo, Format: scaler.GIF}, scaler.ErrInvalidOptions},
		{"scale server down", down, transport.Request{Body: photo}, transport.ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := newGateway(t, tc.scaler)
			if _, err := g.Serve(context.Background(), &tc.req); !errors.Is(err, tc.want) {
				t.Errorf("Serve(%s) = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
	t.Run("store fails", func(t *testing.T) {
		g, _ := newGateway(t, nil)
		g.Store = failingStore{}
		_, err := g.Serve(context.Background(), &transport.Request{Body: photo})
		if !errors.Is(err, transport.ErrUnavailable) || !errors.Is(err, errNoSpace) {
			t.Errorf("Serve with a full disk = %v, want ErrUnavailable wrapping the cause", err)
		}
		if err != nil && strings.Contains(err.Error(), "no space") {
			t.Errorf("Serve with a full disk = %q: the cause would reach the client", err)
		}
	})
	t.Run("too large for the budget", func(t *testing.T) {
		g, _ := newGateway(t, nil)
		g.Budget = &scaler.Budget{Max: 40*30 - 1}
		if _, err := g.Serve(context.Background(), &transport.Request{Body: photo}); !errors.Is(err, scaler.ErrTooLarge) {
			t.Errorf("Serve(40x30, budget 1199 pixels) = %v, want ErrTooLarge", err)
		}
	})
}

func TestDownload(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("result bytes")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "out.jpg")
	n, err := escala.Download(context.Background(), nil, srv.URL+"/ok", path)
	if err != nil || n != 12 {
		t.Fatalf("Download = %d, %v", n, err)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "result bytes" {
		t.Errorf("saved %q, %v", data, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("saved file mode = %v, %v; want 0644", fi.Mode(), err)
	}
	// A missing result leaves the previous file alone.
	if _, err := escala.Download(context.Background(), nil, srv.URL+"/missing", path); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Download of a missing result = %v, want the 404 status", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "result bytes" {
		t.Errorf("a failed download changed the file to %q", data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("the folder holds %d files after a failed download, want 1", len(entries))
	}
}

// With Links, each link carries an expiry and a signature that a handler
// with the same Signer accepts, and that one with another secret does not.
func TestGatewayLinks(t *testing.T) {
	g, dir := newGateway(t, nil)
	g.Links = &store.Signer{Secret: []byte("a secret of 32 bytes, or near it"), TTL: time.Hour}
	resp, err := g.Serve(context.Background(), &transport.Request{Body: sample.JPEG(60, 40)})
	if err != nil {
		t.Fatal(err)
	}
	link, ok := strings.CutPrefix(resp.Location, "http://files.test/i/")
	if !ok || !regexp.MustCompile(`^[a-z2-7]{32}\.jpg\?e=[0-9]+&s=[A-Za-z0-9_-]{22}$`).MatchString(link) {
		t.Fatalf("signed link %q", resp.Location)
	}
	for _, tc := range []struct {
		secret string
		want   int
	}{
		{"a secret of 32 bytes, or near it", http.StatusOK},
		{"another secret of about 32 bytes", http.StatusNotFound},
	} {
		h := store.NewHandler(dir, &store.HandlerOptions{Immutable: true, Links: &store.Signer{Secret: []byte(tc.secret)}})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/"+link, nil))
		if rec.Code != tc.want {
			t.Errorf("GET the signed link with secret %q: %d, want %d", tc.secret, rec.Code, tc.want)
		}
	}
}
