package escala_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

// Limits of the system under test.
const (
	badStall    = 200 * time.Millisecond // StallTimeout of both servers
	badIdle     = 500 * time.Millisecond // IdleTimeout of both servers
	badWait     = 5 * time.Second        // how long a client waits for any answer
	badAllocMax = 8 << 20                // what one case may allocate, in bytes
	badLimit    = transport.DefaultMaxFrameSize
	badLinkLine = "Imagen escalada disponible en: "
)

// badLog is the servers' log, written concurrently.
type badLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *badLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// from returns what was logged after the first off bytes, and the length
// of the log.
func (l *badLog) from(off int) (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf.Bytes()[off:]), l.buf.Len()
}

// badSystem is a scale server and a gateway that scales through it and
// stores in a folder served over HTTP, all on loopback. Both serve TLS
// beside plaintext; a second gateway, strict, requires TLS and reaches the
// scale server over TLS.
type badSystem struct {
	gateway, scaler, strict string // addresses
	rig                     *tlsRig
	log                     *badLog
	photos                  [][]byte // good uploads, 40×30 to 54×30

	mu    sync.Mutex
	peers map[string]*badCase // the case of each client address
}

func startBadSystem(t testing.TB) *badSystem {
	t.Helper()
	s := &badSystem{rig: newTLSRig(t), log: &badLog{}, peers: map[string]*badCase{}}
	logger := slog.New(slog.NewTextHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Registered first, so run last: once every connection has ended.
	t.Cleanup(func() { s.checkLog(t) })
	serve := func(h transport.Handler, requireTLS bool) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &transport.Server{
			Handler:        h,
			Logger:         logger,
			IdleTimeout:    badIdle,
			StallTimeout:   badStall,
			ReadTimeout:    2 * time.Second,
			WriteTimeout:   2 * time.Second,
			HandlerTimeout: badWait,
			TLSConfig:      s.rig.server,
			RequireTLS:     requireTLS,
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(l) }()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), badWait)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown = %v: a connection is still open", err)
				srv.Close()
			}
			if err := <-done; !errors.Is(err, transport.ErrServerClosed) {
				t.Errorf("Serve = %v, want ErrServerClosed", err)
			}
		})
		return l.Addr().String()
	}
	s.scaler = serve(&transport.ScaleHandler{Logger: logger}, false)
	dir, err := store.NewDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	files := httptest.NewServer(store.Handler(dir))
	t.Cleanup(files.Close)
	client := &transport.Client{Addr: s.scaler, IdleTimeout: badIdle / 2}
	t.Cleanup(func() { client.Close() })
	s.gateway = serve(&escala.Gateway{Scaler: client, Store: dir, BaseURL: files.URL + "/", Logger: logger}, false)
	secure := &transport.Client{Addr: s.scaler, IdleTimeout: badIdle / 2, TLSConfig: s.rig.client}
	t.Cleanup(func() { secure.Close() })
	s.strict = serve(&escala.Gateway{Scaler: secure, Store: dir, BaseURL: files.URL + "/", Logger: logger}, true)
	for i := range 8 {
		s.photos = append(s.photos, sample.JPEG(40+2*i, 30))
	}
	return s
}

// checkLog checks the whole log, once the servers have stopped: no panic,
// and no error logged, as every fault in this suite is the client's.
func (s *badSystem) checkLog(t testing.TB) {
	all, _ := s.log.from(0)
	if strings.Contains(all, "panic") {
		t.Errorf("the servers logged a panic:\n%s", badPanicLines(all))
	}
	for line := range strings.Lines(all) {
		if !strings.Contains(line, "level=ERROR") {
			continue
		}
		name := "a connection of no case"
		if i := strings.Index(line, " peer="); i >= 0 {
			peer, _, _ := strings.Cut(line[i+len(" peer="):], " ")
			s.mu.Lock()
			tc := s.peers[peer]
			s.mu.Unlock()
			if tc != nil {
				name = tc.name
			}
		}
		t.Errorf("%s: the server logged an error for a fault of the client: %s", name, strings.TrimSpace(line))
	}
}

