package escala_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/progtest"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

// uploadWait is how long a test waits for any answer.
const uploadWait = 5 * time.Second

// uploadServer is an UploadHandler, the upload page and the results of
// its Gateway on one HTTP server on loopback, as a gateway program wires
// them.
type uploadServer struct {
	url string
	log *badLog
}

// startUpload serves up at /upload, with a Gateway that scales in process
// and stores in a temporary folder when up.Handler is nil. Unless
// errorsExpected, the test fails if anything is logged at level Error.
func startUpload(t testing.TB, up *escala.UploadHandler, errorsExpected bool) *uploadServer {
	t.Helper()
	return startUploadServer(t, up, errorsExpected, nil)
}

// startUploadServer is startUpload with the HTTP server's timeouts set by
// config.
func startUploadServer(t testing.TB, up *escala.UploadHandler, errorsExpected bool, config func(*http.Server)) *uploadServer {
	t.Helper()
	s := &uploadServer{log: &badLog{}}
	up.Logger = slog.New(slog.NewTextHandler(s.log, nil))
	dir, err := store.NewDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	mux := http.NewServeMux()
	mux.Handle("/", store.NewHandler(dir, &store.HandlerOptions{Immutable: true}))
	mux.Handle("/upload", up)
	mux.HandleFunc("GET /{$}", escala.UploadPage)
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ReadHeaderTimeout = uploadWait
	srv.Config.ReadTimeout = uploadWait
	srv.Config.WriteTimeout = uploadWait
	if config != nil {
		config(srv.Config)
	}
	s.url = "http://" + srv.Listener.Addr().String()
	if up.Handler == nil {
		up.Handler = &escala.Gateway{Store: dir, BaseURL: s.url, Logger: up.Logger}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	if !errorsExpected {
		t.Cleanup(func() {
			all, _ := s.log.from(0)
			for line := range strings.Lines(all) {
				if strings.Contains(line, "level=ERROR") {
					t.Errorf("logged an error for a fault of the client: %s", strings.TrimSpace(line))
				}
			}
		})
	}
	return s
}

// uploadResult is the JSON of a result.
type uploadResult struct {
	Link          string
	Width, Height int
}

// uploadFailure is the JSON of an error reply.
type uploadFailure struct {
	Error, Code string
}

// post uploads body, with a Content-Length when it is a *bytes.Reader,
// and returns the reply, its body read.
func (s *uploadServer) post(t testing.TB, body io.Reader, contentType string) (*http.Response, []byte) {
	t.Helper()
	return s.do(t, http.MethodPost, "/upload", body, contentType)
}

func (s *uploadServer) do(t testing.TB, method, path string, body io.Reader, contentType string) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), uploadWait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the reply: %v", method, path, err)
	}
	return resp, data
}

// checkResult checks that a reply is a result of w×h whose link serves it.
func (s *uploadServer) checkResult(t testing.TB, resp *http.Response, data []byte, w, h int) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %s %s, want 200 and a link", resp.Status, data)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var res uploadResult
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("reply %q: %v", data, err)
	}
	if res.Width != w || res.Height != h || !strings.HasPrefix(res.Link, s.url+"/") {
		t.Errorf("reply %q, want a link under %s to a %dx%d result", data, s.url, w, h)
	}
	uploadCheckLink(t, res.Link, w, h)
}

// uploadCheckLink checks that link serves a gray JPEG of w×h.
func uploadCheckLink(t testing.TB, link string, w, h int) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET %s: %s %s, want 200 and a JPEG", link, resp.Status, resp.Header.Get("Content-Type"))
	}
	img, err := jpeg.Decode(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", link, err)
	}
	if g, ok := img.(*image.Gray); !ok || g.Rect.Dx() != w || g.Rect.Dy() != h {
		t.Errorf("GET %s: a %T of %v, want a gray %dx%d image", link, img, img.Bounds(), w, h)
	}
}

// checkServed checks that the server still serves uploads.
func (s *uploadServer) checkServed(t testing.TB) {
	t.Helper()
	resp, data := s.post(t, bytes.NewReader(sample.JPEG(40, 30)), "image/jpeg")
	s.checkResult(t, resp, data, 20, 15)
}

