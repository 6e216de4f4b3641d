package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/gif"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/escala-img/escala/internal/tools/fuzzcorpus"
	"github.com/escala-img/escala/scaler"
)

// This file holds the fuzz targets of the request and reply parsers and of
// protocol detection, and the generator of the seed corpora of every fuzz
// target of the package, in testdata/fuzz/<target>. Rewrite them with
//
//	go test ./transport -run '^TestFuzzCorpus$' -genseeds

var genSeeds = flag.Bool("genseeds", false, "rewrite the seed corpora in testdata/fuzz")

func TestFuzzCorpus(t *testing.T) {
	for _, c := range []struct {
		target string
		seeds  func(testing.TB) []fuzzcorpus.Seed
	}{
		{"FuzzReadFrame", readFrameSeeds},
		{"FuzzParseRequest", parseRequestSeeds},
		{"FuzzParseResult", parseResultSeeds},
		{"FuzzServe", serveSeeds},
	} {
		t.Run(c.target, func(t *testing.T) { fuzzcorpus.Sync(t, c.target, c.seeds(t), *genSeeds) })
	}
}

// frameBytes returns a native frame.
func frameBytes(typ frameType, meta, body []byte) []byte {
	var buf bytes.Buffer
	writeFrame(&buf, typ, meta, body)
	return buf.Bytes()
}

// requestParts returns the metadata and body of req's request frame.
func requestParts(tb testing.TB, req *Request) (meta, body []byte) {
	tb.Helper()
	meta, body, err := marshalRequest(req)
	if err != nil {
		tb.Fatalf("marshalRequest(%+v): %v", req, err)
	}
	return meta, body
}

// patched returns a copy of b with p written at off.
func patched(b []byte, off int, p ...byte) []byte {
	b = append([]byte(nil), b...)
	copy(b[off:], p)
	return b
}

func float64Bytes(f float64) []byte {
	return binary.BigEndian.AppendUint64(nil, math.Float64bits(f))
}

// grayImage returns a w×h gray image with a ramp.
func grayImage(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 37)
	}
	return g
}

// A metaCase is request metadata and a body, valid or broken in one way.
type metaCase struct {
	name       string
	meta, body []byte
}

// requestCases returns valid request metadata of every kind, and each
// kind of broken field.
func requestCases(tb testing.TB) []metaCase {
	tb.Helper()
	file, fileBody := requestParts(tb, &Request{Body: []byte("\xff\xd8\xff\xe0 a jpeg")})
	all, allBody := requestParts(tb, &Request{Body: []byte("\x89PNG\r\n\x1a\n"), Format: scaler.PNG, Options: scaler.Options{
		Factor: 0.25, Width: 640, Height: 480, Filter: scaler.Lanczos3, Quality: 100, Orientation: scaler.LeftBottom}})
	gray, grayBody := requestParts(tb, &Request{Image: grayImage(4, 3), Options: scaler.Options{Factor: 0.5, Filter: scaler.Box}})
	grayJPEG, _ := requestParts(tb, &Request{Image: grayImage(4, 3), Format: scaler.JPEG, Options: scaler.Options{Height: 7, Quality: 1}})
	withID, _ := requestParts(tb, &Request{Body: fileBody, ID: "req-7"})
	withToken, _ := requestParts(tb, &Request{Body: fileBody, Token: "upload-token"})
	withBoth, _ := requestParts(tb, &Request{Body: fileBody, ID: "req-7", Token: "upload-token"})
	return []metaCase{
		{"file-defaults", file, fileBody},
		{"file-all-options", all, allBody},
		{"gray", gray, grayBody},
		{"gray-to-jpeg", grayJPEG, grayBody},
		{"huge-size", patched(file, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), fileBody},
		{"huge-factor", patched(file, 0, float64Bytes(1e300)...), fileBody},
		{"tiny-factor", patched(file, 0, float64Bytes(5e-324)...), fileBody},
		{"negative-zero-factor", patched(file, 0, float64Bytes(math.Copysign(0, -1))...), fileBody},
		{"nan-factor", patched(file, 0, float64Bytes(math.NaN())...), fileBody},
		{"inf-factor", patched(file, 0, float64Bytes(math.Inf(1))...), fileBody},
		{"negative-factor", patched(file, 0, float64Bytes(-0.5)...), fileBody},
		{"filter-5", patched(file, 16, 5), fileBody},
		{"quality-101", patched(file, 17, 101), fileBody},
		{"result-format-3", patched(file, 18, 3), fileBody},
		{"gray-result-of-file", patched(file, 18, wireGray), fileBody},
		{"orientation-9", patched(file, 19, 9), fileBody},
		{"body-format-1", patched(file, 20, 1), fileBody},
		{"reserved", patched(file, 21, 0, 0, 1), fileBody},
		{"raw-size-of-file", patched(file, 24, 0, 0, 0, 1), fileBody},
		{"empty-file", file, nil},
		{"gray-size-mismatch", gray, grayBody[1:]},
		{"gray-0x0", patched(gray, 24, 0, 0, 0, 0, 0, 0, 0, 0), nil},
		{"gray-huge", patched(gray, 24, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), grayBody},
		{"meta-31", file[:31], fileBody},
		{"meta-33", append(append([]byte(nil), file...), 0), fileBody},
		{"id", withID, fileBody},
		{"token", withToken, fileBody},
		{"id-and-token", withBoth, fileBody},
		{"token-length-over", patched(withToken, 33, 200), fileBody},
		{"token-space", patched(withToken, 35, ' '), fileBody},
	}
}

