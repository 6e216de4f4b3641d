package batch

import (
	"bytes"
	"os"
	"testing"
	"time"
)

func TestBar(t *testing.T) {
	tests := []struct {
		done, failed, total int
		sent                int64
		elapsed             time.Duration
		want                string
	}{
		{0, 0, 4, 0, 0, "[........................] 0 of 4 files, 0 B sent"},
		{2, 1, 4, 1536, time.Second, "[############............] 2 of 4 files, 1 failed, 1.5 KiB sent, 1.5 KiB/s"},
		{3, 0, 3, 3 << 20, 2 * time.Second, "[########################] 3 of 3 files, 3.0 MiB sent, 1.5 MiB/s"},
		{1, 0, 3, 10, 0, "[########................] 1 of 3 files, 10 B sent"},
		{0, 0, 0, 0, 0, "[########################] 0 of 0 files, 0 B sent"},
	}
	for _, tc := range tests {
		got := bar(tc.done, tc.failed, tc.total, tc.sent, tc.elapsed)
		if got != tc.want {
			t.Errorf("bar(%d, %d, %d, %d, %v) =\n%q, want\n%q", tc.done, tc.failed, tc.total, tc.sent, tc.elapsed, got, tc.want)
		}
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{5 << 20, "5.0 MiB"},
		{3 << 30, "3.0 GiB"},
		{2 << 40, "2.0 TiB"},
		{2 << 50, "2048.0 TiB"},
	}
	for _, tc := range tests {
		if got := size(tc.n); got != tc.want {
			t.Errorf("size(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestProgress(t *testing.T) {
	// Nothing is sent, so that the rate, 0 B/s, does not depend on the
	// time the test takes.
	const (
		erase = "\r\x1b[K"
		bar0  = "\r[........................] 0 of 2 files, 0 B sent, 0 B/s\x1b[K"
		bar1  = "\r[############............] 1 of 2 files, 1 failed, 0 B sent, 0 B/s\x1b[K"
		bar2  = "\r[########################] 2 of 2 files, 1 failed, 0 B sent, 0 B/s\x1b[K"
	)
	tests := []struct {
		name string
		bar  bool
		want string
	}{
		{"terminal", true, bar0 + erase + "a: error\n" + bar1 + erase + "note\n" + bar1 + bar1 + erase + "b: ok\n" + bar2 + erase + "summary\n"},
		{"pipe", false, "a: error\nnote\nb: ok\nsummary\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			p := &Progress{W: &out, Bar: tc.bar, Total: 2, Start: time.Now().Add(-time.Second)}
			p.Redraw()
			p.Done("a: error", true, 0)
			p.Println("note")
			p.Redraw()
			p.Done("b: ok", false, 0)
			p.Clear()
			p.Clear() // nothing left to erase
			out.WriteString("summary\n")
			if got := out.String(); got != tc.want {
				t.Errorf("Progress wrote\n%q, want\n%q", got, tc.want)
			}
		})
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/file")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, f := range []*os.File{f, w} {
		if IsTerminal(f) {
			t.Errorf("IsTerminal(%s) = true, want false", f.Name())
		}
	}
}