// badPanicLines returns the lines of log that mention a panic.
func badPanicLines(log string) string {
	var out []string
	for line := range strings.Lines(log) {
		if strings.Contains(line, "panic") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return strings.Join(out, "\n")
}

// A badEnd is what a client does after writing its bytes. A client that
// closes or resets reads nothing: its case checks only the log, the memory
// and the next client.
type badEnd uint8

const (
	badHalfClose badEnd = iota // closes its side and reads the answer
	badKeepOpen                // waits for the answer with its side open
	badClose                   // closes the connection without reading
	badReset                   // resets the connection (SO_LINGER 0)
)

// A badCase is one piece of bad input and the answer it must get.
type badCase struct {
	name   string
	scaler bool               // sent to the scale server, not the gateway
	strict bool               // sent to the gateway that requires TLS
	tls    bool               // sent over TLS: data, or req, travel inside it
	proto  transport.Protocol // how the answer is read
	data   []byte             // written on a fresh connection
	req    *transport.Request // instead of data: sent by a transport.Client
	end    badEnd
	want   badWant
	// plainOnly: not sent again over TLS, where a representative subset
	// of a large group whose cases differ only in their bytes is enough.
	plainOnly bool
}

// badWant is the answer a badCase must get.
type badWant struct {
	// The error: in a native reply its code, and what its message, or the
	// raw reply line, must hold.
	code  transport.Code
	words []string
	// silent: the server closes without answering.
	silent bool
	// records: the server answers with nothing but whole TLS records (of
	// its side of a handshake, or an alert), if anything, and closes.
	records bool
	// closes: after a native error frame, the server closes; otherwise
	// the connection must serve a next request.
	closes bool
	// A result of w×h: expected if there is no error above, otherwise
	// accepted instead of it (the cut lost no byte the decoder needs).
	w, h int
}

// size returns the number of bytes tc sends.
func (tc *badCase) size() int {
	if tc.req != nil {
		return len(tc.req.Body)
	}
	return len(tc.data)
}

func (w badWant) isError() bool { return w.code != 0 || len(w.words) > 0 }

func badErr(words ...string) badWant { return badWant{words: words} }

func badCode(code transport.Code, closes bool, words ...string) badWant {
	return badWant{code: code, words: words, closes: closes}
}

func badSilent() badWant { return badWant{silent: true} }

func badRecords() badWant { return badWant{records: true} }

func badServed(w, h int) badWant { return badWant{w: w, h: h} }

// badSentinels are what a RemoteError of each code must match.
var badSentinels = map[transport.Code]error{
	transport.CodeBadRequest:   scaler.ErrInvalidOptions,
	transport.CodeInvalidImage: scaler.ErrInvalid,
	transport.CodeTooLarge:     scaler.ErrTooLarge,
	transport.CodeBusy:         transport.ErrBusy,
	transport.CodeTimeout:      os.ErrDeadlineExceeded,
}

// TestBadInput sends hostile and broken input of every kind to a scale
// server and a gateway running in process on loopback, each case on a
// fresh connection. For each case it checks that the answer is one clear
// error (or, in the framed protocol, which has no error reply, a closed
// connection), that nothing panics, that the memory allocated meanwhile
// stays far below what the input asks for, and that the next client, an
// original one uploading a good JPEG, is served.
//
// The servers serve TLS beside plaintext, and the cases are sent twice:
// in plaintext, and over TLS (the tls/ subtests; of some groups, a sample:
// see badSampled), where every other next client connects over TLS too.
// The tls/ pass adds hostile handshakes, and plaintext sent to a gateway
// that requires TLS.
func TestBadInput(t *testing.T) {
	sys := startBadSystem(t)
	var cases []badCase
	for _, group := range [][]badCase{
		badTruncations(t),
		badRandom(),
		badBombs(),
		badZeroSizes(),
		badFrames(),
		badOptions(),
		badFramed(),
		badConnections(),
	} {
		cases = append(cases, group...)
	}
	secure := badOverTLS(cases)
	secure = append(secure, badHandshakes(t, sys.rig)...)
	secure = append(secure, badRequireTLS()...)
	t.Logf("%d bad-input cases in plaintext: %s", len(cases), badGroups(cases, ""))
	t.Logf("%d over TLS: %s", len(secure), badGroups(secure, "tls/"))
	var most uint64
	var mostName string
	for _, pass := range []struct {
		cases []badCase
		tls   bool // of every other next client
	}{{cases, false}, {secure, true}} {
		for i, tc := range pass.cases {
			t.Run(tc.name, func(t *testing.T) {
				if alloc := sys.run(t, i, tc, pass.tls && i%2 == 1); alloc > most {
					most, mostName = alloc, tc.name
				}
			})
		}
	}
	t.Logf("the most any case allocated: %.1f MiB, by %s", float64(most)/(1<<20), mostName)
}

// badGroups returns the groups of cases, the first part of their names
// after prefix, and how many cases each has.
func badGroups(cases []badCase, prefix string) string {
	var groups []string
	count := map[string]int{}
	for _, tc := range cases {
		g, _, _ := strings.Cut(strings.TrimPrefix(tc.name, prefix), "/")
		if count[g] == 0 {
			groups = append(groups, g)
		}
		count[g]++
	}
	for i, g := range groups {
		groups[i] = fmt.Sprintf("%s %d", g, count[g])
	}
	return strings.Join(groups, ", ")
}

// badSampled are the groups of cases that differ only in the bytes sent,
// which TLS carries as it carries any others: the TLS pass sends every
// third case of each (and four cuts of each format of the truncated
// group: see badTruncations), to keep its time near that of the
// plaintext pass. The groups about how a request is framed and how its
// connection behaves are sent whole.
var badSampled = map[string]bool{"random": true, "bomb": true, "empty image": true, "options": true}

// badOverTLS returns the cases to be sent over TLS, each named under
// tls/. Each makes sense inside TLS as it does in plaintext: the
// connection cases end the TLS connection as they end a plaintext one (a
// half-close is TLS's close_notify; a close sends it too, and then the
// TCP FIN; a reset resets the TCP connection under TLS), and a stall,
// after a completed handshake, is a stall of the stream inside.
func badOverTLS(cases []badCase) []badCase {
	var out []badCase
	seen := map[string]int{}
	for _, tc := range cases {
		g, _, _ := strings.Cut(tc.name, "/")
		seen[g]++
		if tc.plainOnly || badSampled[g] && seen[g]%3 != 0 {
			continue
		}
		tc.name = "tls/" + tc.name
		tc.tls = true
		out = append(out, tc)
	}
	return out
}

// run sends tc, checks its answer, the log and the memory allocated, and
// then that a good upload is served, over TLS if nextTLS. It returns the
// bytes allocated.
func (s *badSystem) run(t testing.TB, i int, tc badCase, nextTLS bool) uint64 {
	_, logStart := s.log.from(0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var check func()
	switch {
	case tc.req != nil:
		check = s.doClient(t, tc)
	default:
		check = s.exchange(t, tc)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > badAllocMax {
		t.Errorf("the case allocated %.1f MiB for %d bytes sent, want at most %d MiB", float64(alloc)/(1<<20), tc.size(), badAllocMax>>20)
	}
	if check != nil {
		check()
	}
	s.checkNext(t, i, &tc, nextTLS)
	if log, _ := s.log.from(logStart); strings.Contains(log, "panic") {
		t.Errorf("the servers logged a panic:\n%s", badPanicLines(log))
	}
	return alloc
}

// dial connects to the server of tc: the gateway, the scale server or
// the gateway that requires TLS. It returns the connection to write and
// read, over TLS with its handshake done if tc.tls, and the TCP
// connection under it.
func (s *badSystem) dial(t testing.TB, tc *badCase) (net.Conn, *net.TCPConn) {
	t.Helper()
	addr := s.gateway
	switch {
	case tc.scaler:
		addr = s.scaler
	case tc.strict:
		addr = s.strict
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(badWait))
	s.mu.Lock()
	s.peers[nc.LocalAddr().String()] = tc
	s.mu.Unlock()
	tcp := nc.(*net.TCPConn)
	if !tc.tls {
		return tcp, tcp
	}
	ctx, cancel := context.WithTimeout(context.Background(), badWait)
	defer cancel()
	c, err := s.rig.handshake(ctx, tcp)
	if err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	return c, tcp
}

// exchange writes tc.data on a fresh connection and reads the answer; it
// returns the checks to make after the memory has been measured.
func (s *badSystem) exchange(t testing.TB, tc badCase) func() {
	c, tcp := s.dial(t, &tc)
	wrote := make(chan error, 1)
	go func() {
		var err error
		if len(tc.data) > 0 {
			_, err = c.Write(tc.data)
		}
		switch tc.end {
		case badHalfClose:
			// A TCP half-close, or TLS's close_notify.
			c.(interface{ CloseWrite() error }).CloseWrite()
		case badClose:
			c.Close()
		case badReset:
			tcp.SetLinger(0)
			tcp.Close()
		}
		wrote <- err
	}()
	if tc.end == badClose || tc.end == badReset {
		<-wrote
		return nil // nothing can be read: the other checks tell
	}
	if tc.proto == transport.Native && !tc.want.silent {
		f, err := badReadFrame(c)
		return func() { s.checkFrame(t, tc, c, f, err) }
	}
	reply, err := io.ReadAll(c)
	return func() { s.checkReply(t, tc, reply, err) }
}

// checkReply checks the answer of a raw or framed exchange, or a silent
// close.
func (s *badSystem) checkReply(t testing.TB, tc badCase, reply []byte, err error) {
	t.Helper()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("no answer and no close within %v; got %q", badWait, reply)
	}
	line := string(reply)
	switch {
	case tc.want.silent:
		if len(reply) != 0 {
			t.Errorf("answer %q, want the connection closed without one", reply)
		}
	case tc.want.records:
		if err := badTLSRecords(reply); err != nil {
			t.Errorf("answer of %d bytes starting % x: %v; want nothing but whole TLS records", len(reply), reply[:min(len(reply), 16)], err)
		}
	case tc.want.w != 0 && strings.HasPrefix(line, badLinkLine):
		link, ok := strings.CutSuffix(line[len(badLinkLine):], "\n")
		if !ok || strings.Contains(link, "\n") {
			t.Fatalf("answer %q, want one link line", line)
		}
		s.checkLink(t, link, tc.want.w, tc.want.h)
	case !tc.want.isError():
		t.Errorf("answer %q, want the link to a %dx%d result", line, tc.want.w, tc.want.h)
	case !strings.HasPrefix(line, "Error: ") || strings.Index(line, "\n") != len(line)-1:
		t.Errorf("answer %q (%v), want one line starting \"Error: \"", line, err)
	default:
		badCheckMessage(t, line, tc.want.words)
	}
}

// badCheckMessage checks that an error message holds words and does not
// hide its cause.
func badCheckMessage(t testing.TB, msg string, words []string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
	if strings.Contains(msg, "internal error") {
		t.Errorf("error %q does not say what is wrong", msg)
	}
}

// checkFrame checks the native answer f, and what the connection does
// after it.
func (s *badSystem) checkFrame(t testing.TB, tc badCase, c net.Conn, f *badFrame, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	switch {
	case f.typ == 2 && tc.want.w != 0:
		if len(f.meta) < 12 {
			t.Fatalf("result metadata of %d bytes", len(f.meta))
		}
		s.checkLink(t, string(f.meta[12:]), tc.want.w, tc.want.h)
	case f.typ != 3 || len(f.meta) < 2:
		t.Fatalf("answer of type %d with %d bytes of metadata, want an error", f.typ, len(f.meta))
	default:
		var err error = &transport.RemoteError{Code: transport.Code(binary.BigEndian.Uint16(f.meta)), Message: string(f.meta[2:])}
		badCheckRemote(t, err, tc.want)
	}
	if tc.want.closes {
		c.SetReadDeadline(time.Now().Add(badWait))
		if rest, err := io.ReadAll(c); len(rest) != 0 || err != nil {
			t.Errorf("after the error frame: %q, %v; want the connection closed", rest, err)
		}
		return
	}
	// The connection serves the next request.
	if _, err := c.Write(badFrameBytes(1, 1, make([]byte, 32), s.photos[0])); err != nil {
		t.Fatalf("sending a good request after the error: %v", err)
	}
	f, err = badReadFrame(c)
	if err != nil || f.typ != 2 || len(f.meta) <= 12 {
		t.Fatalf("a good request after the error got %+v, %v; want a result with a link", f, err)
	}
}

// badCheckRemote checks a native error reply against want.
func badCheckRemote(t testing.TB, err error, want badWant) {
	t.Helper()
	var re *transport.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("answer %v, want a RemoteError", err)
	}
	if re.Code != want.code {
		t.Errorf("answer %q has code %v, want %v", re.Message, re.Code, want.code)
	}
	if sentinel := badSentinels[want.code]; sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(%v, %v) = false", err, sentinel)
	}
	badCheckMessage(t, re.Message, want.words)
}