func readFrameSeeds(tb testing.TB) []fuzzcorpus.Seed {
	var seeds []fuzzcorpus.Seed
	add := func(name string, data []byte) { seeds = append(seeds, fuzzcorpus.Seed{Name: name, Args: []any{data}}) }
	for _, c := range requestCases(tb) {
		switch c.name {
		case "file-defaults", "file-all-options", "gray", "huge-factor", "nan-factor", "gray-size-mismatch":
			add("request-"+c.name, frameBytes(typeRequest, c.meta, c.body))
		}
	}
	req := frameBytes(typeRequest, requestCases(tb)[0].meta, requestCases(tb)[0].body)
	result, body, _ := marshalResult(&Response{Body: []byte("\xff\xd8\xff"), Format: scaler.JPEG, Width: 3, Height: 2, Location: "http://x/y.jpg"})
	add("result", frameBytes(typeResult, result, body))
	add("error", frameBytes(typeError, marshalError(CodeBusy, "busy"), nil))
	add("two-frames", append(append([]byte(nil), req...), req...))
	add("empty", nil)
	add("header-truncated", req[:9])
	add("body-truncated", req[:len(req)-1])
	add("bad-magic", patched(req, 3, 'X'))
	add("version-0", patched(req, 4, 0))
	add("version-2", patched(req, 4, 2))
	add("type-0", patched(req, 5, 0))
	add("type-4", patched(req, 5, 4))
	add("reserved-header", patched(req, 7, 1))
	add("meta-4097", header(1, 1, 4097, 0))
	add("meta-4096", append(header(1, 3, 4096, 0), bytes.Repeat([]byte("m"), 4096)...))
	add("over-limit", header(1, 1, 32, 1<<16-31))
	add("at-limit-truncated", header(1, 1, 32, 1<<16-32))
	add("lengths-max", header(1, 1, 0xFFFFFFFF, 0xFFFFFFFF))
	return seeds
}

func parseRequestSeeds(tb testing.TB) []fuzzcorpus.Seed {
	var seeds []fuzzcorpus.Seed
	for _, c := range requestCases(tb) {
		seeds = append(seeds, fuzzcorpus.Seed{Name: c.name, Args: []any{c.meta, c.body}})
	}
	return seeds
}

