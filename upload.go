package escala

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/escala-img/escala/internal/codec/mem"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/transport"
)

// UploadHandler is the http.Handler of uploads over HTTP: a POST whose
// body is an image file is answered, as JSON, with the link to its result,
// which Handler makes. It is to an http.Server what a transport.Server is
// to the TCP clients of a Gateway, with the same limits, timeouts, budget
// and errors. Serve it at "/upload", next to [UploadPage] at "/", on the
// server of the results:
//
//	mux := http.NewServeMux()
//	mux.Handle("/", store.NewHandler(dir, &store.HandlerOptions{Immutable: true}))
//	mux.Handle("/upload", &escala.UploadHandler{Handler: gateway})
//	mux.HandleFunc("GET /{$}", escala.UploadPage)
//
// The body is the image itself, of any format a Gateway decodes; its
// Content-Type is not looked at, unless it is a multipart form, which is
// refused: send the file, not a form holding it. The request reaches
// Handler with the image as its Body, default options and the client's
// address as RemoteAddr; its Protocol is left 0, as package transport
// names no HTTP protocol.
//
// # Replies
//
// A result is 200 OK and {"link": "...", "width": 640, "height": 480},
// the link and size of the result. A failure is one line of JSON,
// {"error": "...", "code": "..."}, whose message says what was wrong in
// the words the TCP protocols use, and whose code decides the status:
//
//	code         status  when
//	bad_request  400     options that make no sense; a body that cannot be read
//	             405     a method other than POST (with "Allow: POST")
//	             415     a multipart form
//	invalid      400     not an image, truncated or corrupt; an empty body
//	too_large    413     a body over MaxBytes, or an image over the pixel limit
//	unauthorized 401     no upload token, or one not accepted, where Access
//	                     needs one (with "WWW-Authenticate: Bearer")
//	busy         429     over the client's limits in Access (with
//	                     "Retry-After", in seconds)
//	             503     no memory free (with "Retry-After: 1")
//	unavailable  503     a store or scale server that is down (with "Retry-After: 1")
//	timeout      408     a body that stalled for StallTimeout, or was not
//	                     whole after ReadTimeout
//	             504     processing took longer than HandlerTimeout
//	internal     500     anything else
//
// An internal error is reported only as "internal error", as any other
// error of Handler's that wraps none of the sentinels of package transport
// or scaler may name files or addresses of this machine; it is logged
// instead. Errors about the body never quote the socket's.
//
// # Limits
//
// A body longer than MaxBytes is refused: at once, before any of it is
// read, when its Content-Length says so, and otherwise as soon as it grows
// past the limit. Memory follows the bytes that arrive: the buffer starts
// at 64 KiB (or the Content-Length, when smaller) and doubles as the body
// fills it, each step taken from Budget first, and all of it is given back
// once the reply is written. Each read of the body must bring a byte
// within StallTimeout, and the whole body must have arrived within
// ReadTimeout. These deadlines are set with http.ResponseController, and
// replace, for the request being read, those of the http.Server's
// ReadTimeout; so the server should still have a ReadHeaderTimeout and a
// ReadTimeout, for the headers and for its other handlers. The write
// deadline is set to WriteTimeout before the reply is written, as the
// server's WriteTimeout, which runs from the end of the headers, may be
// shorter than receiving and processing an upload take.
//
// The zero value is not usable: Handler must be set. An UploadHandler is
// safe for concurrent use; its fields must not change after first use.
type UploadHandler struct {
	// Handler makes the results: a Gateway. It must be set, and its
	// Responses must have a Location.
	Handler transport.Handler

	// MaxBytes bounds the body of an upload, in bytes. 0 means
	// transport.DefaultMaxFrameSize; values above
	// transport.MaxFrameSizeLimit mean MaxFrameSizeLimit.
	MaxBytes int

	// StallTimeout is how long a body being received may go without a
	// byte. 0 means transport.DefaultStallTimeout.
	StallTimeout time.Duration

	// ReadTimeout bounds the receipt of a whole body, from the moment
	// the handler is called, so that a client sending a byte a second is
	// cut off. It also bounds the wait for room in Budget. 0 means
	// transport.DefaultReadTimeout.
	ReadTimeout time.Duration

	// HandlerTimeout bounds a call of Handler: its ctx ends then, or
	// when the client goes away. 0 means transport.DefaultHandlerTimeout.
	HandlerTimeout time.Duration

	// WriteTimeout bounds the writing of a reply. 0 means
	// transport.DefaultWriteTimeout.
	WriteTimeout time.Duration

	// Budget bounds the memory held by uploads being received, in bytes,
	// as transport.Server's Budget does; give both the same Budget to
	// bound the uploads of both protocols together. An upload that finds
	// it spent waits, until its ReadTimeout at most, and then gets a busy
	// error, as it does at once when Budget.MaxWaiting others already
	// wait. nil means a Budget of its own, of 8×MaxBytes.
	Budget *scaler.Budget

	// Access, when set, decides which uploads are served, as it does
	// for a transport.Server: the token is that of an
	// "Authorization: Bearer" header, and the client the address of the
	// connection (a proxy in front should be given its own limits). It
	// is asked before the body is read. Give the Server and the
	// UploadHandler the same Access, so that a client's limits count
	// its requests over both.
	Access *transport.Access

	// Observe, when set, is called with the Trace of each upload once
	// its reply is written, as transport.Server.Observe is: its protocol
	// is transport.HTTP, its Result the code of the reply or "ok". The
	// failures are then not logged to Logger.
	Observe func(*transport.Trace)

	// Logger receives the uploads that fail: at level Warn those refused
	// for a fault of the client or a limit, at level Error the internal
	// errors, with their cause. nil means slog.Default().
	Logger *slog.Logger

	once sync.Once
	own  scaler.Budget
}

