package bmpdec_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/codec/bmpdec"
)

// pillow is the interpreter that has Pillow: Debian's python3-pil.
const pillow = "/usr/bin/python3"

// TestPillowRandom makes small files of random layouts, headers, palettes
// and pixels (RLE streams too), has Pillow decode them with
// testdata/pillow_gray.py, and requires DecodeGray to give exactly
// Pillow's gray of every file that Pillow reads as the format says. It is
// skipped with -short, and without python3 on PATH or Pillow in
// /usr/bin/python3, unless ESCALA_REQUIRE_PEERS is set.
func TestPillowRandom(t *testing.T) {
	if testing.Short() {
		// Where CI runs 386 binaries under qemu, with -short, a test
		// binary cannot start another program.
		t.Skip("starts Python; not with -short")
	}
	_, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(pillow, "-c", "import PIL").Run()
	}
	if err != nil {
		if os.Getenv("ESCALA_REQUIRE_PEERS") != "" {
			t.Fatalf("%s cannot import PIL (%v), and ESCALA_REQUIRE_PEERS is set", pillow, err)
		}
		t.Skipf("%s cannot import PIL (apt-get install python3-pil): %v", pillow, err)
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(7, uint64(len(t.Name()))))
	var names []string
	files := map[string]randomFile{}
	for i := range 1500 {
		f := newRandomFile(r)
		name := filepath.Join(dir, fmt.Sprintf("r%04d.bmp", i))
		if err := os.WriteFile(name, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		files[name] = f
	}
	script, err := filepath.Abs(filepath.Join("testdata", "pillow_gray.py"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(pillow, append([]string{script}, names...)...).CombinedOutput(); err != nil {
		t.Fatalf("pillow_gray.py: %v\n%s", err, out)
	}
	compared, refused := 0, 0
	for _, name := range names {
		base := strings.TrimSuffix(name, ".bmp")
		ref, err := os.ReadFile(base + ".pgm")
		if err != nil {
			refused++
			continue
		}
		f := files[name]
		// Pillow reads the pixels of a palette it takes for plain gray
		// as 8-bit values ("L") or 1-bit ones ("1") whatever their size.
		if bytes.Contains(ref, []byte("# mode L\n")) && f.bits != 8 || bytes.Contains(ref, []byte("# mode 1\n")) && f.bits != 1 {
			continue
		}
		var w, h int
		if _, err := fmt.Sscanf(string(ref[bytes.IndexByte(ref, '\n')+1:]), "# mode %s\n%d %d\n255\n", new(string), &w, &h); err != nil {
			t.Fatalf("%s: %v", base+".pgm", err)
		}
		want := ref[len(ref)-w*h:]
		got, err := bmpdec.DecodeGray(f.data, nil)
		switch {
		case err != nil:
			t.Errorf("%s (%s): Pillow decodes it, DecodeGray: %v", name, f.desc, err)
		case got.Rect.Dx() != w || got.Rect.Dy() != h:
			t.Errorf("%s (%s): DecodeGray gave %v, Pillow %dx%d", name, f.desc, got.Rect, w, h)
		case !bytes.Equal(got.Pix, want):
			t.Errorf("%s (%s): DecodeGray = %v, Pillow %v", name, f.desc, got.Pix, want)
		}
		compared++
	}
	t.Logf("compared %d files with Pillow; it refused %d", compared, refused)
	if compared < 600 {
		t.Errorf("compared %d files with Pillow (it refused %d), want 600 or more", compared, refused)
	}
}

// A randomFile is a small BMP file of a random layout.
type randomFile struct {
	data []byte
	bits uint16
	desc string
}

// newRandomFile returns a file of a random header size, bit depth and
// compression (with the masks Pillow knows and others), palette (gray
// ramps and black and white among them), size, row order, pixel offset
// and pixels, sometimes cut short. RLE streams have runs past the ends of
// rows and early ends of bitmaps, but neither deltas nor odd RLE4
// absolute runs, which Pillow 9.4 misreads.
func newRandomFile(r *rand.Rand) randomFile {
	pick := func(v ...int) int { return v[r.IntN(len(v))] }
	f := bmpFile{headerSize: pick(12, 40, 40, 40, 64, 108, 124), bits: uint16(pick(1, 4, 8, 8, 16, 24, 32, 32))}
	if f.headerSize != 12 {
		f.compression = uint32(pick(0, 0, 1, 2, 3, 3))
	}
	w, h := 1+r.IntN(pick(5, 13, 40)), 1+r.IntN(6)
	f.width, f.height = int32(w), int32(h)
	if f.headerSize != 12 && r.IntN(10) < 3 {
		f.height = -f.height
	}
	if f.bits <= 8 || f.compression == 1 || f.compression == 2 {
		n := pick(1<<min(f.bits, 8), 2, 3, 16, 256, 0)
		if f.headerSize == 12 {
			n = 1 << min(f.bits, 8)
		} else {
			f.colors = uint32(n)
		}
		if n == 0 {
			n = 1 << min(f.bits, 8)
		}
		f.palette = make([][3]byte, n)
		kind := r.IntN(20)
		for i := range f.palette {
			switch {
			case kind < 3: // Pillow's gray ramp
				f.palette[i] = [3]byte{byte(i), byte(i), byte(i)}
			case kind < 5 && i < 2: // black and white
				f.palette[i] = [3]byte{byte(255 * i), byte(255 * i), byte(255 * i)}
			default:
				f.palette[i] = [3]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}
			}
		}
	}
	if f.compression == 3 {
		var m [][4]uint32
		switch f.bits {
		case 16:
			m = [][4]uint32{{0xf800, 0x7e0, 0x1f, 0}, {0x7c00, 0x3e0, 0x1f, 0}, {0x7c00, 0x3e0, 0x1f, 0x8000}, {0xf00, 0xf0, 0xf, 0xf000}, {}}
		case 24:
			m = [][4]uint32{{0xff0000, 0xff00, 0xff, 0}, {0xff0000, 0xff00, 0xff, 0xff000000}, {0xff, 0xff00, 0xff0000, 0}}
		default:
			m = [][4]uint32{{0xff0000, 0xff00, 0xff, 0}, {0xff000000, 0xff0000, 0xff00, 0}, {0xff000000, 0xff0000, 0xff00, 0xff},
				{0xff, 0xff00, 0xff0000, 0xff000000}, {0xff0000, 0xff00, 0xff, 0xff000000}, {}, {0x3ff00000, 0xffc00, 0x3ff, 0xc0000000}}
		}
		masks := m[r.IntN(len(m))]
		f.masks = masks[:]
		if f.headerSize == 40 {
			f.masks = masks[:3]
		}
	}
	switch f.compression {
	case 1, 2:
		f.pixels = randomRLE(r, w, h, f.compression == 2)
	default:
		stride := (w*int(f.bits) + 31) / 32 * 4
		f.pixels = make([]byte, stride*h)
		for i := range f.pixels {
			f.pixels[i] = byte(r.Uint32())
		}
		if r.IntN(5) == 0 {
			f.pixels = f.pixels[:len(f.pixels)-r.IntN(min(len(f.pixels), 6))]
		}
	}
	switch r.IntN(10) {
	case 0:
		f.offset = -1 // 0: the pixels follow the palette
	case 1:
		if f.headerSize != 12 {
			f.offset = int64(14 + f.headerSize) // Pillow skips 4 bytes a colour
		}
	}
	return randomFile{data: f.build(), bits: f.bits, desc: fmt.Sprintf("%+v", f.withoutData())}
}

// withoutData returns f without its palette and pixels, to describe it.
func (f bmpFile) withoutData() bmpFile {
	f.palette, f.pixels = nil, nil
	return f
}

// randomRLE returns a random RLE8 or RLE4 stream of rows of encoded and
// absolute runs (even ones for RLE4), which may pass the ends of rows, each
// row ended, and mostly an end of bitmap.
func randomRLE(r *rand.Rand, w, h int, rle4 bool) []byte {
	var out []byte
	rows := h + r.IntN(4)/3
	for range rows {
		for x := 0; x < w+2*(r.IntN(3)/2); {
			k := r.IntN(10)
			if k < 5 {
				n := 1 + r.IntN(w+2)
				out = append(out, byte(n), byte(r.Uint32()))
				x += n
				continue
			}
			if k == 9 {
				break
			}
			n := 3 + r.IntN(w+1)
			if rle4 && n%2 != 0 {
				n++
			}
			size := n
			if rle4 {
				size = (n + 1) / 2
			}
			out = append(out, 0, byte(n))
			for range size {
				out = append(out, byte(r.Uint32()))
			}
			if size%2 != 0 {
				out = append(out, 0)
			}
			x += n
		}
		out = append(out, 0, 0)
	}
	if r.IntN(10) < 7 {
		out = append(out, 0, 1)
	}
	return out
}
