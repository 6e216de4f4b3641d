package store_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escala-img/escala/store"
)

// secret is the content of a file outside the store that must never leak.
const secret = "TOP SECRET"

// newServedDir returns a Dir holding "img.jpg" (the returned bytes) and
// "pic.png", plus traps: a folder, a folder named like a key, and symlinks
// to a file outside the folder holding secret.
func newServedDir(t testing.TB) (*store.Dir, []byte) {
	t.Helper()
	parent := t.TempDir()
	outside := filepath.Join(parent, "secret.txt")
	if err := os.WriteFile(outside, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(parent, "store")
	d := newDir(t, folder, nil)
	img := make([]byte, 5000)
	for i := range img {
		img[i] = byte(i * 7)
	}
	putBytes(t, d, "img.jpg", img)
	putBytes(t, d, "pic.png", []byte("png bytes"))
	for _, sub := range []string{"sub", "sub.jpg"} {
		if err := os.Mkdir(filepath.Join(folder, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	symlink(t, outside, filepath.Join(folder, "leak.jpg"))
	symlink(t, "../secret.txt", filepath.Join(folder, "leak2.jpg"))
	symlink(t, "img.jpg", filepath.Join(folder, "alias.jpg"))
	return d, img
}

// serve runs one request through h and returns the response.
func serve(t testing.TB, h http.Handler, method, target string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestHandler(t *testing.T) {
	d, img := newServedDir(t)
	h := store.Handler(d)
	notFound := []byte("404 page not found\n")
	tests := []struct {
		name       string
		method     string
		target     string
		wantStatus int
		wantBody   []byte
		wantType   string // "" means do not check
	}{
		{"GetJPEG", "GET", "/img.jpg", 200, img, "image/jpeg"},
		{"GetPNG", "GET", "/pic.png", 200, []byte("png bytes"), "image/png"},
		{"GetEncodedDot", "GET", "/img%2Ejpg", 200, img, "image/jpeg"},
		{"HeadJPEG", "HEAD", "/img.jpg", 200, []byte{}, "image/jpeg"},
		{"Missing", "GET", "/missing.jpg", 404, notFound, ""},
		{"Empty", "GET", "/", 404, notFound, ""},
		{"DoubleSlash", "GET", "//", 404, notFound, ""},
		{"DotDot", "GET", "/../etc/passwd", 404, notFound, ""},
		{"DotDotSecret", "GET", "/../secret.txt", 404, notFound, ""},
		{"EncodedDotDot", "GET", "/%2e%2e%2fetc%2fpasswd", 404, notFound, ""},
		{"EncodedDotDotSecret", "GET", "/%2e%2e%2fsecret.txt", 404, notFound, ""},
		{"DotDotEncodedSlash", "GET", "/..%2f", 404, notFound, ""},
		{"EncodedAbsolute", "GET", "/%2fetc%2fpasswd", 404, notFound, ""},
		{"Absolute", "GET", "//etc/passwd", 404, notFound, ""},
		{"Backslash", "GET", "/..%5csecret.txt", 404, notFound, ""},
		{"Dot", "GET", "/.", 404, notFound, ""},
		{"Folder", "GET", "/sub", 404, notFound, ""},
		{"FolderSlash", "GET", "/sub/", 404, notFound, ""},
		{"FolderNamedLikeKey", "GET", "/sub.jpg", 404, notFound, ""},
		{"SymlinkOutside", "GET", "/leak.jpg", 404, notFound, ""},
		{"RelativeSymlinkOutside", "GET", "/leak2.jpg", 404, notFound, ""},
		{"SymlinkInside", "GET", "/alias.jpg", 404, notFound, ""},
		{"TempName", "GET", "/.tmp-x", 404, notFound, ""},
		{"Query", "GET", "/img.jpg?x=../../etc/passwd", 200, img, "image/jpeg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := serve(t, h, tc.method, tc.target, nil)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("%s %s: status %d, want %d", tc.method, tc.target, resp.StatusCode, tc.wantStatus)
			}
			if !bytes.Equal(body, tc.wantBody) {
				t.Errorf("%s %s: body of %d bytes %.40q, want %d bytes %.40q",
					tc.method, tc.target, len(body), body, len(tc.wantBody), tc.wantBody)
			}
			if bytes.Contains(body, []byte(secret)) {
				t.Errorf("%s %s: body leaks the secret file", tc.method, tc.target)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s %s: X-Content-Type-Options %q, want nosniff", tc.method, tc.target, got)
			}
			if tc.wantType != "" {
				if got := resp.Header.Get("Content-Type"); got != tc.wantType {
					t.Errorf("%s %s: Content-Type %q, want %q", tc.method, tc.target, got, tc.wantType)
				}
			}
			if tc.wantStatus == 200 {
				if got, want := resp.Header.Get("Content-Length"), strconv.Itoa(len(img)); tc.target != "/pic.png" && got != want {
					t.Errorf("%s %s: Content-Length %q, want %q", tc.method, tc.target, got, want)
				}
				if resp.Header.Get("Last-Modified") == "" {
					t.Errorf("%s %s: no Last-Modified", tc.method, tc.target)
				}
			}
		})
	}
}

// TestHandlerHead checks HEAD through a real server, which is what drops
// the body of a HEAD response on the wire.
func TestHandlerHead(t *testing.T) {
	d, img := newServedDir(t)
	srv := httptest.NewServer(store.Handler(d))
	t.Cleanup(srv.Close)
	tests := []struct {
		path       string
		wantStatus int
		wantLength int64
	}{
		{"/img.jpg", 200, int64(len(img))},
		{"/missing.jpg", 404, -1},
		{"/leak.jpg", 404, -1},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), "HEAD", srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus || len(body) != 0 {
				t.Errorf("HEAD %s: %d with %d body bytes, want %d with none", tc.path, resp.StatusCode, len(body), tc.wantStatus)
			}
			if tc.wantLength >= 0 && resp.ContentLength != tc.wantLength {
				t.Errorf("HEAD %s: Content-Length %d, want %d", tc.path, resp.ContentLength, tc.wantLength)
			}
		})
	}
}

