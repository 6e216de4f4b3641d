package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The rate limit lets a burst through, then one request per 1/Rate; the
// concurrency limit counts requests until they are released.
func TestAccessLimits(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &Access{Rate: 2, Burst: 3}
	key := []string{"address 192.0.2.1"}
	for i := range 3 {
		if _, err := a.take(key, t0); err != nil {
			t.Fatalf("request %d of the burst of 3: %v", i+1, err)
		}
	}
	_, err := a.take(key, t0)
	var le *LimitError
	if !errors.As(err, &le) || !errors.Is(err, ErrBusy) {
		t.Fatalf("fourth request at once = %v, want a LimitError that is ErrBusy", err)
	}
	if le.RetryAfter != 500*time.Millisecond || !strings.Contains(le.Error(), "over its limit of 2 requests a second; try again in 500ms") {
		t.Errorf("refusal %q, RetryAfter %v; want 500ms", le.Error(), le.RetryAfter)
	}
	if _, err := a.take([]string{"address 192.0.2.2"}, t0); err != nil {
		t.Errorf("another client at the same moment: %v", err)
	}
	if _, err := a.take(key, t0.Add(499*time.Millisecond)); err == nil {
		t.Errorf("request after 499ms admitted, want refused until 500ms")
	}
	if _, err := a.take(key, t0.Add(500*time.Millisecond)); err != nil {
		t.Errorf("request after 500ms: %v", err)
	}

	c := &Access{Concurrency: 2}
	r1, err1 := c.take(key, t0)
	_, err2 := c.take(key, t0)
	if err1 != nil || err2 != nil {
		t.Fatalf("two requests under a concurrency of 2: %v, %v", err1, err2)
	}
	if _, err := c.take(key, t0); !errors.As(err, &le) || !strings.Contains(err.Error(), "already has 2 requests in progress") {
		t.Fatalf("third request in progress = %v, want refused", err)
	}
	r1()
	r1() // a second release must not count twice
	if _, err := c.take(key, t0); err != nil {
		t.Errorf("after one ended: %v", err)
	}
	if _, err := c.take(key, t0); err == nil {
		t.Errorf("a double release freed two places")
	}
}

// A request counts against its address and its token: both must be
// within their limits.
func TestAccessTokenAndAddress(t *testing.T) {
	a := &Access{Concurrency: 1}
	hold, err := a.Admit(Native, "192.0.2.1:1000", "token-a")
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Admit(Native, "192.0.2.2:1000", "token-a")
	if err == nil || !strings.Contains(err.Error(), "this token ") {
		t.Fatalf("the same token from another address = %v, want refused for the token", err)
	}
	if strings.Contains(err.Error(), "token-a") {
		t.Errorf("a refusal quotes the token: %v", err)
	}
	if _, err := a.Admit(Native, "192.0.2.1:1001", "token-b"); err == nil || !strings.Contains(err.Error(), "this address ") {
		t.Errorf("another token from the same address = %v, want refused for the address", err)
	}
	if _, err := a.Admit(Native, "192.0.2.3:1000", "token-b"); err != nil {
		t.Errorf("another token from another address: %v", err)
	}
	hold()
	if _, err := a.Admit(Native, "192.0.2.2:1000", "token-a"); err != nil {
		t.Errorf("token-a again after its request ended: %v", err)
	}
}

// Clients beyond MaxClients are refused while the others are in progress,
// and admitted once those are idle again.
func TestAccessMaxClients(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &Access{Concurrency: 1, MaxClients: 2}
	r1, _ := a.take([]string{"address 192.0.2.1"}, t0)
	r2, _ := a.take([]string{"address 192.0.2.2"}, t0)
	third := []string{"address 192.0.2.3"}
	if _, err := a.take(third, t0.Add(time.Second)); err == nil || !strings.Contains(err.Error(), "too many clients") {
		t.Fatalf("a third client of 2 = %v, want refused", err)
	}
	r1()
	r2()
	if _, err := a.take(third, t0.Add(1500*time.Millisecond)); err == nil {
		t.Errorf("a third client admitted within a second of the last look for room")
	}
	if _, err := a.take(third, t0.Add(2*time.Second)); err != nil {
		t.Errorf("a third client a second later, the others idle: %v", err)
	}
	if len(a.clients) != 1 {
		t.Errorf("%d clients tracked, want the idle two forgotten", len(a.clients))
	}
}

func TestClientAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.1:4000", "192.0.2.1"},
		{"192.0.2.1", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:80", "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:80", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1%eth0]:80", "2001:db8:1:2::/64"},
		{"pipe", "pipe"},
	} {
		if got := clientAddr(tc.in); got != tc.want {
			t.Errorf("clientAddr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// writeTokens replaces the file at path with lines, whole, as the
// TokenFile documentation asks.
func writeTokens(tb testing.TB, path string, lines ...string) {
	tb.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	// A new modification time even on a file system of coarse times.
	later := time.Now().Add(time.Duration(len(lines)) * time.Second)
	os.Chtimes(tmp, later, later)
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
}

func TestTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	writeTokens(t, path, "# uploads", "alpha-1", "", "  beta-2  ")
	f := &TokenFile{Path: path}
	if n, err := f.Load(); n != 2 || err != nil {
		t.Fatalf("Load = %d, %v; want 2 tokens", n, err)
	}
	for _, tc := range []struct {
		token string
		want  bool
	}{
		{"alpha-1", true}, {"beta-2", true}, {"alpha-2", false}, {"alpha-", false},
		{"", false}, {"# uploads", false}, {strings.Repeat("a", MaxTokenLen+1), false},
	} {
		if got := f.Valid(tc.token); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.token, got, tc.want)
		}
	}

	// A new file is read at the next check.
	writeTokens(t, path, "gamma-3")
	if f.Valid("alpha-1") || !f.Valid("gamma-3") {
		t.Errorf("after the file changed: alpha-1 %v, gamma-3 %v; want false, true", f.Valid("alpha-1"), f.Valid("gamma-3"))
	}

	// A line that is no token: the tokens before stay, and the error
	// names the line but does not quote it.
	writeTokens(t, path, "gamma-3", "two words", "delta-4")
	if !f.Valid("gamma-3") || f.Valid("delta-4") {
		t.Errorf("after a bad file: gamma-3 %v, delta-4 %v; want the tokens before", f.Valid("gamma-3"), f.Valid("delta-4"))
	}
	_, err := f.Load()
	if err == nil || !strings.Contains(err.Error(), "line 2: not a token") || strings.Contains(err.Error(), "two words") {
		t.Errorf("Load of a bad file = %v, want line 2 named and not quoted", err)
	}
	os.Remove(path)
	if !f.Valid("gamma-3") {
		t.Errorf("a removed file dropped the tokens in use")
	}
	if _, err := (&TokenFile{Path: path}).Load(); err == nil {
		t.Errorf("Load of a missing file succeeded")
	}
}

// tokenServer starts a server of echo that needs one of the tokens, and
// returns its address.
func tokenServer(t *testing.T, a *Access, tokens ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens")
	writeTokens(t, path, tokens...)
	a.Tokens = &TokenFile{Path: path}
	if _, err := a.Tokens.Load(); err != nil {
		t.Fatal(err)
	}
	_, rl := startServer(t, echo, func(s *Server) {
		s.Access = a
		s.StallTimeout = 2 * time.Second
	})
	return rl.Addr().String()
}

// rawReply uploads data in the raw protocol and returns the reply line.
func rawReply(t *testing.T, addr string, data []byte) string {
	t.Helper()
	c := dialRaw(t, addr)
	c.Write(data)
	c.CloseWrite()
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line
}