// An uploadReply is the JSON body of every reply of an UploadHandler.
type uploadReply struct {
	Link   string `json:"link,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Error  string `json:"error,omitempty"`
	Code   string `json:"code,omitempty"`
}

// An uploadError is a refusal of the UploadHandler itself, with what the
// client is told: status, code and message.
type uploadError struct {
	status int
	code   string
	msg    string
}

func (e *uploadError) Error() string { return e.msg }

// uploadInfo is the most of a message that reaches a client, in bytes, as
// in an error line of the TCP protocols.
const uploadInfo = 1024

// ServeHTTP implements http.Handler: it answers an upload with its result
// or its error, as the UploadHandler documentation says.
func (h *UploadHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if h.Observe != nil {
		t := transport.NewTrace(transport.HTTP, r.RemoteAddr)
		r = r.WithContext(transport.WithTrace(r.Context(), t))
		defer func() {
			if t.Result == "" {
				t.Result = "abandoned" // the client left before the reply
			}
			h.Observe(t)
		}()
	}
	rc := http.NewResponseController(w)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, rc, r, &uploadError{http.StatusMethodNotAllowed, "bad_request",
			fmt.Sprintf("escala: %s is not allowed: POST the image as the body", r.Method)}, false)
		return
	}
	if h.Handler == nil {
		h.fail(w, rc, r, errors.New("escala: UploadHandler.Handler is nil"), false)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		h.fail(w, rc, r, &uploadError{http.StatusUnsupportedMediaType, "bad_request",
			"escala: a form is not an image: POST the image file itself as the body"}, false)
		return
	}
	release := func() {}
	if h.Access != nil {
		var err error
		if release, err = h.Access.Admit(transport.HTTP, r.RemoteAddr, bearer(r)); err != nil {
			h.fail(w, rc, r, err, false)
			return
		}
		defer release()
	}
	limit := h.maxBytes()
	if r.ContentLength > int64(limit) {
		h.fail(w, rc, r, &uploadError{http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("escala: upload of %d bytes, over the limit of %d bytes", r.ContentLength, limit)}, false)
		return
	}

	var u upload
	defer u.free()
	body, err := h.receive(r, rc, &u, start)
	if trace := transport.TraceFrom(r.Context()); trace != nil {
		trace.Time("receive", start)
		trace.BytesIn = int64(len(u.buf))
	}
	if err != nil {
		h.fail(w, rc, r, err, false)
		return
	}
	resp, err := h.handle(r, body)
	release() // before the reply, as a transport.Server does
	if err != nil {
		h.fail(w, rc, r, err, true)
		return
	}
	if resp.Location == "" {
		h.fail(w, rc, r, errors.New("escala: the handler of uploads gave no link"), true)
		return
	}
	h.write(w, rc, r, http.StatusOK, &uploadReply{Link: resp.Location, Width: resp.Width, Height: resp.Height})
}

func (h *UploadHandler) maxBytes() int {
	if h.MaxBytes <= 0 {
		return transport.DefaultMaxFrameSize
	}
	return min(h.MaxBytes, transport.MaxFrameSizeLimit)
}

func (h *UploadHandler) budget() *scaler.Budget {
	if h.Budget != nil {
		return h.Budget
	}
	h.once.Do(func() { h.own.Max = 8 * int64(h.maxBytes()) })
	return &h.own
}

func (h *UploadHandler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// An upload holds the memory of a body being received: the budget it took
// and its buffer, given back by free once the reply is written.
type upload struct {
	held []func()
	buf  []byte
}

// reserve takes n bytes of budget for the body being received, waiting
// until end at the latest.
func (u *upload) reserve(ctx context.Context, budget *scaler.Budget, n int, end time.Time) error {
	wait, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	release, err := budget.Acquire(wait, int64(n))
	if err != nil {
		if wait.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("%w: no memory free to receive the upload", transport.ErrBusy)
		}
		return err
	}
	u.held = append(u.held, release)
	return nil
}

func (u *upload) free() {
	for _, release := range u.held {
		release()
	}
	if u.buf != nil {
		mem.Bytes.Put(u.buf)
	}
}

// receive reads the body of r into a buffer of u, within the limits.
func (h *UploadHandler) receive(r *http.Request, rc *http.ResponseController, u *upload, start time.Time) ([]byte, error) {
	limit := h.maxBytes()
	stall := orDefault(h.StallTimeout, transport.DefaultStallTimeout)
	end := start.Add(orDefault(h.ReadTimeout, transport.DefaultReadTimeout))
	budget := h.budget()
	// The buffer has room for a byte more than the body should hold,
	// so that the read that finds its end, or its excess, has room.
	want := limit + 1
	if r.ContentLength >= 0 {
		want = int(r.ContentLength) + 1
	}
	size := min(64<<10, want)
	if err := u.reserve(r.Context(), budget, size, end); err != nil {
		return nil, err
	}
	u.buf = mem.Bytes.Get(size)[:0]
	for {
		if len(u.buf) == size {
			// Double, up to the Content-Length or the limit: memory
			// follows the bytes that arrived.
			grown := min(2*size, want)
			if grown <= size {
				// More than the Content-Length: the server would not
				// let it through, but a zero-length read must not spin.
				return nil, &uploadError{http.StatusBadRequest, "bad_request", "escala: the upload is longer than its Content-Length"}
			}
			if err := u.reserve(r.Context(), budget, grown-size, end); err != nil {
				return nil, err
			}
			next := mem.Bytes.Get(grown)[:len(u.buf)]
			copy(next, u.buf)
			mem.Bytes.Put(u.buf)
			u.buf, size = next, grown
		}
		deadline := time.Now().Add(stall)
		if deadline.After(end) {
			deadline = end
		}
		rc.SetReadDeadline(deadline)
		n, err := r.Body.Read(u.buf[len(u.buf):size])
		u.buf = u.buf[:len(u.buf)+n]
		if len(u.buf) > limit {
			return nil, &uploadError{http.StatusRequestEntityTooLarge, "too_large",
				fmt.Sprintf("escala: upload over the limit of %d bytes", limit)}
		}
		switch {
		case err == io.EOF:
			if len(u.buf) == 0 {
				return nil, fmt.Errorf("%w: the upload is empty", scaler.ErrInvalid)
			}
			return u.buf, nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			msg := fmt.Sprintf("escala: upload stalled: no data for %v, after %d bytes", stall, len(u.buf))
			if !time.Now().Before(end) {
				msg = fmt.Sprintf("escala: upload not complete after %v: %d bytes received", end.Sub(start).Round(time.Millisecond), len(u.buf))
			}
			return nil, &uploadError{http.StatusRequestTimeout, "timeout", msg}
		case err != nil:
			// A body that ended early, or whose chunks are malformed, or a
			// client that left: the cause names the connection, and stays
			// here.
			h.logger().Warn("escala: reading upload", "peer", r.RemoteAddr, "bytes", len(u.buf), "err", err)
			return nil, &uploadError{http.StatusBadRequest, "bad_request",
				fmt.Sprintf("escala: the upload could not be read after %d bytes", len(u.buf))}
		}
	}
}

// handle calls the Handler with body, bounded by HandlerTimeout, and
// turns a panic into an error.
func (h *UploadHandler) handle(r *http.Request, body []byte) (resp *transport.Response, err error) {
	timeout := orDefault(h.HandlerTimeout, transport.DefaultHandlerTimeout)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			h.logger().Error("escala: upload handler panic", "peer", r.RemoteAddr, "panic", v, "stack", string(debug.Stack()))
			resp, err = nil, fmt.Errorf("escala: upload handler panic: %v", v)
		}
	}()
	req := &transport.Request{Body: body, RemoteAddr: r.RemoteAddr, Protocol: transport.HTTP}
	if t := transport.TraceFrom(ctx); t != nil {
		req.ID = t.ID
	}
	resp, err = h.Handler.Serve(ctx, req)
	if err == nil && resp == nil {
		err = errors.New("escala: the handler of uploads returned no response")
	}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil {
		err = &plainError{fmt.Sprintf("escala: processing took longer than %v", timeout), []error{context.DeadlineExceeded, err}}
	}
	return resp, err
}

// fail logs err and answers it, unless the client has gone. handled says
// whether the body was read whole, so that the connection can serve
// another request.
func (h *UploadHandler) fail(w http.ResponseWriter, rc *http.ResponseController, r *http.Request, err error, handled bool) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		h.logger().Warn("escala: upload abandoned by the client", "peer", r.RemoteAddr, "err", err)
		return
	}
	status, code, msg, internal := uploadErrorReply(err)
	var le *transport.LimitError
	limited := errors.As(err, &le)
	if t := transport.TraceFrom(r.Context()); t != nil {
		t.Result, t.Err = code, err
		if limited {
			t.Result = "limited" // as transport.Server's Trace says
		}
	} else if internal {
		h.logger().Error("escala: upload failed", "peer", r.RemoteAddr, "err", err)
	} else {
		h.logger().Warn("escala: upload refused", "peer", r.RemoteAddr, "code", code, "reply", msg, "err", err)
	}
	switch {
	case limited:
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(le.RetryAfter.Seconds())))))
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="escala"`)
	}
	if !handled && r.ContentLength != 0 {
		// What is left of the body is not worth reading.
		w.Header().Set("Connection", "close")
	}
	h.write(w, rc, r, status, &uploadReply{Error: msg, Code: code})
}