// resultCases returns result and error metadata with bodies.
func resultCases(tb testing.TB) []metaCase {
	tb.Helper()
	var out []metaCase
	add := func(name string, resp *Response) {
		meta, body, err := marshalResult(resp)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, metaCase{name, meta, body})
	}
	add("result-location", &Response{Location: "http://127.0.0.1:8082/abc.jpg", Width: 640, Height: 480})
	add("result-jpeg", &Response{Body: []byte("\xff\xd8\xff\xe0"), Format: scaler.JPEG, Width: 3, Height: 4})
	add("result-gray", &Response{Image: grayImage(3, 2)})
	gray := out[len(out)-1]
	out = append(out,
		metaCase{"result-gray-mismatch", gray.meta, gray.body[1:]},
		metaCase{"result-gray-huge", patched(gray.meta, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), gray.body},
		metaCase{"result-gray-0-wide", patched(gray.meta, 0, 0, 0, 0, 0), nil},
		metaCase{"result-gray-0-high", patched(gray.meta, 4, 0, 0, 0, 0), nil},
		metaCase{"result-format-7", patched(gray.meta, 8, 7), gray.body},
		metaCase{"result-body-no-format", patched(gray.meta, 8, 0), gray.body},
		metaCase{"result-meta-11", gray.meta[:11], nil},
		metaCase{"error-busy", marshalError(CodeBusy, "no room"), nil},
		metaCase{"error-code-0", marshalError(0, "zero"), nil},
		metaCase{"error-code-ffff", marshalError(0xFFFF, "unknown"), nil},
		metaCase{"error-multiline", append([]byte{0, 2}, "line one\nline two\r\n"...), nil},
		metaCase{"error-bad-utf8", append([]byte{0, 7}, "caf\xc3\xff\xfe"...), nil},
		metaCase{"error-long", append([]byte{0, 1}, bytes.Repeat([]byte("é"), 700)...), nil},
		metaCase{"error-meta-1", []byte{0}, nil},
	)
	return out
}

func parseResultSeeds(tb testing.TB) []fuzzcorpus.Seed {
	var seeds []fuzzcorpus.Seed
	for _, c := range resultCases(tb) {
		seeds = append(seeds, fuzzcorpus.Seed{Name: c.name, Args: []any{c.meta, c.body}})
	}
	return seeds
}

// tinyFiles returns small image files of each format a raw upload may
// hold.
func tinyFiles(tb testing.TB) map[string][]byte {
	tb.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	for i := range m.Pix {
		m.Pix[i] = uint8(i * 29)
	}
	out := map[string][]byte{"jpeg": testJPEG(tb, 4, 3)}
	for name, enc := range map[string]func(io.Writer) error{
		"png":  func(w io.Writer) error { return png.Encode(w, m) },
		"gif":  func(w io.Writer) error { return gif.Encode(w, m, &gif.Options{NumColors: 4}) },
		"bmp":  func(w io.Writer) error { return bmp.Encode(w, m) },
		"tiff": func(w io.Writer) error { return tiff.Encode(w, m, nil) },
	} {
		var buf bytes.Buffer
		if err := enc(&buf); err != nil {
			tb.Fatal(err)
		}
		out[name] = buf.Bytes()
	}
	webp, err := os.ReadFile("../scaler/testdata/lossless.webp")
	if err != nil {
		tb.Fatal(err)
	}
	out["webp"] = webp
	return out
}

func serveSeeds(tb testing.TB) []fuzzcorpus.Seed {
	var seeds []fuzzcorpus.Seed
	add := func(name string, data []byte, keepOpen bool) {
		seeds = append(seeds, fuzzcorpus.Seed{Name: name, Args: []any{data, keepOpen}})
	}
	files := tinyFiles(tb)
	framed := func(body []byte) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
	}
	cases := requestCases(tb)
	req := frameBytes(typeRequest, cases[0].meta, cases[0].body)
	gray := frameBytes(typeRequest, cases[2].meta, cases[2].body)
	bad := frameBytes(typeRequest, patched(cases[0].meta, 17, 101), cases[0].body)

	add("native", req, false)
	add("native-kept-open", req, true)
	add("native-three", append(append(append([]byte(nil), req...), gray...), bad...), false)
	add("native-then-bad-magic", append(append([]byte(nil), req...), "ESCX\x01\x01\x00\x00"...), false)
	add("native-version-2", patched(req, 4, 2), false)
	add("native-too-large", header(1, 1, 32, 0x7FFFFFFF), false)
	add("native-truncated", req[:len(req)-3], false)
	add("native-truncated-kept-open", req[:len(req)-3], true)
	add("native-magic-only", []byte(magic), false)
	add("framed", framed(files["jpeg"]), false)
	add("framed-twice", append(framed([]byte("one")), framed([]byte("two"))...), false)
	add("framed-then-zero", append(framed([]byte("one")), 0, 0, 0, 0), false)
	add("framed-truncated", framed(files["png"])[:20], false)
	add("framed-zero", []byte{0, 0, 0, 0, 'x'}, false)
	add("framed-over-limit", []byte{0, 0x10, 0, 1}, false)
	for _, f := range []string{"jpeg", "png", "gif", "bmp", "tiff", "webp"} {
		add("raw-"+f, files[f], f == "jpeg")
	}
	add("raw-jpeg-truncated", files["jpeg"][:len(files["jpeg"])/2], false)
	add("raw-png-trailing", append(append([]byte(nil), files["png"]...), "garbage"...), false)
	add("raw-bmp-huge", patched(files["bmp"], 2, 0xff, 0xff, 0xff, 0x7f), false)
	add("raw-signature-only", []byte("\xff\xd8"), false)
	add("http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false)
	add("empty", nil, false)
	add("one-byte", []byte("E"), false)
	add("three-bytes-kept-open", []byte("ESC"), true)
	return seeds
}