// A native request needs a token of the file; the original protocols,
// which cannot carry one, are refused unless AllowOriginal.
func TestServerTokens(t *testing.T) {
	addr := tokenServer(t, &Access{}, "right-token")
	ctx := context.Background()
	for _, tc := range []struct {
		name, token, want string
	}{
		{"missing", "", "this server needs an upload token, and the request carries none"},
		{"wrong", "wrong-token", "the upload token is not accepted"},
		{"right", "right-token", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{Addr: addr, Token: tc.token}
			defer c.Close()
			resp, err := c.Do(ctx, &Request{Body: []byte("image")})
			if tc.want == "" {
				if err != nil || !strings.Contains(resp.Location, "native 5 bytes") {
					t.Fatalf("Do with the right token = %+v, %v", resp, err)
				}
				return
			}
			var re *RemoteError
			if !errors.As(err, &re) || re.Code != CodeUnauthorized || !errors.Is(err, ErrUnauthorized) || !strings.Contains(re.Message, tc.want) {
				t.Fatalf("Do = %v, want unauthorized: %q", err, tc.want)
			}
			if tc.token != "" && strings.Contains(re.Message, tc.token) {
				t.Errorf("the refusal quotes the token: %q", re.Message)
			}
		})
	}

	if line := rawReply(t, addr, testJPEG(t, 8, 8)); !strings.Contains(line, "Error: transport: unauthorized: ") || !strings.Contains(line, "original protocols cannot carry") {
		t.Errorf("raw upload = %q, want an unauthorized line", line)
	}
	fc := &Client{Addr: addr, Protocol: Framed}
	defer fc.Close()
	if _, err := fc.Do(ctx, &Request{Body: []byte("image")}); err == nil {
		t.Errorf("framed request served without a token")
	}

	open := tokenServer(t, &Access{AllowOriginal: true}, "right-token")
	if line := rawReply(t, open, testJPEG(t, 8, 8)); !strings.HasPrefix(line, "Imagen escalada disponible en: loc:raw") {
		t.Errorf("raw upload with AllowOriginal = %q, want served", line)
	}
	nc := &Client{Addr: open}
	defer nc.Close()
	if _, err := nc.Do(ctx, &Request{Body: []byte("image")}); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("native request without a token under AllowOriginal = %v, want unauthorized", err)
	}
}

// A request without a token is refused once its metadata has arrived,
// before its body: the reply comes although the body is never sent.
func TestServerTokenBeforeBody(t *testing.T) {
	addr := tokenServer(t, &Access{}, "right-token")
	meta, _, err := marshalRequest(&Request{Token: "wrong-token"})
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, addr)
	// The header announces 32 MiB of body, none of which is sent.
	h := []byte(magic + "\x01\x01\x00\x00")
	h = append(h, byte(len(meta)>>24), byte(len(meta)>>16), byte(len(meta)>>8), byte(len(meta)))
	h = append(h, 0x02, 0, 0, 0)
	if _, err := c.Write(append(h, meta...)); err != nil {
		t.Fatal(err)
	}
	f, err := readFrame(c, nil, 1<<20, nil)
	if err != nil {
		t.Fatalf("no reply before the body: %v", err)
	}
	if err := parseError(f); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("reply = %v, want unauthorized", err)
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after the refusal, read = %v, want the connection closed", err)
	}
}

