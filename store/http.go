package store

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
)

// Handler returns an http.Handler that serves the objects of s by key. The
// key is the request's URL.Path (already percent-decoded) with one leading
// '/' removed; mount the handler with http.StripPrefix to serve keys under a
// prefix:
//
//	mux.Handle("GET /i/", http.StripPrefix("/i/", store.Handler(dir)))
//
// Only GET and HEAD are served; other methods get 405 Method Not Allowed with
// an "Allow: GET, HEAD" header. A path that is not a valid key by [ValidKey]
// (such as "", "/", "a/b", "../x" however it is encoded) gets 404 Not Found
// without s being asked, as does a key that s reports as [ErrNotFound]. There
// is never a folder listing. Any other error of s gets 500 Internal Server
// Error with a generic body: error text never reaches the client.
//
// Content-Type comes from the key's extension (".jpg" and ".jpeg" are
// image/jpeg; also ".png", ".gif", ".webp", ".bmp", ".tif" and ".tiff";
// anything else is application/octet-stream), never from sniffing the bytes,
// and every response has "X-Content-Type-Options: nosniff".
//
// When the object returned by s.Open is an io.ReadSeeker with a
// Stat() (fs.FileInfo, error) method, as the *os.File of [Dir] is, it is
// served with http.ServeContent: Content-Length, Last-Modified (the file's
// modification time), Range and conditional requests are handled. Otherwise
// the bytes are copied as they are, with a Content-Length if Stat gives the
// size. Handler closes every object it opens.
//
// The handler is safe for concurrent use if s is. Handler panics if s is nil.
func Handler(s Interface) http.Handler {
	if s == nil {
		panic("store: Handler of a nil Interface")
	}
	return &handler{s: s}
}

// handler is the http.Handler returned by Handler.
type handler struct {
	s Interface
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
	obj, err := h.s.Open(r.Context(), key)
	if errors.Is(err, ErrNotFound) {
		http.NotFound(w, r)
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
	w.Header().Set("Content-Type", contentType(key))
	if rs, ok := obj.(statReadSeeker); ok {
		http.ServeContent(w, r, key, info.ModTime(), rs)
		return
	}
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