// doClient sends tc.req to the scale server with a transport.Client of
// its own, so on a fresh connection, over TLS if tc.tls.
func (s *badSystem) doClient(t testing.TB, tc badCase) func() {
	c := &transport.Client{Addr: s.scaler}
	if tc.tls {
		c.TLSConfig = s.rig.client
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), badWait)
	t.Cleanup(cancel)
	resp, err := c.Do(ctx, tc.req)
	return func() {
		if err == nil {
			if tc.want.w == 0 || resp.Width != tc.want.w || resp.Height != tc.want.h {
				t.Fatalf("Do = a %dx%d result, want error code %v saying %q", resp.Width, resp.Height, tc.want.code, tc.want.words)
			}
			cfg, f, err := scaler.DecodeConfig(bytes.NewReader(resp.Body), nil)
			if err != nil || f != scaler.JPEG || cfg.Width != tc.want.w || cfg.Height != tc.want.h {
				t.Errorf("result body is %v %dx%d, %v; want a %dx%d JPEG", f, cfg.Width, cfg.Height, err, tc.want.w, tc.want.h)
			}
			return
		}
		badCheckRemote(t, err, tc.want)
		// The connection, back in the client's pool, serves the next one.
		if _, err := c.Do(ctx, &transport.Request{Image: image.NewGray(image.Rect(0, 0, 4, 4))}); err != nil {
			t.Errorf("a good request after the error: %v", err)
		}
	}
}

// checkNext uploads a good JPEG to the gateway as the original client
// does, over TLS if secure, and checks that its link serves a gray JPEG of
// half its size.
func (s *badSystem) checkNext(t testing.TB, i int, tc *badCase, secure bool) {
	t.Helper()
	photo := s.photos[i%len(s.photos)]
	c, _ := s.dial(t, &badCase{name: tc.name + ", the next client", tls: secure})
	if _, err := c.Write(photo); err != nil {
		t.Fatalf("next client: %v", err)
	}
	reply, err := io.ReadAll(c)
	link, ok := strings.CutPrefix(string(reply), badLinkLine)
	if err != nil || !ok || strings.Index(link, "\n") != len(link)-1 {
		t.Fatalf("the next client got %q, %v; want a link line", reply, err)
	}
	cfg, _, _ := scaler.DecodeConfig(bytes.NewReader(photo), nil)
	s.checkLink(t, link[:len(link)-1], cfg.Width/2, cfg.Height/2)
}

// checkLink checks that link serves a gray JPEG of w×h.
func (s *badSystem) checkLink(t testing.TB, link string, w, h int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), badWait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", link, resp.Status, err)
	}
	cfg, f, err := scaler.DecodeConfig(bytes.NewReader(body), nil)
	if err != nil || f != scaler.JPEG || cfg.ColorModel != color.GrayModel || cfg.Width != w || cfg.Height != h {
		t.Errorf("GET %s: %v %dx%d, %v; want a gray %dx%d JPEG", link, f, cfg.Width, cfg.Height, err, w, h)
	}
}

// badFrame is a native frame as read off the wire.
type badFrame struct {
	typ        byte
	meta, body []byte
}

// badReadFrame reads one native frame.
func badReadFrame(r io.Reader) (*badFrame, error) {
	var h [16]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	m, b := binary.BigEndian.Uint32(h[8:]), binary.BigEndian.Uint32(h[12:])
	if string(h[:4]) != "ESCL" || h[4] != 1 || m > 4096 || b > badLimit {
		return nil, fmt.Errorf("answer header % x is not one of a native frame", h)
	}
	buf := make([]byte, m+b)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return &badFrame{typ: h[5], meta: buf[:m], body: buf[m:]}, nil
}

// badHeader returns a native frame header with the lengths given, true or
// not.
func badHeader(version, typ byte, m, b uint32) []byte {
	h := []byte{'E', 'S', 'C', 'L', version, typ, 0, 0}
	h = binary.BigEndian.AppendUint32(h, m)
	return binary.BigEndian.AppendUint32(h, b)
}

// badFrameBytes returns a whole native frame.
func badFrameBytes(version, typ byte, meta, body []byte) []byte {
	f := badHeader(version, typ, uint32(len(meta)), uint32(len(body)))
	return append(append(f, meta...), body...)
}

