package jpegenc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// Tolerances against image/jpeg at the same quality.
const (
	// psnrTol bounds |PSNR(ours) - PSNR(image/jpeg)|, both against the
	// source, in dB, where PSNR measures the encoder: for qualities up to
	// 95, on images of at least 64 blocks whose PSNR is below psnrExact.
	psnrTol = 0.05
	// psnrExact is the PSNR above which the error is a few pixels off by
	// one in the decoder's rounding and which ones depends on how exact
	// ties in the DCT happened to round: both encoders are then equally
	// right, and the check below applies instead.
	psnrExact = 50
	// Elsewhere (quality 100, near-lossless and images of a few blocks,
	// where one coefficient rounding the other way moves PSNR by tenths of
	// a dB) the squared error may be at most mseFactor times image/jpeg's
	// plus two pixels off by one: 3 dB, enough to catch a broken encoder.
	mseFactor = 2
	// scanTol and scanSlack bound the size of the entropy-coded data, RSTn
	// markers left out: |ours - theirs| ≤ scanTol·theirs + scanSlack bytes.
	// The slack covers rounding on images of a few bytes.
	scanTol   = 0.02
	scanSlack = 2
)

// roundTripImages returns the images the round-trip tests encode.
func roundTripImages(tb testing.TB) []struct {
	name string
	img  *image.Gray
} {
	tb.Helper()
	type tc = struct {
		name string
		img  *image.Gray
	}
	var cases []tc
	for _, s := range []struct {
		kind string
		w, h int
	}{
		{"flat", 1, 1}, {"noise", 1, 1},
		{"gradient", 7, 9}, {"noise", 7, 9},
		{"gradient", 8, 8}, {"edges", 8, 8}, {"noise", 8, 8},
		{"edges", 9, 17}, {"photo", 9, 17},
		{"gradient", 64, 64}, {"edges", 64, 64}, {"noise", 64, 64},
		{"photo", 350, 418},
		{"photo", 1280, 800}, {"noise", 1280, 800}, {"edges", 1280, 800},
		{"photo", 1283, 801},
	} {
		cases = append(cases, tc{fmt.Sprintf("%s/%dx%d", s.kind, s.w, s.h), testImage(tb, s.kind, s.w, s.h)})
	}
	big := testImage(tb, "photo", 700, 500)
	cases = append(cases,
		tc{"sub/photo/171x97+13+7", big.SubImage(image.Rect(13, 7, 13+171, 7+97)).(*image.Gray)},
		tc{"sub/photo/613x411+80+81", big.SubImage(image.Rect(80, 81, 693, 492)).(*image.Gray)},
	)
	return cases
}

// mse returns the mean squared error of 8-bit samples with PSNR p.
func mse(p float64) float64 {
	return 255 * 255 / math.Pow(10, p/10)
}