// sizePastInt reports an error of parseRequest for a size that int cannot hold,
// which only happens where int has 32 bits.
func sizePastInt(err error) bool {
	return strconv.IntSize == 32 && errors.Is(err, scaler.ErrTooLarge)
}

// FuzzParseRequest checks that request metadata parses to options that
// scaler accepts, or to an error that the server reports as the client's
// fault, and that what parses survives its own encoding.
func FuzzParseRequest(f *testing.F) {
	for _, c := range requestCases(f) {
		f.Add(c.meta, c.body)
	}
	f.Fuzz(func(t *testing.T, meta, body []byte) {
		req, err := parseRequest(&frame{typ: typeRequest, meta: meta, body: body})
		if err != nil {
			if req != nil {
				t.Fatalf("parseRequest returned a request and %v", err)
			}
			// A size past int, on a 32-bit platform, is too large for
			// the client to ask for, as it is on any other when scaled.
			tooLarge := sizePastInt(err)
			if code, msg, internal := errorReply(err); internal || code != CodeBadRequest && code != CodeInvalidImage && !(tooLarge && code == CodeTooLarge) || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("parseRequest error %q is reported as %v %q", err, code, msg)
			}
			return
		}
		if err := checkRequest(req, append(meta, body...)); err != nil {
			t.Fatalf("parseRequest(% x) = %+v: %v", meta, *req, err)
		}
		m2, b2, err := marshalRequest(req)
		if err != nil {
			t.Fatalf("parsed request %+v does not marshal: %v", *req, err)
		}
		// Not byte for byte: a raw gray request may ask for the default
		// result format as 0 or as 16, which both mean raw gray.
		again, err := parseRequest(&frame{typ: typeRequest, meta: m2, body: b2})
		if err != nil || !reflect.DeepEqual(again.Options, req.Options) || again.Format != req.Format ||
			again.ID != req.ID || again.Token != req.Token ||
			!bytes.Equal(again.Body, req.Body) || !reflect.DeepEqual(again.Image, req.Image) {
			t.Fatalf("request %+v round trips to %+v, %v", *req, again, err)
		}
	})
}

