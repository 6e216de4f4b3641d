package store

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HandlerOptions configures [NewHandler]. A nil *HandlerOptions, like the
// zero value, means the behaviour of [Handler]: keys may be overwritten, so
// responses are revalidated, and no link is required.
type HandlerOptions struct {
	// Immutable tells the handler that the object under a key never
	// changes, as when keys are derived from the content (a hash of the
	// bytes). A successful response then has
	// "Cache-Control: public, max-age=31536000, immutable" and the strong
	// ETag `"<key>"`, and a request whose If-None-Match holds that ETag gets
	// 304 Not Modified. false (the default) sends "Cache-Control: no-cache"
	// and no ETag: caches must revalidate, which Last-Modified allows for
	// [Dir].
	Immutable bool

	// Links, if not nil, makes the handler serve only requests that carry a
	// valid link signed by Links (see [Signer.Sign]); every other request
	// gets 404 Not Found, or 403 Forbidden once a valid link has expired.
	// With Immutable, max-age is cut to the time the link has left, so that
	// no cache serves it longer. nil (the default) serves every valid key to
	// anyone. NewHandler copies the Signer: later changes to it have no
	// effect. NewHandler panics if its Secret is empty.
	Links *Signer

	// Now is the clock that link expiry is checked against. nil means
	// time.Now. It is meant for tests.
	Now func() time.Time
}

// Handler returns an http.Handler that serves the objects of s by key, for
// keys that may be overwritten. It is NewHandler(s, nil): every response to
// a successful request has "Cache-Control: no-cache", and no link is
// required. Handler panics if s is nil.
func Handler(s Interface) http.Handler {
	return NewHandler(s, nil)
}

// NewHandler returns an http.Handler that serves the objects of s by key,
// with the caching and the links opts asks for (see [HandlerOptions]; nil
// means its defaults). The key is the request's URL.Path (already
// percent-decoded) with one leading '/' removed; mount the handler with
// http.StripPrefix to serve keys under a prefix:
//
//	h := store.NewHandler(dir, &store.HandlerOptions{Immutable: true})
//	mux.Handle("GET /i/", http.StripPrefix("/i/", h))
//
// Only GET and HEAD are served; other methods get 405 Method Not Allowed with
// an "Allow: GET, HEAD" header. A path that is not a valid key by [ValidKey]
// (such as "", "/", "a/b", "../x" however it is encoded) gets 404 Not Found
// without s being asked, as does a key that s reports as [ErrNotFound]. There
// is never a folder listing. With opts.Links, a request without a valid
// signature gets 404 Not Found too, so that it learns nothing about which
// objects exist, and a validly signed link past its expiry gets 403 Forbidden
// with the body "link expired"; neither asks s. An error of s that wraps
// [ErrUnavailable] gets 503 Service Unavailable with "Retry-After: 1"; any
// other gets 500 Internal Server Error. Either has a generic body: error
// text never reaches the client. Error responses have no Cache-Control and no ETag.
//
// Content-Type comes from the key's extension (".jpg" and ".jpeg" are
// image/jpeg; also ".png", ".gif", ".webp", ".bmp", ".tif" and ".tiff";
// anything else is application/octet-stream), never from sniffing the bytes,
// and every response has "X-Content-Type-Options: nosniff".
//
// When the object returned by s.Open is an io.ReadSeeker with a
// Stat() (fs.FileInfo, error) method, as the *os.File of [Dir] is, it is
// served with http.ServeContent: Content-Length, Last-Modified (the file's
// modification time), Range and conditional requests (If-None-Match,
// If-Match, If-Range, If-Modified-Since, If-Unmodified-Since) are handled.
// Otherwise the bytes are copied as they are, with a Content-Length if Stat
// gives the size; of the conditional requests only If-None-Match is then
// honoured (with Immutable, the only time there is an ETag), and Range is
// ignored. The handler closes every object it opens.
//
// The handler is safe for concurrent use if s is. NewHandler panics if s is
// nil or opts.Links has an empty Secret.
func NewHandler(s Interface, opts *HandlerOptions) http.Handler {
	if s == nil {
		panic("store: handler of a nil Interface")
	}
	h := &handler{s: s, now: time.Now}
	if opts != nil {
		h.immutable = opts.Immutable
		if opts.Links != nil {
			if len(opts.Links.Secret) == 0 {
				panic("store: handler Links with an empty Secret")
			}
			links := *opts.Links
			links.Secret = bytes.Clone(links.Secret)
			h.links = &links
		}
		if opts.Now != nil {
			h.now = opts.Now
		}
	}
	return h
}

// handler is the http.Handler returned by NewHandler.
type handler struct {
	s         Interface
	immutable bool
	links     *Signer // nil: no link required
	now       func() time.Time
}

// statReadSeeker is what http.ServeContent needs, plus the modification time.
type statReadSeeker interface {
	io.ReadSeeker
	statter
}