// dialFrom connects to addr from the loopback address local, so that a
// test can be several clients.
func dialFrom(tb testing.TB, local, addr string) net.Conn {
	tb.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// nativeFrom sends a native request from the loopback address local and
// returns the reply's error, nil for a result.
func nativeFrom(tb testing.TB, local, addr string, req *Request) error {
	tb.Helper()
	c := dialFrom(tb, local, addr)
	meta, body, err := marshalRequest(req)
	if err != nil {
		tb.Fatal(err)
	}
	if err := writeFrame(c, typeRequest, meta, body); err != nil {
		tb.Fatal(err)
	}
	f, err := readFrame(c, nil, 1<<20, nil)
	if err != nil {
		tb.Fatalf("reading the reply: %v", err)
	}
	if f.typ == typeError {
		return parseError(f)
	}
	return nil
}

// A client over its rate is refused as busy at once, in the words of its
// protocol, while another client is served.
func TestServerRateLimit(t *testing.T) {
	_, rl := startServer(t, echo, func(s *Server) {
		s.Access = &Access{Rate: 0.01, Burst: 2}
	})
	addr := rl.Addr().String()
	for i := range 2 {
		if err := nativeFrom(t, "127.0.0.1", addr, &Request{Body: []byte("image")}); err != nil {
			t.Fatalf("request %d of the burst: %v", i+1, err)
		}
	}
	err := nativeFrom(t, "127.0.0.1", addr, &Request{Body: []byte("image")})
	var re *RemoteError
	if !errors.As(err, &re) || re.Code != CodeBusy || !strings.Contains(re.Message, "this address is over its limit of 0.01 requests a second") {
		t.Fatalf("third request = %v, want busy for the rate", err)
	}
	c := dialFrom(t, "127.0.0.1", addr)
	c.Write(testJPEG(t, 8, 8))
	line, _ := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, "Error: transport: server busy: this address is over its limit") {
		t.Errorf("raw upload over the rate = %q, want a busy line", line)
	}
	if err := nativeFrom(t, "127.0.0.2", addr, &Request{Body: []byte("image")}); err != nil {
		t.Errorf("another client: %v", err)
	}
}

// A client with Concurrency requests in progress is refused another,
// while other clients, and other tokens, are served.
func TestServerConcurrencyLimit(t *testing.T) {
	entered, leave := make(chan struct{}), make(chan struct{})
	h := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		if string(req.Body) == "hold" {
			entered <- struct{}{}
			<-leave
		}
		return echo(ctx, req)
	})
	a := &Access{Concurrency: 1}
	path := filepath.Join(t.TempDir(), "tokens")
	writeTokens(t, path, "token-a", "token-b")
	a.Tokens = &TokenFile{Path: path}
	_, rl := startServer(t, h, func(s *Server) { s.Access = a })
	addr := rl.Addr().String()

	held := make(chan error, 1)
	go func() {
		c := &Client{Addr: addr, Token: "token-a"}
		defer c.Close()
		_, err := c.Do(context.Background(), &Request{Body: []byte("hold")})
		held <- err
	}()
	<-entered
	for _, tc := range []struct {
		name, local, token, want string
	}{
		{"same address", "127.0.0.1", "token-b", "this address already has 1 request in progress"},
		{"same token", "127.0.0.2", "token-a", "this token already has 1 request in progress"},
		{"another client", "127.0.0.3", "token-b", ""},
	} {
		err := nativeFrom(t, tc.local, addr, &Request{Body: []byte("image"), Token: tc.token})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want served", tc.name, err)
		case tc.want != "" && (!errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want busy: %q", tc.name, err, tc.want)
		}
	}
	close(leave)
	if err := <-held; err != nil {
		t.Fatalf("the held request: %v", err)
	}
	// A client that sends each request once it has the reply of the
	// one before, on a new connection, is never over a concurrency of 1.
	for i := range 20 {
		if err := nativeFrom(t, "127.0.0.1", addr, &Request{Body: []byte("image"), Token: "token-a"}); err != nil {
			t.Fatalf("request %d after the held one ended, each after the reply of the last: %v", i+1, err)
		}
	}
}

// BenchmarkAdmit is the cost Access adds to each request: a token of a
// file of 100 checked, and both limits counted.
func BenchmarkAdmit(b *testing.B) {
	path := filepath.Join(b.TempDir(), "tokens")
	var lines []string
	for i := range 100 {
		lines = append(lines, fmt.Sprintf("token-%03d-Qm41vZ8rXs", i))
	}
	writeTokens(b, path, lines...)
	a := &Access{Tokens: &TokenFile{Path: path}, Rate: 1e9, Concurrency: 1 << 20}
	b.ReportAllocs()
	for b.Loop() {
		release, err := a.Admit(Native, "192.0.2.1:4000", "token-099-Qm41vZ8rXs")
		if err != nil {
			b.Fatal(err)
		}
		release()
	}
}