// badMeta returns the 32 bytes of request metadata, all defaults but for
// what set changes.
func badMeta(set func(m []byte)) []byte {
	m := make([]byte, 32)
	if set != nil {
		set(m)
	}
	return m
}

func badFactor(f float64) func(m []byte) {
	return func(m []byte) { binary.BigEndian.PutUint64(m, math.Float64bits(f)) }
}

func badSize(w, h uint32) func(m []byte) {
	return func(m []byte) {
		binary.BigEndian.PutUint32(m[8:], w)
		binary.BigEndian.PutUint32(m[12:], h)
	}
}

func badByte(i int, v byte) func(m []byte) {
	return func(m []byte) { m[i] = v }
}

// badFramedBytes returns a request of the framed protocol.
func badFramedBytes(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// badSpare is how many bytes at the end of each file of badFormats the
// decoders never read: GIF's trailer, the pad byte of the WebP chunk and
// the resolutions that follow TIFF's directory. A cut that loses no more
// may be served.
var badSpare = map[string]int{"gif": 1, "webp": 1, "tiff": 16}

// badTruncations cuts every format at 16 points spread over the file, from
// 1 byte to all but the last, and sends the pieces as an original client
// that then half-closes, to the gateway, and natively to the scale server,
// which decodes with other decoders. Over TLS, four of the cuts are sent:
// the first byte alone, a third, two thirds, and all but the last byte.
func badTruncations(t testing.TB) []badCase {
	var cases []badCase
	for _, f := range badFormats(t) {
		for k := range 16 {
			cut := 1 + (len(f.data)-2)*k/15
			want := badCode(transport.CodeInvalidImage, false, "invalid image")
			if cut >= 16 { // long enough to be told for an image
				want.words = append(want.words, "truncated")
			}
			if len(f.data)-cut <= badSpare[f.name] {
				want.w, want.h = 32, 24
			}
			piece := f.data[:cut]
			plainOnly := k%5 != 0
			cases = append(cases,
				badCase{name: fmt.Sprintf("truncated/raw/%s/%d of %d", f.name, cut, len(f.data)), proto: transport.Raw, data: piece, want: want, plainOnly: plainOnly},
				badCase{name: fmt.Sprintf("truncated/native/%s/%d of %d", f.name, cut, len(f.data)), scaler: true, req: &transport.Request{Body: piece}, want: want, plainOnly: plainOnly})
		}
	}
	return cases
}

// badRandomBytes returns n bytes from a generator seeded with seed.
func badRandomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// badRandom sends random bytes: bare, behind the signature of each format,
// in a native request and in a framed one.
func badRandom() []badCase {
	var cases []badCase
	for _, seed := range []uint64{1, 2} {
		for _, n := range []int{1, 3, 64, 4096, 64 << 10} {
			data := badRandomBytes(seed, n)
			want := badErr("invalid image")
			// Four bytes that read as a length within the limit start the
			// framed protocol, which answers a short request by closing.
			if n >= 4 {
				if l := binary.BigEndian.Uint32(data); l >= 1 && l <= badLimit {
					want = badSilent()
				}
			}
			cases = append(cases, badCase{name: fmt.Sprintf("random/raw/seed %d/%d bytes", seed, n), proto: transport.Raw, data: data, want: want})
		}
	}
	for i, sig := range []string{"\xff\xd8\xff", "\x89PNG\r\n\x1a\n", "GIF89a", "BM", "II*\x00", "MM\x00*", "RIFF"} {
		data := append([]byte(sig), badRandomBytes(uint64(10+i), 4096)...)
		cases = append(cases, badCase{name: fmt.Sprintf("random/raw/after signature %q", sig), proto: transport.Raw, data: data, want: badErr("invalid image")})
	}
	for _, n := range []int{1, 100, 64 << 10} {
		cases = append(cases, badCase{name: fmt.Sprintf("random/native/%d bytes", n), scaler: true,
			req: &transport.Request{Body: badRandomBytes(3, n)}, want: badCode(transport.CodeInvalidImage, false, "invalid image")})
	}
	cases = append(cases, badCase{name: "random/framed/4096 bytes", proto: transport.Framed,
		data: badFramedBytes(badRandomBytes(4, 4096)), want: badSilent()})
	return cases
}

// badBombs sends headers that ask for absurd sizes, with next to no data,
// to the gateway as an original client and natively to the scale server.
func badBombs() []badCase {
	jpg := sample.JPEG(64, 48)
	prog := badProgressiveJPEG(scaler.Grayscale(sample.Picture(64, 48)))
	bombs := []struct {
		name string
		data []byte
		want string
	}{
		{"jpeg SOF0 65535x65535", badPatchSOF(jpg, 65535, 65535), "too large"},
		{"jpeg progressive SOF2 65535x65535", badPatchSOF(prog, 65535, 65535), "too large"},
		{"jpeg SOF0 2000x2000 over 64x48 of data", badPatchSOF(jpg, 2000, 2000), "invalid image"},
		{"png IHDR 2147483647x2147483647", badPNG(math.MaxInt32, math.MaxInt32), "too large"}, // more pixels than any platform addresses
		{"png IHDR 100000x100000", badPNG(100000, 100000), "too large"},
		{"png IHDR 2147483648x1", badPNG(1<<31, 1), "invalid image"},
		{"gif of 35 bytes, screen 65535x65535", badGIF(65535, 65535, 1, 1), "too large"},
		{"gif frame 65535x65535 on a 1x1 screen", badGIF(1, 1, 65535, 65535), "invalid image"},
		{"bmp of 54 bytes, 16384x16384 at 32 bits", badBMP(54, 16384, 16384, 32), "too large"},
		{"bmp of 54 bytes, 16384x16384 at 32 bits, no file size", badBMP(0, 16384, 16384, 32), "too large"},
		{"bmp 2147483647x1", badBMP(54, math.MaxInt32, 1, 24), "too large"},
		{"bmp top-down 1x2147483648", badBMP(54, 1, math.MinInt32, 24), "too large"},
		{"bmp 2147483647x2147483647 at 32 bits, no file size", badBMP(0, math.MaxInt32, math.MaxInt32, 32), "too large"},
		{"tiff 65535x65535", badPatchTIFF(badTIFF(), 65535, 65535), "too large"},
		{"tiff 4294967295x1", badPatchTIFF(badTIFF(), math.MaxUint32, 1), "too large"},
		{"tiff of 8 bytes, directory at 4 GiB", []byte("II*\x00\xf0\xff\xff\xff"), "invalid image"},
		{"tiff of 8 bytes, directory at 64 MiB", []byte("MM\x00*\x04\x00\x00\x00"), "invalid image"},
		{"webp lossless 16384x16384", badWebP(16384, 16384, 0x80), "too large"},
		{"webp extended canvas 16384x16384", badWebPCanvas(16384, 16384), "too large"},
		{"webp extended canvas 16777216x16777216", badWebPCanvas(1<<24, 1<<24), "invalid image"}, // over x/image/webp's limit
	}
	var cases []badCase
	for _, b := range bombs {
		code := transport.CodeTooLarge
		if b.want == "invalid image" {
			code = transport.CodeInvalidImage
		}
		cases = append(cases,
			badCase{name: "bomb/raw/" + b.name, proto: transport.Raw, data: b.data, want: badErr(b.want)},
			badCase{name: "bomb/native/" + b.name, scaler: true, req: &transport.Request{Body: b.data}, want: badCode(code, false, b.want)})
	}
	// A header may also give a file size within the limit, and the upload
	// stop after the 64 KiB that the server reads before it looks at it.
	return append(cases, badCase{name: "bomb/raw/bmp of 64 KiB whose header gives 64000000 bytes", proto: transport.Raw,
		data: append(badBMP(64e6, 16384, 16384, 32), make([]byte, 64<<10-54)...), want: badErr("too large")})
}

// badZeroSizes sends headers of images with no pixels.
func badZeroSizes() []badCase {
	jpg := sample.JPEG(64, 48)
	zeros := []struct {
		name string
		data []byte
	}{
		{"jpeg 64x0", badPatchSOF(jpg, 64, 0)},
		{"jpeg 0x48", badPatchSOF(jpg, 0, 48)},
		{"png 0x48", badPNG(0, 48)},
		{"gif 0x0", badGIF(0, 0, 0, 0)},
		{"bmp 0x48", badBMP(54, 0, 48, 24)},
		{"tiff 0x48", badPatchTIFF(badTIFF(), 0, 48)},
	}
	var cases []badCase
	for _, z := range zeros {
		cases = append(cases,
			badCase{name: "empty image/raw/" + z.name, proto: transport.Raw, data: z.data, end: badKeepOpen, want: badErr("invalid image")},
			badCase{name: "empty image/native/" + z.name, scaler: true, req: &transport.Request{Body: z.data}, want: badCode(transport.CodeInvalidImage, false, "invalid image")})
	}
	return cases
}

// badFrames sends native frames that are malformed, to the gateway.
func badFrames() []badCase {
	jpg := sample.JPEG(64, 48)
	meta := badMeta(nil)
	whole := badFrameBytes(1, 1, meta, jpg)
	native := func(name string, data []byte, end badEnd, want badWant) badCase {
		return badCase{name: "frame/" + name, proto: transport.Native, data: data, end: end, want: want}
	}
	bad := transport.CodeBadRequest
	return []badCase{
		native("length 0", badHeader(1, 1, 0, 0), badKeepOpen, badCode(bad, false, "metadata of 0 bytes")),
		native("no body", badFrameBytes(1, 1, meta, nil), badKeepOpen, badCode(transport.CodeInvalidImage, false, "empty upload")),
		native("body length 0xFFFFFFFF", badHeader(1, 1, 32, math.MaxUint32), badKeepOpen, badCode(transport.CodeTooLarge, true, "too large")),
		native("metadata length 0xFFFFFFFF", badHeader(1, 1, math.MaxUint32, 0), badKeepOpen, badCode(bad, true, "metadata")),
		native("metadata length 4097", badHeader(1, 1, 4097, 0), badKeepOpen, badCode(bad, true, "metadata")),
		native("one byte over the frame limit", badHeader(1, 1, 32, badLimit-31), badKeepOpen, badCode(transport.CodeTooLarge, true, "too large")),
		native("version 0", badHeader(0, 1, 32, 10), badKeepOpen, badCode(bad, true, "version 0")),
		native("version 2", badHeader(2, 1, 32, 10), badKeepOpen, badCode(bad, true, "version 2")),
		native("version 255", badHeader(255, 1, 32, 10), badKeepOpen, badCode(bad, true, "version 255")),
		native("type 0", badHeader(1, 0, 32, 10), badKeepOpen, badCode(bad, true, "type 0")),
		native("type 4", badHeader(1, 4, 32, 10), badKeepOpen, badCode(bad, true, "type 4")),
		native("type 255", badHeader(1, 255, 32, 10), badKeepOpen, badCode(bad, true, "type 255")),
		native("a result as the request", badFrameBytes(1, 2, make([]byte, 12), nil), badKeepOpen, badCode(bad, false, "type 2")),
		native("an error as the request", badFrameBytes(1, 3, []byte{0, 1, 'x'}, nil), badKeepOpen, badCode(bad, false, "type 3")),
		native("reserved header bytes", badReserved(whole), badKeepOpen, badCode(bad, true, "reserved")),
		native("request metadata of 31 bytes", badFrameBytes(1, 1, meta[:31], jpg), badKeepOpen, badCode(bad, false, "31 bytes")),
		native("request metadata of 33 bytes", badFrameBytes(1, 1, append(meta, 0), jpg), badKeepOpen, badCode(bad, false, "33 bytes")),
		native("header cut, then half-close", whole[:10], badHalfClose, badSilent()),
		{name: "frame/header cut, then stall", proto: transport.Native, data: whole[:10], end: badKeepOpen, want: badCode(transport.CodeTimeout, true, "stalled")},
		{name: "frame/body at the limit, then half-close", proto: transport.Native, data: append(badHeader(1, 1, 32, badLimit-32), meta...),
			want: badSilent()},
		native("body cut, then half-close", whole[:len(whole)/2], badHalfClose, badSilent()),
		{name: "frame/body cut, then stall", proto: transport.Native, data: whole[:len(whole)/2], end: badKeepOpen, want: badCode(transport.CodeTimeout, true, "stalled")},
		{name: "frame/magic ESCX", proto: transport.Raw, data: append([]byte("ESCX"), whole[4:]...), end: badKeepOpen, want: badErr("not an image")},
	}
}

// badOptions sends native requests of a good JPEG with options that make
// no sense, or that are odd but valid, to the gateway.
func badOptions() []badCase {
	jpg := sample.JPEG(64, 48)
	gray := make([]byte, 64*48)
	option := func(name string, set func([]byte), body []byte, want badWant) badCase {
		if body == nil {
			body = jpg
		}
		return badCase{name: "options/" + name, proto: transport.Native, data: badFrameBytes(1, 1, badMeta(set), body), end: badKeepOpen, want: want}
	}
	rawGray := func(w, h uint32) func([]byte) {
		return func(m []byte) {
			m[20] = 16
			binary.BigEndian.PutUint32(m[24:], w)
			binary.BigEndian.PutUint32(m[28:], h)
		}
	}
	both := func(fs ...func([]byte)) func([]byte) {
		return func(m []byte) {
			for _, f := range fs {
				f(m)
			}
		}
	}
	bad := func(words ...string) badWant { return badCode(transport.CodeBadRequest, false, words...) }
	large := badCode(transport.CodeTooLarge, false, "too large")
	return []badCase{
		option("factor -1", badFactor(-1), nil, bad("factor")),
		option("factor -Inf", badFactor(math.Inf(-1)), nil, bad("factor")),
		option("factor +Inf", badFactor(math.Inf(1)), nil, bad("factor")),
		option("factor NaN", badFactor(math.NaN()), nil, bad("factor")),
		option("factor -5e-324", badFactor(-5e-324), nil, bad("factor")),
		option("factor 1e6", badFactor(1e6), nil, large),
		option("factor 1e300", badFactor(1e300), nil, large),
		option("factor MaxFloat64", badFactor(math.MaxFloat64), nil, large),
		option("width 4294967295", badSize(math.MaxUint32, 0), nil, large),
		option("height 4294967295", badSize(0, math.MaxUint32), nil, large),
		option("size 100000x100000", badSize(100000, 100000), nil, large),
		option("width over the pixel limit", badSize(scaler.DefaultMaxPixels+1, 1), nil, large),
		option("quality 101", badByte(17, 101), nil, bad("quality 101")),
		option("quality 255", badByte(17, 255), nil, bad("quality 255")),
		option("filter 5", badByte(16, 5), nil, bad("filter")),
		option("filter 255", badByte(16, 255), nil, bad("filter")),
		option("orientation 9", badByte(19, 9), nil, bad("orientation 9")),
		option("orientation 255", badByte(19, 255), nil, bad("orientation 255")),
		option("result format 3 (gif)", badByte(18, 3), nil, bad("format")),
		option("result format 255", badByte(18, 255), nil, bad("format")),
		option("raw gray result of a file", badByte(18, 16), nil, bad("raw gray")),
		option("body format 1", badByte(20, 1), nil, badCode(transport.CodeBadRequest, false, "body format")),
		option("body format 255", badByte(20, 255), nil, badCode(transport.CodeBadRequest, false, "body format")),
		option("reserved request bytes", badByte(22, 1), nil, badCode(transport.CodeBadRequest, false, "reserved")),
		option("raw size for a file", badByte(27, 8), nil, badCode(transport.CodeBadRequest, false, "raw size")),
		option("raw gray 0x0", rawGray(0, 0), gray[:0], badCode(transport.CodeBadRequest, false, "raw gray size 0x0 is empty")),
		option("raw gray 0x48", rawGray(0, 48), gray[:0], badCode(transport.CodeBadRequest, false, "raw gray size 0x48 is empty")),
		option("raw gray 64x48 of 3071 bytes", rawGray(64, 48), gray[:64*48-1], badCode(transport.CodeBadRequest, false, "raw gray")),
		option("raw gray 65536x65536 of 3072 bytes", rawGray(65536, 65536), gray, badCode(transport.CodeBadRequest, false, "raw gray")),
		// Odd but valid: served.
		option("factor 0 is the default", badFactor(0), nil, badServed(32, 24)),
		option("factor -0 is the default", badFactor(math.Copysign(0, -1)), nil, badServed(32, 24)),
		option("size 0x0 with factor 0.25", both(badSize(0, 0), badFactor(0.25)), nil, badServed(16, 12)),
		option("quality 0 is the default", badByte(17, 0), nil, badServed(32, 24)),
		option("factor 1e-300 gives 1x1", badFactor(1e-300), nil, badServed(1, 1)),
		option("raw gray 64x48 with a raw gray result", both(rawGray(64, 48), badByte(18, 16)), gray, badServed(32, 24)),
	}
}

// badFramed sends requests of the original framed protocol, which has no
// error reply, to the gateway.
func badFramed() []badCase {
	jpg := sample.JPEG(64, 48)
	framed := func(name string, data []byte, end badEnd, want badWant) badCase {
		return badCase{name: "framed/" + name, proto: transport.Framed, data: data, end: end, want: want}
	}
	return []badCase{
		// Lengths out of range are not the framed protocol at all.
		framed("length 0", []byte{0, 0, 0, 0}, badKeepOpen, badErr("invalid image", "not an image")),
		framed("length 0xFFFFFFFF", []byte{0xff, 0xff, 0xff, 0xff}, badKeepOpen, badErr("invalid image", "not an image")),
		framed("length one over the limit", binary.BigEndian.AppendUint32(nil, badLimit+1), badKeepOpen, badErr("invalid image", "not an image")),
		framed("truncated jpeg", badFramedBytes(jpg)[:len(jpg)/2], badHalfClose, badSilent()),
		framed("length and nothing more", binary.BigEndian.AppendUint32(nil, 100), badHalfClose, badSilent()),
		framed("length, then stall", binary.BigEndian.AppendUint32(nil, 100), badKeepOpen, badSilent()),
		{name: "framed/length at the limit, then half-close", proto: transport.Framed, data: binary.BigEndian.AppendUint32(nil, badLimit), want: badSilent()},
		framed("not an image", badFramedBytes([]byte("GIF89a, or so it says")), badKeepOpen, badSilent()),
	}
}

// badConnections are clients that send nothing, or leave in the middle.
func badConnections() []badCase {
	jpg := sample.JPEG(64, 48)
	half := jpg[:len(jpg)/2]
	request := badFrameBytes(1, 1, badMeta(nil), jpg)
	conn := func(name string, proto transport.Protocol, data []byte, end badEnd, want badWant) badCase {
		return badCase{name: "connection/" + name, proto: proto, data: data, end: end, want: want}
	}
	return []badCase{
		conn("nothing, then close", transport.Raw, nil, badClose, badWant{}),
		conn("nothing, then half-close", transport.Raw, nil, badHalfClose, badSilent()),
		// Over TLS, TestSlowloris holds connections idle after their
		// handshake, and checks when they are cut off.
		{name: "connection/nothing, then wait", proto: transport.Raw, end: badKeepOpen, want: badSilent(), plainOnly: true},
		conn("half a jpeg, then half-close", transport.Raw, half, badHalfClose, badErr("invalid image", "truncated")),
		conn("half a jpeg, then stall", transport.Raw, half, badKeepOpen, badErr("stalled")),
		conn("half a jpeg, then close", transport.Raw, half, badClose, badWant{}),
		{name: "connection/half a jpeg, then reset", proto: transport.Raw, data: half, end: badReset},
		conn("a jpeg, then reset", transport.Raw, jpg, badReset, badWant{}),
		conn("two bytes, then stall", transport.Raw, jpg[:2], badKeepOpen, badErr("timeout")),
		conn("half a native request, then reset", transport.Native, request[:len(request)/2], badReset, badWant{}),
		conn("a native request, then reset", transport.Native, request, badReset, badWant{}),
		conn("native: half a jpeg in a whole frame", transport.Native, badFrameBytes(1, 1, badMeta(nil), half), badKeepOpen,
			badCode(transport.CodeInvalidImage, false, "invalid image", "truncated")),
	}
}

// badHandshakes are TLS handshakes gone wrong, written as bytes on the
// TCP connection: cut, garbled or stalled. The server must close the
// connection, having sent at most its side of the handshake and an alert;
// one that stalls is cut off by the bound of the handshake, of at most
// twice the StallTimeout. (TestSlowloris holds handshakes that stall in
// the ClientHello, and checks when they are cut off.)
func badHandshakes(tb testing.TB, rig *tlsRig) []badCase {
	// A ClientHello as Go's clients send by default, with a hybrid
	// post-quantum key share: 1.3 KiB, in one record.
	cfg := rig.client.Clone()
	cfg.CurvePreferences = nil
	hello := clientHello(tb, cfg)
	old := clientHello(tb, &tls.Config{ServerName: "127.0.0.1", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10})
	half := hello[:len(hello)/2]
	handshake := func(name string, data []byte, end badEnd, want badWant) badCase {
		return badCase{name: "tls/handshake/" + name, proto: transport.Raw, data: data, end: end, want: want}
	}
	return []badCase{
		handshake("the record type alone, then half-close", []byte{0x16}, badHalfClose, badSilent()),
		handshake("half a ClientHello, then half-close", half, badHalfClose, badSilent()),
		handshake("half a ClientHello, then close", half, badClose, badWant{}),
		handshake("half a ClientHello, then reset", half, badReset, badWant{}),
		handshake("a ClientHello, then half-close", hello, badHalfClose, badRecords()),
		handshake("a ClientHello, then close", hello, badClose, badWant{}),
		handshake("a ClientHello, then stall", hello, badKeepOpen, badRecords()),
		handshake("a ClientHello, then garbage", append(bytes.Clone(hello), badRandomBytes(20, 256)...), badKeepOpen, badRecords()),
		handshake("a ClientHello twice", append(bytes.Clone(hello), hello...), badKeepOpen, badRecords()),
		handshake("a ClientHello of TLS 1.0 only", old, badKeepOpen, badRecords()),
		handshake("garbage after the record type", append([]byte{0x16}, badRandomBytes(21, 4096)...), badKeepOpen, badRecords()),
		handshake("a record of 65535 bytes", append([]byte{0x16, 3, 1, 0xff, 0xff}, badRandomBytes(22, 1024)...), badKeepOpen, badRecords()),
		handshake("a handshake record of random bytes", append([]byte{0x16, 3, 1, 0, 64}, badRandomBytes(23, 64)...), badKeepOpen, badRecords()),
		handshake("an empty handshake record", []byte{0x16, 3, 1, 0, 0}, badKeepOpen, badRecords()),
		// With TLS on, four bytes that read as a framed length from
		// 0x16000000 start a TLS record (see Detection), which ends here
		// before its header is whole.
		handshake("a framed length of 0x16000001", binary.BigEndian.AppendUint32(nil, 0x16000001), badHalfClose, badSilent()),
	}
}

// badRequireTLS sends plaintext to the gateway that requires TLS, which
// must answer that TLS is required, in the protocol of the request, and
// then requests over TLS, which it serves.
func badRequireTLS() []badCase {
	jpg := sample.JPEG(64, 48)
	strict := func(name string, secure bool, proto transport.Protocol, data []byte, end badEnd, want badWant) badCase {
		return badCase{name: "tls/require tls/" + name, strict: true, tls: secure, proto: proto, data: data, end: end, want: want}
	}
	required := badErr("connect with TLS")
	return []badCase{
		strict("plaintext jpeg", false, transport.Raw, jpg, badKeepOpen, required),
		strict("plaintext jpeg, then half-close", false, transport.Raw, jpg, badHalfClose, required),
		strict("two plaintext bytes, then half-close", false, transport.Raw, jpg[:2], badHalfClose, required),
		strict("plaintext native request", false, transport.Native, badFrameBytes(1, 1, badMeta(nil), jpg), badKeepOpen,
			badCode(transport.CodeBadRequest, true, "connect with TLS")),
		strict("plaintext framed request", false, transport.Framed, badFramedBytes(jpg), badKeepOpen, required),
		strict("plaintext, nothing, then half-close", false, transport.Raw, nil, badHalfClose, badSilent()),
		strict("jpeg over TLS", true, transport.Raw, jpg, badKeepOpen, badServed(32, 24)),
		strict("native request over TLS", true, transport.Native, badFrameBytes(1, 1, badMeta(nil), jpg), badKeepOpen, badServed(32, 24)),
	}
}

// badTLSRecords checks that b is a sequence of whole TLS records.
func badTLSRecords(b []byte) error {
	for n := 0; len(b) > 0; n++ {
		if len(b) < 5 {
			return fmt.Errorf("record %d is cut in its header", n+1)
		}
		typ, l := b[0], int(binary.BigEndian.Uint16(b[3:]))
		if typ < 20 || typ > 23 || b[1] != 3 {
			return fmt.Errorf("record %d has type %d, version % x", n+1, typ, b[1:3])
		}
		if 5+l > len(b) {
			return fmt.Errorf("record %d of %d bytes is cut after %d", n+1, l, len(b)-5)
		}
		b = b[5+l:]
	}
	return nil
}

// A badFile is an image file of a given format.
type badFile struct {
	name string
	data []byte
}

// badFormats are the image files that the bad-input suite cuts, one of
// each format the system decodes, all 64×48.
func badFormats(tb testing.TB) []badFile {
	tb.Helper()
	pic := sample.Picture(64, 48)
	var gifBuf, bmpBuf, tiffBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, pic, nil); err != nil {
		tb.Fatal(err)
	}
	if err := bmp.Encode(&bmpBuf, pic); err != nil {
		tb.Fatal(err)
	}
	if err := tiff.Encode(&tiffBuf, pic, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		tb.Fatal(err)
	}
	return []badFile{
		{"jpeg", sample.JPEG(64, 48)},
		{"jpeg progressive", badProgressiveJPEG(scaler.Grayscale(pic))},
		{"png", sample.PNG(64, 48)},
		{"gif", gifBuf.Bytes()},
		{"bmp", bmpBuf.Bytes()},
		{"tiff", tiffBuf.Bytes()},
		{"webp", badWebP(64, 48, 0x80)},
	}
}