// checkUploadError checks that a reply is one line of JSON with an error
// of code that holds words, with status, and that it names neither the
// files nor the sockets of the server.
func checkUploadError(t testing.TB, resp *http.Response, data []byte, status int, code string, words ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status %s, want %d; reply %s", resp.Status, status, data)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if bytes.IndexByte(data, '\n') != len(data)-1 {
		t.Errorf("reply %q, want one line", data)
	}
	var f uploadFailure
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil || f.Error == "" {
		t.Fatalf("reply %q (%v), want {\"error\": ..., \"code\": ...}", data, err)
	}
	if f.Code != code {
		t.Errorf("reply %q has code %q, want %q", data, f.Code, code)
	}
	for _, w := range words {
		if !strings.Contains(f.Error, w) {
			t.Errorf("error %q does not say %q", f.Error, w)
		}
	}
	for _, leak := range []string{"127.0.0.1", "10.0.0.7", "tcp", "i/o timeout", "/tmp/", "/var/", "connection"} {
		if strings.Contains(f.Error, leak) {
			t.Errorf("error %q tells the client about the server: %q", f.Error, leak)
		}
	}
	if retry := resp.Header.Get("Retry-After"); (status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests) != (retry != "") {
		t.Errorf("status %d with Retry-After %q", status, retry)
	}
}

// TestUpload uploads a JPEG and a PNG, and checks that each link serves
// the gray result of half the size; the same upload again gets the same
// link.
func TestUpload(t *testing.T) {
	s := startUpload(t, &escala.UploadHandler{}, false)
	for _, tc := range []struct {
		name, contentType string
		data              []byte
	}{
		{"jpeg", "image/jpeg", sample.JPEG(64, 48)},
		{"png", "image/png", sample.PNG(64, 48)},
		{"jpeg as octet-stream", "application/octet-stream", sample.JPEG(66, 48)},
		{"png with no Content-Type", "", sample.PNG(66, 48)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := s.post(t, bytes.NewReader(tc.data), tc.contentType)
			cfg, _, _ := scaler.DecodeConfig(bytes.NewReader(tc.data), nil)
			s.checkResult(t, resp, data, cfg.Width/2, cfg.Height/2)
			// Chunked, with no Content-Length: the same result.
			resp, again := s.post(t, io.MultiReader(bytes.NewReader(tc.data)), tc.contentType)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(again, data) {
				t.Errorf("the same upload, chunked: %s %s, want %s", resp.Status, again, data)
			}
		})
	}
}

// uploadBadCase is a body that must get an error, or, when w is not 0, a
// result of w×h instead.
type uploadBadCase struct {
	name   string
	data   []byte
	status int
	code   string
	words  []string
	w, h   int
	// orTooLarge: random bytes whose header reads as a size over the
	// pixel limit may get too_large instead.
	orTooLarge bool
}

// uploadBadInput returns the bad uploads of the raw protocol of
// TestBadInput, as HTTP bodies: truncated files of every format, random
// bytes, and bombs.
func uploadBadInput(t testing.TB) []uploadBadCase {
	var cases []uploadBadCase
	for _, group := range [][]badCase{badTruncations(t), badRandom(), badBombs()} {
		for _, tc := range group {
			if tc.scaler || tc.proto != transport.Raw || tc.data == nil {
				continue
			}
			c := uploadBadCase{name: strings.Replace(tc.name, "/raw/", "/", 1), data: tc.data,
				status: http.StatusBadRequest, code: "invalid", words: []string{"invalid image"}, w: tc.want.w, h: tc.want.h}
			if tc.want.isError() {
				c.words = tc.want.words
			}
			// The raw protocol finds the end of an image file before it is
			// decoded, so it may tell random bytes for invalid before the
			// decoder reads their header.
			c.orTooLarge = strings.HasPrefix(tc.name, "random/")
			if strings.Contains(strings.Join(c.words, " "), "too large") {
				c.status, c.code = http.StatusRequestEntityTooLarge, "too_large"
			}
			cases = append(cases, c)
		}
	}
	return append(cases, uploadBadCase{name: "empty", data: []byte{}, status: http.StatusBadRequest, code: "invalid", words: []string{"invalid image", "empty"}})
}

