package jpegdec

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// testFile is a file of testdata.
type testFile struct {
	name string
	data []byte
}

// testFiles returns the JPEG files of testdata, sorted by name.
func testFiles(tb testing.TB) []testFile {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.jpg"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(paths) == 0 {
		tb.Fatal("no testdata/*.jpg")
	}
	sort.Strings(paths)
	var files []testFile
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, testFile{filepath.Base(p), data})
	}
	return files
}

// readTestFile returns one file of testdata.
func readTestFile(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// djpegHashes reads testdata/djpeg-gray.sha256: file name to the SHA-256
// of libjpeg's grayscale decode as a PGM.
func djpegHashes(tb testing.TB) map[string]string {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "djpeg-gray.sha256"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		hash, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			tb.Fatalf("bad line %q in djpeg-gray.sha256", sc.Text())
		}
		m[name] = hash
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return m
}

// pgmHash returns the SHA-256 of m written as a binary PGM, as djpeg writes
// it.
func pgmHash(m *image.Gray) string {
	h := sha256.New()
	w, ht := m.Rect.Dx(), m.Rect.Dy()
	fmt.Fprintf(h, "P5\n%d %d\n255\n", w, ht)
	for y := 0; y < ht; y++ {
		h.Write(m.Pix[y*m.Stride : y*m.Stride+w])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestDecodeGrayFiles decodes every file of testdata: the gray must be
// exactly libjpeg's (but for CMYK and YCCK files, which djpeg cannot make
// gray), within the tolerance of the gray of image/jpeg's decode, and of
// the size DecodeConfig gives; the unsupported-* files must give
// ErrUnsupported.
func TestDecodeGrayFiles(t *testing.T) {
	hashes := djpegHashes(t)
	var total diffStats
	for _, f := range testFiles(t) {
		t.Run(f.name, func(t *testing.T) {
			got, err := DecodeGray(f.data, nil)
			cfg, cerr := DecodeConfig(f.data)
			if strings.HasPrefix(f.name, "unsupported-") {
				if !errors.Is(err, ErrUnsupported) || !errors.Is(cerr, ErrUnsupported) {
					t.Fatalf("DecodeGray = %v, DecodeConfig = %v, want ErrUnsupported", err, cerr)
				}
				return
			}
			if err != nil || cerr != nil {
				t.Fatalf("DecodeGray = %v, DecodeConfig = %v", err, cerr)
			}
			if got.Rect != image.Rect(0, 0, cfg.Width, cfg.Height) {
				t.Fatalf("DecodeGray gave %v, DecodeConfig says %dx%d", got.Rect, cfg.Width, cfg.Height)
			}
			if want, ok := hashes[f.name]; ok {
				if h := pgmHash(got); h != want {
					t.Errorf("DecodeGray(%s) differs from libjpeg's gray: hash %s, want %s", f.name, h, want)
				}
			} else if !strings.Contains(f.name, "cmyk") && !strings.Contains(f.name, "ycck") {
				// djpeg makes no gray of CMYK and YCCK: those are
				// compared with image/jpeg only.
				t.Fatalf("no libjpeg hash for %s in djpeg-gray.sha256", f.name)
			}
			std, err := jpeg.Decode(bytes.NewReader(f.data))
			if err != nil {
				t.Logf("image/jpeg cannot decode it (%v); compared with libjpeg only", err)
				return
			}
			s := compareLuma(t, got, std)
			if !s.ok() {
				t.Errorf("DecodeGray(%s) differs from image/jpeg: %v", f.name, s)
			}
			total.add(s)
		})
	}
	t.Logf("against image/jpeg: %v", total)
}

// TestHalfFineChroma decodes at half size the files whose luma has half
// the chroma's resolution both ways: the gray must be exactly what djpeg
// -scale 1/2 gives.
func TestHalfFineChroma(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "djpeg-gray-half.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		want, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("bad line %q in djpeg-gray-half.sha256", sc.Text())
		}
		n++
		got, err := DecodeGray(readTestFile(t, name), &Options{Scale: 2})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h := pgmHash(got); h != want {
			t.Errorf("DecodeGray(%s, Scale 2) differs from djpeg -scale 1/2: hash %s, want %s", name, h, want)
		}
	}
	if n == 0 {
		t.Fatal("no files in djpeg-gray-half.sha256")
	}
}

// TestArithmeticRecoded decodes files that jpegtran -arithmetic made from
// Huffman-coded ones, with the same coefficients: the gray must be the
// same, at every scale. (djpeg makes no gray of CMYK and YCCK files.)
func TestArithmeticRecoded(t *testing.T) {
	pairs := [][2]string{
		{"arith-rgb-base.jpg", "rgb-base.jpg"},
		{"arith-rgb-422-prog.jpg", "rgb-422-prog.jpg"},
		{"arith-cmyk-22-base.jpg", "cmyk-22-base.jpg"},
		{"arith-ycck-prog-rst2.jpg", "ycck-base.jpg"},
	}
	for _, p := range pairs {
		for _, scale := range []int{1, 2, 4, 8} {
			t.Run(fmt.Sprintf("%s/%d", p[0], scale), func(t *testing.T) {
				opts := &Options{Scale: scale}
				got, err := DecodeGray(readTestFile(t, p[0]), opts)
				if err != nil {
					t.Fatal(err)
				}
				want, err := DecodeGray(readTestFile(t, p[1]), opts)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Pix, want.Pix) || got.Rect != want.Rect {
					t.Errorf("DecodeGray(%s, Scale %d) differs from DecodeGray(%s)", p[0], scale, p[1])
				}
			})
		}
	}
}