// badBitWriter writes the bits of JPEG entropy-coded data, most significant
// first, stuffing a 0 after each 0xFF byte.
type badBitWriter struct {
	out  []byte
	acc  uint32
	bits uint
}

func (w *badBitWriter) write(v uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | v>>uint(i)&1
		if w.bits++; w.bits == 8 {
			w.out = append(w.out, byte(w.acc))
			if byte(w.acc) == 0xff {
				w.out = append(w.out, 0)
			}
			w.acc, w.bits = 0, 0
		}
	}
}

// flush pads the last byte with 1 bits.
func (w *badBitWriter) flush() []byte {
	for w.bits != 0 {
		w.write(1, 1)
	}
	return w.out
}

// badSegment appends a JPEG marker segment.
func badSegment(dst []byte, marker byte, payload []byte) []byte {
	dst = append(dst, 0xff, marker)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(payload)+2))
	return append(dst, payload...)
}

// badProgressiveJPEG encodes g as a one-component progressive JPEG (SOF2)
// whose 8×8 blocks are flat at the mean of g's pixels under them: a DC
// scan, then an AC scan of end-of-band codes. image/jpeg cannot write
// progressive files, and this is the simplest one a decoder must handle.
func badProgressiveJPEG(g *image.Gray) []byte {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := []byte{0xff, 0xd8}
	dqt := make([]byte, 65) // table 0, 8-bit, all steps 1
	for i := 1; i < 65; i++ {
		dqt[i] = 1
	}
	out = badSegment(out, 0xdb, dqt)
	out = badSegment(out, 0xc2, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0})
	// DC table 0: categories 0 to 11, four bits each. AC table 0: end of
	// band only, one bit.
	dht := []byte{0x00, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	dht = append(dht, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00)
	out = badSegment(out, 0xc4, dht)

	var dc badBitWriter
	prev := 0
	for by := 0; by < (h+7)/8; by++ {
		for bx := 0; bx < (w+7)/8; bx++ {
			sum := 0
			for y := range 8 {
				for x := range 8 {
					sum += int(g.GrayAt(min(bx*8+x, w-1), min(by*8+y, h-1)).Y) - 128
				}
			}
			v := sum / 8 // the DC coefficient of a block at quantiser 1
			diff := v - prev
			prev = v
			s, mag := uint(0), diff
			if mag < 0 {
				mag = -mag
			}
			for mag>>s != 0 {
				s++
			}
			dc.write(uint32(s), 4)
			if diff < 0 {
				diff += 1<<s - 1
			}
			dc.write(uint32(diff), s)
		}
	}
	out = badSegment(out, 0xda, []byte{1, 1, 0x00, 0, 0, 0x00})
	out = append(out, dc.flush()...)
	var ac badBitWriter
	for range ((w + 7) / 8) * ((h + 7) / 8) {
		ac.write(0, 1)
	}
	out = badSegment(out, 0xda, []byte{1, 1, 0x00, 1, 63, 0x00})
	out = append(out, ac.flush()...)
	return append(out, 0xff, 0xd9)
}

