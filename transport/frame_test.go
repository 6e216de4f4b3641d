package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/escala-img/escala/scaler"
)

func TestRequestRoundTrip(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(gray.Pix, []uint8{1, 2, 3, 4, 5, 6})
	tests := []struct {
		name string
		req  Request
	}{
		{"defaults", Request{Body: []byte("img")}},
		{"all options", Request{Body: []byte("img"), Format: scaler.PNG, Options: scaler.Options{
			Factor: 0.25, Width: 640, Height: 480, Filter: scaler.CatmullRom, Quality: 95, Orientation: scaler.RightTop}}},
		{"raw gray", Request{Image: gray, Options: scaler.Options{Factor: 0.5, Filter: scaler.Box}}},
		{"raw gray to jpeg", Request{Image: gray, Format: scaler.JPEG}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			meta, body, err := marshalRequest(&tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if err := writeFrame(&buf, typeRequest, meta, body); err != nil {
				t.Fatal(err)
			}
			f, err := readFrame(&buf, nil, DefaultMaxFrameSize, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseRequest(f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Options, tc.req.Options) || got.Format != tc.req.Format ||
				!bytes.Equal(got.Body, tc.req.Body) || !reflect.DeepEqual(got.Image, tc.req.Image) {
				t.Errorf("round trip of %+v gave %+v", tc.req, *got)
			}
		})
	}
}

func TestResultAndErrorRoundTrip(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 2, 2))
	for _, resp := range []*Response{
		{Location: "http://127.0.0.1:8082/abc.jpg", Width: 640, Height: 480, Format: 0},
		{Body: []byte("jpegbytes"), Format: scaler.JPEG, Width: 3, Height: 4},
		{Image: gray, Width: 2, Height: 2},
	} {
		meta, body, err := marshalResult(resp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseResult(&frame{typ: typeResult, meta: meta, body: body})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, resp) {
			t.Errorf("result round trip of %+v gave %+v", resp, got)
		}
	}
	err := parseError(&frame{typ: typeError, meta: marshalError(CodeInvalidImage, "scaler: invalid image: jpeg: truncated\nsecond line")})
	var re *RemoteError
	if !errors.As(err, &re) || re.Code != CodeInvalidImage || re.Message != "scaler: invalid image: jpeg: truncated second line" {
		t.Errorf("error round trip = %#v", err)
	}
	if !errors.Is(err, scaler.ErrInvalid) {
		t.Errorf("errors.Is(%v, scaler.ErrInvalid) = false", err)
	}
}

// header returns a native frame header.
func header(ver, typ byte, m, b uint32) []byte {
	h := append([]byte(magic), ver, typ, 0, 0)
	h = binary.BigEndian.AppendUint32(h, m)
	return binary.BigEndian.AppendUint32(h, b)
}

func TestReadFrameRejects(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error // matched with errors.Is, or nil for a bad request
		msg  string
	}{
		{"bad magic", append([]byte("ESCX"), header(1, 1, 0, 0)[4:]...), errBadRequest, "bad magic"},
		{"version 2", header(2, 1, 32, 0), errBadRequest, "unsupported protocol version 2"},
		{"type 0", header(1, 0, 32, 0), errBadRequest, "unknown frame type"},
		{"type 9", header(1, 9, 32, 0), errBadRequest, "unknown frame type"},
		{"reserved", append(header(1, 1, 0, 0)[:6], 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), errBadRequest, "reserved"},
		{"meta too long", header(1, 1, 4097, 0), errBadRequest, "metadata"},
		{"body 0xFFFFFFFF", header(1, 1, 32, 0xFFFFFFFF), ErrFrameTooLarge, "limit"},
		{"just over", header(1, 1, 32, 1000-32+1), ErrFrameTooLarge, "1001 bytes"},
		{"truncated header", header(1, 1, 32, 0)[:9], io.ErrUnexpectedEOF, ""},
		{"truncated body", append(header(1, 1, 0, 10), 1, 2, 3), io.ErrUnexpectedEOF, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readFrame(bytes.NewReader(tc.data), nil, 1000, nil)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("readFrame(%s) = %v, want %v containing %q", tc.name, err, tc.want, tc.msg)
			}
		})
	}
}

