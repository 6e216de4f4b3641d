package webpdec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// riffChunk returns a RIFF chunk: its FourCC, size, data and pad byte.
func riffChunk(id string, data []byte) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// riffFile returns a RIFF WEBP file of the given chunks.
func riffFile(chunks ...[]byte) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		body = append(body, c...)
	}
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// vp8x returns the data of a VP8X chunk of these flags and canvas size.
func vp8x(flags byte, w, h int) []byte {
	b := []byte{flags, 0, 0, 0}
	b = append(b, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	return append(b, byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
}

// anmf returns the data of an ANMF chunk: a frame of w×h at (x, y), whose
// offsets must be even, holding the given chunks.
func anmf(x, y, w, h int, chunks ...[]byte) []byte {
	u24 := func(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }
	b := append(append(append(append(u24(x/2), u24(y/2)...), u24(w-1)...), u24(h-1)...), u24(100)...)
	b = append(b, 0)
	for _, c := range chunks {
		b = append(b, c...)
	}
	return b
}

// chunkData returns the data of the first chunk id of the simple or
// extended WebP file b, at any depth of ANMF chunks.
func chunkData(tb testing.TB, b []byte, id string) []byte {
	tb.Helper()
	i := bytes.Index(b, []byte(id))
	if i < 0 {
		tb.Fatalf("no %q chunk", id)
	}
	n := binary.LittleEndian.Uint32(b[i+4:])
	return b[i+8 : i+8+int(n)]
}

// patched returns a copy of b changed by f.
func patched(b []byte, f func(b []byte)) []byte {
	b = bytes.Clone(b)
	f(b)
	return b
}

// badFiles are malformed or unsupported files, made from those of
// testdata, and what DecodeGray must say of them.
func badFiles(tb testing.TB) []struct {
	name, data, want string
	eof              bool
} {
	tb.Helper()
	lossy := readTestFile(tb, "lossy-17x9.webp")
	lossless := readTestFile(tb, "lossless-1x1.webp")
	alpha := readTestFile(tb, "alpha-37x23.webp")
	vp8 := chunkData(tb, lossy, "VP8 ")
	type bad = struct {
		name, data, want string
		eof              bool
	}
	return []bad{
		{"empty", "", "0 bytes are too few for a RIFF header", true},
		{"riff-cut", "RIF", "too few for a RIFF header", true},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "not a RIFF WEBP file", false},
		{"short-not-riff", "GIF8", "not a RIFF file", false},
		{"avi", "RIFF\x04\x00\x00\x00AVI ", "not a RIFF WEBP file", false},
		{"riff-size-past-end", string(lossy[:len(lossy)-1]), "RIFF size", true},
		{"riff-size-cuts-chunk", string(patched(lossy, func(b []byte) { b[4] -= 2 })), "past the end of its container", false},
		{"no-chunks", string(riffFile()), "no chunks", false},
		{"first-chunk-unknown", string(riffFile(riffChunk("ICCP", []byte("xx")), riffChunk("VP8 ", vp8))), `first chunk is "ICCP"`, false},
		{"vp8x-short", string(riffFile(riffChunk("VP8X", []byte{0, 0, 0}))), "VP8X chunk of 3 bytes", false},
		{"vp8x-no-bitstream", string(riffFile(riffChunk("VP8X", vp8x(0, 17, 9)))), "no VP8 or VP8L chunk", false},
		{"vp8x-size-mismatch", string(riffFile(riffChunk("VP8X", vp8x(0, 18, 9)), riffChunk("VP8 ", vp8))), "VP8 bitstream of 17x9 in a frame of 18x9", false},
		{"vp8x-canvas-2^32", string(riffFile(riffChunk("VP8X", vp8x(0, 1<<24, 1<<24)), riffChunk("VP8 ", vp8))), "more than 2^32-1 pixels", false},
		{"vp8-not-keyframe", string(riffFile(riffChunk("VP8 ", patched(vp8, func(b []byte) { b[0] |= 1 })))), "not a key frame", false},
		{"vp8-start-code", string(riffFile(riffChunk("VP8 ", patched(vp8, func(b []byte) { b[4] = 0 })))), "start code", false},
		{"vp8-short-header", string(riffFile(riffChunk("VP8 ", vp8[:9]))), "too short for its frame header", true},
		{"vp8-partition-past-chunk", string(riffFile(riffChunk("VP8 ", patched(vp8, func(b []byte) { b[2] = 0xff })))), "longer than its chunk", true},
		{"vp8-too-few-bits", string(riffFile(riffChunk("VP8 ", patched(vp8, func(b []byte) { b[6], b[7], b[8], b[9] = 0xff, 0x3f, 0xff, 0x3f })))), "too short for the 1048576 macroblocks", true},
		{"vp8-cut-partitions", string(riffFile(riffChunk("VP8 ", vp8[:len(vp8)-20]))), "VP8 bitstream ends before its last pixel", true},
		{"vp8l-signature", string(patched(lossless, func(b []byte) { b[20] = 0x2e })), "VP8L signature", false},
		{"vp8l-version", string(patched(lossless, func(b []byte) { b[24] |= 0x20 })), "VP8L version 1", false},
		{"vp8l-cut", string(riffFile(riffChunk("VP8L", chunkData(tb, readTestFile(tb, "lossless-37x23.webp"), "VP8L")[:100]))), "VP8L bitstream ends before its last pixel", true},
		{"alph-reserved-bits", string(patched(alpha, func(b []byte) { chunkData(tb, b, "ALPH")[0] |= 0x80 })), "ALPH header", false},
		{"alph-compression-2", string(patched(alpha, func(b []byte) { chunkData(tb, b, "ALPH")[0] |= 0x02 })), "compression 3", false},
		{"alph-raw-short", string(riffFile(riffChunk("VP8X", vp8x(0x10, 17, 9)), riffChunk("ALPH", make([]byte, 17*9)), riffChunk("VP8 ", vp8))), "ALPH chunk holds 152 values for 17x9 pixels", false},
		{"anim-no-frame", string(riffFile(riffChunk("VP8X", vp8x(0x02, 17, 9)), riffChunk("ANIM", make([]byte, 6)))), "animation without an ANMF chunk", false},
		{"anim-frame-outside", string(riffFile(riffChunk("VP8X", vp8x(0x02, 20, 10)), riffChunk("ANMF", anmf(4, 2, 17, 9, riffChunk("VP8 ", vp8))))), "not within the 20x10 canvas", false},
		{"anim-frame-size", string(riffFile(riffChunk("VP8X", vp8x(0x02, 20, 10)), riffChunk("ANMF", anmf(0, 0, 16, 9, riffChunk("VP8 ", vp8))))), "VP8 bitstream of 17x9 in a frame of 16x9", false},
		{"anim-frame-header-short", string(riffFile(riffChunk("VP8X", vp8x(0x02, 20, 10)), riffChunk("ANMF", make([]byte, 15)))), "too short for its header", false},
	}
}

// TestBadFiles checks the errors of malformed files: one line, prefixed,
// saying what is wrong, and wrapping io.ErrUnexpectedEOF exactly when the
// data ends early.
func TestBadFiles(t *testing.T) {
	for _, tc := range badFiles(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeGray([]byte(tc.data), nil)
			if err == nil || m != nil {
				t.Fatalf("DecodeGray = %v, %v; want an error saying %q", m != nil, err, tc.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "webpdec: ") || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.want) {
				t.Errorf("DecodeGray: %q, want one line starting \"webpdec: \" saying %q", msg, tc.want)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) != tc.eof {
				t.Errorf("DecodeGray: %v; wraps io.ErrUnexpectedEOF: %v, want %v", err, !tc.eof, tc.eof)
			}
		})
	}
}

