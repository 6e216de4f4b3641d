package serverflags

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAccessFlags(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(tokens, []byte("# clients\nsecret-one\nsecret-two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, []byte("# none yet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		wantNil bool
	}{
		{name: "none", wantNil: true},
		{name: "tokens", args: []string{"--auth-tokens", "@" + tokens, "--allow-raw"}},
		{name: "limits alone", args: []string{"--client-rate", "5", "--client-burst", "10", "--client-concurrency", "2"}},
		{name: "token on the command line", args: []string{"--auth-tokens", "secret-one"}, wantErr: "takes @FILE"},
		{name: "missing file", args: []string{"--auth-tokens", "@" + filepath.Join(dir, "nope")}, wantErr: "--auth-tokens: transport: upload tokens: "},
		{name: "no token in the file", args: []string{"--auth-tokens", "@" + empty}, wantErr: "holds no token"},
		{name: "allow-raw alone", args: []string{"--allow-raw"}, wantErr: "goes with --auth-tokens"},
		{name: "burst alone", args: []string{"--client-burst", "3"}, wantErr: "needs --client-rate"},
		{name: "negative", args: []string{"--client-concurrency", "-1"}, wantErr: "cannot be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			a := RegisterAccess(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			acc, err := a.Access()
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Access() = %v, want an error with %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "secret-one") {
					t.Errorf("the error quotes a token: %v", err)
				}
			case err != nil:
				t.Fatalf("Access() = %v", err)
			case tc.wantNil != (acc == nil):
				t.Fatalf("Access() = %+v, want nil: %v", acc, tc.wantNil)
			}
		})
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	a := RegisterAccess(fs)
	fs.Parse([]string{"--auth-tokens", "@" + tokens, "--client-rate", "2.5", "--client-concurrency", "3"})
	acc, err := a.Access()
	if err != nil {
		t.Fatal(err)
	}
	if !acc.Tokens.Valid("secret-two") || acc.Tokens.Valid("secret") || acc.Rate != 2.5 || acc.Concurrency != 3 || acc.AllowOriginal {
		t.Errorf("Access() = %+v: wrong tokens or limits", acc)
	}
}