func TestHandlerRange(t *testing.T) {
	d, img := newServedDir(t)
	h := store.Handler(d)
	tests := []struct {
		name       string
		header     http.Header
		wantStatus int
		wantBody   []byte
	}{
		{"FirstBytes", http.Header{"Range": {"bytes=0-3"}}, 206, img[:4]},
		{"Middle", http.Header{"Range": {"bytes=100-199"}}, 206, img[100:200]},
		{"Suffix", http.Header{"Range": {"bytes=-10"}}, 206, img[len(img)-10:]},
		{"Unsatisfiable", http.Header{"Range": {"bytes=99999-"}}, 416, nil},
		{"NotModified", http.Header{"If-Modified-Since": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}, 304, []byte{}},
		{"Modified", http.Header{"If-Modified-Since": {time.Unix(0, 0).UTC().Format(http.TimeFormat)}}, 200, img},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := serve(t, h, "GET", "/img.jpg", tc.header)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("GET /img.jpg with %v: status %d, want %d", tc.header, resp.StatusCode, tc.wantStatus)
			}
			if tc.wantBody != nil && !bytes.Equal(body, tc.wantBody) {
				t.Errorf("GET /img.jpg with %v: body of %d bytes, want %d bytes", tc.header, len(body), len(tc.wantBody))
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("GET /img.jpg with %v: X-Content-Type-Options %q, want nosniff", tc.header, got)
			}
		})
	}
}

func TestHandlerMethods(t *testing.T) {
	d, _ := newServedDir(t)
	h := store.Handler(d)
	for _, method := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"} {
		t.Run(method, func(t *testing.T) {
			resp, body := serve(t, h, method, "/img.jpg", nil)
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s /img.jpg: status %d, want 405", method, resp.StatusCode)
			}
			if got := resp.Header.Get("Allow"); got != "GET, HEAD" {
				t.Errorf("%s /img.jpg: Allow %q, want %q", method, got, "GET, HEAD")
			}
			if bytes.Contains(body, []byte{0, 7, 14}) {
				t.Errorf("%s /img.jpg: body holds the object", method)
			}
		})
	}
}

// fakeStore is an Interface whose Open returns the bytes of objects wrapped
// by wrap, or err, and counts the objects closed.
type fakeStore struct {
	objects map[string][]byte
	err     error
	wrap    func(data []byte, closed *atomic.Int32) io.ReadCloser
	opened  atomic.Int32
	closed  atomic.Int32
}

func (s *fakeStore) Put(ctx context.Context, key string, r io.Reader) error {
	return errors.New("fakeStore: read-only")
}

func (s *fakeStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if s.err != nil {
		return nil, s.err
	}
	data, ok := s.objects[key]
	if !ok {
		return nil, fmt.Errorf("fakeStore: open %q: %w", key, store.ErrNotFound)
	}
	s.opened.Add(1)
	return s.wrap(data, &s.closed), nil
}