// checkRequest returns what is wrong with a request that was parsed from
// bytes that src holds.
func checkRequest(req *Request, src []byte) error {
	o := req.Options
	switch {
	case math.IsNaN(o.Factor) || math.IsInf(o.Factor, 0) || o.Factor < 0:
		return fmt.Errorf("factor %v", o.Factor)
	case o.Width < 0 || o.Height < 0 || int64(o.Width) > math.MaxUint32 || int64(o.Height) > math.MaxUint32:
		return fmt.Errorf("size %dx%d", o.Width, o.Height)
	case o.Quality < 0 || o.Quality > 100:
		return fmt.Errorf("quality %d", o.Quality)
	case o.Orientation > scaler.LeftBottom:
		return fmt.Errorf("orientation %d", o.Orientation)
	case o.MaxPixels != 0:
		return fmt.Errorf("MaxPixels %d", o.MaxPixels)
	case o.Filter != nil && o.Filter != scaler.Box && o.Filter != scaler.Linear && o.Filter != scaler.CatmullRom && o.Filter != scaler.Lanczos3:
		return fmt.Errorf("filter %v", o.Filter)
	case req.Format != 0 && req.Format != scaler.JPEG && req.Format != scaler.PNG:
		return fmt.Errorf("result format %v", req.Format)
	case (len(req.Body) == 0) == (req.Image == nil):
		return fmt.Errorf("%d bytes of body and image %v", len(req.Body), req.Image != nil)
	case len(req.Body) > 0 && !bytes.Contains(src, req.Body):
		return errors.New("the body is not from the frame")
	}
	if g := req.Image; g != nil {
		if g.Rect.Min != (image.Point{}) || g.Rect.Empty() || g.Stride != g.Rect.Dx() || len(g.Pix) != g.Rect.Dx()*g.Rect.Dy() {
			return fmt.Errorf("raw gray image %v, stride %d, %d bytes", g.Rect, g.Stride, len(g.Pix))
		}
	}

	// What the scaler does with the options: the size may be too large for
	// the source, but the options are never invalid.
	o.MaxPixels = 1 << 16
	for _, src := range []image.Point{{1, 1}, {640, 480}, {3, 70000}} {
		w, h, err := o.Size(src.X, src.Y, scaler.DefaultFactor)
		if err != nil {
			if !errors.Is(err, scaler.ErrTooLarge) {
				return fmt.Errorf("Size(%v): %w", src, err)
			}
			continue
		}
		if w < 1 || h < 1 || int64(w)*int64(h) > o.MaxPixels {
			return fmt.Errorf("Size(%v) = %dx%d", src, w, h)
		}
		// A factor alone gives floor(w·Factor)×floor(h·Factor), at least
		// 1×1; computed in floating point, so that a size past the range
		// of int cannot pass for 1.
		if o.Width == 0 && o.Height == 0 && o.Factor != 0 {
			fw := max(1, math.Floor(float64(src.X)*o.Factor+1e-9))
			fh := max(1, math.Floor(float64(src.Y)*o.Factor+1e-9))
			if float64(w) != fw || float64(h) != fh {
				return fmt.Errorf("Size(%v) with factor %v = %dx%d, want %vx%v", src, o.Factor, w, h, fw, fh)
			}
		}
	}
	var l scaler.Local
	if _, err := l.Scale(context.Background(), image.NewGray(image.Rect(0, 0, 2, 2)), &o); err != nil && !errors.Is(err, scaler.ErrTooLarge) {
		return fmt.Errorf("Scale: %w", err)
	}
	if err := scaler.Encode(io.Discard, image.NewGray(image.Rect(0, 0, 1, 1)), scaler.JPEG, &o); err != nil {
		return fmt.Errorf("Encode: %w", err)
	}
	return nil
}

// FuzzParseResult checks that the parsers of replies, which a client runs
// on what a server sends, give a consistent Response or RemoteError, and
// that a Response survives its own encoding.
func FuzzParseResult(f *testing.F) {
	for _, c := range resultCases(f) {
		f.Add(c.meta, c.body)
	}
	f.Fuzz(func(t *testing.T, meta, body []byte) {
		if err := parseError(&frame{typ: typeError, meta: meta}); len(meta) >= 2 {
			var re *RemoteError
			if !errors.As(err, &re) {
				t.Fatalf("parseError(% x) = %v, want a RemoteError", meta, err)
			}
			if len(re.Message) > maxMessage || strings.ContainsAny(re.Message, "\r\n") || strings.ContainsAny(re.Error(), "\r\n") {
				t.Fatalf("parseError(% x) gave the message %q", meta, re.Message)
			}
			_ = re.Code.String()
		} else if err == nil {
			t.Fatalf("parseError(% x) = nil", meta)
		}

		resp, err := parseResult(&frame{typ: typeResult, meta: meta, body: body})
		if err != nil {
			return
		}
		if resp.Image != nil {
			g := resp.Image
			if g.Rect.Empty() || g.Rect != image.Rect(0, 0, resp.Width, resp.Height) || g.Stride != resp.Width || len(g.Pix) != resp.Width*resp.Height || resp.Body != nil {
				t.Fatalf("parseResult gave %dx%d, image %v, stride %d, %d bytes", resp.Width, resp.Height, g.Rect, g.Stride, len(g.Pix))
			}
		} else if len(resp.Body) != len(body) || resp.Width < 0 || resp.Height < 0 {
			t.Fatalf("parseResult of %d bytes of body gave %+v", len(body), resp)
		}
		m2, b2, err := marshalResult(resp)
		if err != nil {
			t.Fatalf("parsed result %+v does not marshal: %v", resp, err)
		}
		again, err := parseResult(&frame{typ: typeResult, meta: m2, body: b2})
		if err != nil {
			t.Fatalf("result %+v re-encoded does not parse: %v", resp, err)
		}
		if len(resp.Body) == 0 && resp.Image == nil {
			// A format with no body is not kept.
			resp.Format, resp.Body, again.Body = 0, nil, nil
		}
		if !reflect.DeepEqual(again, resp) {
			t.Fatalf("result %+v round trips to %+v", resp, again)
		}
	})
}

