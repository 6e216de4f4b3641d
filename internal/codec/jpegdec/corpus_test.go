package jpegdec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir holds real photos on the developers' machines and in CI; a
// user's checkout does not have it.
const corpusDir = "../../../../shared/corpus"

// corpusFiles returns the JPEG files of the corpus, or skips tb when there
// is none.
func corpusFiles(tb testing.TB) []string {
	tb.Helper()
	ents, err := os.ReadDir(corpusDir)
	if err != nil {
		tb.Skipf("no corpus: %v", err)
	}
	var files []string
	for _, e := range ents {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if ext == ".jpg" || ext == ".jpeg" {
			files = append(files, filepath.Join(corpusDir, e.Name()))
		}
	}
	if len(files) == 0 {
		tb.Skip("no JPEG files in the corpus")
	}
	return files
}

// TestCorpus decodes every corpus photo with DecodeGray and image/jpeg and
// compares their luma; files DecodeGray leaves to image/jpeg must say so
// with ErrUnsupported.
func TestCorpus(t *testing.T) {
	var total diffStats
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := DecodeGray(data, nil); errors.Is(err, ErrUnsupported) {
				t.Logf("%v", err)
				return
			}
			s := decodeBoth(t, data)
			t.Logf("%v", s)
			if !s.ok() {
				t.Errorf("DecodeGray(%s) differs from image/jpeg: %v", filepath.Base(path), s)
			}
			total.add(s)

			// Half size: close to the box-filtered full size, which keeps
			// some of the frequencies that the reduced transform drops:
			// the sharp detail of a quality 100 photo makes a mean of 2.6.
			full, err := DecodeGray(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			half, err := DecodeGray(data, &Options{Scale: 2})
			if err != nil {
				t.Fatal(err)
			}
			want := boxDown(full, 2)
			if half.Rect != want.Rect {
				t.Fatalf("Scale 2 gave %v, want %v", half.Rect, want.Rect)
			}
			sum := 0
			for i := range want.Pix {
				d := int(half.Pix[i]) - int(want.Pix[i])
				sum += max(d, -d)
			}
			mean := float64(sum) / float64(len(want.Pix))
			t.Logf("Scale 2: mean difference from the box-filtered full size %.3f", mean)
			if mean > 4 {
				t.Errorf("DecodeGray(%s, Scale 2) differs from the box-filtered full size by %.3f on average", filepath.Base(path), mean)
			}
		})
	}
	t.Logf("all: %v", total)
}
