package serverflags

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strings"
)

// A Program is what every example program has on its command line besides
// its own flags: --version, the logging flags, every flag also read from
// the environment, and --help that lists the flags by group.
type Program struct {
	// Name is the program's name, as in "asyncserver".
	Name string

	// Groups orders the help: each group's title, then its flags, in
	// the order given. Flags in no group are listed last, under "Other".
	Groups []Group

	// Stdout receives what --version prints. nil means os.Stdout.
	Stdout io.Writer

	// ArgHint follows the error of an argument that is not a flag. ""
	// means "every setting is a flag (see --help)".
	ArgHint string

	// Admin is --admin: the address of the admin HTTP server, or "" for
	// none.
	Admin string

	version   bool
	logFormat string
	logLevel  string
}

// A Group is a title in the help and the names of its flags.
type Group struct {
	Title string
	Flags []string
}

// EnvPrefix starts the environment variable of every flag: --memory-mib
// is also ESCALA_MEMORY_MIB.
const EnvPrefix = "ESCALA_"

// EnvName returns the environment variable of the flag name:
// "memory-mib" gives "ESCALA_MEMORY_MIB".
func EnvName(name string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Register defines --version on fs, and makes its usage print the flags
// by group.
func (p *Program) Register(fs *flag.FlagSet) {
	fs.BoolVar(&p.version, "version", false, "print the version and exit")
	fs.Usage = func() { p.usage(fs) }
}

// RegisterServer is Register, and defines the flags of a server: --admin,
// --log-format and --log-level.
func (p *Program) RegisterServer(fs *flag.FlagSet) {
	p.Register(fs)
	fs.StringVar(&p.Admin, "admin", "", "address of the admin HTTP server: /healthz, /readyz, /metrics and /debug/pprof/ (empty: none)")
	fs.StringVar(&p.logFormat, "log-format", "text", "format of the log: text or json")
	fs.StringVar(&p.logLevel, "log-level", "info", "least important messages logged: debug, info, warn or error")
}

// Parse sets every flag of fs that args does not give from its
// environment variable (see EnvName), if set, and then parses args, so
// that a flag on the command line wins. With --version it prints the
// version to Stdout and returns flag.ErrHelp, as -help does; the
// program then exits 0. For a server (RegisterServer), it then sets the
// default slog logger from --log-format and --log-level, writing to
// stderr. Errors name the flag,
// or the variable, that is wrong.
func (p *Program) Parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		v := getenv(EnvName(f.Name))
		if v == "" || envErr != nil {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			envErr = fmt.Errorf("%s=%q is not a valid --%s: %v", EnvName(f.Name), v, f.Name, err)
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		hint := p.ArgHint
		if hint == "" {
			hint = "every setting is a flag (see --help)"
		}
		return fmt.Errorf("unexpected argument %q: %s", fs.Arg(0), hint)
	}
	if p.version {
		out := p.Stdout
		if out == nil {
			out = os.Stdout
		}
		fmt.Fprintln(out, p.Version())
		return flag.ErrHelp
	}
	if p.logFormat == "" { // not a server
		return nil
	}
	logger, err := NewLogger(os.Stderr, p.logFormat, p.logLevel)
	if err != nil {
		return err
	}
	slog.SetDefault(logger)
	return nil
}

// Main parses the command line of the program for a main function: it
// exits 0 after --help or --version, and 2 with the error on a wrong
// flag.
func (p *Program) Main(fs *flag.FlagSet) {
	err := p.Parse(fs, os.Args[1:], os.Getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Name, err)
		os.Exit(2)
	}
}

// NewLogger returns a logger to w in format "text" or "json" that logs
// messages of level ("debug", "info", "warn" or "error") and above.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q is not debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q is not text or json", format)
}

// Version describes the build: the program, the module's version (or
// "(devel)" when built from a checkout), the commit and its time when
// known, and the Go version.
func (p *Program) Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return p.Name + " (unknown build)"
	}
	v := p.Name + " " + info.Main.Version
	var rev, at, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+changes"
			}
		}
	}
	if rev != "" {
		v += " commit " + rev[:min(12, len(rev))] + dirty
	}
	if at != "" {
		v += " of " + at
	}
	return v + ", " + info.GoVersion
}

// usage prints the help: a line of what the program is, then each group's
// flags with their defaults and environment variables.
func (p *Program) usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage of %s (every flag may also come from %sFLAG_NAME; a flag given here wins):\n", p.Name, EnvPrefix)
	listed := map[string]bool{}
	groups := slices.Clone(p.Groups)
	var other []string
	fs.VisitAll(func(f *flag.Flag) {
		for _, g := range p.Groups {
			if slices.Contains(g.Flags, f.Name) {
				return
			}
		}
		other = append(other, f.Name)
	})
	if len(other) > 0 {
		groups = append(groups, Group{Title: "Other", Flags: other})
	}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", g.Title)
		for _, name := range g.Flags {
			f := fs.Lookup(name)
			if f == nil || listed[name] {
				continue
			}
			listed[name] = true
			kind, usage := flag.UnquoteUsage(f)
			line := "  --" + f.Name
			if kind != "" {
				line += " " + kind
			}
			fmt.Fprintf(w, "%s\n    \t%s", line, usage)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
			fmt.Fprintf(w, " [%s]\n", EnvName(f.Name))
		}
	}
}

// LimitFlags are the names of the flags of Register, for a Group.
var LimitFlags = []string{"memory-mib", "max-upload-mib", "max-megapixels", "max-conns", "max-queue",
	"idle-timeout", "stall-timeout", "read-timeout", "process-timeout", "write-timeout", "shutdown-timeout"}

// OperatorFlags are the names of the flags of Program.RegisterServer, for
// a Group.
var OperatorFlags = []string{"admin", "log-format", "log-level", "version"}