// plainObject is an object that can only be read and closed.
type plainObject struct {
	io.Reader
	closed *atomic.Int32
}

func (o *plainObject) Close() error {
	o.closed.Add(1)
	return nil
}

// statObject is an object that can also Stat but not Seek.
type statObject struct {
	plainObject
	info fs.FileInfo
	err  error
}

func (o *statObject) Stat() (fs.FileInfo, error) { return o.info, o.err }

// fakeInfo is the fs.FileInfo of a regular file of size bytes.
type fakeInfo struct{ size int64 }

func (fi fakeInfo) Name() string       { return "object" }
func (fi fakeInfo) Size() int64        { return fi.size }
func (fi fakeInfo) Mode() fs.FileMode  { return 0o644 }
func (fi fakeInfo) ModTime() time.Time { return time.Unix(1e9, 0) }
func (fi fakeInfo) IsDir() bool        { return false }
func (fi fakeInfo) Sys() any           { return nil }

func TestHandlerWithoutSeek(t *testing.T) {
	data := []byte("some image bytes")
	plain := func(data []byte, closed *atomic.Int32) io.ReadCloser {
		return &plainObject{bytes.NewReader(data), closed}
	}
	withStat := func(data []byte, closed *atomic.Int32) io.ReadCloser {
		return &statObject{plainObject{bytes.NewReader(data), closed}, fakeInfo{int64(len(data))}, nil}
	}
	tests := []struct {
		name       string
		wrap       func([]byte, *atomic.Int32) io.ReadCloser
		method     string
		wantBody   []byte
		wantLength string // "" means none
	}{
		{"PlainGet", plain, "GET", data, ""},
		{"PlainHead", plain, "HEAD", []byte{}, ""},
		{"StatGet", withStat, "GET", data, strconv.Itoa(len(data))},
		{"StatHead", withStat, "HEAD", []byte{}, strconv.Itoa(len(data))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &fakeStore{objects: map[string][]byte{"a.webp": data}, wrap: tc.wrap}
			resp, body := serve(t, store.Handler(s), tc.method, "/a.webp", nil)
			if resp.StatusCode != 200 || !bytes.Equal(body, tc.wantBody) {
				t.Errorf("%s /a.webp: %d %q, want 200 %q", tc.method, resp.StatusCode, body, tc.wantBody)
			}
			if got := resp.Header.Get("Content-Type"); got != "image/webp" {
				t.Errorf("%s /a.webp: Content-Type %q, want image/webp", tc.method, got)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s /a.webp: X-Content-Type-Options %q, want nosniff", tc.method, got)
			}
			if got := resp.Header.Get("Content-Length"); got != tc.wantLength {
				t.Errorf("%s /a.webp: Content-Length %q, want %q", tc.method, got, tc.wantLength)
			}
			if o, c := s.opened.Load(), s.closed.Load(); o != 1 || c != 1 {
				t.Errorf("%s /a.webp: opened %d objects and closed %d, want 1 and 1", tc.method, o, c)
			}
		})
	}
}

func TestHandlerContentType(t *testing.T) {
	tests := []struct{ key, want string }{
		{"a.jpg", "image/jpeg"},
		{"a.jpeg", "image/jpeg"},
		{"a.png", "image/png"},
		{"a.gif", "image/gif"},
		{"a.webp", "image/webp"},
		{"a.bmp", "image/bmp"},
		{"a.tif", "image/tiff"},
		{"a.tiff", "image/tiff"},
		{"a.html", "application/octet-stream"},
		{"a.svg", "application/octet-stream"},
		{"a.txt", "application/octet-stream"},
		{"noext", "application/octet-stream"},
	}
	s := &fakeStore{objects: map[string][]byte{}, wrap: func(data []byte, closed *atomic.Int32) io.ReadCloser {
		return &plainObject{bytes.NewReader(data), closed}
	}}
	for _, tc := range tests {
		// HTML-looking bytes: the type must come from the key, not the bytes.
		s.objects[tc.key] = []byte("<html><script>alert(1)</script></html>")
	}
	h := store.Handler(s)
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			resp, _ := serve(t, h, "GET", "/"+tc.key, nil)
			if got := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || got != tc.want {
				t.Errorf("GET /%s: %d with Content-Type %q, want 200 with %q", tc.key, resp.StatusCode, got, tc.want)
			}
		})
	}
}

