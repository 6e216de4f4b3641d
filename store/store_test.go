package store_test

import (
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/escala-img/escala/store"
)

func TestValidKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"a", true},
		{"Z", true},
		{"0", true},
		{"a-b_c", true},
		{"0123456789abcdefghijklmnopqrstuv.jpg", true},
		{"x.tiff", true},
		{"x.12345678", true},
		{"x.jp2", true},
		{strings.Repeat("k", 128), true},
		{strings.Repeat("k", 123) + ".jpeg", true},

		{"", false},
		{".", false},
		{"..", false},
		{"...", false},
		{"../x", false},
		{"a/b", false},
		{"a\\b", false},
		{"/abs", false},
		{".hidden", false},
		{".jpg", false},
		{"-a", false},
		{"_a", false},
		{"x y", false},
		{"%2e", false},
		{"a%2fb", false},
		{"a:b", false},
		{"a\x00", false},
		{"a\n", false},
		{"é", false},
		{"a.", false},
		{"a..jpg", false},
		{"a.JPG", false},
		{"a.j-g", false},
		{"a.tar.gz", false},
		{"a.123456789", false},
		{strings.Repeat("k", 129), false},
		{strings.Repeat("k", 124) + ".jpeg", false},
	}
	for _, tc := range tests {
		t.Run(tc.key[:min(len(tc.key), 20)], func(t *testing.T) {
			if got := store.ValidKey(tc.key); got != tc.want {
				t.Errorf("ValidKey(%q) = %v, want %v", tc.key, got, tc.want)
			}
		})
	}
}

func FuzzValidKey(f *testing.F) {
	for _, seed := range []string{"a", "abc.jpg", "..", "../x", "a/b", ".tmp-x", "%2e", "a.tar.gz", "A_b-9.x1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if !store.ValidKey(key) {
			return
		}
		// A valid key is one safe path element, in any syntax.
		if len(key) > store.MaxKeyLen || strings.ContainsAny(key, "/\\:% \x00") ||
			strings.HasPrefix(key, ".") || strings.Contains(key, "..") ||
			path.Clean(key) != key || filepath.Base(key) != key || !filepath.IsLocal(key) {
			t.Errorf("ValidKey(%q) = true for a key that is not a safe file name", key)
		}
	})
}
