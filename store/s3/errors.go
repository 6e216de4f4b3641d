package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/escala-img/escala/store"
)

// ErrUnavailable is wrapped by the errors of a [Store] when the store could
// not be reached, did not answer in time (within the ctx of the call and
// [Options.Timeout]), or answered that it cannot serve now (a 5xx status or
// throttling): a fault that may pass, so the call may succeed if tried
// again later. Errors that trying again cannot fix, such as refused
// credentials or a missing bucket, do not wrap it. Check it with errors.Is.
// Errors that wrap it wrap [store.ErrUnavailable] too.
var ErrUnavailable = errors.New("s3: store unavailable")

// errTimeout is the cause of the end of a call that Options.Timeout cut.
var errTimeout = errors.New("no answer within the store's Timeout")

// storeError is the error of a call to the store that failed.
type storeError struct {
	op, name    string // "put", "open", "check bucket"; the key or bucket
	msg         string // what went wrong, in a few words
	err         error  // the cause: the SDK's error, ctx.Err() or errTimeout
	unavailable bool   // the store is unavailable, see ErrUnavailable
}

func (e *storeError) Error() string {
	s := "s3: " + e.op + " " + strconv.Quote(e.name) + ": "
	if e.unavailable {
		s += "store unavailable: "
	}
	return s + e.msg
}

func (e *storeError) Unwrap() []error {
	if e.unavailable {
		return []error{ErrUnavailable, store.ErrUnavailable, e.err}
	}
	return []error{e.err}
}

// fail returns the error of a call that failed with err, the error of the
// SDK. ctx is the caller's context and callCtx the one the call ran under,
// which Options.Timeout may have ended first.
func (s *Store) fail(ctx, callCtx context.Context, op, name string, err error) error {
	e := &storeError{op: op, name: name, err: err}
	if errors.Is(ctx.Err(), context.Canceled) {
		// The caller gave up: nothing is known about the store.
		e.err, e.msg = ctx.Err(), ctx.Err().Error()
		return e
	}
	var status statusError
	if errors.As(err, &status) && status.HTTPStatusCode() > 0 {
		code := status.HTTPStatusCode()
		if op == "open" && code == http.StatusNotFound && (isCode(err, "NoSuchKey", "NotFound") || !isCode(err)) {
			return fmt.Errorf("s3: open %q: %w", name, store.ErrNotFound)
		}
		e.unavailable = unavailableStatus(code)
		e.msg = "HTTP " + strconv.Itoa(code)
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			e.msg += " " + apiErr.ErrorCode()
			if m := apiErr.ErrorMessage(); m != "" {
				e.msg += ": " + m
			}
		}
		switch {
		case isCode(err, "NoSuchBucket") || code == http.StatusNotFound && op == "check bucket" && (isCode(err, "NotFound") || !isCode(err)):
			e.msg = fmt.Sprintf("bucket %q does not exist (%s)", s.bucket, e.msg)
		case code == http.StatusForbidden || isCode(err, refusedCodes...):
			e.msg = "access refused; check the credentials (" + e.msg + ")"
		}
		return e
	}

	// No answer: the store is unavailable if the connection failed or the
	// time ran out. The message names the connection's error if there
	// was one other than the end of the time.
	var netErr *net.OpError
	refused := errors.As(err, &netErr) && !netErr.Timeout() &&
		!errors.Is(netErr, context.Canceled) && !errors.Is(netErr, context.DeadlineExceeded)
	var conn interface{ ConnectionError() bool }
	switch {
	case ctx.Err() != nil:
		e.unavailable = true
		e.err = errors.Join(ctx.Err(), err)
		e.msg = "no answer before the deadline of the call"
	case context.Cause(callCtx) == errTimeout:
		e.unavailable = true
		e.err = errors.Join(context.DeadlineExceeded, err)
		e.msg = fmt.Sprintf("no answer within %v", s.timeout)
	case refused || errors.As(err, &conn) && conn.ConnectionError():
		e.unavailable = true
		e.msg = err.Error()
		var urlErr *url.Error
		switch {
		case refused:
			e.msg = netErr.Error()
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			e.msg = "the connection was closed without an answer"
		case errors.As(err, &urlErr):
			e.msg = urlErr.Err.Error() // without the URL, which the error names
		}
		var attempts *retry.MaxAttemptsError
		if errors.As(err, &attempts) {
			e.msg += fmt.Sprintf(" (%d attempts)", attempts.Attempt)
		}
	default:
		e.msg = err.Error()
	}
	return e
}

// refusedCodes are the S3 error codes that refuse the credentials, besides
// any 403 Forbidden.
var refusedCodes = []string{
	"InvalidAccessKeyId",
	"SignatureDoesNotMatch",
	"AccessDenied",
	"XAdminUserNotFound", // versitygw's answer, 404, to an unknown access key
}

// isCode reports whether err is an S3 error with one of the codes, or,
// given no codes, whether it is an S3 error with a code at all.
func isCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() == "" {
		return false
	}
	if len(codes) == 0 {
		return true
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}