// TestEncodeGrayRoundTrip encodes generated images at several qualities,
// decodes them with image/jpeg and compares quality and size with
// image/jpeg's encoder.
func TestEncodeGrayRoundTrip(t *testing.T) {
	for _, tc := range roundTripImages(t) {
		for _, q := range []int{1, 50, 80, 95, 100} {
			t.Run(fmt.Sprintf("%s/q%d", tc.name, q), func(t *testing.T) {
				if testing.Short() && tc.img.Bounds().Dx() > 1000 && q != 80 {
					t.Skip("big image in -short mode")
				}
				b := tc.img.Bounds()
				ours, theirs := encode(t, tc.img, q), encodeStd(t, tc.img, q)
				dOurs := decodeGray(t, ours, b.Dx(), b.Dy())
				dTheirs := decodeGray(t, theirs, b.Dx(), b.Dy())

				pOurs, pTheirs := psnr(tc.img, dOurs), psnr(tc.img, dTheirs)
				blocks := ((b.Dx() + 7) / 8) * ((b.Dy() + 7) / 8)
				if q <= 95 && blocks >= 64 && pTheirs < psnrExact {
					if math.Abs(pOurs-pTheirs) > psnrTol {
						t.Errorf("EncodeGray(%s, q%d): PSNR %.3f dB, image/jpeg %.3f dB, want within %.2f", tc.name, q, pOurs, pTheirs, psnrTol)
					}
				} else if mOurs, mTheirs := mse(pOurs), mse(pTheirs); mOurs > mseFactor*mTheirs+2/float64(b.Dx()*b.Dy()) {
					t.Errorf("EncodeGray(%s, q%d): squared error %.4f, image/jpeg %.4f, want at most %d times that plus 2 pixels off by 1", tc.name, q, mOurs, mTheirs, mseFactor)
				}

				_, sOurs, rOurs := parseJPEG(t, ours)
				_, sTheirs, _ := parseJPEG(t, theirs)
				nOurs, nTheirs := len(sOurs)-2*rOurs, len(sTheirs)
				if d := math.Abs(float64(nOurs - nTheirs)); d > scanTol*float64(nTheirs)+scanSlack {
					t.Errorf("EncodeGray(%s, q%d): scan %d bytes, image/jpeg %d, want within %.0f%% + %d", tc.name, q, nOurs, nTheirs, 100*scanTol, scanSlack)
				}
				t.Logf("file %d bytes (scan %d, %d RST), image/jpeg %d (scan %d); PSNR %.3f dB, image/jpeg %.3f dB",
					len(ours), nOurs, rOurs, len(theirs), nTheirs, pOurs, pTheirs)
			})
		}
	}
}

// TestEncodeGraySubImage checks that a sub-image encodes to the same bytes
// as a compact copy of it.
func TestEncodeGraySubImage(t *testing.T) {
	big := testImage(t, "photo", 700, 500)
	for _, r := range []image.Rectangle{
		image.Rect(0, 0, 1, 1),
		image.Rect(13, 7, 13+171, 7+97),
		image.Rect(80, 81, 693, 492),
		image.Rect(699, 499, 700, 500),
		image.Rect(5, 0, 700, 500),
	} {
		t.Run(r.String(), func(t *testing.T) {
			sub := big.SubImage(r).(*image.Gray)
			cp := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
			for y := range r.Dy() {
				copy(cp.Pix[y*cp.Stride:][:r.Dx()], sub.Pix[y*sub.Stride:][:r.Dx()])
			}
			got, want := encode(t, sub, 80), encode(t, cp, 80)
			if !bytes.Equal(got, want) {
				t.Errorf("EncodeGray(sub-image %v) = %d bytes, differs from the compact copy's %d bytes", r, len(got), len(want))
			}
		})
	}
}

// TestEncodeGrayEdges checks that partial blocks are padded by repeating
// the last column and row: the scan must be the same as that of the image
// padded so by hand to whole blocks.
func TestEncodeGrayEdges(t *testing.T) {
	for _, s := range []struct{ w, h int }{{1, 1}, {7, 9}, {9, 17}, {13, 8}, {8, 13}, {1283, 801}} {
		t.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(t *testing.T) {
			img := testImage(t, "photo", s.w, s.h)
			pw, ph := (s.w+7)/8*8, (s.h+7)/8*8
			padded := image.NewGray(image.Rect(0, 0, pw, ph))
			for y := range ph {
				for x := range pw {
					padded.Pix[y*pw+x] = img.GrayAt(min(x, s.w-1), min(y, s.h-1)).Y
				}
			}
			_, got, _ := parseJPEG(t, encode(t, img, 90))
			_, want, _ := parseJPEG(t, encode(t, padded, 90))
			if !bytes.Equal(got, want) {
				t.Errorf("EncodeGray(%dx%d): scan differs from that of the image padded to %dx%d by repeating edges", s.w, s.h, pw, ph)
			}
		})
	}
}