// badWebP builds a w×h WebP of one gray level by hand (golang.org/x/image
// has no WebP encoder): a VP8L bitstream with no transforms whose five
// prefix codes each have a single symbol, so that its pixels take no bits.
func badWebP(w, h int, level byte) []byte {
	var bits []bool
	put := func(v, n int) { // least significant bit first
		for i := range n {
			bits = append(bits, v>>i&1 == 1)
		}
	}
	put(w-1, 14)
	put(h-1, 14)
	put(0, 1) // no alpha
	put(0, 3) // version 0
	put(0, 1) // no transform
	put(0, 1) // no colour cache
	put(0, 1) // no meta prefix codes
	for _, sym := range []int{int(level), int(level), int(level), 255, 0} {
		put(1, 1) // simple code
		put(0, 1) // one symbol
		put(1, 1) // of 8 bits
		put(sym, 8)
	}
	vp8l := []byte{0x2f}
	for i := 0; i < len(bits); i += 8 {
		var b byte
		for j := i; j < min(i+8, len(bits)); j++ {
			if bits[j] {
				b |= 1 << (j - i)
			}
		}
		vp8l = append(vp8l, b)
	}
	if len(vp8l)%2 == 1 {
		vp8l = append(vp8l, 0)
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(12+len(vp8l)))
	out = append(out, "WEBPVP8L"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(vp8l)))
	return append(out, vp8l...)
}