// TestUploadBadInput posts bad bodies and checks that each gets one line
// of JSON with the right status and code, and that the next upload is
// served.
func TestUploadBadInput(t *testing.T) {
	s := startUpload(t, &escala.UploadHandler{}, false)
	for _, tc := range uploadBadInput(t) {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := s.post(t, bytes.NewReader(tc.data), "image/jpeg")
			switch {
			case tc.w != 0 && resp.StatusCode == http.StatusOK:
				s.checkResult(t, resp, data, tc.w, tc.h)
			case tc.orTooLarge && resp.StatusCode == http.StatusRequestEntityTooLarge:
				checkUploadError(t, resp, data, http.StatusRequestEntityTooLarge, "too_large", "too large")
			default:
				checkUploadError(t, resp, data, tc.status, tc.code, tc.words...)
			}
			s.checkServed(t)
		})
	}
}

// TestUploadRefused sends requests that are not uploads.
func TestUploadRefused(t *testing.T) {
	s := startUpload(t, &escala.UploadHandler{}, false)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, err := mw.CreateFormFile("image", "photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(sample.JPEG(40, 30))
	mw.Close()
	for _, tc := range []struct {
		method      string
		body        []byte
		contentType string
		status      int
		words       []string
	}{
		{http.MethodGet, nil, "", http.StatusMethodNotAllowed, []string{"GET", "POST"}},
		{http.MethodPut, sample.JPEG(40, 30), "image/jpeg", http.StatusMethodNotAllowed, []string{"PUT", "POST"}},
		{http.MethodDelete, nil, "", http.StatusMethodNotAllowed, []string{"DELETE", "POST"}},
		{http.MethodPost, form.Bytes(), mw.FormDataContentType(), http.StatusUnsupportedMediaType, []string{"form"}},
	} {
		t.Run(tc.method+" "+tc.contentType, func(t *testing.T) {
			resp, data := s.do(t, tc.method, "/upload", bytes.NewReader(tc.body), tc.contentType)
			checkUploadError(t, resp, data, tc.status, "bad_request", tc.words...)
			if tc.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "POST" {
				t.Errorf("Allow: %q, want POST", resp.Header.Get("Allow"))
			}
			s.checkServed(t)
		})
	}
}

// rawRequest writes head, the request line and headers of a request, on a
// fresh connection, then what body sends until it returns or the
// connection fails, and returns the reply that arrives meanwhile.
func (s *uploadServer) rawRequest(t testing.TB, head string, body func(w io.Writer) error) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(uploadWait))
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() { sent <- body(c) }()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	c.Close()
	<-sent
	return resp, data
}

// TestUploadTooLarge sends bodies over the limit: one whose Content-Length
// says so gets 413 before it sends a byte of it, and one chunked without
// end is cut off at the limit. Bodies of the limit exactly are read.
func TestUploadTooLarge(t *testing.T) {
	const limit = 1 << 20
	s := startUpload(t, &escala.UploadHandler{MaxBytes: limit}, false)
	head := "POST /upload HTTP/1.1\r\nHost: escala.test\r\n"

	t.Run("Content-Length", func(t *testing.T) {
		// With "Expect: 100-continue", the client waits for the server
		// before it sends the body: it is refused unread.
		resp, data := s.rawRequest(t, head+fmt.Sprintf("Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", limit+1),
			func(io.Writer) error { return nil })
		checkUploadError(t, resp, data, http.StatusRequestEntityTooLarge, "too_large", "limit of 1048576 bytes")
		if !resp.Close {
			t.Error("the connection stays open after a refused body, want it closed")
		}
	})
	t.Run("chunked", func(t *testing.T) {
		// The body never ends: only a server that stops reading it at
		// the limit answers before the deadline.
		chunk := fmt.Appendf(nil, "%x\r\n%s\r\n", 32<<10, bytes.Repeat([]byte{0xff}, 32<<10))
		resp, data := s.rawRequest(t, head+"Transfer-Encoding: chunked\r\n\r\n", func(w io.Writer) error {
			for {
				if _, err := w.Write(chunk); err != nil {
					return err
				}
			}
		})
		checkUploadError(t, resp, data, http.StatusRequestEntityTooLarge, "too_large", "over the limit of 1048576 bytes")
	})
	at := badRandomBytes(7, limit)
	t.Run("Content-Length at the limit", func(t *testing.T) {
		resp, data := s.post(t, bytes.NewReader(at), "")
		checkUploadError(t, resp, data, http.StatusBadRequest, "invalid", "invalid image")
	})
	t.Run("chunked at the limit", func(t *testing.T) {
		resp, data := s.post(t, io.MultiReader(bytes.NewReader(at)), "")
		checkUploadError(t, resp, data, http.StatusBadRequest, "invalid", "invalid image")
	})
	s.checkServed(t)
}

