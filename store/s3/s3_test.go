package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3api "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/store/s3"
	"github.com/escala-img/escala/store/s3/s3test"
	"github.com/escala-img/escala/store/storetest"
)

// The tests that need an S3 server get it from s3test, which skips them
// without one, or fails them if ESCALA_REQUIRE_S3=1.
func TestMain(m *testing.M) { s3test.Main(m) }

// newStore returns a Store on the test server, with opts (nil means
// none) completed by the server's endpoint, credentials and bucket, and a
// prefix of its own, so that every store starts empty.
func newStore(t testing.TB, opts *s3.Options) *s3.Store {
	t.Helper()
	srv := s3test.Server(t)
	o := s3.Options{}
	if opts != nil {
		o = *opts
	}
	o.Bucket = srv.Bucket
	if o.Endpoint == "" {
		o.Endpoint = srv.Endpoint
	}
	o.PathStyle = true
	if o.Prefix == "" {
		o.Prefix = "t-" + strings.ToLower(rand.Text()[:10]) + "/"
	}
	if o.Credentials == nil {
		o.Credentials = credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, "")
	}
	s, err := s3.New(t.Context(), &o)
	if err != nil {
		t.Fatalf("s3.New(%+v) = %v", o, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Interface { return newStore(t, nil) })
}

func TestPrefix(t *testing.T) {
	srv := s3test.Server(t)
	prefix := "p-" + strings.ToLower(rand.Text()[:10]) + "/deeper/"
	s := newStore(t, &s3.Options{Prefix: prefix})
	put(t, s, "k.jpg", []byte("prefixed"))
	out, err := srv.Client().GetObject(t.Context(), &s3api.GetObjectInput{
		Bucket: aws.String(srv.Bucket), Key: aws.String(prefix + "k.jpg"),
	})
	if err != nil {
		t.Fatalf("GetObject(%q) = %v, want the object put under k.jpg", prefix+"k.jpg", err)
	}
	out.Body.Close()
	other := newStore(t, nil) // another prefix, same bucket
	if _, err := other.Open(t.Context(), "k.jpg"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Open(k.jpg) under another prefix = %v, want store.ErrNotFound", err)
	}
}

// TestStoredHeaders checks the Content-Type and Cache-Control stored with
// each object, which S3 sends back with every GET.
func TestStoredHeaders(t *testing.T) {
	srv := s3test.Server(t)
	tests := []struct {
		key          string
		immutable    bool
		contentType  string
		cacheControl string
	}{
		{"a.jpg", true, "image/jpeg", "public, max-age=31536000, immutable"},
		{"a.jpeg", false, "image/jpeg", ""},
		{"a.png", true, "image/png", "public, max-age=31536000, immutable"},
		{"a.webp", false, "image/webp", ""},
		{"a.tiff", false, "image/tiff", ""},
		{"noext", true, "application/octet-stream", "public, max-age=31536000, immutable"},
		{"a.bin", false, "application/octet-stream", ""},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			prefix := "h-" + strings.ToLower(rand.Text()[:10]) + "/"
			s := newStore(t, &s3.Options{Prefix: prefix, Immutable: tc.immutable})
			put(t, s, tc.key, []byte("bytes"))
			out, err := srv.Client().HeadObject(t.Context(), &s3api.HeadObjectInput{
				Bucket: aws.String(srv.Bucket), Key: aws.String(prefix + tc.key),
			})
			if err != nil {
				t.Fatalf("HeadObject(%q) = %v", tc.key, err)
			}
			if got := aws.ToString(out.ContentType); got != tc.contentType {
				t.Errorf("Content-Type of %q = %q, want %q", tc.key, got, tc.contentType)
			}
			if got := aws.ToString(out.CacheControl); got != tc.cacheControl {
				t.Errorf("Cache-Control of %q (Immutable: %v) = %q, want %q", tc.key, tc.immutable, got, tc.cacheControl)
			}
		})
	}
}