// TestEncodeGrayHeader checks the segments before the scan against the
// T.81 and JFIF layouts and against image/jpeg's tables.
func TestEncodeGrayHeader(t *testing.T) {
	img := testImage(t, "photo", 64, 48)
	for q := 1; q <= 100; q++ {
		segs, _, _ := parseJPEG(t, encode(t, img, q))
		stdSegs, _, _ := parseJPEG(t, encodeStd(t, img, q))

		if got := findSegment(t, segs, 0xe0); !bytes.Equal(got, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")) {
			t.Errorf("q%d: APP0 = %q, want JFIF 1.01 without units or thumbnail", q, got)
		}
		// image/jpeg writes its luminance table first, then chrominance.
		dqt, stdDQT := findSegment(t, segs, 0xdb), findSegment(t, stdSegs, 0xdb)
		if len(dqt) != 65 || !bytes.Equal(dqt, stdDQT[:65]) {
			t.Errorf("q%d: DQT = %v, want image/jpeg's luminance table %v", q, dqt, stdDQT[:65])
		}
		if got, want := findSegment(t, segs, 0xc0), []byte{8, 0, 48, 0, 64, 1, 1, 0x11, 0}; !bytes.Equal(got, want) {
			t.Errorf("q%d: SOF0 = %v, want %v", q, got, want)
		}
		if got, want := findSegment(t, segs, 0xc4), findSegment(t, stdSegs, 0xc4); !bytes.Equal(got, want) {
			t.Errorf("q%d: DHT differs from image/jpeg's for a gray image", q)
		}
		if got, want := findSegment(t, segs, 0xda), []byte{1, 1, 0, 0, 63, 0}; !bytes.Equal(got, want) {
			t.Errorf("q%d: SOS = %v, want %v", q, got, want)
		}
	}
}

// TestEncodeGrayRestarts checks the band layout as it shows in the file: a
// DRI segment and RSTn markers exactly when the image is cut into bands,
// and every interval but the last holding DRI MCUs.
func TestEncodeGrayRestarts(t *testing.T) {
	for _, tc := range []struct {
		w, h  int
		bands int
	}{
		{64, 64, 1},
		{255, 255, 1},   // 1024 blocks
		{256, 512, 2},   // 2048 blocks
		{350, 418, 2},   // 44×53 MCUs
		{1280, 800, 15}, // 7 MCU rows a band
		{4000, 3000, 16},
		{8, 65535, 8},
		{65535, 64, 8}, // 8192 MCUs a row: one row a band
	} {
		t.Run(fmt.Sprintf("%dx%d", tc.w, tc.h), func(t *testing.T) {
			img := testImage(t, "gradient", tc.w, tc.h)
			data := encode(t, img, 50)
			segs, _, rst := parseJPEG(t, data)
			if rst != tc.bands-1 {
				t.Errorf("EncodeGray(%dx%d) has %d RSTn markers, want %d", tc.w, tc.h, rst, tc.bands-1)
			}
			cols, rows := (tc.w+7)/8, (tc.h+7)/8
			var dri []byte
			for _, s := range segs {
				if s.marker == 0xdd {
					dri = s.data
				}
			}
			switch {
			case tc.bands == 1 && dri != nil:
				t.Errorf("EncodeGray(%dx%d) has DRI %v, want none", tc.w, tc.h, dri)
			case tc.bands > 1:
				if len(dri) != 2 {
					t.Fatalf("EncodeGray(%dx%d): DRI = %v, want 2 bytes", tc.w, tc.h, dri)
				}
				ri := int(dri[0])<<8 | int(dri[1])
				if ri%cols != 0 || (tc.bands-1)*ri >= cols*rows || tc.bands*ri < cols*rows {
					t.Errorf("EncodeGray(%dx%d): restart interval %d MCUs does not cut %dx%d MCUs into %d bands of whole rows", tc.w, tc.h, ri, cols, rows, tc.bands)
				}
			}
			decodeGray(t, data, tc.w, tc.h)
		})
	}
}