// badPNGChunk appends a PNG chunk with its CRC.
func badPNGChunk(dst []byte, typ string, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	start := len(dst)
	dst = append(dst, typ...)
	dst = append(dst, data...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

// badReserved returns a copy of a native frame with a reserved header byte
// set.
func badReserved(frame []byte) []byte {
	f := bytes.Clone(frame)
	f[6] = 1
	return f
}

// badPatchSOF returns a copy of a JPEG whose frame header says w×h.
func badPatchSOF(jpg []byte, w, h int) []byte {
	out := bytes.Clone(jpg)
	for i := 2; i+9 < len(out) && out[i] == 0xff; {
		m := out[i+1]
		if m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
			binary.BigEndian.PutUint16(out[i+5:], uint16(h))
			binary.BigEndian.PutUint16(out[i+7:], uint16(w))
			return out
		}
		i += 2 + int(binary.BigEndian.Uint16(out[i+2:]))
	}
	panic("badPatchSOF: no frame header")
}

// badPNG returns a PNG of an 8-bit gray w×h image with no pixel data: a
// signature, a header and an end.
func badPNG(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0)
	out := badPNGChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr)
	return badPNGChunk(out, "IEND", nil)
}

// badGIF returns a GIF of a screen of sw×sh, with a two-colour table and
// one fw×fh frame whose data is that of a 1×1 frame.
func badGIF(sw, sh, fw, fh uint16) []byte {
	le := binary.LittleEndian
	out := le.AppendUint16([]byte("GIF89a"), sw)
	out = le.AppendUint16(out, sh)
	out = append(out, 0x80, 0, 0, 0, 0, 0, 255, 255, 255)
	out = append(out, 0x2c, 0, 0, 0, 0)
	out = le.AppendUint16(out, fw)
	out = le.AppendUint16(out, fh)
	return append(out, 0, 2, 2, 0x44, 0x01, 0, 0x3b)
}