func (h *UploadHandler) write(w http.ResponseWriter, rc *http.ResponseController, r *http.Request, status int, reply *uploadReply) {
	data, err := json.Marshal(reply)
	if err != nil {
		panic(err) // strings and ints always marshal
	}
	data = append(data, '\n')
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(data)))
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	rc.SetWriteDeadline(time.Now().Add(orDefault(h.WriteTimeout, transport.DefaultWriteTimeout)))
	start := time.Now()
	w.WriteHeader(status)
	n, _ := w.Write(data)
	if t := transport.TraceFrom(r.Context()); t != nil {
		t.BytesOut = int64(n)
		if t.Result == "" {
			t.Result = "ok"
		}
		t.Time("reply", start)
	}
}

// uploadErrorReply returns the status, code and one-line message that
// tell a client about err, as transport tells its peers, and whether err
// is internal: its text may hold details of this machine, and is not
// sent.
func uploadErrorReply(err error) (status int, code, msg string, internal bool) {
	var ue *uploadError
	var re *transport.RemoteError
	switch {
	case errors.As(err, &ue):
		return ue.status, ue.code, uploadLine(ue.msg), false
	case errors.As(err, &re):
		msg = re.Message
		switch re.Code {
		case transport.CodeBadRequest:
			status, code = http.StatusBadRequest, "bad_request"
		case transport.CodeInvalidImage:
			status, code = http.StatusBadRequest, "invalid"
		case transport.CodeTooLarge:
			status, code = http.StatusRequestEntityTooLarge, "too_large"
		case transport.CodeBusy:
			status, code = http.StatusServiceUnavailable, "busy"
		case transport.CodeUnavailable:
			status, code = http.StatusServiceUnavailable, "unavailable"
		case transport.CodeTimeout:
			status, code = http.StatusGatewayTimeout, "timeout"
		case transport.CodeUnauthorized:
			status, code = http.StatusUnauthorized, "unauthorized"
		default:
			return http.StatusInternalServerError, "internal", "internal error", false
		}
		return status, code, uploadLine(msg), false
	case errors.Is(err, scaler.ErrInvalidOptions):
		status, code = http.StatusBadRequest, "bad_request"
	case errors.Is(err, scaler.ErrInvalid):
		status, code = http.StatusBadRequest, "invalid"
	case errors.Is(err, scaler.ErrTooLarge), errors.Is(err, transport.ErrFrameTooLarge):
		status, code = http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, transport.ErrBusy), errors.Is(err, scaler.ErrBusy):
		status, code = http.StatusServiceUnavailable, "busy"
	case errors.Is(err, transport.ErrUnavailable):
		status, code = http.StatusServiceUnavailable, "unavailable"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		status, code = http.StatusGatewayTimeout, "timeout"
	case errors.Is(err, transport.ErrUnauthorized):
		status, code = http.StatusUnauthorized, "unauthorized"
	default:
		return http.StatusInternalServerError, "internal", "internal error", true
	}
	msg = err.Error()
	if quotesSocket(err, msg) {
		msg = plainMessages[code]
	}
	return status, code, uploadLine(msg), false
}