// TestHandler serves a Store with store.NewHandler, as a gateway does.
func TestHandler(t *testing.T) {
	s := newStore(t, &s3.Options{Immutable: true})
	data := []byte("0123456789 the bytes of a result")
	put(t, s, "r.jpg", data)
	srv := httptest.NewServer(store.NewHandler(s, &store.HandlerOptions{Immutable: true}))
	defer srv.Close()

	resp := get(t, srv.URL+"/r.jpg", nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(resp.body, data) {
		t.Fatalf("GET /r.jpg = %d, %q; want 200, %q", resp.StatusCode, resp.body, data)
	}
	for name, want := range map[string]string{
		"Etag":           `"r.jpg"`,
		"Content-Type":   "image/jpeg",
		"Content-Length": "32",
		"Cache-Control":  "public, max-age=31536000, immutable",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("GET /r.jpg: %s = %q, want %q", name, got, want)
		}
	}
	if resp.Header.Get("Last-Modified") == "" {
		t.Errorf("GET /r.jpg: no Last-Modified")
	}

	resp = get(t, srv.URL+"/r.jpg", http.Header{"If-None-Match": {`"r.jpg"`}})
	if resp.StatusCode != http.StatusNotModified || len(resp.body) != 0 {
		t.Errorf("GET /r.jpg with If-None-Match: its ETag = %d with %d bytes, want 304 with none", resp.StatusCode, len(resp.body))
	}
	resp = get(t, srv.URL+"/r.jpg", http.Header{"If-None-Match": {`"other.jpg"`}})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /r.jpg with If-None-Match: another ETag = %d, want 200", resp.StatusCode)
	}

	resp = get(t, srv.URL+"/r.jpg", http.Header{"Range": {"bytes=11-13"}})
	if resp.StatusCode != http.StatusPartialContent || string(resp.body) != "the" {
		t.Errorf("GET /r.jpg with Range: bytes=11-13 = %d, %q; want 206, %q", resp.StatusCode, resp.body, "the")
	}
	resp = get(t, srv.URL+"/r.jpg", http.Header{"Range": {"bytes=-5"}})
	if resp.StatusCode != http.StatusPartialContent || string(resp.body) != "esult" {
		t.Errorf("GET /r.jpg with Range: bytes=-5 = %d, %q; want 206, %q", resp.StatusCode, resp.body, "esult")
	}

	resp = get(t, srv.URL+"/missing.jpg", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /missing.jpg = %d, want 404", resp.StatusCode)
	}
}

// TestObjectSeek reads an object out of order, through Seek.
func TestObjectSeek(t *testing.T) {
	s := newStore(t, nil)
	data := []byte("abcdefghijklmnopqrstuvwxyz")
	put(t, s, "seek", data)
	rc, err := s.Open(t.Context(), "seek")
	if err != nil {
		t.Fatalf("Open(seek) = %v", err)
	}
	defer rc.Close()
	rs, ok := rc.(io.ReadSeeker)
	if !ok {
		t.Fatalf("Open(seek) = %T, want an io.ReadSeeker", rc)
	}
	steps := []struct {
		offset int64
		whence int
		n      int
		want   string
	}{
		{0, io.SeekCurrent, 3, "abc"},
		{20, io.SeekStart, 3, "uvw"},
		{-8, io.SeekCurrent, 2, "pq"},
		{-2, io.SeekEnd, 5, "yz"},
		{1, io.SeekStart, 1, "b"},
	}
	for _, st := range steps {
		if _, err := rs.Seek(st.offset, st.whence); err != nil {
			t.Fatalf("Seek(%d, %d) = %v", st.offset, st.whence, err)
		}
		buf := make([]byte, st.n)
		n, err := io.ReadFull(rs, buf)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Read after Seek(%d, %d) = %v", st.offset, st.whence, err)
		}
		if got := string(buf[:n]); got != st.want {
			t.Errorf("Read after Seek(%d, %d) = %q, want %q", st.offset, st.whence, got, st.want)
		}
	}
	if n, err := rs.Seek(0, io.SeekEnd); n != int64(len(data)) || err != nil {
		t.Errorf("Seek(0, io.SeekEnd) = %d, %v; want %d, nil", n, err, len(data))
	}
	if n, err := rs.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("Read at the end = %d, %v; want 0, io.EOF", n, err)
	}
}

