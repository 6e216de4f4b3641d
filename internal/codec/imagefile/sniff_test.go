package imagefile

import (
	"fmt"
	"testing"
)

func TestSniff(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", ""},
		{"\xff", ""},
		{"B", ""},
		{"\xff\xd8", "jpeg"},
		{"\xff\xd8\xff\xe0", "jpeg"},
		{"\xff\xd8\x00", ""},
		{"\x89P", "png"},
		{"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "png"},
		{"\x89PNG\r\n\x1a\x0a", "png"},
		{"\x89PNG\r\n\x1b\n", ""},
		{"GI", "gif"},
		{"GIF8", "gif"},
		{"GIF87a", "gif"},
		{"GIF89a\x01\x00", "gif"},
		{"GIF88a", ""},
		{"GIF89b", ""},
		{"BM", "bmp"},
		{"BM\x00\x00\x00\x00", "bmp"},
		{"BA", ""},
		{"II", "tiff"},
		{"II*\x00\x08\x00\x00\x00", "tiff"},
		{"II+\x00", ""},
		{"II\x00*", ""},
		{"MM\x00*", "tiff"},
		{"MM*\x00", ""},
		{"RI", "webp"},
		{"RIFF", "webp"},
		{"RIFF\xff\xff\xff\xffWE", "webp"},
		{"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"},
		{"RIFF\x00\x00\x00\x00WAVE", ""},
		{"hello", ""},
		{"\x00\x00\x00\x00", ""},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			if got := Sniff([]byte(tc.in)); got != tc.want {
				t.Errorf("Sniff(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSniffFiles(t *testing.T) {
	for _, f := range testFiles(t) {
		t.Run(f.name, func(t *testing.T) {
			for _, k := range []int{2, 3, 8, len(f.data)} {
				if got := Sniff(f.data[:k]); got != f.format {
					t.Errorf("Sniff(%s[:%d]) = %q, want %q", f.name, k, got, f.format)
				}
			}
		})
	}
}