// statter is an object that can tell its size.
type statter interface {
	Stat() (fs.FileInfo, error)
}

// maxAge is the freshness lifetime of an immutable object, in seconds: one
// year, the most RFC 9111 advises.
const maxAge = 365 * 24 * 60 * 60

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	key := strings.TrimPrefix(r.URL.Path, "/")
	if !ValidKey(key) {
		http.NotFound(w, r)
		return
	}
	age := int64(maxAge)
	if h.links != nil {
		now := h.now()
		expiry, err := h.links.verify(key, r.URL.Query(), now)
		if errors.Is(err, ErrExpiredLink) {
			http.Error(w, "link expired", http.StatusForbidden)
			return
		}
		if err != nil {
			http.NotFound(w, r)
			return
		}
		// verify checked now < expiry, so age >= 1 here.
		age = min(age, expiry-now.Unix())
	}
	obj, err := h.s.Open(r.Context(), key)
	if errors.Is(err, ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if errors.Is(err, ErrUnavailable) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "503 service unavailable; try again later", http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		internalError(w)
		return
	}
	defer obj.Close()

	var info fs.FileInfo
	if st, ok := obj.(statter); ok {
		info, err = st.Stat()
		if err != nil {
			internalError(w)
			return
		}
	}

	// From here the object is served. The caching headers are set now;
	// cacheWriter drops them again if the response turns out to be an error
	// (412 or 416 from http.ServeContent, say).
	etag := ""
	if h.immutable {
		etag = `"` + key + `"` // keys need no escaping: see ValidKey
		w.Header().Set("Cache-Control", "public, max-age="+strconv.FormatInt(age, 10)+", immutable")
		w.Header().Set("Etag", etag)
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	cw := &cacheWriter{ResponseWriter: w}
	if rs, ok := obj.(statReadSeeker); ok {
		w.Header().Set("Content-Type", contentType(key))
		http.ServeContent(cw, r, key, info.ModTime(), rs)
		return
	}
	if etag != "" && noneMatch(r.Header.Get("If-None-Match"), etag) {
		// The headers of a 304 are those that would guide a cache: no
		// Content-Type or Content-Length, as http.ServeContent does.
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", contentType(key))
	if info != nil && info.Mode().IsRegular() {
		w.Header().Set("Content-Length", strconv.FormatInt(info.Size(), 10))
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	// The status is sent: a failure now can only cut the body short, which
	// the client sees from Content-Length or the broken connection.
	_, _ = io.Copy(w, obj)
}

// cacheWriter is the http.ResponseWriter given to http.ServeContent. It
// removes Cache-Control and ETag from any response that is not 200, 206 or
// 304, so that no cache keeps an error for long, whatever ServeContent does.
type cacheWriter struct {
	http.ResponseWriter
	wroteHeader bool
}

func (w *cacheWriter) WriteHeader(code int) {
	if !w.wroteHeader && code >= 200 {
		w.wroteHeader = true
		switch code {
		case http.StatusOK, http.StatusPartialContent, http.StatusNotModified:
		default:
			w.Header().Del("Cache-Control")
			w.Header().Del("Etag")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *cacheWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// ReadFrom lets io.Copy in http.ServeContent reach the ReadFrom of the
// underlying writer, which can send a file with sendfile(2).
func (w *cacheWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return io.Copy(w.ResponseWriter, r)
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *cacheWriter) Unwrap() http.ResponseWriter {
	return w.ResponseWriter
}

// noneMatch reports whether the If-None-Match header value inm matches the
// strong entity tag etag by the weak comparison of RFC 9110, section 13.1.2:
// whether it is "*" or a list that holds etag or W/etag. As in
// http.ServeContent, only the first If-None-Match line counts, and a
// malformed list matches nothing from its first bad element on.
func noneMatch(inm, etag string) bool {
	for {
		inm = strings.TrimLeft(inm, " \t,")
		if inm == "" {
			return false
		}
		if inm[0] == '*' {
			return true
		}
		inm = strings.TrimPrefix(inm, "W/")
		if len(inm) < 2 || inm[0] != '"' {
			return false
		}
		end := strings.IndexByte(inm[1:], '"')
		if end < 0 {
			return false
		}
		if inm[:end+2] == etag {
			return true
		}
		inm = inm[end+2:]
	}
}

// internalError replies 500 with a body that says nothing about the cause.
func internalError(w http.ResponseWriter) {
	http.Error(w, "500 internal server error", http.StatusInternalServerError)
}

// contentTypes maps key extensions to media types.
var contentTypes = map[string]string{
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".png":  "image/png",
	".gif":  "image/gif",
	".webp": "image/webp",
	".bmp":  "image/bmp",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
}

// contentType returns the media type for a valid key, from its extension.
func contentType(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		if t, ok := contentTypes[key[i:]]; ok {
			return t
		}
	}
	return "application/octet-stream"
}