// TestPutReaders checks where Put reads from: a seeker from its offset, and
// any other reader whole, up to MaxSize.
func TestPutReaders(t *testing.T) {
	s := newStore(t, &s3.Options{MaxSize: 1000})
	r := strings.NewReader("skipped|stored")
	r.Seek(8, io.SeekStart)
	put(t, s, "seeker", nil) // replaced below
	if err := s.Put(t.Context(), "seeker", r); err != nil {
		t.Fatalf("Put(seeker) = %v", err)
	}
	if got := string(read(t, s, "seeker")); got != "stored" {
		t.Errorf("Put of a strings.Reader at offset 8 stored %q, want %q", got, "stored")
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		pw.WriteString("through a pipe")
		pw.Close()
	}()
	err = s.Put(t.Context(), "pipe", pr)
	pr.Close()
	if err != nil {
		t.Fatalf("Put of an *os.File of a pipe = %v", err)
	}
	if got := string(read(t, s, "pipe")); got != "through a pipe" {
		t.Errorf("Put of an *os.File of a pipe stored %q, want %q", got, "through a pipe")
	}

	if err := s.Put(t.Context(), "stream", io.LimitReader(neverEnding('x'), 1000)); err != nil {
		t.Fatalf("Put of a 1000-byte stream with MaxSize 1000 = %v", err)
	}
	if got := read(t, s, "stream"); len(got) != 1000 {
		t.Errorf("Put of a 1000-byte stream stored %d bytes", len(got))
	}
	err = s.Put(t.Context(), "big", io.LimitReader(neverEnding('x'), 1001))
	if err == nil || !strings.Contains(err.Error(), "MaxSize") {
		t.Errorf("Put of a 1001-byte stream with MaxSize 1000 = %v, want an error naming MaxSize", err)
	}
	if _, err := s.Open(t.Context(), "big"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Open(big) after a refused Put = %v, want store.ErrNotFound", err)
	}
}

// neverEnding is a reader of endless copies of one byte.
type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestWrongSecret(t *testing.T) {
	srv := s3test.Server(t)
	good := newStore(t, nil)
	put(t, good, "k.jpg", []byte("x"))
	creds := credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey+"x", "")
	// The same prefix, so that Open would find the object.
	bad := newStore(t, &s3.Options{Credentials: creds, Prefix: prefixOf(t, good)})

	err := bad.Put(t.Context(), "k2.jpg", strings.NewReader("y"))
	checkRefused(t, "Put", err)
	_, err = bad.Open(t.Context(), "k.jpg")
	checkRefused(t, "Open", err)
	if errors.Is(err, store.ErrNotFound) {
		t.Errorf("Open with a wrong secret = %v, which wraps store.ErrNotFound", err)
	}
	checkRefused(t, "Check", bad.Check(t.Context()))
	if err := good.Check(t.Context()); err != nil {
		t.Errorf("Check with the right secret = %v", err)
	}
	if _, err := good.Open(t.Context(), "k2.jpg"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Open(k2.jpg) after a Put with a wrong secret = %v, want store.ErrNotFound", err)
	}

	creds = credentials.NewStaticCredentialsProvider("nosuchkey", srv.SecretKey, "")
	unknown := newStore(t, &s3.Options{Credentials: creds})
	checkRefused(t, "Put with an unknown access key", unknown.Put(t.Context(), "k.jpg", strings.NewReader("y")))
}

// checkRefused fails t unless err is the error of credentials refused.
func checkRefused(t *testing.T, call string, err error) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "access refused; check the credentials") {
		t.Errorf("%s with wrong credentials = %v, want an error that says access was refused", call, err)
	}
	if errors.Is(err, s3.ErrUnavailable) {
		t.Errorf("%s with wrong credentials = %v, which wraps ErrUnavailable", call, err)
	}
}

// prefixOf returns the prefix under which s keeps the key "k.jpg", found
// through a presigned URL.
func prefixOf(t *testing.T, s *s3.Store) string {
	t.Helper()
	link, err := s.PresignGet(t.Context(), "k.jpg", time.Minute)
	if err != nil {
		t.Fatalf("PresignGet(k.jpg) = %v", err)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("PresignGet(k.jpg) = %q, not a URL: %v", link, err)
	}
	// Path style: /bucket/prefix.../k.jpg
	path := strings.TrimSuffix(u.Path, "k.jpg")
	return path[strings.IndexByte(path[1:], '/')+2:]
}

