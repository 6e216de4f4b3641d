// Command benchcmp measures the scaling kernel against Pillow on a folder
// of images, in the same run: for each image it times Pillow's paths (in
// a Python process, in process there) and ours (in this process), and
// compares each result with a Lanczos reference that Pillow makes from the
// original. It prints a table per image and a summary.
//
//	go run ./internal/tools/benchcmp -corpus ../shared/corpus
//
// With -formats it measures the decoding paths of other formats instead:
// one photo of the corpus (-source) written as arithmetic-coded JPEG, JPEG
// with chroma finer than luma, BMP (24-bit, RLE8, RGB565), TIFF (every
// compression, planar, CMYK) and WebP (lossy and lossless), each made by
// the tools that users' files come from:
//
//	go run ./internal/tools/benchcmp -formats
//
// It needs python3 with Pillow (Debian: apt-get install python3-pil), and
// for -formats libjpeg-turbo-progs, imagemagick and webp.
package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/escala-img/escala/internal/tools/host"
	"github.com/escala-img/escala/scaler"
)

//go:embed pillow.py
var pillowScript []byte

// pillow is what pillow.py reports.
type pillow struct {
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	Format     string  `json:"format"`
	OriginalMS float64 `json:"original_ms"`
	EqualMS    float64 `json:"equal_ms"`
	DraftMS    float64 `json:"draft_ms"`
}