// TestBandLayout checks the limits of bandLayout over many sizes.
func TestBandLayout(t *testing.T) {
	for _, cols := range []int{1, 2, 7, 44, 160, 1000, 8191, 8192} {
		for _, rows := range []int{1, 2, 3, 53, 100, 1000, 8192} {
			per, n := bandLayout(cols, rows)
			switch {
			case n < 1 || per < 1:
				t.Errorf("bandLayout(%d, %d) = %d, %d: want at least one band of one row", cols, rows, per, n)
			case n > 1 && per*cols > 65535:
				t.Errorf("bandLayout(%d, %d) = %d rows a band: %d MCUs, more than a restart interval holds", cols, rows, per, per*cols)
			case per*(n-1) >= rows || per*n < rows:
				t.Errorf("bandLayout(%d, %d) = %d bands of %d rows: do not cover %d rows exactly", cols, rows, n, per, rows)
			case n == 1 && per != rows:
				t.Errorf("bandLayout(%d, %d) = one band of %d rows, want %d", cols, rows, per, rows)
			case cols*rows < 2*bandBlocks && n != 1:
				t.Errorf("bandLayout(%d, %d) = %d bands for %d blocks, want 1", cols, rows, n, cols*rows)
			}
		}
	}
}

// TestEncodeGrayBadInput checks that invalid arguments give an error and
// no panic.
func TestEncodeGrayBadInput(t *testing.T) {
	ok := testImage(t, "gradient", 16, 16)
	for _, tc := range []struct {
		name    string
		img     *image.Gray
		quality int
	}{
		{"quality/0", ok, 0},
		{"quality/101", ok, 101},
		{"quality/-5", ok, -5},
		{"nil", nil, 80},
		{"empty/0x0", image.NewGray(image.Rect(0, 0, 0, 0)), 80},
		{"empty/5x0", image.NewGray(image.Rect(0, 0, 5, 0)), 80},
		{"empty/0x5", image.NewGray(image.Rect(3, 3, 3, 8)), 80},
		{"empty/inverted", &image.Gray{Pix: make([]byte, 100), Stride: 10, Rect: image.Rectangle{Min: image.Pt(10, 10), Max: image.Pt(0, 0)}}, 80},
		{"large/70000x1", image.NewGray(image.Rect(0, 0, 70000, 1)), 80},
		{"large/1x70000", image.NewGray(image.Rect(0, 0, 1, 70000)), 80},
		{"large/65536x1", image.NewGray(image.Rect(0, 0, 65536, 1)), 80},
		{"large/overflow", &image.Gray{Pix: make([]byte, 16), Stride: 4, Rect: image.Rect(math.MinInt/2-1, 0, math.MaxInt/2+1, 4)}, 80},
		{"pix/short", &image.Gray{Pix: make([]byte, 15), Stride: 4, Rect: image.Rect(0, 0, 4, 4)}, 80},
		{"pix/nil", &image.Gray{Stride: 4, Rect: image.Rect(0, 0, 4, 4)}, 80},
		{"stride/narrow", &image.Gray{Pix: make([]byte, 16), Stride: 3, Rect: image.Rect(0, 0, 4, 4)}, 80},
		{"stride/zero", &image.Gray{Pix: make([]byte, 16), Stride: 0, Rect: image.Rect(0, 0, 4, 4)}, 80},
		{"stride/negative", &image.Gray{Pix: make([]byte, 16), Stride: -4, Rect: image.Rect(0, 0, 4, 4)}, 80},
		{"stride/huge", &image.Gray{Pix: make([]byte, 16), Stride: math.MaxInt, Rect: image.Rect(0, 0, 4, 4)}, 80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := EncodeGray(&buf, tc.img, tc.quality)
			if err == nil {
				t.Fatalf("EncodeGray(%s, %d) = nil error, want one", tc.name, tc.quality)
			}
			if !strings.HasPrefix(err.Error(), "jpegenc: ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("EncodeGray(%s): error %q, want one line prefixed \"jpegenc: \"", tc.name, err)
			}
			if buf.Len() != 0 {
				t.Errorf("EncodeGray(%s) wrote %d bytes before failing", tc.name, buf.Len())
			}
		})
	}
}

