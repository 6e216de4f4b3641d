package transport

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
)

// MaxTokenLen is the length in bytes of the longest upload token.
const MaxTokenLen = 128

// ErrUnauthorized means a request carried no upload token where one is
// needed, or one that the server does not accept.
var ErrUnauthorized = errors.New("transport: unauthorized")

// Refusals of Access, in the words a client reads.
var (
	errNoToken  = &plainError{"transport: unauthorized: this server needs an upload token, and the request carries none", []error{ErrUnauthorized}}
	errBadToken = &plainError{"transport: unauthorized: the upload token is not accepted", []error{ErrUnauthorized}}
	errOriginal = &plainError{"transport: unauthorized: this server needs an upload token, which the original protocols cannot carry: use the native protocol (or, over HTTP, Authorization: Bearer)", []error{ErrUnauthorized}}
)

// Access decides which requests a Server serves. With Tokens set, it
// serves only requests that carry one of its tokens; with Rate or
// Concurrency set, it serves each client only so many. A client is an
// address (an IPv6 address counts by its /64, which one host commonly
// holds whole) and, apart from it, a token: a request must be within the
// limits of both, so that neither many tokens from one address nor one
// token from many addresses gets past them.
//
// A request over a limit is refused at once, before its body is read,
// with a *LimitError, which is ErrBusy: other clients are not slowed. A
// refusal for the token is ErrUnauthorized; its message never holds the
// token.
//
// The same Access may serve a Server and an HTTP handler of uploads, so
// that a client's requests count together whatever protocol they use. Its
// zero value serves everything. Set its fields before first use and do
// not change them after; it is safe for concurrent use.
type Access struct {
	// Tokens, when set, holds the tokens that requests must carry.
	Tokens *TokenFile

	// AllowOriginal serves the raw and framed protocols of the original
	// system, which cannot carry a token, while Tokens is set. Without
	// it they are refused with a line that says why.
	AllowOriginal bool

	// Rate is how many requests a second each client may start, on
	// average; 0 means no limit.
	Rate float64

	// Burst is how many requests a client may start at once, after a
	// pause, beyond Rate. 0 means max(1, Rate).
	Burst int

	// Concurrency bounds the requests of each client in progress at
	// once, from the moment admitted until a Server's Handler returns,
	// before the reply is written. 0 means no limit.
	Concurrency int

	// MaxClients bounds the clients whose limits are tracked at once.
	// When that many are busy or spent their burst, a new client is
	// refused as busy (for a second at least, as room is looked for
	// once a second). 0 means DefaultMaxClients.
	MaxClients int

	mu      sync.Mutex
	clients map[string]*clientState
	swept   time.Time
}

// DefaultMaxClients is Access.MaxClients when that is 0.
const DefaultMaxClients = 1 << 16

// A clientState is what Access knows of one client: its allowance of
// requests, a token bucket, and its requests in progress.
type clientState struct {
	allowance float64   // requests it may start now
	at        time.Time // when allowance was computed
	active    int
}

// A LimitError is the refusal of a request over its client's limits. It
// is ErrBusy and scaler.ErrBusy for errors.Is.
type LimitError struct {
	// Reason says which limit, in words.
	Reason string
	// RetryAfter is when the client may try again: when the rate allows
	// another request, or, for the concurrency limit, a second.
	RetryAfter time.Duration
}

func (e *LimitError) Error() string {
	return "transport: server busy: " + e.Reason
}

// Is reports whether target is ErrBusy.
func (e *LimitError) Is(target error) bool { return target == ErrBusy }

// Admit decides whether to serve a request of protocol p from remoteAddr
// (host:port, or a host) carrying token ("" for none). When it does, the
// caller must call release once the request is answered; otherwise err
// says why not: ErrUnauthorized or a *LimitError. Calling release more
// than once does no harm. A nil Access admits everything.
func (a *Access) Admit(p Protocol, remoteAddr, token string) (release func(), err error) {
	if a == nil {
		return func() {}, nil
	}
	if a.Tokens != nil {
		switch {
		case (p == Raw || p == Framed) && a.AllowOriginal && token == "":
		case p == Raw || p == Framed:
			return nil, errOriginal
		case token == "":
			return nil, errNoToken
		case !a.Tokens.Valid(token):
			return nil, errBadToken
		}
	}
	if a.Rate <= 0 && a.Concurrency <= 0 {
		return func() {}, nil
	}
	keys := []string{"address " + clientAddr(remoteAddr)}
	if token != "" {
		// A token is known by its digest, so that no copy of it is kept.
		sum := sha256.Sum256([]byte(token))
		keys = append(keys, "token "+hex.EncodeToString(sum[:16]))
	}
	return a.take(keys, time.Now())
}