// TestTruncated cuts every file of testdata at many lengths: each must
// give an error, none a panic, and those cut inside the RIFF data one
// that wraps io.ErrUnexpectedEOF.
func TestTruncated(t *testing.T) {
	for _, tf := range testFiles(t) {
		for n := 0; n < len(tf.data); n += 1 + n/8 {
			m, err := DecodeGray(tf.data[:n], nil)
			if err == nil || m != nil {
				t.Fatalf("DecodeGray(%s[:%d]) = %v, %v; want an error", tf.name, n, m != nil, err)
			}
			if n > 0 && n >= 4 && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("DecodeGray(%s[:%d]): %v; want an error wrapping io.ErrUnexpectedEOF", tf.name, n, err)
			}
		}
	}
}

// TestTooLarge checks that a header larger than MaxPixels gives
// ErrTooLarge, from DecodeConfig's size on, whether the canvas or the
// bitstream is larger, and that it allocates next to nothing.
func TestTooLarge(t *testing.T) {
	lossy := readTestFile(t, "lossy-17x9.webp")
	vp8 := chunkData(t, lossy, "VP8 ")
	big := patched(vp8, func(b []byte) { b[6], b[7], b[8], b[9] = 0xff, 0x3f, 0xff, 0x3f })
	lossless := readTestFile(t, "lossless-1x1.webp")
	for _, tc := range []struct {
		name string
		data []byte
		max  int64
	}{
		{"vp8-16383x16383", riffFile(riffChunk("VP8 ", big)), 1 << 20},
		{"vp8l-16384x16384", patched(lossless, func(b []byte) { b[21], b[22], b[23], b[24] = 0xff, 0xff, 0xff, 0x0f|b[24]&0xf0 }), 1 << 20},
		{"vp8x-canvas", riffFile(riffChunk("VP8X", vp8x(0, 16383, 16383)), riffChunk("VP8 ", big)), 1 << 20},
		{"anim-canvas", riffFile(riffChunk("VP8X", vp8x(0x02, 1<<12, 1<<12)), riffChunk("ANMF", anmf(0, 0, 17, 9, riffChunk("VP8 ", vp8)))), 1 << 20},
		{"17x9-limit-152", lossy, 17*9 - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			m, err := DecodeGray(tc.data, &Options{MaxPixels: tc.max})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) || m != nil {
				t.Fatalf("DecodeGray with MaxPixels %d = %v; want ErrTooLarge", tc.max, err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
				t.Errorf("DecodeGray allocated %d bytes before ErrTooLarge", n)
			}
		})
	}
	// Without a limit, a lossy header too large for its first partition
	// is refused before anything of its size is allocated.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodeGray(riffFile(riffChunk("VP8 ", big)), nil)
	runtime.ReadMemStats(&after)
	if err == nil || after.TotalAlloc-before.TotalAlloc > 64<<10 {
		t.Errorf("DecodeGray of a 16383x16383 header in %d bytes: %v after allocating %d bytes", len(big), err, after.TotalAlloc-before.TotalAlloc)
	}
	if _, err := DecodeGray(lossy, &Options{MaxPixels: -1}); err == nil || !strings.Contains(err.Error(), "negative MaxPixels") {
		t.Errorf("DecodeGray with MaxPixels -1: %v, want an error", err)
	}
}