func TestHandlerError(t *testing.T) {
	const leak = "open /var/lib/escala/secret-path: disk on fire"
	tests := []struct {
		name string
		s    *fakeStore
		want int
	}{
		{"OpenFails", &fakeStore{err: errors.New(leak)}, 500},
		{"Unavailable", &fakeStore{err: fmt.Errorf("s3: open: %w: %s", store.ErrUnavailable, leak)}, 503},
		{"OpenFailsWrapped", &fakeStore{err: fmt.Errorf("store: open %q: %w", "a.jpg", &fs.PathError{Op: "open", Path: "/var/lib/escala/secret-path", Err: errors.New("disk on fire")})}, 500},
		{"StatFails", &fakeStore{objects: map[string][]byte{"a.jpg": []byte("x")}, wrap: func(data []byte, closed *atomic.Int32) io.ReadCloser {
			return &statObject{plainObject{bytes.NewReader(data), closed}, nil, errors.New(leak)}
		}}, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := serve(t, store.Handler(tc.s), "GET", "/a.jpg", nil)
			if resp.StatusCode != tc.want {
				t.Errorf("GET /a.jpg from a failing store: status %d, want %d", resp.StatusCode, tc.want)
			}
			if retry := resp.Header.Get("Retry-After"); (tc.want == 503) != (retry != "") {
				t.Errorf("GET /a.jpg from a failing store: status %d with Retry-After %q", resp.StatusCode, retry)
			}
			if bytes.Contains(body, []byte("disk on fire")) || bytes.Contains(body, []byte("secret-path")) {
				t.Errorf("GET /a.jpg from a failing store: body %q leaks the error", body)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("GET /a.jpg from a failing store: X-Content-Type-Options %q, want nosniff", got)
			}
			if o, c := tc.s.opened.Load(), tc.s.closed.Load(); o != c {
				t.Errorf("GET /a.jpg from a failing store: opened %d objects and closed %d", o, c)
			}
		})
	}
}

// TestHandlerMounted sends raw request lines to a real server that mounts
// the handler as the package doc shows, so that no client cleans the paths.
func TestHandlerMounted(t *testing.T) {
	d, img := newServedDir(t)
	mux := http.NewServeMux()
	mux.Handle("GET /i/", http.StripPrefix("/i/", store.Handler(d)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	tests := []struct {
		target     string
		wantStatus int // 0 means any status but 200
	}{
		{"/i/img.jpg", 200},
		{"/i/missing.jpg", 404},
		{"/i/", 404},
		{"/i", 0},
		{"/i/../secret.txt", 0},
		{"/i/..%2fsecret.txt", 404},
		{"/i/%2e%2e%2fsecret.txt", 404},
		{"/i/%2e%2e/secret.txt", 0},
		{"/i/..%2f..%2fetc%2fpasswd", 404},
		{"/i/%2fetc%2fpasswd", 404},
		{"/i//etc/passwd", 0},
		{"/i/leak.jpg", 404},
		{"/i/sub", 404},
		{"/i/sub/", 404},
		{"/i/.", 0},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			status, body := rawGet(t, srv.Listener.Addr().String(), tc.target)
			switch {
			case tc.wantStatus != 0 && status != tc.wantStatus,
				tc.wantStatus == 0 && status == 200:
				t.Errorf("GET %s: status %d, want %d (0: anything but 200)", tc.target, status, tc.wantStatus)
			}
			if bytes.Contains(body, []byte(secret)) {
				t.Errorf("GET %s: body leaks the secret file", tc.target)
			}
			if status == 200 && !bytes.Equal(body, img) {
				t.Errorf("GET %s: 200 with %d bytes, want the %d bytes of img.jpg", tc.target, len(body), len(img))
			}
		})
	}
}

// rawGet sends "GET target" as is to addr and returns the status and body.
func rawGet(t testing.TB, addr, target string) (int, []byte) {
	t.Helper()
	resp, body := rawDo(t, addr, "GET", target, nil)
	return resp.StatusCode, body
}

// rawDo sends "method target" with header as is to addr, over a connection of
// its own, and returns the response, whose body it has read.
func rawDo(t testing.TB, addr, method, target string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n", method, target)
	if err := header.Write(&req); err != nil {
		t.Fatal(err)
	}
	req.WriteString("\r\n")
	if _, err := conn.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the response to %s %q: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body of %s %q: %v", method, target, err)
	}
	return resp, body
}

func TestHandlerNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("Handler(nil) did not panic")
		}
	}()
	store.Handler(nil)
}

// immutableCache is the Cache-Control of a successful response with
// HandlerOptions.Immutable.
const immutableCache = "public, max-age=31536000, immutable"

