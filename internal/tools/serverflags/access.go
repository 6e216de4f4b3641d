package serverflags

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/escala-img/escala/transport"
)

// Access are the flags that say who may use a gateway, and how much: the
// file of upload tokens, whether the original raw protocol is still
// served, and the limits of each client.
type Access struct {
	Tokens      string // "@FILE"
	AllowRaw    bool
	Rate        float64
	Burst       int
	Concurrency int
}

// RegisterAccess defines --auth-tokens, --allow-raw, --client-rate,
// --client-burst and --client-concurrency on fs.
func RegisterAccess(fs *flag.FlagSet) *Access {
	a := new(Access)
	fs.StringVar(&a.Tokens, "auth-tokens", "", "@FILE: serve only uploads that carry one of the tokens of FILE, one a line (# starts a comment); read again when it changes")
	fs.BoolVar(&a.AllowRaw, "allow-raw", false, "with --auth-tokens, still serve the original protocols, which cannot carry a token")
	fs.Float64Var(&a.Rate, "client-rate", 0, "uploads a second each client may start, on average, per address and per token (0: no limit)")
	fs.IntVar(&a.Burst, "client-burst", 0, "uploads a client may start at once beyond --client-rate (0: the rate, at least 1)")
	fs.IntVar(&a.Concurrency, "client-concurrency", 0, "uploads of each client in progress at once, per address and per token (0: no limit)")
	return a
}

// AccessFlags are the names of the flags of RegisterAccess, for a Group.
var AccessFlags = []string{"auth-tokens", "allow-raw", "client-rate", "client-burst", "client-concurrency"}

// Access returns the transport.Access of the flags, nil when none is set,
// with the file of tokens read now, so that a wrong one stops the
// program at start.
func (a *Access) Access() (*transport.Access, error) {
	switch {
	case a.Rate < 0 || a.Burst < 0 || a.Concurrency < 0:
		return nil, errors.New("--client-rate, --client-burst and --client-concurrency cannot be negative")
	case a.Burst > 0 && a.Rate == 0:
		return nil, errors.New("--client-burst needs --client-rate")
	case a.AllowRaw && a.Tokens == "":
		return nil, errors.New("--allow-raw goes with --auth-tokens")
	case a.Tokens != "" && !strings.HasPrefix(a.Tokens, "@"):
		// On the command line, tokens would show in the process list.
		return nil, errors.New("--auth-tokens takes @FILE, a file of tokens, one a line; not the tokens themselves")
	}
	if a.Tokens == "" && a.Rate == 0 && a.Concurrency == 0 {
		return nil, nil
	}
	acc := &transport.Access{AllowOriginal: a.AllowRaw, Rate: a.Rate, Burst: a.Burst, Concurrency: a.Concurrency}
	if a.Tokens != "" {
		acc.Tokens = &transport.TokenFile{Path: a.Tokens[1:]}
		n, err := acc.Tokens.Load()
		if err != nil {
			return nil, fmt.Errorf("--auth-tokens: %w", err)
		}
		if n == 0 {
			return nil, fmt.Errorf("--auth-tokens: %s holds no token, so no upload would be served", a.Tokens[1:])
		}
	}
	return acc, nil
}