// TestUploadStall sends part of a body and stops: the upload is cut off
// by the stall timeout, or by the read timeout when it comes first, with
// 408 and an error that says which.
func TestUploadStall(t *testing.T) {
	jpg := sample.JPEG(64, 48)
	for _, tc := range []struct {
		name        string
		stall, read time.Duration
		chunked     bool
		words       []string
	}{
		{"stalled", 100 * time.Millisecond, uploadWait, false, []string{"stalled", "100ms", "after 1000 bytes"}},
		{"stalled chunked", 100 * time.Millisecond, uploadWait, true, []string{"stalled", "100ms", "after 1000 bytes"}},
		{"not complete", uploadWait, 200 * time.Millisecond, false, []string{"not complete after 200ms", "1000 bytes received"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startUpload(t, &escala.UploadHandler{StallTimeout: tc.stall, ReadTimeout: tc.read}, false)
			head := "POST /upload HTTP/1.1\r\nHost: escala.test\r\n"
			part := jpg[:1000]
			if tc.chunked {
				head += "Transfer-Encoding: chunked\r\n\r\n"
				part = fmt.Appendf(nil, "%x\r\n%s", len(jpg), part)
			} else {
				head += fmt.Sprintf("Content-Length: %d\r\n\r\n", len(jpg))
			}
			start := time.Now()
			resp, data := s.rawRequest(t, head, func(w io.Writer) error {
				_, err := w.Write(part)
				return err
			})
			checkUploadError(t, resp, data, http.StatusRequestTimeout, "timeout", tc.words...)
			if d := time.Since(start); d < min(tc.stall, tc.read) {
				t.Errorf("cut off after %v, before the timeout", d)
			}
			s.checkServed(t)
		})
	}
}

// TestUploadBusy holds the whole budget of uploads being received: an
// upload waits for room until its read timeout, then gets 503 busy; once
// the budget is free, uploads are served.
func TestUploadBusy(t *testing.T) {
	budget := &scaler.Budget{Max: 4 << 20}
	s := startUpload(t, &escala.UploadHandler{Budget: budget, ReadTimeout: 200 * time.Millisecond}, false)
	release, err := budget.Acquire(context.Background(), budget.Max)
	if err != nil {
		t.Fatal(err)
	}
	resp, data := s.post(t, bytes.NewReader(sample.JPEG(40, 30)), "image/jpeg")
	checkUploadError(t, resp, data, http.StatusServiceUnavailable, "busy", "busy", "no memory free")
	release()
	s.checkServed(t)
}

// TestUploadSlowWork checks that an upload whose processing takes longer
// than the HTTP server's WriteTimeout, which runs from the end of the
// headers, still gets its reply.
func TestUploadSlowWork(t *testing.T) {
	const writeTimeout = 100 * time.Millisecond
	dir, err := store.NewDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	// Only the reply is checked here, not the link.
	gateway := &escala.Gateway{Store: dir, BaseURL: "http://results.test", Logger: slog.New(slog.DiscardHandler)}
	slow := transport.HandlerFunc(func(ctx context.Context, req *transport.Request) (*transport.Response, error) {
		select { // work that takes three times the server's WriteTimeout
		case <-time.After(3 * writeTimeout):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return gateway.Serve(ctx, req)
	})
	s := startUploadServer(t, &escala.UploadHandler{Handler: slow}, false, func(srv *http.Server) { srv.WriteTimeout = writeTimeout })
	resp, data := s.post(t, bytes.NewReader(sample.JPEG(40, 30)), "image/jpeg")
	var res uploadResult
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &res) != nil || res.Width != 20 || res.Height != 15 {
		t.Errorf("slow upload: %s %s, want 200 and a 20x15 result", resp.Status, data)
	}
}

