package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/escala-img/escala/internal/tools/fakescaler"
)

// refusedLine is the answer to first bytes that start no protocol.
const refusedLine = "Error: scaler: invalid image: not an image: the upload starts with bytes that no supported format or protocol starts with\n"

func TestMayStart(t *testing.T) {
	const def = DefaultMaxFrameSize // 0x04000000
	tests := []struct {
		pre   string
		limit int
		want  bool
	}{
		{"a", def, false},
		{"ab", def, false},
		{"abc", def, false},
		{"abcd", def, false},
		{"E", def, true},
		{"ES", def, true},
		{"ESC", def, true},
		{"ESCL", def, true},
		{"EX", def, false},
		{"ESX", def, false},
		{"\xff", def, true},
		{"\xff\xd8", def, true},
		{"\xff\xd9", def, false},
		{"\x89", def, true},
		{"\x89P", def, true},
		{"\x89Q", def, false},
		{"G", def, true},
		{"GIF", def, true},
		{"GIX", def, false},
		{"GIF9", def, false},
		{"B", def, true},
		{"BM", def, true},
		{"BX", def, false},
		{"II*", def, true},
		{"MM\x00", def, true},
		{"RIF", def, true},
		{"RIFX", def, false},
		{"\x00", def, true},
		{"\x00\x00", def, true},
		{"\x00\x00\x00", def, true},
		{"\x00\x00\x00\x00", def, false}, // length 0
		{"\x00\x00\x00\x01", def, true},
		{"\x03\xff\xff\xff", def, true},
		{"\x04", def, true},
		{"\x04\x00\x00\x00", def, true}, // exactly the limit
		{"\x04\x00\x00\x01", def, false},
		{"\x04\x01", def, false},
		{"\x05", def, false},
		{"\x40", MaxFrameSizeLimit, true},
		{"\x40\x00\x00\x01", MaxFrameSizeLimit, false},
		{"\x41", MaxFrameSizeLimit, false},
		{"\x01", 1 << 20, false}, // 1 MiB: lengths start with 00
		{"\x00\x10\x00\x00", 1 << 20, true},
		{"\x00\x10\x00\x01", 1 << 20, false},
	}
	for _, tc := range tests {
		if got := mayStart([]byte(tc.pre), tc.limit); got != tc.want {
			t.Errorf("mayStart(%q, limit %#x) = %v, want %v", tc.pre, tc.limit, got, tc.want)
		}
	}
}

// TestShortPrefixes sends the first bytes of a connection and keeps it
// open. Bytes that start no protocol are refused at once: the server's
// StallTimeout is 10 s and the client waits 2 s at most. Bytes that may
// start one wait for more, until a StallTimeout of 200 ms, and then get
// the stall line, which says how many arrived.
func TestShortPrefixes(t *testing.T) {
	_, patient := startServer(t, echo, func(s *Server) { s.StallTimeout = 10 * time.Second })
	_, hasty := startServer(t, echo, func(s *Server) { s.StallTimeout = 200 * time.Millisecond })
	stalled := func(n string) string {
		return "Error: transport: upload stalled: no data for 200ms after " + n + " (stall timeout)\n"
	}
	tests := []struct {
		pre  string
		want string // "" : refused at once
	}{
		{"a", ""},
		{"ab", ""},
		{"abc", ""},
		{"abcd", ""},
		{"hello, world\n", ""},
		{"EX", ""},
		{"GIX", ""},
		{"GIF9", ""},
		{"\x05", ""},
		{"\x04\x01", ""},
		{"\x00\x00\x00\x00", ""},
		{"\xff\xd9", ""},
		{"\x89Q", ""},
		{"\x00", stalled("1 byte")},
		{"\x00\x00", stalled("2 bytes")},
		{"\x03\xff\xff", stalled("3 bytes")},
		{"E", stalled("1 byte")},
		{"ES", stalled("2 bytes")},
		{"ESC", stalled("3 bytes")},
		{"G", stalled("1 byte")},
		{"GIF", stalled("3 bytes")},
		{"GIF8", stalled("4 bytes")},
		{"\xff\xd8", stalled("2 bytes")},
		{"\x89P", stalled("2 bytes")},
		{"BM", stalled("2 bytes")},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.pre), func(t *testing.T) {
			addr, want := hasty.Addr().String(), tc.want
			if want == "" {
				addr, want = patient.Addr().String(), refusedLine
			}
			c := dialRaw(t, addr)
			c.SetDeadline(time.Now().Add(2 * time.Second))
			if _, err := c.Write([]byte(tc.pre)); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(c).ReadString('\n')
			if line != want {
				t.Errorf("answer to %q = %q, %v; want %q", tc.pre, line, err, want)
			}
		})
	}
}