// TestEncodeGrayLimits encodes images at the largest sizes allowed and
// with an exactly sized Pix.
func TestEncodeGrayLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  *image.Gray
	}{
		{"65535x1", testImage(t, "noise", 65535, 1)},
		{"1x65535", testImage(t, "noise", 1, 65535)},
		{"exact-pix", &image.Gray{Pix: make([]byte, 3*10+9), Stride: 10, Rect: image.Rect(-5, 7, 4, 11)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.img.Bounds()
			decodeGray(t, encode(t, tc.img, 75), b.Dx(), b.Dy())
		})
	}
}

// errWriter fails once it has taken n bytes.
type errWriter struct {
	n   int
	err error
}

func (w *errWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

// TestEncodeGrayWriteError checks that the writer's first error comes
// back, whether the image is coded as one band or several.
func TestEncodeGrayWriteError(t *testing.T) {
	errBoom := errors.New("boom")
	for _, size := range []int{16, 1280} {
		img := testImage(t, "photo", size, size*5/8)
		total := len(encode(t, img, 80))
		for _, n := range []int{0, 1, total / 2, total - 1} {
			t.Run(fmt.Sprintf("%d/after-%d", size, n), func(t *testing.T) {
				err := EncodeGray(&errWriter{n: n, err: errBoom}, img, 80)
				if !errors.Is(err, errBoom) {
					t.Errorf("EncodeGray to a writer failing after %d of %d bytes = %v, want %v", n, total, err, errBoom)
				}
			})
		}
	}
}

// TestEncodeGrayGoroutines checks that no goroutine outlives a call.
// synctest.Wait returns once every other goroutine of the bubble has
// exited or is blocked for good, so the count is exact.
func TestEncodeGrayGoroutines(t *testing.T) {
	img := testImage(t, "photo", 700, 500)
	synctest.Test(t, func(t *testing.T) {
		base := userGoroutines()
		for i := range 20 {
			if err := EncodeGray(io.Discard, img, 80); err != nil {
				t.Fatalf("EncodeGray: %v", err)
			}
			err := EncodeGray(&errWriter{err: errors.New("boom")}, img, 80)
			if err == nil {
				t.Fatalf("EncodeGray to a failing writer: no error")
			}
			synctest.Wait()
			if n := userGoroutines(); n != base {
				buf := make([]byte, 1<<20)
				t.Fatalf("after %d encodes %d goroutines, want %d:\n%s", i+1, n, base, buf[:runtime.Stack(buf, true)])
			}
			if n := runtime.NumGoroutine(); n < base {
				t.Fatalf("runtime.NumGoroutine() = %d, below the %d counted at the start", n, base)
			}
		}
	})
}

// userGoroutines counts the live goroutines in one snapshot of all stacks,
// less the runtime's finalizer and cleanup goroutines, which show there
// only while they run finalizers (of files that other tests closed, say).
// runtime.NumGoroutine is not exact enough: it can still count a goroutine
// that has exited but not yet been put back on the runtime's free list.
func userGoroutines() int {
	buf := make([]byte, 1<<20)
	n := 0
	for g := range strings.SplitSeq(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.HasPrefix(g, "goroutine ") &&
			!strings.Contains(g, "runtime.runFinalizers") && !strings.Contains(g, "runtime.runCleanups") {
			n++
		}
	}
	return n
}

// TestEncodeGrayDeterministic checks that the output depends neither on
// GOMAXPROCS nor on other encodes running at the same time.
func TestEncodeGrayDeterministic(t *testing.T) {
	imgs := []*image.Gray{
		testImage(t, "photo", 1280, 800),
		testImage(t, "noise", 350, 418),
		testImage(t, "edges", 1283, 801),
	}
	want := make([][]byte, len(imgs))
	for i, img := range imgs {
		want[i] = bytes.Clone(encode(t, img, 80))
	}
	for _, procs := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			var wg sync.WaitGroup
			got := make([][]byte, 3*len(imgs))
			for i := range got {
				wg.Go(func() {
					var buf bytes.Buffer
					if err := EncodeGray(&buf, imgs[i%len(imgs)], 80); err != nil {
						t.Errorf("EncodeGray: %v", err)
					}
					got[i] = buf.Bytes()
				})
			}
			wg.Wait()
			for i := range got {
				if !bytes.Equal(got[i], want[i%len(imgs)]) {
					t.Errorf("encode %d of image %d differs from the sequential one at GOMAXPROCS=%d", i, i%len(imgs), procs)
				}
			}
		})
	}
}