// TestUploadErrors checks how the errors of the Handler reach the client:
// the status and code of each kind, and nothing of an internal error but
// that it was one.
func TestUploadErrors(t *testing.T) {
	fail := func(err error) transport.Handler {
		return transport.HandlerFunc(func(context.Context, *transport.Request) (*transport.Response, error) {
			return nil, err
		})
	}
	for _, tc := range []struct {
		name    string
		handler transport.Handler
		status  int
		code    string
		words   []string
	}{
		{"options", fail(fmt.Errorf("%w: quality 101", scaler.ErrInvalidOptions)), http.StatusBadRequest, "bad_request", []string{"invalid options", "quality 101"}},
		{"too large", fail(fmt.Errorf("%w: 60 MP", scaler.ErrTooLarge)), http.StatusRequestEntityTooLarge, "too_large", []string{"60 MP"}},
		{"busy", fail(fmt.Errorf("%w: 64 wait", scaler.ErrBusy)), http.StatusServiceUnavailable, "busy", []string{"64 wait"}},
		{"remote busy", fail(fmt.Errorf("scaling: %w", &transport.RemoteError{Code: transport.CodeBusy, Message: "transport: server busy"})),
			http.StatusServiceUnavailable, "busy", []string{"server busy"}},
		{"remote invalid", fail(&transport.RemoteError{Code: transport.CodeInvalidImage, Message: "scaler: invalid image: 3 bytes"}),
			http.StatusBadRequest, "invalid", []string{"3 bytes"}},
		{"unavailable", fail(fmt.Errorf("scaling: %w", transport.ErrUnavailable)), http.StatusServiceUnavailable, "unavailable", []string{"unavailable"}},
		{"unavailable, quoting a socket", fail(fmt.Errorf("scaling: %w: %w", transport.ErrUnavailable,
			&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 8001}, Err: errors.New("connection refused")})),
			http.StatusServiceUnavailable, "unavailable", []string{"unavailable", "try again later"}},
		{"internal", fail(errors.New("open /var/lib/escala/x.jpg: permission denied")), http.StatusInternalServerError, "internal", []string{"internal error"}},
		{"several lines", fail(fmt.Errorf("%w: one\ntwo\r\nthree", scaler.ErrInvalid)), http.StatusBadRequest, "invalid", []string{"one two  three"}},
		{"no link", transport.HandlerFunc(func(context.Context, *transport.Request) (*transport.Response, error) {
			return &transport.Response{Width: 1, Height: 1}, nil
		}), http.StatusInternalServerError, "internal", []string{"internal error"}},
		{"panic", transport.HandlerFunc(func(context.Context, *transport.Request) (*transport.Response, error) {
			panic("open /var/lib/escala: no space left on device")
		}), http.StatusInternalServerError, "internal", []string{"internal error"}},
		{"slow", transport.HandlerFunc(func(ctx context.Context, _ *transport.Request) (*transport.Response, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}), http.StatusGatewayTimeout, "timeout", []string{"processing took longer than 50ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startUpload(t, &escala.UploadHandler{Handler: tc.handler, HandlerTimeout: 50 * time.Millisecond}, tc.code == "internal")
			resp, data := s.post(t, bytes.NewReader(sample.JPEG(40, 30)), "image/jpeg")
			checkUploadError(t, resp, data, tc.status, tc.code, tc.words...)
			log, _ := s.log.from(0)
			want := "level=WARN"
			if tc.code == "internal" {
				want = "level=ERROR"
			}
			if !strings.Contains(log, want) {
				t.Errorf("log %q, want the failure at %s", log, want)
			}
		})
	}
}

// TestUploadPage checks the page: its headers, its form, and that its
// policy allows its inline script and style.
func TestUploadPage(t *testing.T) {
	s := startUpload(t, &escala.UploadHandler{}, false)
	resp, page := s.do(t, http.MethodGet, "/", nil, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %s %s, want 200 and HTML", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<input type="file"`, `multiple`, `fetch("upload"`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the page has no %s", want)
		}
	}
	policy := resp.Header.Get("Content-Security-Policy")
	for _, tag := range []string{"script", "style"} {
		_, rest, _ := bytes.Cut(page, []byte("<"+tag+">"))
		inline, _, ok := bytes.Cut(rest, []byte("</"+tag+">"))
		if !ok {
			t.Fatalf("the page has no <%s>", tag)
		}
		sum := sha256.Sum256(inline)
		if hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(policy, tag+"-src "+hash) {
			t.Errorf("Content-Security-Policy %q does not allow the <%s> of the page, %s", policy, tag, hash)
		}
	}
	if strings.Contains(policy, "unsafe") || !strings.Contains(policy, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q, want nothing allowed but what the page has", policy)
	}

	rec := httptest.NewRecorder()
	escala.UploadPage(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST to the page: %d, Allow %q; want 405 and GET, HEAD", rec.Code, rec.Header().Get("Allow"))
	}
	// The results are still served beside the page.
	s.checkServed(t)
}