// TestMemory checks that Config.Memory bounds what DecodeGray allocates
// for each file of testdata, and for a larger image made in memory.
func TestMemory(t *testing.T) {
	for _, tf := range testFiles(t) {
		cfg, err := DecodeConfig(tf.data)
		if err != nil {
			t.Fatalf("DecodeConfig(%s): %v", tf.name, err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := DecodeGray(tf.data, nil); err != nil {
			t.Fatalf("DecodeGray(%s): %v", tf.name, err)
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; int64(n) > cfg.Memory() {
			t.Errorf("DecodeGray(%s) allocated %d bytes, Memory() = %d", tf.name, n, cfg.Memory())
		}
	}
}

// TestTrailingData checks that what follows the first frame is not read:
// a malformed chunk after the bitstream inside the RIFF data, and bytes
// after the RIFF data, change nothing.
func TestTrailingData(t *testing.T) {
	lossy := readTestFile(t, "lossy-17x9.webp")
	want, err := DecodeGray(lossy, nil)
	if err != nil {
		t.Fatal(err)
	}
	vp8 := chunkData(t, lossy, "VP8 ")
	for name, data := range map[string][]byte{
		"chunk-past-riff-end": riffFile(riffChunk("VP8 ", vp8), []byte("EXIF\xff\xff\x00\x00abc")),
		"bytes-after-riff":    append(bytes.Clone(lossy), "trailing bytes"...),
	} {
		got, err := DecodeGray(data, nil)
		if err != nil || !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%s: DecodeGray = %v; want the pixels of the file without it", name, err)
		}
	}
}
