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
	"os"
	"path/filepath"
	"strconv"
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
	}{
		{"OpenFails", &fakeStore{err: errors.New(leak)}},
		{"OpenFailsWrapped", &fakeStore{err: fmt.Errorf("store: open %q: %w", "a.jpg", &fs.PathError{Op: "open", Path: "/var/lib/escala/secret-path", Err: errors.New("disk on fire")})}},
		{"StatFails", &fakeStore{objects: map[string][]byte{"a.jpg": []byte("x")}, wrap: func(data []byte, closed *atomic.Int32) io.ReadCloser {
			return &statObject{plainObject{bytes.NewReader(data), closed}, nil, errors.New(leak)}
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := serve(t, store.Handler(tc.s), "GET", "/a.jpg", nil)
			if resp.StatusCode != http.StatusInternalServerError {
				t.Errorf("GET /a.jpg from a failing store: status %d, want 500", resp.StatusCode)
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
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", target); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response to GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body of GET %s: %v", target, err)
	}
	return resp.StatusCode, body
}

func TestHandlerNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("Handler(nil) did not panic")
		}
	}()
	store.Handler(nil)
}