func TestMissingBucket(t *testing.T) {
	srv := s3test.Server(t)
	s, err := s3.New(t.Context(), &s3.Options{
		Bucket:      "escala-no-such-bucket",
		Endpoint:    srv.Endpoint,
		PathStyle:   true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
	if err != nil {
		t.Fatalf("s3.New = %v", err)
	}
	const want = `bucket "escala-no-such-bucket" does not exist`
	err = s.Put(t.Context(), "k.jpg", strings.NewReader("x"))
	if err == nil || !strings.Contains(err.Error(), want) || errors.Is(err, s3.ErrUnavailable) {
		t.Errorf("Put in a missing bucket = %v, want an error that says %s", err, want)
	}
	_, err = s.Open(t.Context(), "k.jpg")
	if err == nil || !strings.Contains(err.Error(), want) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Open in a missing bucket = %v, want an error that says %s, not store.ErrNotFound", err, want)
	}
	if err := s.Check(t.Context()); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Check of a missing bucket = %v, want an error that says %s", err, want)
	}
}

// TestEnvCredentials checks that the standard chain finds the credentials
// in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
func TestEnvCredentials(t *testing.T) {
	srv := s3test.Server(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/escala-test")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/escala-test")
	s, err := s3.New(t.Context(), &s3.Options{
		Bucket:    srv.Bucket,
		Prefix:    "env-" + strings.ToLower(rand.Text()[:10]) + "/",
		Endpoint:  srv.Endpoint,
		PathStyle: true,
	})
	if err != nil {
		t.Fatalf("s3.New = %v", err)
	}
	put(t, s, "env.jpg", []byte("from the environment"))
	if got := string(read(t, s, "env.jpg")); got != "from the environment" {
		t.Errorf("Open(env.jpg) = %q", got)
	}
}

