package jpegenc

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
)

// testImage returns a w×h image of one of these kinds:
//
//	flat      one level
//	gradient  a diagonal ramp from black to white
//	noise     uniform random bytes
//	edges     hard black/white stripes and checks
//	photo     smooth shading, shapes with hard edges, fine stripes and noise
func testImage(tb testing.TB, kind string, w, h int) *image.Gray {
	tb.Helper()
	g := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(w)<<32|uint64(h), 1))
	for y := range h {
		for x := range w {
			var v float64
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			switch kind {
			case "flat":
				v = 77
			case "gradient":
				v = 255 * float64(x+y) / float64(max(w+h-2, 1))
			case "noise":
				v = float64(rng.IntN(256))
			case "edges":
				v = 20
				if (x/3+y/5)%2 == 0 {
					v = 235
				}
				if x > w/2 && (x/8+y/8)%2 == 0 {
					v = 255 - v
				}
			case "photo":
				v = 70 + 90*fx + 40*math.Sin(5*fy+3*fx)
				if dx, dy := fx-0.3, fy-0.4; dx*dx+dy*dy < 0.04 {
					v += 60
				}
				if fx > 0.6 && fx < 0.85 && fy > 0.2 && fy < 0.7 {
					v -= 70
				}
				if fy > 0.75 {
					v += 25 * math.Sin(float64(x)*0.9)
				}
				v += rng.NormFloat64() * 4
			default:
				tb.Fatalf("testImage: unknown kind %q", kind)
			}
			g.Pix[y*g.Stride+x] = uint8(math.Round(min(max(v, 0), 255)))
		}
	}
	return g
}

// encode returns g encoded by EncodeGray, failing tb on an error.
func encode(tb testing.TB, g *image.Gray, quality int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := EncodeGray(&buf, g, quality); err != nil {
		tb.Fatalf("EncodeGray(%v, %d): %v", g.Bounds(), quality, err)
	}
	return buf.Bytes()
}

// encodeStd returns g encoded by image/jpeg.
func encodeStd(tb testing.TB, g *image.Gray, quality int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatalf("jpeg.Encode(%v, %d): %v", g.Bounds(), quality, err)
	}
	return buf.Bytes()
}

// decodeGray decodes data with image/jpeg and checks that it is a gray
// image of size w×h.
func decodeGray(tb testing.TB, data []byte, w, h int) *image.Gray {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("jpeg.Decode: %v", err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		tb.Fatalf("jpeg.Decode gave %T, want *image.Gray", img)
	}
	if g.Bounds().Dx() != w || g.Bounds().Dy() != h {
		tb.Fatalf("jpeg.Decode gave %v, want %dx%d", g.Bounds(), w, h)
	}
	return g
}

// psnr returns the peak signal-to-noise ratio of b against a in dB, +Inf
// when they are equal. They must have the same size.
func psnr(a, b *image.Gray) float64 {
	ra, rb := a.Bounds(), b.Bounds()
	var sum float64
	for y := range ra.Dy() {
		for x := range ra.Dx() {
			d := float64(a.GrayAt(ra.Min.X+x, ra.Min.Y+y).Y) - float64(b.GrayAt(rb.Min.X+x, rb.Min.Y+y).Y)
			sum += d * d
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	mse := sum / float64(ra.Dx()*ra.Dy())
	return 10 * math.Log10(255*255/mse)
}

// segment is one marker segment of a JPEG file before its scan.
type segment struct {
	marker byte
	data   []byte // without the length field
}

// parseJPEG splits data into the segments before SOS and the entropy-coded
// data after it, up to EOI, and counts the RSTn markers in that data.
func parseJPEG(tb testing.TB, data []byte) (segs []segment, scan []byte, restarts int) {
	tb.Helper()
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		tb.Fatalf("parseJPEG: no SOI")
	}
	i := 2
	for {
		if i+4 > len(data) || data[i] != 0xff {
			tb.Fatalf("parseJPEG: no marker at %d", i)
		}
		m := data[i+1]
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) {
			tb.Fatalf("parseJPEG: bad length %d of marker %#x at %d", n, m, i)
		}
		segs = append(segs, segment{m, data[i+4 : i+2+n]})
		i += 2 + n
		if m == 0xda {
			break
		}
	}
	if !bytes.HasSuffix(data, []byte{0xff, 0xd9}) {
		tb.Fatalf("parseJPEG: no EOI at the end")
	}
	scan = data[i : len(data)-2]
	for j := 0; j+1 < len(scan); j++ {
		if scan[j] == 0xff {
			switch b := scan[j+1]; {
			case b == 0:
			case b >= 0xd0 && b <= 0xd7:
				restarts++
			default:
				tb.Fatalf("parseJPEG: marker %#x inside the scan", b)
			}
			j++
		}
	}
	return segs, scan, restarts
}

// findSegment returns the data of the first segment with marker m.
func findSegment(tb testing.TB, segs []segment, m byte) []byte {
	tb.Helper()
	for _, s := range segs {
		if s.marker == m {
			return s.data
		}
	}
	tb.Fatalf("no segment with marker %#x", m)
	return nil
}