// TestEncodeGrayImageMagick decodes a few outputs with libjpeg through
// ImageMagick and compares with image/jpeg's decoding.
func TestEncodeGrayImageMagick(t *testing.T) {
	big := testImage(t, "photo", 700, 500)
	for _, tc := range []struct {
		name    string
		img     *image.Gray
		quality int
	}{
		{"photo/350x418/q80", testImage(t, "photo", 350, 418), 80},
		{"photo/1283x801/q50", testImage(t, "photo", 1283, 801), 50},
		{"edges/9x17/q95", testImage(t, "edges", 9, 17), 95},
		{"noise/1x1/q100", testImage(t, "noise", 1, 1), 100},
		{"noise/64x64/q1", testImage(t, "noise", 64, 64), 1},
		{"sub/613x411/q80", big.SubImage(image.Rect(80, 81, 693, 492)).(*image.Gray), 80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, h := tc.img.Bounds().Dx(), tc.img.Bounds().Dy()
			data := encode(t, tc.img, tc.quality)
			file := filepath.Join(t.TempDir(), "out.jpg")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}

			t.Run("identify", func(t *testing.T) {
				out := run(t, "identify", "-format", "%w %h %[colorspace] %z", file)
				if want := fmt.Sprintf("%d %d Gray 8", w, h); out != want {
					t.Errorf("identify = %q, want %q", out, want)
				}
			})
			t.Run("convert", func(t *testing.T) {
				pgm := run(t, "convert", file, "pgm:-")
				got := parsePGM(t, []byte(pgm))
				want := decodeGray(t, data, w, h)
				if got.Bounds() != want.Bounds() {
					t.Fatalf("convert gave %v, image/jpeg %v", got.Bounds(), want.Bounds())
				}
				for y := range h {
					for x := range w {
						g, v := got.GrayAt(x, y).Y, want.GrayAt(x, y).Y
						if d := int(g) - int(v); d < -1 || d > 1 {
							t.Fatalf("pixel (%d, %d): libjpeg %d, image/jpeg %d, want within 1", x, y, g, v)
						}
					}
				}
			})
		})
	}
}

// run runs an ImageMagick tool and returns its trimmed output, skipping
// the test when the tool is not installed.
func run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		// CI installs ImageMagick and sets ESCALA_REQUIRE_PEERS, so that
		// this check cannot be skipped there.
		if os.Getenv("ESCALA_REQUIRE_PEERS") != "" {
			tb.Fatalf("%s not installed, and ESCALA_REQUIRE_PEERS is set", name)
		}
		tb.Skipf("%s not installed (apt-get install imagemagick)", name)
	}
	out, err := exec.Command(path, args...).Output()
	if err != nil {
		tb.Fatalf("%s %v: %v", name, args, err)
	}
	return strings.TrimSpace(string(out))
}