func TestPresignGet(t *testing.T) {
	srv := s3test.Server(t)
	s := newStore(t, &s3.Options{Immutable: true})
	data := []byte("a presigned result")
	put(t, s, "p.jpg", data)
	link, err := s.PresignGet(t.Context(), "p.jpg", time.Hour)
	if err != nil {
		t.Fatalf("PresignGet(p.jpg) = %v", err)
	}
	if !strings.HasPrefix(link, srv.Endpoint+"/") {
		t.Errorf("PresignGet(p.jpg) = %q, want a URL at %s", link, srv.Endpoint)
	}
	resp := get(t, link, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(resp.body, data) {
		t.Fatalf("GET of the presigned URL = %d, %q; want 200, %q", resp.StatusCode, resp.body, data)
	}
	if got := resp.Header.Get("Content-Type"); got != "image/jpeg" {
		t.Errorf("GET of the presigned URL: Content-Type = %q, want image/jpeg", got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("GET of the presigned URL: Cache-Control = %q, want the immutable one", got)
	}
	u, _ := url.Parse(link)
	if got := u.Query().Get("X-Amz-Expires"); got != "3600" {
		t.Errorf("PresignGet(p.jpg, 1h): X-Amz-Expires = %q, want 3600", got)
	}

	tampered := map[string]func(q url.Values, u *url.URL){
		"signature": func(q url.Values, u *url.URL) { s3test.FlipSignature(q) },
		"expiry":    func(q url.Values, u *url.URL) { q.Set("X-Amz-Expires", "604800") },
		"date":      func(q url.Values, u *url.URL) { q.Set("X-Amz-Date", "20990101T000000Z") },
		"key":       func(q url.Values, u *url.URL) { u.Path = strings.Replace(u.Path, "p.jpg", "q.jpg", 1) },
		"no sig":    func(q url.Values, u *url.URL) { q.Del("X-Amz-Signature") },
		"add arg":   func(q url.Values, u *url.URL) { q.Set("response-content-type", "text/html") },
	}
	put(t, s, "q.jpg", []byte("another object"))
	for name, tamper := range tampered {
		t.Run("tampered "+name, func(t *testing.T) {
			u, _ := url.Parse(link)
			q := u.Query()
			tamper(q, u)
			u.RawQuery = q.Encode()
			resp := get(t, u.String(), nil)
			if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusBadRequest || bytes.Contains(resp.body, []byte("object")) {
				t.Errorf("GET of a presigned URL with its %s changed = %d, %q; want 403 or 400", name, resp.StatusCode, resp.body)
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		old := newStore(t, &s3.Options{Prefix: prefixOf(t, s)})
		s3.PresignAt(old, time.Now().Add(-2*time.Minute))
		link, err := old.PresignGet(t.Context(), "p.jpg", time.Minute)
		if err != nil {
			t.Fatalf("PresignGet(p.jpg) = %v", err)
		}
		if resp := get(t, link, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET of a presigned URL that expired a minute ago = %d, %q; want 403", resp.StatusCode, resp.body)
		}
		// The same clock with a longer ttl works: the refusal above was
		// for the expiry.
		link, err = old.PresignGet(t.Context(), "p.jpg", time.Hour)
		if err != nil {
			t.Fatalf("PresignGet(p.jpg) = %v", err)
		}
		if resp := get(t, link, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET of a presigned URL made 2 minutes ago for an hour = %d, %q; want 200", resp.StatusCode, resp.body)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		for _, ttl := range []time.Duration{0, -time.Second, 8 * 24 * time.Hour} {
			if _, err := s.PresignGet(t.Context(), "p.jpg", ttl); err == nil {
				t.Errorf("PresignGet(p.jpg, %v) = nil error, want one", ttl)
			}
		}
		if _, err := s.PresignGet(t.Context(), "../x", time.Hour); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("PresignGet(../x) = %v, want store.ErrNotFound", err)
		}
	})
}

// TestPublicEndpoint checks that presigned URLs are made for the public
// endpoint: signed for its host, they work when a proxy at that host passes
// them on to the store, Host header unchanged.
func TestPublicEndpoint(t *testing.T) {
	srv := s3test.Server(t)
	target, _ := url.Parse(srv.Endpoint)
	public := httptest.NewServer(&httpProxy{target: target})
	defer public.Close()

	s := newStore(t, &s3.Options{PublicEndpoint: public.URL})
	put(t, s, "pub.jpg", []byte("through the public endpoint"))
	link, err := s.PresignGet(t.Context(), "pub.jpg", time.Hour)
	if err != nil {
		t.Fatalf("PresignGet = %v", err)
	}
	if !strings.HasPrefix(link, public.URL+"/") {
		t.Fatalf("PresignGet with PublicEndpoint %s = %q, want a URL there", public.URL, link)
	}
	if resp := get(t, link, nil); resp.StatusCode != http.StatusOK || string(resp.body) != "through the public endpoint" {
		t.Errorf("GET of the presigned URL through the public endpoint = %d, %q; want 200 and the object", resp.StatusCode, resp.body)
	}
	// The same path and query sent straight to the store are for another
	// host, and refused.
	direct := srv.Endpoint + strings.TrimPrefix(link, public.URL)
	if resp := get(t, direct, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET of the presigned URL at the store's own endpoint = %d; want 403", resp.StatusCode)
	}
}

// TestRecovers checks that a Store works again, by itself, once the store
// it failed to reach is back.
func TestRecovers(t *testing.T) {
	srv := s3test.Server(t)
	target, _ := url.Parse(srv.Endpoint)
	proxy := &httpProxy{target: target}
	front := httptest.NewServer(proxy)
	defer front.Close()
	s := newStore(t, &s3.Options{Endpoint: front.URL})

	proxy.down.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err := s.Put(ctx, "k.jpg", strings.NewReader("x"))
	// What the connection's error is depends on when the close arrives:
	// EOF, or a write to a closed connection.
	if !errors.Is(err, s3.ErrUnavailable) || !strings.Contains(err.Error(), "(3 attempts)") {
		t.Fatalf("Put while the store drops every connection = %v, want ErrUnavailable after 3 attempts", err)
	}
	if _, err := s.Open(ctx, "k.jpg"); !errors.Is(err, s3.ErrUnavailable) {
		t.Fatalf("Open while the store drops every connection = %v, want ErrUnavailable", err)
	}
	proxy.down.Store(false)
	put(t, s, "k.jpg", []byte("after"))
	if got := string(read(t, s, "k.jpg")); got != "after" {
		t.Errorf("Open(k.jpg) once the store is back = %q, want %q", got, "after")
	}
}

// httpProxy passes requests on to target with their Host header, as a
// reverse proxy in front of a store must for presigned URLs. While down is
// set, it closes every connection instead, as a store that is down.
type httpProxy struct {
	target *url.URL
	down   atomic.Bool
}

func (p *httpProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.down.Load() {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = p.target.Scheme, p.target.Host
	out.Host = r.Host
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func TestAnonymousGet(t *testing.T) {
	srv := s3test.Server(t)
	s := newStore(t, nil)
	put(t, s, "k.jpg", []byte("private"))
	link, err := s.PresignGet(t.Context(), "k.jpg", time.Hour)
	if err != nil {
		t.Fatalf("PresignGet = %v", err)
	}
	u, _ := url.Parse(link)
	u.RawQuery = ""
	if resp := get(t, u.String(), nil); resp.StatusCode != http.StatusForbidden || bytes.Contains(resp.body, []byte("private")) {
		t.Errorf("anonymous GET %s = %d, %q; want 403", u, resp.StatusCode, resp.body)
	}
	// Nor may anyone list the bucket.
	if resp := get(t, srv.Endpoint+"/"+srv.Bucket, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous GET of the bucket = %d; want 403", resp.StatusCode)
	}
}

// TestUnavailable checks that a store that is down or silent makes calls
// fail, within their deadline, with ErrUnavailable. It needs no S3 server.
func TestUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	silent := silentServer(t)
	slowDown := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
	}))
	defer slowDown.Close()

	tests := []struct {
		name     string
		endpoint string
		ctxLimit time.Duration // the deadline of the call's ctx; 0: none
		timeout  time.Duration // Options.Timeout
		says     string        // in the error
		deadline bool          // the error wraps context.DeadlineExceeded
	}{
		{"down", closed, 5 * time.Second, 0, "connection refused", false},
		{"silent ctx", silent, 300 * time.Millisecond, 0, "no answer before the deadline", true},
		{"silent Timeout", silent, 0, 300 * time.Millisecond, "no answer within 300ms", true},
		{"503", slowDown.URL, 10 * time.Second, 0, "HTTP 503", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := s3.New(t.Context(), &s3.Options{
				Bucket:      "bucket",
				Endpoint:    tc.endpoint,
				PathStyle:   true,
				Timeout:     tc.timeout,
				Credentials: credentials.NewStaticCredentialsProvider("key", "secret", ""),
			})
			if err != nil {
				t.Fatalf("s3.New = %v", err)
			}
			limit := max(tc.ctxLimit, tc.timeout)
			calls := map[string]func(ctx context.Context) error{
				"Put": func(ctx context.Context) error {
					return s.Put(ctx, "k.jpg", bytes.NewReader([]byte("x")))
				},
				"Open": func(ctx context.Context) error {
					rc, err := s.Open(ctx, "k.jpg")
					if err == nil {
						rc.Close()
					}
					return err
				},
				"Check": s.Check,
			}
			for name, call := range calls {
				ctx := t.Context()
				if tc.ctxLimit > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.ctxLimit)
					defer cancel()
				}
				start := time.Now()
				err := call(ctx)
				took := time.Since(start)
				if !errors.Is(err, s3.ErrUnavailable) || !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "store unavailable: ") ||
					!strings.Contains(err.Error(), tc.says) {
					t.Errorf("%s from a store that is %s = %v, want ErrUnavailable saying %q", name, tc.name, err, tc.says)
				}
				if tc.deadline && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%s from a store that is %s = %v, want it to wrap context.DeadlineExceeded", name, tc.name, err)
				}
				// Some slack for a slow machine, but less than the
				// retries would take without the deadline.
				if took > limit+time.Second {
					t.Errorf("%s from a store that is %s took %v, want at most the deadline, %v", name, tc.name, took, limit)
				}
				if err != nil && strings.Contains(err.Error(), "\n") {
					t.Errorf("%s: the error has several lines: %q", name, err)
				}
			}
		})
	}
}