func TestHandlerCache(t *testing.T) {
	d, img := newServedDir(t)
	plain := &fakeStore{objects: map[string][]byte{"a.webp": []byte("webp bytes")}, wrap: func(data []byte, closed *atomic.Int32) io.ReadCloser {
		return &plainObject{bytes.NewReader(data), closed}
	}}
	failing := &fakeStore{err: errors.New("disk on fire")}
	immutable := &store.HandlerOptions{Immutable: true}
	tests := []struct {
		name       string
		h          http.Handler
		method     string
		target     string
		header     http.Header
		wantStatus int
		wantCache  string // "" means no Cache-Control
		wantETag   string // "" means no ETag
	}{
		{"ImmutableGet", store.NewHandler(d, immutable), "GET", "/img.jpg", nil, 200, immutableCache, `"img.jpg"`},
		{"ImmutableGetPNG", store.NewHandler(d, immutable), "GET", "/pic.png", nil, 200, immutableCache, `"pic.png"`},
		{"ImmutableHead", store.NewHandler(d, immutable), "HEAD", "/img.jpg", nil, 200, immutableCache, `"img.jpg"`},
		{"ImmutableRange", store.NewHandler(d, immutable), "GET", "/img.jpg", http.Header{"Range": {"bytes=0-3"}}, 206, immutableCache, `"img.jpg"`},
		{"ImmutableIfRange", store.NewHandler(d, immutable), "GET", "/img.jpg", http.Header{"Range": {"bytes=0-3"}, "If-Range": {`"img.jpg"`}}, 206, immutableCache, `"img.jpg"`},
		{"ImmutableIfMatch", store.NewHandler(d, immutable), "GET", "/img.jpg", http.Header{"If-Match": {`"img.jpg"`}}, 200, immutableCache, `"img.jpg"`},
		{"ImmutableNotSeekable", store.NewHandler(plain, immutable), "GET", "/a.webp", nil, 200, immutableCache, `"a.webp"`},
		{"ImmutableMissing", store.NewHandler(d, immutable), "GET", "/missing.jpg", nil, 404, "", ""},
		{"ImmutableMissingNotSeekable", store.NewHandler(plain, immutable), "GET", "/b.webp", nil, 404, "", ""},
		{"ImmutableInvalidKey", store.NewHandler(d, immutable), "GET", "/..%2fimg.jpg", nil, 404, "", ""},
		{"ImmutableSymlink", store.NewHandler(d, immutable), "GET", "/alias.jpg", nil, 404, "", ""},
		{"ImmutableFolder", store.NewHandler(d, immutable), "GET", "/sub.jpg", nil, 404, "", ""},
		{"ImmutableMethod", store.NewHandler(d, immutable), "POST", "/img.jpg", nil, 405, "", ""},
		{"ImmutableStoreFails", store.NewHandler(failing, immutable), "GET", "/img.jpg", nil, 500, "", ""},
		{"ImmutableUnsatisfiable", store.NewHandler(d, immutable), "GET", "/img.jpg", http.Header{"Range": {"bytes=99999-"}}, 416, "", ""},
		{"ImmutablePreconditionFailed", store.NewHandler(d, immutable), "GET", "/img.jpg", http.Header{"If-Match": {`"pic.png"`}}, 412, "", ""},
		{"DefaultGet", store.NewHandler(d, nil), "GET", "/img.jpg", nil, 200, "no-cache", ""},
		{"DefaultHead", store.NewHandler(d, nil), "HEAD", "/img.jpg", nil, 200, "no-cache", ""},
		{"DefaultNotSeekable", store.NewHandler(plain, nil), "GET", "/a.webp", nil, 200, "no-cache", ""},
		{"DefaultZeroOptions", store.NewHandler(d, &store.HandlerOptions{}), "GET", "/img.jpg", nil, 200, "no-cache", ""},
		{"DefaultMissing", store.NewHandler(d, nil), "GET", "/missing.jpg", nil, 404, "", ""},
		{"DefaultStoreFails", store.NewHandler(failing, nil), "GET", "/img.jpg", nil, 500, "", ""},
		{"HandlerGet", store.Handler(d), "GET", "/img.jpg", nil, 200, "no-cache", ""},
		{"HandlerMissing", store.Handler(d), "GET", "/missing.jpg", nil, 404, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := serve(t, tc.h, tc.method, tc.target, tc.header)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("%s %s with %v: status %d, want %d", tc.method, tc.target, tc.header, resp.StatusCode, tc.wantStatus)
			}
			if got := resp.Header.Values("Cache-Control"); tc.wantCache == "" && len(got) != 0 || tc.wantCache != "" && (len(got) != 1 || got[0] != tc.wantCache) {
				t.Errorf("%s %s with %v: Cache-Control %q, want %q", tc.method, tc.target, tc.header, got, tc.wantCache)
			}
			if got := resp.Header.Values("Etag"); tc.wantETag == "" && len(got) != 0 || tc.wantETag != "" && (len(got) != 1 || got[0] != tc.wantETag) {
				t.Errorf("%s %s with %v: ETag %q, want %q", tc.method, tc.target, tc.header, got, tc.wantETag)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s %s with %v: X-Content-Type-Options %q, want nosniff", tc.method, tc.target, tc.header, got)
			}
			if tc.wantStatus == 200 && tc.method == "GET" && tc.target == "/img.jpg" && !bytes.Equal(body, img) {
				t.Errorf("%s %s with %v: body of %d bytes, want the %d of img.jpg", tc.method, tc.target, tc.header, len(body), len(img))
			}
		})
	}
}