func main() {
	corpus := flag.String("corpus", "../shared/corpus", "folder of images")
	python := flag.String("python", "", "Python with Pillow (default: the first python3 that has it)")
	seconds := flag.Float64("seconds", 1, "time spent timing each path of each image")
	zone := flag.Int("zoneplate", 1024, "size of the generated zone plate added to the images (0: none)")
	withFormats := flag.Bool("formats", false, "measure -source written in other formats instead of the corpus")
	source := flag.String("source", "LadyBird.jpg", "-formats: the corpus photo the files are made from")
	flag.Parse()
	log.SetFlags(0)
	if *python == "" {
		var err error
		if *python, err = host.Python("PIL"); err != nil {
			log.Fatalf("benchcmp: %v", err)
		}
	}

	work, err := os.MkdirTemp("", "benchcmp-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	paths, err := filepath.Glob(filepath.Join(*corpus, "*"))
	if err != nil || len(paths) == 0 {
		log.Fatalf("benchcmp: no images in %s", *corpus)
	}
	if *withFormats {
		*zone = 0
		if paths, err = makeFormats(filepath.Join(*corpus, *source), work); err != nil {
			log.Fatalf("benchcmp: %v", err)
		}
	}
	script := filepath.Join(work, "pillow.py")
	if err := os.WriteFile(script, pillowScript, 0o644); err != nil {
		log.Fatal(err)
	}
	if *zone > 0 {
		p := filepath.Join(work, fmt.Sprintf("zoneplate-%d.png", *zone))
		if err := os.WriteFile(p, zonePlate(*zone), 0o644); err != nil {
			log.Fatal(err)
		}
		paths = append(paths, p)
	}

	fmt.Printf("benchcmp %s, GOMAXPROCS %d, %s\n\n", time.Now().Format("2006-01-02"), runtime.GOMAXPROCS(0), host.CPUModel())
	fmt.Printf("%-26s %11s %9s %9s %6s %9s %9s %6s | %7s %7s %7s\n",
		"image", "size", "pillow", "ours", "ratio", "p.draft", "original", "", "ours", "pillow", "orig.")
	fmt.Printf("%-26s %11s %9s %9s %6s %9s %9s %6s | %7s %7s %7s\n",
		"", "", "ms", "ms", "", "ms", "ms", "", "dB", "dB", "dB")
	var sumPillow, sumOurs, sumOriginal, sumDraft float64
	var psnrs []float64
	for _, path := range paths {
		name := filepath.Base(path)
		data, err := os.ReadFile(path)
		if err != nil {
			log.Fatal(err)
		}
		dir := filepath.Join(work, name+".out")
		if err := os.Mkdir(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		out, err := exec.Command(*python, script, path, dir, fmt.Sprint(*seconds)).Output()
		if err != nil {
			log.Fatalf("benchcmp: pillow on %s: %v", name, err)
		}
		var p pillow
		if err := json.Unmarshal(out, &p); err != nil {
			log.Fatalf("benchcmp: pillow on %s: %v: %s", name, err, out)
		}
		ms, result := timeKernel(data, *seconds)
		ref := readPGM(filepath.Join(dir, "reference.pgm"))
		ours := psnr(result, ref)
		equal := psnr(readPGM(filepath.Join(dir, "equal.pgm")), ref)
		original := psnr(readPGM(filepath.Join(dir, "original.pgm")), ref)
		psnrs = append(psnrs, ours)
		sumPillow += p.EqualMS
		sumOurs += ms
		sumOriginal += p.OriginalMS
		sumDraft += p.DraftMS
		fmt.Printf("%-26s %11s %9.1f %9.1f %6.2f %9.1f %9.1f %6s | %7.1f %7.1f %7.1f\n",
			trim(name, 26), fmt.Sprintf("%dx%d", p.Width, p.Height), p.EqualMS, ms, ms/p.EqualMS,
			p.DraftMS, p.OriginalMS, kind(p), ours, equal, original)
	}
	slices.Sort(psnrs)
	fmt.Printf("\nsum: pillow equal-quality %.0f ms, ours %.0f ms, ratio %.2f; pillow draft %.0f ms; original path %.0f ms\n",
		sumPillow, sumOurs, sumOurs/sumPillow, sumDraft, sumOriginal)
	fmt.Printf("PSNR of ours against the Lanczos reference: median %.1f dB, min %.1f dB\n", psnrs[len(psnrs)/2], psnrs[0])
	fmt.Println("\npillow: decode → gray → resize(BICUBIC) → save q80, with libjpeg decoding straight to gray (draft at full size).")
	fmt.Println("p.draft: Pillow's draft() decoding at half scale in the DCT domain. original: the original system's path.")
	fmt.Println("ours: scaler.DecodeGray → scaler.Resize (default filter) → scaler.Encode JPEG q80, in this process.")
	fmt.Println("dB: PSNR of each path's half-size gray result, before its final JPEG encoding, against Pillow's")
	fmt.Println("convert(\"L\") + resize(LANCZOS) of the original (flattened onto white where it has alpha).")
}

// timeKernel runs our pipeline on data until seconds have passed (at least
// three times) and returns the median time in milliseconds and the scaled
// image of the last run, before encoding.
func timeKernel(data []byte, seconds float64) (float64, *image.Gray) {
	var times []float64
	var last *image.Gray
	deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	for len(times) < 3 || time.Now().Before(deadline) && len(times) < 50 {
		start := time.Now()
		g, err := scaler.DecodeGray(bytes.NewReader(data), nil)
		if err != nil {
			log.Fatal(err)
		}
		half, err := scaler.Resize(g, max(1, g.Rect.Dx()/2), max(1, g.Rect.Dy()/2), nil)
		if err != nil {
			log.Fatal(err)
		}
		if err := scaler.Encode(io.Discard, half, scaler.JPEG, nil); err != nil {
			log.Fatal(err)
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
		last = half.(*image.Gray)
	}
	slices.Sort(times)
	return times[len(times)/2], last
}

func psnr(a, b *image.Gray) float64 {
	if a.Rect.Size() != b.Rect.Size() {
		log.Fatalf("benchcmp: results of %v and %v", a.Rect.Size(), b.Rect.Size())
	}
	var se float64
	w, h := a.Rect.Dx(), a.Rect.Dy()
	for y := range h {
		ra, rb := a.Pix[y*a.Stride:][:w], b.Pix[y*b.Stride:][:w]
		for x := range w {
			d := float64(ra[x]) - float64(rb[x])
			se += d * d
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(w*h)/se)
}

// readPGM reads a binary 8-bit PGM, as Pillow writes it: "P5", width,
// height and 255 separated by single whitespace, then the pixels.
func readPGM(path string) *image.Gray {
	data, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	var header [4]string
	rest := data
	for i := range header {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		end := bytes.IndexAny(rest, " \t\r\n")
		if end < 0 {
			log.Fatalf("benchcmp: %s: short PGM header", path)
		}
		header[i], rest = string(rest[:end]), rest[end+1:]
	}
	var w, h int
	if _, err := fmt.Sscan(header[1]+" "+header[2], &w, &h); err != nil || header[0] != "P5" || header[3] != "255" || len(rest) < w*h {
		log.Fatalf("benchcmp: %s: not an 8-bit PGM", path)
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, rest)
	return g
}

// zonePlate returns a size×size gray PNG of concentric rings whose
// frequency grows from zero at the centre to the Nyquist limit at the
// middle of each edge.
func zonePlate(size int) []byte {
	g := image.NewGray(image.Rect(0, 0, size, size))
	k := math.Pi / float64(size)
	for y := range size {
		for x := range size {
			dx, dy := float64(x)-float64(size)/2+0.5, float64(y)-float64(size)/2+0.5
			g.Pix[y*size+x] = uint8(math.Round(127.5 + 127.5*math.Cos(k*(dx*dx+dy*dy))))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

func kind(p pillow) string {
	return strings.ToLower(p.Format)
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
