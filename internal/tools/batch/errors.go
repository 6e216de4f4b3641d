package batch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/escala-img/escala/transport"
)

// A wordedError says in a line, for a person, what an error meant for the
// file at hand; errors.Is and errors.As still see the error it stands for.
type wordedError struct {
	msg string
	err error
}

func (e *wordedError) Error() string { return e.msg }
func (e *wordedError) Unwrap() error { return e.err }

// worded returns err with the text msg.
func worded(err error, format string, args ...any) error {
	return &wordedError{msg: fmt.Sprintf(format, args...), err: err}
}

// reason returns the innermost cause of err that a person understands:
// "connection refused", "no such file or directory".
func reason(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return errors.New("no such host")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return reason(ue.Err)
	}
	return err
}

// lastPart returns what follows the last ": " of s: the cause at the end
// of a chain of messages that was flattened to text.
func lastPart(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// sendError words an error of transport.Client.Do with the gateway at
// addr, in a call bounded by timeout (0: none) and by ctx.
func sendError(ctx context.Context, err error, addr string, timeout time.Duration) error {
	var re *transport.RemoteError
	switch {
	case errors.As(err, &re):
		return worded(err, "the gateway replied: %s", re.Message)
	case ctx.Err() == context.Canceled:
		return worded(err, "interrupted")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		if timeout > 0 {
			return worded(err, "no reply from the gateway at %s within %v", addr, timeout)
		}
		return worded(err, "no reply from the gateway at %s in time", addr)
	case errors.Is(err, transport.ErrUnavailable):
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return worded(err, "cannot reach the gateway at %s: %v", addr, reason(op))
		}
		// The cause may have been flattened to text.
		msg := err.Error()
		switch {
		case strings.Contains(msg, "dial "), strings.Contains(msg, "cannot connect"):
			return worded(err, "cannot reach the gateway at %s: %s", addr, lastPart(msg))
		case strings.Contains(msg, "without a reply"):
			return worded(err, "the gateway at %s closed the connection without a reply", addr)
		}
		return worded(err, "lost the connection to the gateway at %s: %s", addr, lastPart(msg))
	}
	return worded(err, "sending to the gateway at %s: %v", addr, err)
}

// downloadError words an error of escala.Download of link to the file out.
func downloadError(ctx context.Context, err error, link, out string, timeout time.Duration) error {
	var ue *url.Error
	var pe *fs.PathError
	switch {
	case ctx.Err() == context.Canceled:
		return worded(err, "interrupted")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		if timeout > 0 {
			return worded(err, "the download of %s took longer than %v", link, timeout)
		}
		return worded(err, "the download of %s took too long", link)
	case errors.As(err, &ue):
		return worded(err, "cannot download %s: %v", link, reason(err))
	case errors.As(err, &pe), errors.As(err, new(*os.LinkError)):
		return worded(err, "cannot save the result as %s: %v", out, reason(err))
	}
	// A reply other than 200 OK: the text quotes the status.
	return worded(err, "cannot download %s: %s", link, lastPart(err.Error()))
}

// readError words an error reading the input path.
func readError(err error, path string) error {
	if path == Stdin {
		return worded(err, "cannot read standard input: %v", reason(err))
	}
	return worded(err, "cannot read %s: %v", path, reason(err))
}
