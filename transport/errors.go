package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/escala-img/escala/scaler"
)

var (
	// ErrServerClosed is returned by Server.Serve and ListenAndServe after
	// Shutdown or Close.
	ErrServerClosed = errors.New("transport: server closed")
	// ErrFrameTooLarge means a frame or upload is longer than the limit.
	ErrFrameTooLarge = errors.New("transport: frame too large")
	// ErrUnavailable means the server could not be reached, or closed the
	// connection before it replied. A Balancer tries another server.
	ErrUnavailable = errors.New("transport: server unavailable")
	// ErrBusy means the server had no room for the request; it may be
	// tried again later.
	ErrBusy = errors.New("transport: server busy")
	// ErrClientClosed is returned by Client.Do after Client.Close.
	ErrClientClosed = errors.New("transport: client closed")
)

// Code classifies an error reply of the native protocol.
type Code uint16

// The codes of error replies.
const (
	CodeBadRequest   Code = 1 // malformed frame or nonsensical options
	CodeInvalidImage Code = 2 // not an image, truncated or corrupt
	CodeTooLarge     Code = 3 // frame or image over a limit
	CodeBusy         Code = 4 // no room now; try later
	CodeUnavailable  Code = 5 // a server behind this one is unreachable
	CodeTimeout      Code = 6 // the work took too long
	CodeInternal     Code = 7 // anything else
	CodeUnauthorized Code = 8 // no upload token, or one not accepted
)

var codeNames = [...]string{
	CodeBadRequest:   "bad request",
	CodeInvalidImage: "invalid image",
	CodeTooLarge:     "too large",
	CodeBusy:         "busy",
	CodeUnavailable:  "unavailable",
	CodeTimeout:      "timeout",
	CodeInternal:     "internal error",
	CodeUnauthorized: "unauthorized",
}

func (c Code) String() string {
	if int(c) < len(codeNames) && codeNames[c] != "" {
		return codeNames[c]
	}
	return fmt.Sprintf("code %d", uint16(c))
}

// A RemoteError is the error reply of a server: its handler failed, or the
// request was refused. errors.Is matches it to the sentinel of its code:
// scaler.ErrInvalidOptions, scaler.ErrInvalid, scaler.ErrTooLarge,
// ErrBusy (and scaler.ErrBusy), ErrUnavailable, os.ErrDeadlineExceeded or
// ErrUnauthorized, so that callers need
// not know whether the work was done here or remotely.
type RemoteError struct {
	Code    Code
	Message string // one line, as the server wrote it
}

func (e *RemoteError) Error() string {
	return "remote: " + e.Message
}

// Is reports whether target is the sentinel of e's code.
func (e *RemoteError) Is(target error) bool {
	switch e.Code {
	case CodeBadRequest:
		return target == scaler.ErrInvalidOptions
	case CodeInvalidImage:
		return target == scaler.ErrInvalid
	case CodeTooLarge:
		return target == scaler.ErrTooLarge || target == ErrFrameTooLarge
	case CodeBusy:
		return target == ErrBusy || target == scaler.ErrBusy
	case CodeUnavailable:
		return target == ErrUnavailable
	case CodeTimeout:
		return target == os.ErrDeadlineExceeded
	case CodeUnauthorized:
		return target == ErrUnauthorized
	}
	return false
}

// errorReply returns the code and the one-line message that tell a peer
// about err. Errors of known kinds keep their text, which says what was
// wrong with the request, with the text of any socket error they wrap
// cut to its reason (see scrub); any other error may carry details of
// this machine, so the peer only learns that it was internal, and
// internal reports whether the error should be logged as such.
func errorReply(err error) (code Code, msg string, internal bool) {
	var re *RemoteError
	switch {
	case errors.As(err, &re):
		return re.Code, re.Message, false
	case errors.Is(err, scaler.ErrInvalidOptions):
		code = CodeBadRequest
	case errors.Is(err, scaler.ErrInvalid):
		code = CodeInvalidImage
	case errors.Is(err, scaler.ErrTooLarge), errors.Is(err, ErrFrameTooLarge):
		code = CodeTooLarge
	case errors.Is(err, ErrBusy), errors.Is(err, scaler.ErrBusy):
		code = CodeBusy
	case errors.Is(err, ErrUnavailable):
		code = CodeUnavailable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		code = CodeTimeout
	case errors.Is(err, errBadRequest):
		code = CodeBadRequest
	case errors.Is(err, ErrUnauthorized):
		code = CodeUnauthorized
	default:
		return CodeInternal, "internal error", true
	}
	return code, oneLine(scrub(err)), false
}

// oneLine returns s with line breaks replaced, cut to 1024 bytes, so that
// it fits an error line or an error frame.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxMessage {
		s = strings.ToValidUTF8(s[:maxMessage], "")
	}
	return s
}

// errBadRequest marks malformed requests: wrong magic, version, type or
// metadata. It is not exported: callers see a RemoteError with
// CodeBadRequest.
var errBadRequest = errors.New("transport: bad request")

// A plainError is an error whose text is a sentence for a person, while
// errors.Is and errors.As still reach the errors it wraps, whose own text
// may name addresses and system calls.
type plainError struct {
	msg  string
	errs []error
}

func (e *plainError) Error() string   { return e.msg }
func (e *plainError) Unwrap() []error { return e.errs }

// reason returns what went wrong in err, a failed socket operation, in the
// words a person reads: "connection refused", "connection reset by peer",
// "timed out", without the operation, the addresses and the system call
// that the text of a *net.OpError carries.
func reason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return "connection closed"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before the end"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.Err + ": " + dns.Name
	}
	var sys *os.SyscallError
	if errors.As(err, &sys) && sys.Err != nil {
		return sys.Err.Error()
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}

// scrub returns err's text with the text of each socket error it wraps
// replaced by its reason, so that a message for a peer names no address
// of this machine and no system call.
func scrub(err error) string {
	msg := err.Error()
	var walk func(error)
	walk = func(e error) {
		if e == os.ErrDeadlineExceeded {
			msg = strings.ReplaceAll(msg, e.Error(), reason(e))
			return
		}
		switch e.(type) {
		case *net.OpError, *net.DNSError, *os.SyscallError:
			if text := e.Error(); text != "" {
				msg = strings.ReplaceAll(msg, text, reason(e))
			}
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			if next := u.Unwrap(); next != nil {
				walk(next)
			}
		case interface{ Unwrap() []error }:
			for _, next := range u.Unwrap() {
				if next != nil {
					walk(next)
				}
			}
		}
	}
	walk(err)
	return msg
}