// badBMP returns the 54 bytes of the headers of an uncompressed BMP of w×h
// at bpp bits per pixel, and no pixels; fileSize is its bfSize.
func badBMP(fileSize uint32, w, h int32, bpp uint16) []byte {
	le := binary.LittleEndian
	out := le.AppendUint32([]byte("BM"), fileSize)
	out = le.AppendUint32(out, 0)
	out = le.AppendUint32(out, 54)
	out = le.AppendUint32(out, 40)
	out = le.AppendUint32(out, uint32(w))
	out = le.AppendUint32(out, uint32(h))
	out = le.AppendUint16(out, 1)
	out = le.AppendUint16(out, bpp)
	out = append(out, make([]byte, 24)...) // compression, sizes, resolutions, colours
	return out
}

// badTIFF returns an 8×8 TIFF.
func badTIFF() []byte {
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, sample.Picture(8, 8), nil); err != nil {
		panic(err) // writing to memory cannot fail
	}
	return buf.Bytes()
}

// badPatchTIFF returns a copy of a TIFF whose first directory says w×h.
func badPatchTIFF(data []byte, w, h uint32) []byte {
	out := bytes.Clone(data)
	var order binary.ByteOrder = binary.LittleEndian
	if out[0] == 'M' {
		order = binary.BigEndian
	}
	ifd := order.Uint32(out[4:])
	n := int(order.Uint16(out[ifd:]))
	for i := range n {
		e := out[int(ifd)+2+12*i:]
		switch order.Uint16(e) {
		case 256: // ImageWidth
			order.PutUint16(e[2:], 4) // LONG
			order.PutUint32(e[8:], w)
		case 257: // ImageLength
			order.PutUint16(e[2:], 4)
			order.PutUint32(e[8:], h)
		}
	}
	return out
}

// badWebPCanvas returns a WebP of an extended header (VP8X) for a canvas
// of w×h, and no image.
func badWebPCanvas(w, h int) []byte {
	chunk := []byte{0, 0, 0, 0, byte(w - 1), byte((w - 1) >> 8), byte((w - 1) >> 16), byte(h - 1), byte((h - 1) >> 8), byte((h - 1) >> 16)}
	out := binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(4+8+len(chunk)))
	out = append(out, "WEBPVP8X"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(chunk)))
	return append(out, chunk...)
}