// parsePGM decodes a binary 8-bit PGM (P5).
func parsePGM(tb testing.TB, data []byte) *image.Gray {
	tb.Helper()
	r := bufio.NewReader(bytes.NewReader(data))
	var magic string
	var w, h, maxval int
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxval); err != nil || magic != "P5" || maxval != 255 {
		tb.Fatalf("parsePGM: header %q %d %d %d: %v", magic, w, h, maxval, err)
	}
	if _, err := r.ReadByte(); err != nil { // the one whitespace byte
		tb.Fatalf("parsePGM: %v", err)
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	if _, err := io.ReadFull(r, g.Pix); err != nil {
		tb.Fatalf("parsePGM: %v", err)
	}
	return g
}

// FuzzEncodeGray encodes images of any geometry, consistent or not: it must
// not panic, and what it encodes must decode to the right size.
func FuzzEncodeGray(f *testing.F) {
	f.Add(uint16(1), uint16(1), uint16(1), int16(0), int16(0), 80, 1, []byte{7})
	f.Add(uint16(9), uint16(17), uint16(12), int16(-3), int16(5), 95, 0, []byte("seed"))
	f.Add(uint16(64), uint16(40), uint16(64), int16(0), int16(0), 1, 0, []byte{0xff, 0, 0xff})
	f.Add(uint16(70), uint16(3), uint16(60), int16(0), int16(0), 100, 3, []byte{})
	f.Add(uint16(520), uint16(333), uint16(530), int16(2), int16(-1), 80, 0, []byte("bands"))
	f.Fuzz(func(t *testing.T, w, h, stride uint16, minX, minY int16, quality, short int, seed []byte) {
		// Up to 600×600: images of 2048 blocks and more are encoded in
		// bands, in parallel.
		w, h = w%600, h%600
		stride = stride % 800
		pixLen := max(0, (int(h)-1)*int(stride)+int(w)-short%64)
		if pixLen > 1<<20 {
			t.Skip()
		}
		g := &image.Gray{
			Pix:    make([]byte, pixLen),
			Stride: int(stride),
			Rect:   image.Rect(int(minX), int(minY), int(minX)+int(w), int(minY)+int(h)),
		}
		for i := range g.Pix {
			if len(seed) > 0 {
				g.Pix[i] = seed[i%len(seed)] + byte(i*7)
			}
		}
		var buf bytes.Buffer
		if err := EncodeGray(&buf, g, quality); err != nil {
			return
		}
		img, err := jpeg.Decode(&buf)
		if err != nil {
			t.Fatalf("jpeg.Decode of EncodeGray(%v, stride %d): %v", g.Rect, stride, err)
		}
		if b := img.Bounds(); b.Dx() != int(w) || b.Dy() != int(h) {
			t.Fatalf("decoded %v, want %dx%d", b, w, h)
		}
	})
}

// BenchmarkEncodeGray encodes photo-like images at quality 80 with
// EncodeGray, with its Go code alone ("go", the same as "jpegenc" on a
// processor without AVX2) and, as the baseline, with image/jpeg.
func BenchmarkEncodeGray(b *testing.B) {
	for _, s := range []struct{ w, h int }{{1280, 800}, {1920, 1080}, {350, 418}, {64, 64}} {
		img := testImage(b, "photo", s.w, s.h)
		for _, impl := range []struct {
			name string
			use  func(testing.TB)
		}{
			{"jpegenc", func(testing.TB) {}},
			{"go", withoutAVX2},
		} {
			b.Run(fmt.Sprintf("%dx%d/%s", s.w, s.h, impl.name), func(b *testing.B) {
				impl.use(b)
				b.ReportAllocs()
				b.SetBytes(int64(s.w * s.h))
				for b.Loop() {
					if err := EncodeGray(io.Discard, img, 80); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(fmt.Sprintf("%dx%d/image-jpeg", s.w, s.h), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(s.w * s.h))
			for b.Loop() {
				if err := jpeg.Encode(io.Discard, img, &jpeg.Options{Quality: 80}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
