package transport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// MaxIDLen is the length in bytes of the longest request id: see
// Request.ID.
const MaxIDLen = 64

// A Trace is what a Server observed of one request, for a log line and
// metrics: who sent it, how, its sizes, the time each phase took and the
// result. The Server makes one for each request it reads, puts it in the
// ctx of the Handler, where [TraceFrom] finds it so that the Handler can
// add the phases and facts of its own work, and gives it to
// Server.Observe once the reply is written.
//
// A Trace is safe for concurrent use while the Handler runs; Observe has
// it alone.
type Trace struct {
	// ID names the request in the logs of every server it crosses: the
	// one the client sent, or else one the Server made.
	ID       string
	Protocol Protocol
	Peer     string // the client's address

	// Start is when the request's first byte arrived.
	Start time.Time

	// BytesIn and BytesOut are the sizes of the request and of the
	// reply as they crossed the network.
	BytesIn, BytesOut int64

	// Result is "ok", or the kind of error the client was told:
	// "invalid", "too_large", "busy", "unavailable", "timeout",
	// "bad_request", "unauthorized" or "internal"; or "limited" for a
	// request refused as busy by the limits of its client (see Access).
	Result string

	// Err is the error of the request, if any, as the Server saw it;
	// it may name files and hosts of this machine.
	Err error

	mu     sync.Mutex
	phases []Phase
	attrs  []slog.Attr
}

// A Phase is a step of a request and the time it took: "receive" and
// "reply", added by the Server, and those its Handler adds ("decode",
// "scale", "encode", "store").
type Phase struct {
	Name     string
	Duration time.Duration
}

type traceKey struct{}

// WithTrace returns a copy of ctx that carries t.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// TraceFrom returns the Trace of ctx, or nil. The methods of a nil *Trace
// do nothing, so a Handler may call them whether or not it runs in a
// Server.
func TraceFrom(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

// AddPhase records that the phase name took d.
func (t *Trace) AddPhase(name string, d time.Duration) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.phases = append(t.phases, Phase{name, d})
	t.mu.Unlock()
}

// Time records the phase name as having lasted from start until now, and
// returns now, the start of the next phase.
func (t *Trace) Time(name string, start time.Time) time.Time {
	now := time.Now()
	t.AddPhase(name, now.Sub(start))
	return now
}

// Set records a fact of the request for its log line: the size of an
// image, a link.
func (t *Trace) Set(attrs ...slog.Attr) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.attrs = append(t.attrs, attrs...)
	t.mu.Unlock()
}

// Phases returns the phases recorded, in the order they were added.
func (t *Trace) Phases() []Phase {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Phase(nil), t.phases...)
}

// Attrs returns the facts recorded with Set.
func (t *Trace) Attrs() []slog.Attr {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]slog.Attr(nil), t.attrs...)
}

// LogAttrs returns the whole Trace as attributes for one log line: id,
// peer, protocol, bytes in and out, the duration of each phase in
// milliseconds, the facts of Set, the result and, for an error, the
// error, whole: a log is the operator's, and the cause is what they need.
func (t *Trace) LogAttrs() []slog.Attr {
	attrs := []slog.Attr{
		slog.String("id", t.ID), slog.String("peer", t.Peer), slog.String("protocol", t.Protocol.String()),
		slog.Int64("in", t.BytesIn), slog.Int64("out", t.BytesOut),
	}
	for _, p := range t.Phases() {
		attrs = append(attrs, slog.Float64(p.Name+"_ms", float64(p.Duration.Microseconds())/1000))
	}
	attrs = append(attrs, t.Attrs()...)
	attrs = append(attrs, slog.String("result", t.Result))
	if t.Err != nil {
		attrs = append(attrs, slog.String("error", t.Err.Error()))
	}
	return attrs
}

// resultNames are the Results of the error codes.
var resultNames = [...]string{
	CodeBadRequest:   "bad_request",
	CodeInvalidImage: "invalid",
	CodeTooLarge:     "too_large",
	CodeBusy:         "busy",
	CodeUnavailable:  "unavailable",
	CodeTimeout:      "timeout",
	CodeInternal:     "internal",
	CodeUnauthorized: "unauthorized",
}

// resultOf returns the Result of a request that ended with err.
func resultOf(err error) string {
	if err == nil {
		return "ok"
	}
	var le *LimitError
	if errors.As(err, &le) {
		return "limited"
	}
	code, _, _ := errorReply(err)
	if int(code) < len(resultNames) && resultNames[code] != "" {
		return resultNames[code]
	}
	return "internal"
}

// NewTrace returns the Trace of a request of protocol p from peer that
// starts now, with a new ID, for a front end other than a Server (an HTTP
// handler of uploads, say), which fills in the rest.
func NewTrace(p Protocol, peer string) *Trace {
	return &Trace{ID: newID(), Protocol: p, Peer: peer, Start: time.Now()}
}

// newID returns a request id: 16 random hex digits.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validID reports whether id may travel as a request id: 1 to MaxIDLen
// bytes of printable ASCII other than space.
func validID(id string) bool {
	return printable(id, MaxIDLen)
}

// printable reports whether s is 1 to max bytes of printable ASCII other
// than space.
func printable(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