// silentServer returns the URL of a server that accepts connections and
// never answers, and closes them when t ends.
func silentServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	return "http://" + l.Addr().String()
}

// TestCancelNotUnavailable checks that a call whose ctx the caller cancels
// reports that, and not a fault of the store.
func TestCancelNotUnavailable(t *testing.T) {
	s, err := s3.New(t.Context(), &s3.Options{
		Bucket:      "bucket",
		Endpoint:    silentServer(t),
		PathStyle:   true,
		Credentials: credentials.NewStaticCredentialsProvider("key", "secret", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	// The Put waits for the silent server; the cancel happens after it
	// has started, or before, and either way must be reported as such.
	errc := make(chan error, 1)
	go func() { errc <- s.Put(ctx, "k.jpg", strings.NewReader("x")) }()
	cancel()
	err = <-errc
	if !errors.Is(err, context.Canceled) || errors.Is(err, s3.ErrUnavailable) {
		t.Errorf("Put with its ctx cancelled = %v, want context.Canceled and not ErrUnavailable", err)
	}
}

func TestNewInvalid(t *testing.T) {
	tests := []struct {
		name string
		opts *s3.Options
		says string
	}{
		{"nil", nil, "no Options"},
		{"no bucket", &s3.Options{}, "no bucket"},
		{"bucket upper", &s3.Options{Bucket: "Bucket"}, `bucket "Bucket" is not a valid name`},
		{"bucket short", &s3.Options{Bucket: "ab"}, "not a valid name"},
		{"bucket slash", &s3.Options{Bucket: "a/b"}, "not a valid name"},
		{"prefix slash", &s3.Options{Bucket: "b12", Prefix: "/x/"}, `prefix "/x/" is not valid`},
		{"prefix dots", &s3.Options{Bucket: "b12", Prefix: "a/../b/"}, "is not valid"},
		{"prefix double", &s3.Options{Bucket: "b12", Prefix: "a//b"}, "is not valid"},
		{"prefix space", &s3.Options{Bucket: "b12", Prefix: "a b/"}, "is not valid"},
		{"endpoint", &s3.Options{Bucket: "b12", Endpoint: "127.0.0.1:9000"}, "endpoint"},
		{"endpoint ftp", &s3.Options{Bucket: "b12", Endpoint: "ftp://h"}, "not an http:// or https:// URL"},
		{"public endpoint", &s3.Options{Bucket: "b12", PublicEndpoint: "http://"}, "public endpoint"},
		{"timeout", &s3.Options{Bucket: "b12", Timeout: -1}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s3.New(t.Context(), tc.opts)
			if err == nil || !strings.HasPrefix(err.Error(), "s3: new store: ") || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("s3.New(%+v) = %v, want an error saying %q", tc.opts, err, tc.says)
			}
		})
	}
}

// TestInvalidKeysOffline checks that invalid keys are refused before any
// request, so with no server at all.
func TestInvalidKeysOffline(t *testing.T) {
	s, err := s3.New(t.Context(), &s3.Options{
		Bucket:      "bucket",
		Endpoint:    silentServer(t),
		Credentials: credentials.NewStaticCredentialsProvider("key", "secret", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", "../x", "a/b", ".jpg"} {
		if err := s.Put(t.Context(), key, strings.NewReader("x")); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want store.ErrInvalidKey", key, err)
		}
		if _, err := s.Open(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want store.ErrNotFound", key, err)
		}
	}
}

// response is an HTTP response with its body read.
type response struct {
	*http.Response
	body []byte
}

// get sends a GET with header to rawURL and reads the answer.
func get(t *testing.T, rawURL string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", rawURL, err)
	}
	return response{resp, body}
}

// put stores data under key and fails t if that fails.
func put(t testing.TB, s *s3.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%q, %d bytes) = %v", key, len(data), err)
	}
}

// read returns the object under key and fails t if it cannot.
func read(t testing.TB, s *s3.Store, key string) []byte {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%q) = %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading Open(%q) = %v", key, err)
	}
	return data
}