// plainMessages tell of an error of each code whose own text may not be
// quoted.
var plainMessages = map[string]string{
	"bad_request": "escala: bad request",
	"invalid":     "scaler: invalid image",
	"too_large":   "scaler: image too large",
	"busy":        "escala: busy; try again later",
	"unavailable": "escala: a server behind this one is unavailable; try again later",
	"timeout":     "escala: the request timed out",
}

// quotesSocket reports whether msg quotes an error of err's chain that
// names addresses, files or system calls: a failed dial to a scale server,
// say, whose text is for the log only.
func quotesSocket(err error, msg string) bool {
	var op *net.OpError
	var dns *net.DNSError
	var sys *os.SyscallError
	var path *fs.PathError
	return errors.As(err, &op) && strings.Contains(msg, op.Error()) ||
		errors.As(err, &dns) && strings.Contains(msg, dns.Error()) ||
		errors.As(err, &sys) && strings.Contains(msg, sys.Error()) ||
		errors.As(err, &path) && strings.Contains(msg, path.Error())
}

// A plainError has a text of its own, for the client, while errors.Is
// and errors.As reach the errors it wraps.
type plainError struct {
	msg  string
	errs []error
}

func (e *plainError) Error() string   { return e.msg }
func (e *plainError) Unwrap() []error { return e.errs }