// How a server treats a connection, by the Detection rules of the package
// documentation.
type connKind int

const (
	kindSilent  connKind = iota // nothing sent: closed without a reply
	kindNative                  // "ESCL"
	kindFramed                  // a length from 1 to MaxFrameSize
	kindRaw                     // an image file signature
	kindRefused                 // anything else: one error line
)

// docSignatures are the starts of the image file signatures listed under
// Detection.
var docSignatures = []string{"\xff\xd8\xff", "\x89PNG", "GIF8", "BM", "II*\x00", "MM\x00*", "RIFF"}

// classify returns the kind of a connection on which a client sends data,
// to a server whose MaxFrameSize is maxFrame.
func classify(data []byte, maxFrame int) connKind {
	if len(data) == 0 {
		return kindSilent
	}
	first := data[:min(4, len(data))]
	if string(first) == magic {
		return kindNative
	}
	if len(first) >= 2 {
		for _, sig := range docSignatures {
			n := min(len(first), len(sig))
			if string(first[:n]) == sig[:n] {
				return kindRaw
			}
		}
	}
	if len(first) == 4 {
		if l := binary.BigEndian.Uint32(first); l >= 1 && l <= uint32(maxFrame) {
			return kindFramed
		}
	}
	return kindRefused
}

var kindProtocol = map[connKind]Protocol{kindNative: Native, kindFramed: Framed, kindRaw: Raw}

// A serveCheck is the Handler of FuzzServe's server: it checks each request
// against what the client of its connection sent, and answers "ok".
type serveCheck struct {
	mu       sync.Mutex
	conns    map[string]*connState // by the client's address
	problems []string              // found by the handler and the logger
}

type connState struct {
	kind  connKind
	data  []byte // what the client sends
	calls int    // requests that reached the handler
}

func (sc *serveCheck) problem(format string, args ...any) {
	sc.mu.Lock()
	sc.problems = append(sc.problems, fmt.Sprintf(format, args...))
	sc.mu.Unlock()
}

func (sc *serveCheck) Serve(ctx context.Context, req *Request) (*Response, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	ok := &Response{Location: "ok", Width: 1, Height: 1}
	st := sc.conns[req.RemoteAddr]
	if st == nil {
		sc.problems = append(sc.problems, "a request from an unknown connection "+req.RemoteAddr)
		return ok, nil
	}
	st.calls++
	want, known := kindProtocol[st.kind]
	if !known || req.Protocol != want {
		sc.problems = append(sc.problems, fmt.Sprintf("a %v request on a connection that starts % x", req.Protocol, st.data[:min(4, len(st.data))]))
		return ok, nil
	}
	var msg string
	switch req.Protocol {
	case Native:
		if err := checkRequest(req, st.data); err != nil {
			msg = err.Error()
		}
	case Framed:
		if st.calls == 1 && !bytes.Equal(req.Body, st.data[4:min(len(st.data), 4+int(binary.BigEndian.Uint32(st.data)))]) {
			msg = fmt.Sprintf("a framed request of %d bytes", len(req.Body))
		} else if !bytes.Contains(st.data, req.Body) || req.Options != (scaler.Options{}) {
			msg = fmt.Sprintf("a framed request of %d bytes, options %+v", len(req.Body), req.Options)
		}
	case Raw:
		if st.calls != 1 || len(req.Body) == 0 || !bytes.HasPrefix(st.data, req.Body) || req.Options != (scaler.Options{}) {
			msg = fmt.Sprintf("raw request %d: %d bytes, options %+v", st.calls, len(req.Body), req.Options)
		}
	}
	if msg != "" {
		sc.problems = append(sc.problems, msg)
	}
	return ok, nil
}