// A peer that half-closes after fewer than four bytes is told how many.
func TestShortPrefixHalfClosed(t *testing.T) {
	_, rl := startServer(t, echo, func(s *Server) { s.StallTimeout = 10 * time.Second })
	tests := []struct{ pre, want string }{
		{"\x00", "Error: scaler: invalid image: not an image: the upload ended after 1 byte\n"},
		{"ES", "Error: scaler: invalid image: not an image: the upload ended after 2 bytes\n"},
		{"a", refusedLine},
	}
	for _, tc := range tests {
		c := dialRaw(t, rl.Addr().String())
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Write([]byte(tc.pre))
		c.CloseWrite()
		all, err := io.ReadAll(c)
		if string(all) != tc.want {
			t.Errorf("answer to %q, then half-close = %q, %v; want %q", tc.pre, all, err, tc.want)
		}
	}
}

// A native request that stalls gets an error frame that says so, and how
// many bytes arrived.
func TestNativeStallMessage(t *testing.T) {
	_, rl := startServer(t, echo, func(s *Server) { s.StallTimeout = 200 * time.Millisecond })
	c := dialRaw(t, rl.Addr().String())
	var frame bytes.Buffer
	writeFrame(&frame, typeRequest, make([]byte, requestMeta), []byte("image"))
	c.Write(frame.Bytes()[:10])
	f, err := readFrame(c, nil, DefaultMaxFrameSize, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = parseError(f)
	want := &RemoteError{Code: CodeTimeout, Message: "transport: request stalled: no data for 200ms after 10 bytes (stall timeout)"}
	if re := (*RemoteError)(nil); !errors.As(err, &re) || *re != *want {
		t.Errorf("answer to a stalled frame = %v, want %v", err, want)
	}
}

// socketText matches what the text of a socket error carries: addresses,
// and the operation and the deadline error of a *net.OpError.
var socketText = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+:\d+|\[[0-9a-f:]*\]:\d+|read tcp|write tcp|dial tcp|i/o timeout`)

// TestNoSocketTextInReplies collects the error lines, error frames and
// Client errors of failures of the network, and requires that none
// carries the text of a socket error. A Client's error may name the
// address it dialled, which is removed before the check.
func TestNoSocketTextInReplies(t *testing.T) {
	down := closedAddr(t)
	var texts []string
	add := func(what, text, dialled string) {
		if dialled != "" {
			text = strings.ReplaceAll(text, dialled, "ADDR")
		}
		texts = append(texts, what+": "+text)
	}

	// A handler that relays the error of a Client, as a gateway does.
	relay := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		c := &Client{Addr: down}
		defer c.Close()
		return c.Do(ctx, req)
	})
	// A handler that wraps a socket error itself.
	_, dialErr := net.Dial("tcp", down)
	wrapping := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		return nil, fmt.Errorf("%w: the store: %w", ErrUnavailable, dialErr)
	})
	_, hasty := startServer(t, echo, func(s *Server) { s.StallTimeout = 100 * time.Millisecond })
	_, slow := startServer(t, echo, func(s *Server) {
		s.StallTimeout = 10 * time.Second
		s.ReadTimeout = 100 * time.Millisecond
	})
	_, relaying := startServer(t, relay, nil)
	_, wrapper := startServer(t, wrapping, nil)

	rawLine := func(what, addr string, data []byte) {
		c := dialRaw(t, addr)
		c.Write(data)
		line, err := bufio.NewReader(c).ReadString('\n')
		if !strings.HasPrefix(line, "Error: ") {
			t.Errorf("%s: answer %q, %v; want an error line", what, line, err)
		}
		add(what, line, down)
	}
	jpg := testJPEG(t, 40, 30)
	rawLine("raw, 2 bytes, stall", hasty.Addr().String(), jpg[:2])
	rawLine("raw, half a jpeg, stall", hasty.Addr().String(), jpg[:len(jpg)/2])
	rawLine("raw, half a jpeg, read timeout", slow.Addr().String(), jpg[:len(jpg)/2])
	rawLine("raw, abc", hasty.Addr().String(), []byte("abc"))
	rawLine("raw, relayed client error", relaying.Addr().String(), jpg)
	rawLine("raw, wrapped socket error", wrapper.Addr().String(), jpg)

	nativeErr := func(what, addr string, data []byte) {
		c := dialRaw(t, addr)
		c.Write(data)
		f, err := readFrame(c, nil, DefaultMaxFrameSize, nil)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		err = parseError(f)
		if err == nil {
			t.Fatalf("%s: a result, want an error frame", what)
		}
		add(what, err.Error(), down)
	}
	var buf bytes.Buffer
	writeFrame(&buf, typeRequest, make([]byte, requestMeta), jpg)
	frame := buf.Bytes()
	nativeErr("native, header cut, stall", hasty.Addr().String(), frame[:10])
	nativeErr("native, body cut, read timeout", slow.Addr().String(), frame[:len(frame)/2])
	nativeErr("native, wrapped socket error", wrapper.Addr().String(), frame)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, p := range []Protocol{Native, Framed} {
		c := &Client{Addr: down, Protocol: p}
		_, err := c.Do(ctx, &Request{Body: jpg})
		add(fmt.Sprintf("client %v, refused", p), err.Error(), down)
		_, err = (&Client{Addr: relaying.Addr().String(), Protocol: p}).Do(ctx, &Request{Body: jpg})
		if p == Native {
			add("client, relayed error", err.Error(), down)
		}
	}
	for _, srv := range []struct {
		name  string
		serve func(net.Conn)
	}{
		{"closes", func(c net.Conn) {}},
		{"resets", func(c net.Conn) {
			io.ReadFull(c, make([]byte, 4))
			c.(*net.TCPConn).SetLinger(0)
		}},
		{"resets mid-reply", func(c net.Conn) {
			io.ReadFull(c, make([]byte, headerSize))
			c.Write([]byte(magic + "\x01\x02"))
			c.(*net.TCPConn).SetLinger(0)
		}},
	} {
		addr := fakescaler.Serve(t, srv.serve)
		for _, p := range []Protocol{Native, Framed} {
			c := &Client{Addr: addr, Protocol: p, Logger: quiet}
			_, err := c.Do(ctx, &Request{Body: jpg})
			if err == nil {
				t.Fatalf("client %v to a server that %s: no error", p, srv.name)
			}
			add(fmt.Sprintf("client %v, server %s", p, srv.name), err.Error(), addr)
		}
	}
	short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelShort()
	hangs := fakescaler.Serve(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	_, err := (&Client{Addr: hangs}).Do(short, &Request{Body: jpg})
	add("client, deadline", err.Error(), hangs)

	for _, text := range texts {
		if m := socketText.FindString(text); m != "" {
			t.Errorf("%s\n\tcarries %q", text, m)
		}
	}
	if testing.Verbose() {
		for _, text := range texts {
			t.Log(text)
		}
	}
}

// closedAddr returns an address of the loopback where nothing listens.
func closedAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// The texts of a Client's errors, one by one.
func TestClientErrorTexts(t *testing.T) {
	jpg := testJPEG(t, 40, 30)
	ctx := context.Background()
	down := closedAddr(t)
	_, err := (&Client{Addr: down}).Do(ctx, &Request{Body: jpg})
	if want := "transport: server unavailable: cannot connect to " + down + ": connection refused"; err == nil || err.Error() != want || !errors.Is(err, ErrUnavailable) {
		t.Errorf("Do to a closed port = %v, want %q", err, want)
	}
	closes := fakescaler.Serve(t, failingOriginal)
	_, err = (&Client{Addr: closes, Protocol: Framed}).Do(ctx, &Request{Body: jpg})
	if want := "transport: server unavailable: " + closes + " closed the connection without a reply"; err == nil || err.Error() != want || !errors.Is(err, ErrUnavailable) {
		t.Errorf("framed Do to a server that closes = %v, want %q", err, want)
	}
	_, err = (&Client{Addr: closes, Logger: quiet}).Do(ctx, &Request{Body: jpg})
	want := "transport: server unavailable: " + closes + " answered neither escala's protocol (closed the connection without a reply)" +
		" nor the original framing (closed the connection without a reply)"
	if err == nil || err.Error() != want || !errors.Is(err, ErrUnavailable) {
		t.Errorf("native Do to a server that closes = %v, want %q", err, want)
	}
}

// failingOriginal serves a connection as an original scale server that
// fails every request: it reads a length and that many bytes, or, when
// the length is over 64 MiB, everything until the client half-closes, and
// closes the connection without a reply.
func failingOriginal(c net.Conn) {
	var n uint32
	if binary.Read(c, binary.BigEndian, &n) != nil {
		return
	}
	if n > 64<<20 {
		io.Copy(io.Discard, c)
		return
	}
	io.CopyN(io.Discard, c, int64(n))
}