func TestHandlerIfNoneMatch(t *testing.T) {
	d, img := newServedDir(t)
	wrapPlain := func(data []byte, closed *atomic.Int32) io.ReadCloser {
		return &plainObject{bytes.NewReader(data), closed}
	}
	wrapStat := func(data []byte, closed *atomic.Int32) io.ReadCloser {
		return &statObject{plainObject{bytes.NewReader(data), closed}, fakeInfo{int64(len(data))}, nil}
	}
	backends := []struct {
		name string
		s    store.Interface
	}{
		{"Dir", d},
		{"NotSeekable", &fakeStore{objects: map[string][]byte{"img.jpg": img}, wrap: wrapPlain}},
		{"NotSeekableStat", &fakeStore{objects: map[string][]byte{"img.jpg": img}, wrap: wrapStat}},
	}
	tests := []struct {
		name       string
		method     string
		inm        string
		wantStatus int
	}{
		{"Same", "GET", `"img.jpg"`, 304},
		{"SameHead", "HEAD", `"img.jpg"`, 304},
		{"Weak", "GET", `W/"img.jpg"`, 304},
		{"InList", "GET", `"pic.png", W/"x", "img.jpg"`, 304},
		{"InListNoSpaces", "GET", `"pic.png","img.jpg"`, 304},
		{"Star", "GET", `*`, 304},
		{"Other", "GET", `"pic.png"`, 200},
		{"OtherHead", "HEAD", `"pic.png"`, 200},
		{"Prefix", "GET", `"img"`, 200},
		{"Unquoted", "GET", `img.jpg`, 200},
		{"Unterminated", "GET", `"img.jpg`, 200},
		{"Empty", "GET", ``, 200},
		{"EmptyTag", "GET", `""`, 200},
	}
	for _, b := range backends {
		h := store.NewHandler(b.s, &store.HandlerOptions{Immutable: true})
		for _, tc := range tests {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				resp, body := serve(t, h, tc.method, "/img.jpg", http.Header{"If-None-Match": {tc.inm}})
				if resp.StatusCode != tc.wantStatus {
					t.Fatalf("%s /img.jpg with If-None-Match %s: status %d, want %d", tc.method, tc.inm, resp.StatusCode, tc.wantStatus)
				}
				if got := resp.Header.Get("Etag"); got != `"img.jpg"` {
					t.Errorf("%s /img.jpg with If-None-Match %s: ETag %q, want %q", tc.method, tc.inm, got, `"img.jpg"`)
				}
				if got := resp.Header.Get("Cache-Control"); got != immutableCache {
					t.Errorf("%s /img.jpg with If-None-Match %s: Cache-Control %q, want %q", tc.method, tc.inm, got, immutableCache)
				}
				want := img
				if tc.wantStatus == 304 || tc.method == "HEAD" {
					want = nil
				}
				if !bytes.Equal(body, want) {
					t.Errorf("%s /img.jpg with If-None-Match %s: body of %d bytes, want %d", tc.method, tc.inm, len(body), len(want))
				}
				if tc.wantStatus == 304 {
					for _, k := range []string{"Content-Type", "Content-Length"} {
						if got := resp.Header.Values(k); len(got) != 0 {
							t.Errorf("%s /img.jpg with If-None-Match %s: 304 with %s %q, want none", tc.method, tc.inm, k, got)
						}
					}
				}
			})
		}
		// Without Immutable there is no ETag, so nothing matches it.
		t.Run(b.name+"/NotImmutable", func(t *testing.T) {
			resp, body := serve(t, store.NewHandler(b.s, nil), "GET", "/img.jpg", http.Header{"If-None-Match": {`"img.jpg"`}})
			if resp.StatusCode != 200 || !bytes.Equal(body, img) {
				t.Errorf("GET /img.jpg with If-None-Match \"img.jpg\", not Immutable: %d with %d bytes, want 200 with %d", resp.StatusCode, len(body), len(img))
			}
		})
	}
}

