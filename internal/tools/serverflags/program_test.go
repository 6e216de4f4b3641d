package serverflags

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"testing"
)

// newFlags returns a flag set with the shared limits, one flag of a
// program's own and the Program's flags, writing its help to out.
func newFlags(out *bytes.Buffer) (*flag.FlagSet, *Program, *Limits, *int) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(out)
	port := fs.Int("port", 8080, "TCP port to listen on")
	l := Register(fs)
	p := &Program{Name: "testserver", Groups: []Group{{"Listening", []string{"port"}}, {"Limits", LimitFlags}, {"Operations", OperatorFlags}}}
	p.RegisterServer(fs)
	return fs, p, l, port
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestProgramEnvironment(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		port    int
		memory  int64
		wantErr string
	}{
		{"defaults", nil, nil, 8080, 1024, ""},
		{"from the environment", nil, map[string]string{"ESCALA_PORT": "9000", "ESCALA_MEMORY_MIB": "512"}, 9000, 512, ""},
		{"the command line wins", []string{"--port", "7000"}, map[string]string{"ESCALA_PORT": "9000"}, 7000, 1024, ""},
		{"a wrong variable is named", nil, map[string]string{"ESCALA_MEMORY_MIB": "lots"}, 0, 0, `ESCALA_MEMORY_MIB="lots"`},
		{"a wrong log level", []string{"--log-level", "loud"}, nil, 0, 0, `--log-level "loud"`},
		{"a wrong log format", nil, map[string]string{"ESCALA_LOG_FORMAT": "xml"}, 0, 0, `--log-format "xml"`},
		{"a stray argument", []string{"extra"}, nil, 0, 0, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			fs, p, l, port := newFlags(&out)
			err := p.Parse(fs, tc.args, env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse(%q, %v) = %v, want an error saying %s", tc.args, tc.env, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *port != tc.port || l.MemoryMiB != tc.memory {
				t.Errorf("Parse(%q, %v): port %d, memory %d; want %d, %d", tc.args, tc.env, *port, l.MemoryMiB, tc.port, tc.memory)
			}
		})
	}
}

func TestProgramVersion(t *testing.T) {
	var out bytes.Buffer
	fs, p, _, _ := newFlags(&bytes.Buffer{})
	p.Stdout = &out
	if err := p.Parse(fs, []string{"--version"}, env(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Parse(--version) = %v, want flag.ErrHelp", err)
	}
	if got := out.String(); !strings.HasPrefix(got, "testserver ") || !strings.Contains(got, "go1.") {
		t.Errorf("--version printed %q, want the name and the Go version", got)
	}
}

func TestProgramHelp(t *testing.T) {
	var out bytes.Buffer
	fs, p, _, _ := newFlags(&out)
	fs.String("extra", "", "a flag in no group")
	if err := p.Parse(fs, []string{"--help"}, env(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Parse(--help) = %v, want flag.ErrHelp", err)
	}
	help := out.String()
	order := []string{"Listening:", "--port int", "(default 8080) [ESCALA_PORT]", "Limits:", "--memory-mib", "Operations:", "--log-format", "Other:", "--extra"}
	at := 0
	for _, s := range order {
		i := strings.Index(help[at:], s)
		if i < 0 {
			t.Fatalf("help lacks %q after byte %d:\n%s", s, at, help)
		}
		at += i
	}
}

func TestNewLoggerJSON(t *testing.T) {
	var out bytes.Buffer
	l, err := NewLogger(&out, "json", "warn")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown", "k", 1)
	if got := out.String(); strings.Contains(got, "hidden") || !strings.Contains(got, `"msg":"shown"`) || !strings.Contains(got, `"k":1`) {
		t.Errorf("a json logger at warn wrote %q", got)
	}
}