// take admits a request of the clients named by keys at now, if each is
// within its limits, and counts it against all of them.
func (a *Access) take(keys []string, now time.Time) (func(), error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.clients == nil {
		a.clients = make(map[string]*clientState)
		a.swept = now
	}
	// Idle clients are forgotten once a minute, or, when there may be no
	// room for these, once a second: a sweep walks them all.
	if since := now.Sub(a.swept); since > time.Minute || since >= time.Second && len(a.clients)+len(keys) > a.maxClients() {
		a.sweep(now)
	}
	burst := float64(a.Burst)
	if burst <= 0 {
		burst = max(1, a.Rate)
	}
	states := make([]*clientState, len(keys))
	for i, k := range keys {
		// A refusal says "this address" or "this token": the client
		// knows which, and a reply names no address.
		who, _, _ := strings.Cut(k, " ")
		who = "this " + who
		s := a.clients[k]
		if s == nil {
			if len(a.clients) >= a.maxClients() {
				return nil, &LimitError{Reason: "too many clients at once", RetryAfter: time.Second}
			}
			s = &clientState{allowance: burst, at: now}
			a.clients[k] = s
		}
		if a.Rate > 0 {
			s.allowance = min(burst, s.allowance+now.Sub(s.at).Seconds()*a.Rate)
			s.at = now
			if s.allowance < 1 {
				wait := time.Duration((1 - s.allowance) / a.Rate * float64(time.Second))
				return nil, &LimitError{
					Reason:     fmt.Sprintf("%s is over its limit of %s requests a second; try again in %s", who, rateText(a.Rate), roundUp(wait)),
					RetryAfter: wait,
				}
			}
		}
		if a.Concurrency > 0 && s.active >= a.Concurrency {
			return nil, &LimitError{
				Reason:     fmt.Sprintf("%s already has %s in progress, its limit", who, requestsText(s.active)),
				RetryAfter: time.Second,
			}
		}
		states[i] = s
	}
	for _, s := range states {
		if a.Rate > 0 {
			s.allowance--
		}
		s.active++
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			for _, s := range states {
				s.active--
			}
			a.mu.Unlock()
		})
	}, nil
}

// sweep forgets the clients that are idle with their whole burst back:
// they would start afresh anyway. a.mu is held.
func (a *Access) sweep(now time.Time) {
	a.swept = now
	burst := float64(a.Burst)
	if burst <= 0 {
		burst = max(1, a.Rate)
	}
	for k, s := range a.clients {
		if s.active == 0 && (a.Rate <= 0 || s.allowance+now.Sub(s.at).Seconds()*a.Rate >= burst) {
			delete(a.clients, k)
		}
	}
}

func (a *Access) maxClients() int {
	if a.MaxClients <= 0 {
		return DefaultMaxClients
	}
	return a.MaxClients
}

// clientAddr returns the client that remoteAddr stands for: its IP
// address, or for IPv6 its /64.
func clientAddr(remoteAddr string) string {
	host := remoteAddr
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.WithZone("").Prefix(64)
	return p.String()
}

// rateText writes a rate without needless decimals.
func rateText(r float64) string {
	if r == math.Trunc(r) {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%g", r)
}

// requestsText returns "1 request" or "n requests".
func requestsText(n int) string {
	if n == 1 {
		return "1 request"
	}
	return fmt.Sprintf("%d requests", n)
}

// roundUp rounds d up to a tenth of a second, for a message.
func roundUp(d time.Duration) time.Duration {
	return (d + 99*time.Millisecond).Truncate(100 * time.Millisecond)
}

// A TokenFile is a set of upload tokens kept in a file, one a line; blank
// lines and lines that start with # are ignored. A token is 1 to
// MaxTokenLen bytes of printable ASCII without spaces. The file is read
// again on the first check after its size or modification time changes;
// write it whole and rename it into place, as a half-written file is
// taken as it is. When it can no longer be read, or holds a line that is
// not a token, the tokens read before stay in use and the error is
// reported by the next Load.
//
// Tokens are kept and compared only as SHA-256 digests, each with every
// token of the set, in time that does not depend on where a guess
// differs. Nothing of this package logs a token. It is safe for
// concurrent use.
type TokenFile struct {
	Path string

	mu      sync.Mutex
	digests [][sha256.Size]byte
	stamp   string
	loaded  bool
	err     error
}

// Load reads the file now, if it changed since it was last read, and
// returns how many tokens are in use. It returns an error if the file
// cannot be read or holds a line that is not a token; the tokens read
// before, if any, then stay in use.
func (f *TokenFile) Load() (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	return len(f.digests), f.err
}

// Valid reports whether token is one of the file's, reading the file
// again if it changed.
func (f *TokenFile) Valid(token string) bool {
	if len(token) == 0 || len(token) > MaxTokenLen {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	f.mu.Lock()
	f.load()
	digests := f.digests
	f.mu.Unlock()
	match := 0
	for i := range digests {
		match |= subtle.ConstantTimeCompare(sum[:], digests[i][:])
	}
	return match == 1
}

// load reads the file if it changed. f.mu is held.
func (f *TokenFile) load() {
	stamp, err := fileStamp(f.Path)
	if err == nil && f.loaded && stamp == f.stamp {
		return
	}
	var digests [][sha256.Size]byte
	if err == nil {
		digests, err = readTokens(f.Path)
	}
	if err != nil {
		f.err = fmt.Errorf("transport: upload tokens: %w", err)
		return
	}
	f.digests, f.stamp, f.loaded, f.err = digests, stamp, true, nil
}

// readTokens returns the digests of the tokens in the file at path. Its
// errors name a bad line by number, never by its text.
func readTokens(path string) ([][sha256.Size]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var digests [][sha256.Size]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if !ValidToken(string(line)) {
			return nil, fmt.Errorf("%s, line %d: not a token: want 1 to %d printable ASCII bytes without spaces", path, n, MaxTokenLen)
		}
		digests = append(digests, sha256.Sum256(line))
	}
	return digests, sc.Err()
}

// validToken reports whether token may travel as an upload token.
func ValidToken(token string) bool {
	return printable(token, MaxTokenLen)
}