// TestDecodeConfig checks what DecodeConfig says of some files.
func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		file string
		want Config
		err  error
	}{
		{"444-base.jpg", Config{67, 45, 3, false}, nil},
		{"420-prog-rst4.jpg", Config{67, 45, 3, true}, nil},
		{"gray-prog.jpg", Config{67, 45, 1, true}, nil},
		{"1x1-420.jpg", Config{1, 1, 3, false}, nil},
		{"17x9-gray-rst1.jpg", Config{17, 9, 1, false}, nil},
		{"extended-sof1.jpg", Config{67, 45, 3, false}, nil},
		{"exif-thumbnail.jpg", Config{67, 45, 3, false}, nil}, // not the thumbnail's 40×30
		{"ycck-base.jpg", Config{67, 45, 4, false}, nil},
		{"cmyk-prog.jpg", Config{67, 45, 4, true}, nil},
		{"rgb-base.jpg", Config{67, 45, 3, false}, nil},
		{"arith-420-prog.jpg", Config{67, 45, 3, true}, nil},
		{"arith-gray-base.jpg", Config{67, 45, 1, false}, nil},
		{"fine-11-22.jpg", Config{67, 45, 3, false}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := DecodeConfig(readTestFile(t, tc.file))
			if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Errorf("DecodeConfig(%s) = %+v, %v, want %+v, %v", tc.file, got, err, tc.want, tc.err)
			}
		})
	}
}

// TestGenerated compares DecodeGray with image/jpeg on images that
// image/jpeg encodes: baseline 4:2:0 colour and gray, at several sizes and
// qualities.
func TestGenerated(t *testing.T) {
	sizes := [][2]int{{1, 1}, {7, 5}, {8, 8}, {16, 16}, {17, 9}, {33, 17}, {100, 75}, {257, 131}}
	var total diffStats
	for _, sz := range sizes {
		for _, q := range []int{5, 50, 75, 90, 100} {
			for _, gray := range []bool{false, true} {
				name := fmt.Sprintf("%dx%d/q%d/color", sz[0], sz[1], q)
				var m image.Image = benchImage(sz[0], sz[1])
				if gray {
					name = strings.TrimSuffix(name, "color") + "gray"
					g := image.NewGray(m.Bounds())
					for y := 0; y < sz[1]; y++ {
						for x := 0; x < sz[0]; x++ {
							g.Set(x, y, m.At(x, y))
						}
					}
					m = g
				}
				t.Run(name, func(t *testing.T) {
					s := decodeBoth(t, encodeTest(t, m, q))
					if !s.ok() {
						t.Errorf("DecodeGray(%s) differs from image/jpeg: %v", name, s)
					}
					total.add(s)
				})
			}
		}
	}
	t.Logf("all: %v", total)
}

// TestOptions checks MaxPixels and Scale.
func TestOptions(t *testing.T) {
	data := readTestFile(t, "420-base.jpg") // 67×45 = 3015 pixels
	tests := []struct {
		name string
		opts *Options
		size image.Point
		err  error
	}{
		{"nil", nil, image.Pt(67, 45), nil},
		{"at the limit", &Options{MaxPixels: 3015}, image.Pt(67, 45), nil},
		{"over the limit", &Options{MaxPixels: 3014}, image.Point{}, ErrTooLarge},
		{"scale 0", &Options{Scale: 0}, image.Pt(67, 45), nil},
		{"scale 2", &Options{Scale: 2}, image.Pt(34, 23), nil},
		{"scale 4", &Options{Scale: 4}, image.Pt(17, 12), nil},
		{"scale 8", &Options{Scale: 8}, image.Pt(9, 6), nil},
		{"scale 3", &Options{Scale: 3}, image.Point{}, errAny},
		{"scale -1", &Options{Scale: -1}, image.Point{}, errAny},
		{"negative limit", &Options{MaxPixels: -1}, image.Point{}, errAny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeGray(data, tc.opts)
			if !sameError(err, tc.err) {
				t.Fatalf("DecodeGray(%+v) error %v, want %v", tc.opts, err, tc.err)
			}
			if err == nil && m.Rect.Size() != tc.size {
				t.Errorf("DecodeGray(%+v) size %v, want %v", tc.opts, m.Rect.Size(), tc.size)
			}
		})
	}
}

// errAny stands for any error in the tables of tests.
var errAny = errors.New("any error")

// errFormat stands for an error that is neither ErrUnsupported nor
// ErrTooLarge nor one wrapping io.ErrUnexpectedEOF.
var errFormat = errors.New("format error")

// sameError reports whether err is what want stands for.
func sameError(err, want error) bool {
	switch want {
	case nil:
		return err == nil
	case errAny:
		return err != nil
	case errFormat:
		return err != nil && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, io.ErrUnexpectedEOF)
	}
	return errors.Is(err, want)
}

// TestErrorsAreOneLine checks that errors are one line with the package
// prefix.
func TestErrorsAreOneLine(t *testing.T) {
	data := readTestFile(t, "420-prog.jpg")
	for _, in := range [][]byte{nil, {0xff}, {1, 2, 3}, data[:len(data)/2], data[:200]} {
		_, err := DecodeGray(in, nil)
		if err == nil {
			t.Fatalf("DecodeGray(% x...) succeeded", in[:min(len(in), 4)])
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "jpegdec: ") || strings.Contains(msg, "\n") {
			t.Errorf("error %q is not one line starting with \"jpegdec: \"", msg)
		}
	}
}