// With Observe, each upload's Trace has the HTTP protocol, the phases of
// the upload and of the Gateway, its sizes and its result.
func TestUploadObserve(t *testing.T) {
	observed := make(chan *transport.Trace, 4)
	s := startUpload(t, &escala.UploadHandler{Observe: func(tr *transport.Trace) { observed <- tr }}, true)
	photo := sample.JPEG(64, 48)
	resp, data := s.post(t, bytes.NewReader(photo), "image/jpeg")
	s.checkResult(t, resp, data, 32, 24)
	resp, data = s.post(t, strings.NewReader("hello, this is text"), "text/plain")
	checkUploadError(t, resp, data, http.StatusBadRequest, "invalid")
	for i, want := range []string{"ok", "invalid"} {
		var tr *transport.Trace
		select {
		case tr = <-observed:
		case <-time.After(5 * time.Second):
			t.Fatalf("no Trace of upload %d after 5s", i)
		}
		var phases []string
		for _, p := range tr.Phases() {
			phases = append(phases, p.Name)
		}
		got := strings.Join(phases, ",")
		wantPhases := "receive,lookup,decode,scale,encode,store,reply"
		if want != "ok" {
			wantPhases = "receive,lookup,reply"
		}
		if tr.Protocol != transport.HTTP || tr.Result != want || got != wantPhases || tr.BytesIn == 0 || tr.BytesOut == 0 || tr.ID == "" {
			t.Errorf("Trace %d: protocol %v, result %q, phases %s, in %d, out %d, id %q; want http, %q, %s",
				i, tr.Protocol, tr.Result, got, tr.BytesIn, tr.BytesOut, tr.ID, want, wantPhases)
		}
	}
}

// postToken uploads data with an "Authorization: Bearer" header, when
// token is not "".
func (s *uploadServer) postToken(t testing.TB, data []byte, token string) (*http.Response, []byte) {
	t.Helper()
	resp, body, err := progtest.PostUpload(s.url, data, token)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestUploadAccess checks that uploads need a token of the Access's file,
// given as a Bearer token, and that a client over its rate gets 429 with
// the time to wait, counted with its requests over TCP.
func TestUploadAccess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(path, []byte("right-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	access := &transport.Access{Tokens: &transport.TokenFile{Path: path}, Rate: 0.01, Burst: 2}
	var traces []*transport.Trace
	var mu sync.Mutex
	s := startUpload(t, &escala.UploadHandler{Access: access, Observe: func(tr *transport.Trace) {
		mu.Lock()
		traces = append(traces, tr)
		mu.Unlock()
	}}, false)
	img := sample.JPEG(40, 30)

	resp, data := s.postToken(t, img, "")
	checkUploadError(t, resp, data, http.StatusUnauthorized, "unauthorized", "needs an upload token")
	if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("WWW-Authenticate %q, want Bearer", got)
	}
	resp, data = s.postToken(t, img, "wrong-token")
	checkUploadError(t, resp, data, http.StatusUnauthorized, "unauthorized", "not accepted")
	if strings.Contains(string(data), "wrong-token") {
		t.Errorf("the reply quotes the token: %s", data)
	}

	resp, data = s.postToken(t, img, "right-token")
	s.checkResult(t, resp, data, 20, 15)
	// The burst of 2 is spent by a request over TCP from the same address.
	release, err := access.Admit(transport.Native, "127.0.0.1:1", "right-token")
	if err != nil {
		t.Fatal(err)
	}
	release()
	resp, data = s.postToken(t, img, "right-token")
	checkUploadError(t, resp, data, http.StatusTooManyRequests, "busy", "over its limit of 0.01 requests a second")
	if retry, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || retry < 50 || retry > 100 {
		t.Errorf("Retry-After %q, want the 50 to 100 s until the rate allows another", resp.Header.Get("Retry-After"))
	}
	mu.Lock()
	defer mu.Unlock()
	var results []string
	for _, tr := range traces {
		results = append(results, tr.Result)
	}
	if want := "unauthorized unauthorized ok limited"; strings.Join(results, " ") != want {
		t.Errorf("traced results %q, want %q", results, want)
	}
	all, _ := s.log.from(0)
	if strings.Contains(all, "right-token") || strings.Contains(all, "wrong-token") {
		t.Errorf("a token was logged:\n%s", all)
	}
}