func TestParseRequestRejects(t *testing.T) {
	valid := func() []byte { m, _, _ := marshalRequest(&Request{Body: []byte("x")}); return m }
	set := func(off int, b ...byte) []byte { m := valid(); copy(m[off:], b); return m }
	nan := binary.BigEndian.AppendUint64(nil, math.Float64bits(math.NaN()))
	neg := binary.BigEndian.AppendUint64(nil, math.Float64bits(-0.5))
	tests := []struct {
		name string
		meta []byte
		body []byte
		want error
	}{
		{"short meta", valid()[:31], []byte("x"), errBadRequest},
		{"NaN factor", set(0, nan...), []byte("x"), scaler.ErrInvalidOptions},
		{"negative factor", set(0, neg...), []byte("x"), scaler.ErrInvalidOptions},
		{"filter 5", set(16, 5), []byte("x"), scaler.ErrInvalidOptions},
		{"quality 101", set(17, 101), []byte("x"), scaler.ErrInvalidOptions},
		{"result format 7", set(18, 7), []byte("x"), scaler.ErrInvalidOptions},
		{"raw result for a file", set(18, wireGray), []byte("x"), scaler.ErrInvalidOptions},
		{"orientation 9", set(19, 9), []byte("x"), scaler.ErrInvalidOptions},
		{"body format 3", set(20, 3), []byte("x"), errBadRequest},
		{"reserved", set(21, 1), []byte("x"), errBadRequest},
		{"empty body", valid(), nil, scaler.ErrInvalid},
		{"raw size mismatch", set(20, wireGray, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2), []byte("abc"), errBadRequest},
		{"raw 0x0", set(20, wireGray), nil, errBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseRequest(&frame{typ: typeRequest, meta: tc.meta, body: tc.body})
			if !errors.Is(err, tc.want) {
				t.Errorf("parseRequest(%s) = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
}

// FuzzReadFrame checks that no input panics the frame reader, that nothing
// is allocated past the limit, and that a frame read back from its own
// encoding is the same bytes.
func FuzzReadFrame(f *testing.F) {
	for _, req := range []*Request{
		{Body: []byte("\xff\xd8\xff\xe0 a jpeg")},
		{Image: image.NewGray(image.Rect(0, 0, 4, 3)), Options: scaler.Options{Factor: 0.5, Filter: scaler.Lanczos3}},
		{Body: []byte("png"), Format: scaler.PNG, Options: scaler.Options{Width: 10, Quality: 90, Orientation: 6}},
	} {
		var buf bytes.Buffer
		meta, body, _ := marshalRequest(req)
		writeFrame(&buf, typeRequest, meta, body)
		f.Add(buf.Bytes())
	}
	var buf bytes.Buffer
	writeFrame(&buf, typeError, marshalError(CodeBusy, "busy"), nil)
	f.Add(buf.Bytes())
	f.Add(header(1, 1, 0xFFFFFFFF, 0xFFFFFFFF))
	f.Add(header(2, 1, 32, 0))
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		fr, err := readFrame(r, nil, limit, nil)
		if err != nil {
			return
		}
		if len(fr.meta)+len(fr.body) > limit || cap(fr.meta)+cap(fr.body) > 2*limit {
			t.Fatalf("readFrame returned %d+%d bytes past the limit %d", len(fr.meta), len(fr.body), limit)
		}
		var out bytes.Buffer
		if err := writeFrame(&out, fr.typ, fr.meta, fr.body); err != nil {
			t.Fatal(err)
		}
		consumed := data[:len(data)-r.Len()]
		if !bytes.Equal(out.Bytes(), consumed) {
			t.Fatalf("frame re-encodes as %x, read from %x", out.Bytes(), consumed)
		}
		// Requests that parse must survive their own encoding.
		if fr.typ != typeRequest {
			return
		}
		req, err := parseRequest(fr)
		if err != nil {
			return
		}
		meta, body, err := marshalRequest(req)
		if err != nil {
			t.Fatalf("parsed request %+v does not marshal: %v", req, err)
		}
		again, err := parseRequest(&frame{typ: typeRequest, meta: meta, body: body})
		if err != nil || !reflect.DeepEqual(again.Options, req.Options) || again.Format != req.Format {
			t.Fatalf("request %+v round trips to %+v, %v", req, again, err)
		}
	})
}