// uploadLine returns s with line breaks replaced, cut to uploadInfo bytes.
func uploadLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	if len(s) > uploadInfo {
		s = strings.ToValidUTF8(s[:uploadInfo], "")
	}
	return s
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

//go:embed upload.html
var uploadPage []byte

// uploadPolicy is the Content-Security-Policy of the upload page: nothing
// but its own inline script and style, fetches to its own origin, and
// images from anywhere, as a link may point at a bucket or a CDN.
var uploadPolicy = sync.OnceValue(func() string {
	hash := func(tag string) string {
		_, rest, _ := bytes.Cut(uploadPage, []byte("<"+tag+">"))
		inline, _, _ := bytes.Cut(rest, []byte("</"+tag+">"))
		sum := sha256.Sum256(inline)
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return "default-src 'none'; script-src " + hash("script") + "; style-src " + hash("style") +
		"; img-src 'self' http: https:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
})

// UploadPage serves a page where a person picks or drops images; each is
// posted to "upload", relative to the page's URL, and its result is shown
// with its link and a download link, or its error. Serve it at "/" (as
// "GET /{$}") with an [UploadHandler] at "/upload", or at any path P + "/"
// with the UploadHandler at P + "/upload". The page is one file, its
// style and script inline, and loads nothing else; its
// Content-Security-Policy allows nothing more, but images from anywhere.
// Only GET and HEAD are served; other methods get 405 Method Not Allowed.
func UploadPage(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(uploadPage)))
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Content-Security-Policy", uploadPolicy())
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	w.Write(uploadPage)
}

// bearer returns the token of r's "Authorization: Bearer" header, or "".
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
