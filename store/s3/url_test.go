package s3_test

import (
	"strings"
	"testing"

	"github.com/escala-img/escala/store/s3"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url  string
		want s3.Options
	}{
		{"s3://bucket", s3.Options{Bucket: "bucket"}},
		{"s3://bucket/", s3.Options{Bucket: "bucket"}},
		{"s3://bucket/results", s3.Options{Bucket: "bucket", Prefix: "results/"}},
		{"s3://bucket/results/", s3.Options{Bucket: "bucket", Prefix: "results/"}},
		{"s3://my.bucket-1/a/b_c/D-9", s3.Options{Bucket: "my.bucket-1", Prefix: "a/b_c/D-9/"}},
		{"s3://bucket?region=eu-west-3", s3.Options{Bucket: "bucket", Region: "eu-west-3"}},
		{
			"s3://bucket/p?endpoint=http://127.0.0.1:7070&region=us-east-1",
			s3.Options{Bucket: "bucket", Prefix: "p/", Endpoint: "http://127.0.0.1:7070", Region: "us-east-1", PathStyle: true},
		},
		{
			"s3://bucket?endpoint=https%3A%2F%2Fs3.internal%3A9000&public-endpoint=https://img.example.com",
			s3.Options{Bucket: "bucket", Endpoint: "https://s3.internal:9000", PublicEndpoint: "https://img.example.com", PathStyle: true},
		},
		{
			"s3://bucket?endpoint=http://minio:9000&path-style=false",
			s3.Options{Bucket: "bucket", Endpoint: "http://minio:9000"},
		},
		{"s3://bucket?path-style=true", s3.Options{Bucket: "bucket", PathStyle: true}},
	}
	for _, tc := range tests {
		got, err := s3.ParseURL(tc.url)
		if err != nil {
			t.Errorf("ParseURL(%q) = %v", tc.url, err)
			continue
		}
		if *got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, want %+v", tc.url, *got, tc.want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct {
		url  string
		says string
	}{
		{"", "want s3://BUCKET"},
		{"bucket/prefix", "want s3://BUCKET"},
		{"https://bucket/prefix", "want s3://BUCKET"},
		{"s3:bucket", "want s3://BUCKET"},
		{"s3://", "no bucket"},
		{"s3:///prefix", "no bucket"},
		{"s3://Bucket", `bucket "Bucket" is not a valid name`},
		{"s3://b", "is not a valid name"},
		{"s3://bucket:9000/x", "is not a valid name"},
		{"s3://key:secret@bucket/x", "credentials do not go in the URL"},
		{"s3://bucket/x#frag", "want s3://BUCKET"},
		{"s3://bucket/a//b", `prefix "a//b/" is not valid`},
		{"s3://bucket/a/../b", "is not valid"},
		{"s3://bucket/a%20b", "is not valid"},
		{"s3://bucket/%zz", "invalid URL escape"},
		{"s3://bucket?endpoint=127.0.0.1:9000", `endpoint: "127.0.0.1:9000" is not an http:// or https:// URL`},
		{"s3://bucket?endpoint=", "endpoint"},
		{"s3://bucket?public-endpoint=ftp://x", "public-endpoint"},
		{"s3://bucket?region=", "empty region"},
		{"s3://bucket?region=a&region=b", "parameter region is given 2 times"},
		{"s3://bucket?path-style=yes", "path-style=yes: want true or false"},
		{"s3://bucket?endpont=http://x", `unknown parameter "endpont"`},
		{"s3://bucket?%zz", "parameters"},
	}
	for _, tc := range tests {
		_, err := s3.ParseURL(tc.url)
		if err == nil || !strings.HasPrefix(err.Error(), "s3: store URL ") || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("ParseURL(%q) = %v, want an error saying %q", tc.url, err, tc.says)
		}
	}
}

// FuzzParseURL checks that ParseURL never panics, that its errors are one
// line, and that what it accepts New accepts too.
func FuzzParseURL(f *testing.F) {
	for _, seed := range []string{
		"s3://bucket",
		"s3://bucket/results?endpoint=http://127.0.0.1:7070&region=us-east-1&path-style=true",
		"s3://bucket/a/b?public-endpoint=https://img.example.com&endpoint=https://s3.internal",
		"s3://key:secret@bucket/x#f",
		"s3://bucket/a//../b?region=a&region=b&path-style=maybe",
		"s3://bu%zz",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		opts, err := s3.ParseURL(raw)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("ParseURL(%q) = an error of several lines: %q", raw, err)
			}
			return
		}
		// New checks the same fields; with them valid, it fails only if
		// the AWS configuration cannot be loaded.
		opts.Credentials = nil
		if _, err := s3.New(t.Context(), opts); err != nil && strings.Contains(err.Error(), "new store: ") &&
			!strings.Contains(err.Error(), "AWS configuration") {
			t.Errorf("ParseURL(%q) = %+v, which New refuses: %v", raw, opts, err)
		}
	})
}