// TestHandlerIfNoneMatchServer checks 304 over the wire, where the server
// itself adds headers such as Content-Length.
func TestHandlerIfNoneMatchServer(t *testing.T) {
	d, img := newServedDir(t)
	srv := httptest.NewServer(store.NewHandler(d, &store.HandlerOptions{Immutable: true}))
	t.Cleanup(srv.Close)

	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/img.jpg", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !bytes.Equal(body, img) {
		t.Fatalf("GET /img.jpg: %d with %d bytes (%v), want 200 with %d", resp.StatusCode, len(body), err, len(img))
	}
	etag := resp.Header.Get("Etag")

	req.Header.Set("If-None-Match", etag)
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 304 || len(body) != 0 {
		t.Errorf("GET /img.jpg with If-None-Match %s: %d with %d bytes (%v), want 304 with none", etag, resp.StatusCode, len(body), err)
	}
	if got := resp.Header.Get("Cache-Control"); got != immutableCache {
		t.Errorf("GET /img.jpg with If-None-Match %s: Cache-Control %q, want %q", etag, got, immutableCache)
	}
}

// TestHandlerTraversal sends hostile request targets, unaltered by any
// client, to a real server that serves a Dir with planted symlinks and
// folders, with every kind of handler. A valid link signature must not
// help: in the signed case every target carries one for its own key.
func TestHandlerTraversal(t *testing.T) {
	d, img := newServedDir(t)
	now := time.Unix(1_700_000_000, 0)
	signer := &store.Signer{Secret: []byte("0123456789abcdef0123456789abcdef")}
	handlers := []struct {
		name   string
		h      http.Handler
		signed bool
	}{
		{"Handler", store.Handler(d), false},
		{"Immutable", store.NewHandler(d, &store.HandlerOptions{Immutable: true}), false},
		{"Signed", store.NewHandler(d, &store.HandlerOptions{Immutable: true, Links: signer, Now: func() time.Time { return now }}), true},
	}
	const notFound = "404 page not found\n"
	tests := []struct {
		name       string
		target     string
		wantStatus int
		wantBody   []byte // nil means notFound, for 404, or anything
		wantType   string // "" means do not check
	}{
		{"Good", "/img.jpg", 200, img, "image/jpeg"},
		{"GoodPNG", "/pic.png", 200, []byte("png bytes"), "image/png"},
		{"GoodEncodedDot", "/img%2ejpg", 200, img, "image/jpeg"},
		{"GoodAbsoluteForm", "http://test/img.jpg", 200, img, "image/jpeg"},

		{"DotDot", "/../x", 404, nil, ""},
		{"DotDotSecret", "/../secret.txt", 404, nil, ""},
		{"DotDotEtcPasswd", "/../../etc/passwd", 404, nil, ""},
		{"EncodedDotDot", "/%2e%2e/x", 404, nil, ""},
		{"EncodedDotDotUpper", "/%2E%2E/secret.txt", 404, nil, ""},
		{"EncodedDotDotSlash", "/%2e%2e%2fx", 404, nil, ""},
		{"EncodedDotDotSlashSecret", "/%2e%2e%2fsecret.txt", 404, nil, ""},
		{"DotDotEncodedSlash", "/..%2fx", 404, nil, ""},
		{"DotDotEncodedSlashSecret", "/..%2Fsecret.txt", 404, nil, ""},
		{"DoubleEncodedDotDot", "/%252e%252e%252fsecret.txt", 404, nil, ""},
		{"EncodedSlash", "/a%2fb", 404, nil, ""},
		{"EncodedBackslash", "/%5c..%5cx", 404, nil, ""},
		{"EncodedBackslashSecret", "/..%5csecret.txt", 404, nil, ""},
		{"Backslash", "/..\\secret.txt", 404, nil, ""},
		{"DoubleSlash", "//etc/passwd", 404, nil, ""},
		{"EncodedAbsolute", "/%2fetc%2fpasswd", 404, nil, ""},
		{"AbsoluteForm", "http://test/../../etc/passwd", 404, nil, ""},
		{"AbsoluteFormEncoded", "http://test/..%2fsecret.txt", 404, nil, ""},
		{"WindowsAbsolute", "/C:%5cWindows%5cwin.ini", 404, nil, ""},
		{"WindowsDrive", "/c:img.jpg", 404, nil, ""},
		{"Dot", "/.", 404, nil, ""},
		{"EncodedDot", "/%2e", 404, nil, ""},
		{"DotDotAlone", "/..", 404, nil, ""},
		{"Root", "/", 404, nil, ""},
		{"Asterisk", "*", 404, nil, ""},
		{"NUL", "/img.jpg%00", 404, nil, ""},
		{"NULBeforeExt", "/img%00.jpg", 404, nil, ""},
		{"NULDotDot", "/..%00/secret.txt", 404, nil, ""},
		{"TempFile", "/.tmp-x", 404, nil, ""},
		{"Hidden", "/.img.jpg", 404, nil, ""},
		{"SymlinkOutside", "/leak.jpg", 404, nil, ""},
		{"SymlinkOutsideRelative", "/leak2.jpg", 404, nil, ""},
		{"SymlinkInside", "/alias.jpg", 404, nil, ""},
		{"Subfolder", "/sub", 404, nil, ""},
		{"SubfolderSlash", "/sub/", 404, nil, ""},
		{"SubfolderNamedLikeKey", "/sub.jpg", 404, nil, ""},
		{"SubfolderDotDot", "/sub/../img.jpg", 404, nil, ""},
		{"TrailingSlash", "/img.jpg/", 404, nil, ""},

		// Targets that net/http rejects before any handler runs.
		{"Relative", "../x", 400, nil, ""},
		{"RelativeSecret", "..%2fsecret.txt", 400, nil, ""},
		{"Empty", "", 400, nil, ""},
		{"RawNUL", "/img.jpg\x00", 400, nil, ""},
	}
	for _, hc := range handlers {
		srv := httptest.NewServer(hc.h)
		t.Cleanup(srv.Close)
		addr := srv.Listener.Addr().String()
		for _, tc := range tests {
			t.Run(hc.name+"/"+tc.name, func(t *testing.T) {
				target := tc.target
				if u, err := url.ParseRequestURI(target); hc.signed && err == nil && target != "*" {
					// A link signed for exactly the key the handler sees.
					_, query, _ := strings.Cut(signer.Sign(strings.TrimPrefix(u.Path, "/"), now), "?")
					target += "?" + query
				}
				resp, body := rawDo(t, addr, "GET", target, nil)
				if resp.StatusCode != tc.wantStatus {
					t.Errorf("GET %q: status %d, want %d", target, resp.StatusCode, tc.wantStatus)
				}
				want := tc.wantBody
				if want == nil && tc.wantStatus == 404 {
					want = []byte(notFound)
				}
				if want != nil && !bytes.Equal(body, want) {
					t.Errorf("GET %q: body of %d bytes %.60q, want %d bytes %.60q", target, len(body), body, len(want), want)
				}
				if resp.StatusCode != 200 {
					for _, listed := range []string{secret, "img.jpg", "pic.png", "sub", "leak", "alias", "<a", "<pre"} {
						if bytes.Contains(body, []byte(listed)) {
							t.Errorf("GET %q: status %d with body %q, which holds %q", target, resp.StatusCode, body, listed)
						}
					}
					if got := resp.Header.Values("Cache-Control"); len(got) != 0 {
						t.Errorf("GET %q: status %d with Cache-Control %q, want none", target, resp.StatusCode, got)
					}
				}
				if tc.wantStatus == 400 {
					return // net/http's own answer, not the handler's
				}
				if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("GET %q: X-Content-Type-Options %q, want nosniff", target, got)
				}
				if tc.wantType != "" {
					if got := resp.Header.Get("Content-Type"); got != tc.wantType {
						t.Errorf("GET %q: Content-Type %q, want %q", target, got, tc.wantType)
					}
				}
			})
		}
	}
}

func TestNewHandlerPanics(t *testing.T) {
	d, _ := newServedDir(t)
	tests := []struct {
		name string
		s    store.Interface
		opts *store.HandlerOptions
	}{
		{"NilStore", nil, nil},
		{"NilStoreWithOptions", nil, &store.HandlerOptions{Immutable: true}},
		{"NilSecret", d, &store.HandlerOptions{Links: &store.Signer{}}},
		{"EmptySecret", d, &store.HandlerOptions{Links: &store.Signer{Secret: []byte{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewHandler(%v, %+v) did not panic", tc.s, tc.opts)
				}
			}()
			store.NewHandler(tc.s, tc.opts)
		})
	}
}
