package main

import (
	"bytes"
	"testing"

	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
)

// TestVariant checks that -distinct gives JPEGs that decode, each to
// pixels of its own.
func TestVariant(t *testing.T) {
	distinct = true
	t.Cleanup(func() { distinct = false })
	photo := sample.JPEG(64, 48)
	seen := map[string]int{}
	for i := range 20 {
		v := variant(photo)
		if len(v) != len(photo) {
			t.Fatalf("variant %d has %d bytes, the photo %d", i, len(v), len(photo))
		}
		g, err := scaler.DecodeGray(bytes.NewReader(v), nil)
		if err != nil {
			t.Fatalf("variant %d: %v", i, err)
		}
		if j, ok := seen[string(g.Pix)]; ok {
			t.Errorf("variants %d and %d decode to the same pixels", j, i)
		}
		seen[string(g.Pix)] = i
	}
	png := sample.PNG(8, 8)
	want, err := scaler.DecodeGray(bytes.NewReader(png), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := variant(png), variant(png)
	if bytes.Equal(a, b) || bytes.Equal(a, png) {
		t.Errorf("two variants of a PNG are the same bytes, or the photo's")
	}
	for _, v := range [][]byte{a, b} {
		g, err := scaler.DecodeGray(bytes.NewReader(v), nil)
		if err != nil || !bytes.Equal(g.Pix, want.Pix) {
			t.Errorf("a variant of a PNG decodes to %v, want the photo's pixels", err)
		}
	}
	distinct = false
	if v := variant(png); &v[0] != &png[0] {
		t.Errorf("variant with -distinct=false is a copy, want the photo itself")
	}
}