// errorLog is a slog.Handler that reports records of level Error, which
// a server logs on panics and on internal errors, as problems.
type errorLog struct{ sc *serveCheck }

func (h errorLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h errorLog) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h errorLog) WithGroup(string) slog.Handler                { return h }
func (h errorLog) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "stack" {
			msg += fmt.Sprintf(" %s=%v", a.Key, a.Value)
		}
		return true
	})
	h.sc.problem("server logged: %s", msg)
	return nil
}

// Settings of FuzzServe's server: short timeouts, so that inputs that
// stall end quickly.
const (
	fuzzMaxFrame = 1 << 20
	fuzzStall    = 50 * time.Millisecond
	fuzzDeadline = 5 * time.Second // for the server to answer and close
)

// FuzzServe sends the bytes of data to a real Server over loopback TCP, as
// the whole of what a client sends on one connection, then half-closes
// unless keepOpen is set. It checks that the server does not panic or log
// an internal error; that it answers or closes within fuzzDeadline; that
// the protocol it chose, the requests its Handler saw and the replies it
// sent follow the package documentation; and that it then still answers
// a valid request.
func FuzzServe(f *testing.F) {
	for _, s := range serveSeeds(f) {
		f.Add(s.Args[0].([]byte), s.Args[1].(bool))
	}
	sc := &serveCheck{conns: map[string]*connState{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	gl := &gatedListener{Listener: l, ready: map[string]chan struct{}{}}
	s := &Server{
		Handler:        sc,
		MaxFrameSize:   fuzzMaxFrame,
		IdleTimeout:    fuzzStall,
		StallTimeout:   fuzzStall,
		ReadTimeout:    time.Second,
		WriteTimeout:   time.Second,
		HandlerTimeout: time.Second,
		Logger:         slog.New(errorLog{sc}),
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(gl) }()
	f.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			f.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	f.Fuzz(func(t *testing.T, data []byte, keepOpen bool) {
		if len(data) > 64<<10 {
			// Past what the server reads after its last reply, its close
			// may reset the connection and lose the reply.
			t.Skip()
		}
		st := &connState{kind: classify(data, fuzzMaxFrame), data: data}
		reply, reset := exchange(t, sc, gl, st, data, keepOpen)
		sc.mu.Lock()
		calls, problems := st.calls, sc.problems
		sc.problems = nil
		sc.mu.Unlock()
		if len(problems) > 0 {
			t.Fatalf("on a connection that sends %q (kept open: %v):\n%s", data, keepOpen, strings.Join(problems, "\n"))
		}
		if err := checkReply(st.kind, reply, calls, reset); err != nil {
			t.Fatalf("on a connection that sends %q (kept open: %v), %d requests: %v; reply %q", data, keepOpen, calls, err, reply)
		}

		// The server still answers a valid request.
		meta, body := requestParts(t, &Request{Body: []byte("\xff\xd8\xff check")})
		req := frameBytes(typeRequest, meta, body)
		check := &connState{kind: kindNative, data: req}
		reply, reset = exchange(t, sc, gl, check, req, false)
		sc.mu.Lock()
		calls = check.calls
		sc.mu.Unlock()
		fr, err := readFrame(bytes.NewReader(reply), nil, fuzzMaxFrame, nil)
		if err != nil || reset || fr.typ != typeResult || calls != 1 {
			t.Fatalf("after a connection that sent %q, a valid request got %q (reset: %v), %d calls", data, reply, reset, calls)
		}
	})
}

// A gatedListener hands a connection to the server only once its client
// has sent the first bytes: with FuzzServe's short IdleTimeout, a client
// slowed down by a busy machine would otherwise look idle and be closed.
type gatedListener struct {
	net.Listener
	mu    sync.Mutex
	ready map[string]chan struct{} // closed when the client at the address has written
}

// gate returns the channel of the client at addr.
func (l *gatedListener) gate(addr string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch, ok := l.ready[addr]
	if !ok {
		ch = make(chan struct{})
		l.ready[addr] = ch
	}
	return ch
}

func (l *gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	addr := c.RemoteAddr().String()
	select {
	case <-l.gate(addr):
	case <-time.After(fuzzDeadline):
	}
	l.mu.Lock()
	delete(l.ready, addr)
	l.mu.Unlock()
	return c, nil
}

// exchange sends data to the server of gl on a new connection registered
// with sc as st, and returns all that the server sent back until it
// closed, and whether it reset the connection.
func exchange(t *testing.T, sc *serveCheck, gl *gatedListener, st *connState, data []byte, keepOpen bool) (reply []byte, reset bool) {
	t.Helper()
	nc, err := net.Dial("tcp", gl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := nc.(*net.TCPConn)
	defer c.Close()
	key := c.LocalAddr().String()
	sc.mu.Lock()
	sc.conns[key] = st
	sc.mu.Unlock()
	defer func() {
		sc.mu.Lock()
		delete(sc.conns, key)
		sc.mu.Unlock()
	}()
	c.SetDeadline(time.Now().Add(fuzzDeadline))
	// The first 4 KiB fit in the socket buffers before the server has
	// accepted: they are all there when it starts reading.
	first := data[:min(len(data), 4<<10)]
	if _, err := c.Write(first); err != nil {
		t.Fatal(err)
	}
	close(gl.gate(key))
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		// The server may close before it has read everything: a failed
		// write is not the server's fault.
		if _, err := c.Write(data[len(first):]); err == nil && !keepOpen {
			c.CloseWrite()
		}
	}()
	reply, err = io.ReadAll(c)
	c.Close()
	<-wrote
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.Fatalf("the server neither finished answering nor closed within %v of a connection that sends %q (kept open: %v); it sent %q",
			fuzzDeadline, data, keepOpen, reply)
	case errors.Is(err, syscall.ECONNRESET):
		reset = true
	case err != nil:
		t.Fatal(err)
	}
	return reply, reset
}

// checkReply checks what a server sent on a connection of the given kind
// whose handler answered calls requests. After a reset, the reply may be
// cut short.
func checkReply(kind connKind, reply []byte, calls int, reset bool) error {
	r := bytes.NewReader(reply)
	results := 0
	switch kind {
	case kindSilent:
		if len(reply) > 0 || calls > 0 {
			return errors.New("a reply to nothing")
		}
		return nil
	case kindNative:
		for r.Len() > 0 {
			fr, err := readFrame(r, nil, fuzzMaxFrame, nil)
			if err != nil {
				if reset {
					break
				}
				return fmt.Errorf("reply frame %d: %v", results, err)
			}
			switch fr.typ {
			case typeResult:
				resp, err := parseResult(fr)
				if err != nil || resp.Location != "ok" {
					return fmt.Errorf("result %+v, %v", resp, err)
				}
				results++
			case typeError:
				var re *RemoteError
				if err := parseError(fr); !errors.As(err, &re) || re.Code < CodeBadRequest || re.Code >= CodeInternal {
					return fmt.Errorf("error reply %v", err)
				}
			default:
				return fmt.Errorf("a reply frame of type %d", fr.typ)
			}
		}
	case kindFramed:
		for r.Len() > 0 {
			var n [4]byte
			if _, err := io.ReadFull(r, n[:]); err != nil {
				if reset {
					break
				}
				return err
			}
			body := make([]byte, min(binary.BigEndian.Uint32(n[:]), uint32(r.Len())))
			r.Read(body)
			if string(body) != "ok" && !(reset && r.Len() == 0) {
				return fmt.Errorf("framed reply %q", body)
			}
			results++
		}
	case kindRaw, kindRefused:
		line := string(reply)
		switch {
		case reset && line == "":
			return nil
		case !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1:
			return errors.New("not one line")
		case line == "Imagen escalada disponible en: ok\n":
			results = 1
		case !strings.HasPrefix(line, "Error: "):
			return errors.New("neither a link nor an error")
		}
	}
	if results > calls || results < calls && !reset {
		return fmt.Errorf("%d results for %d requests", results, calls)
	}
	return nil
}
