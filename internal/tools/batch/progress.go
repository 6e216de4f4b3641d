package batch

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// IsTerminal reports whether f is a terminal (a character device), where
// a progress bar can be redrawn in place.
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// barWidth is the number of cells of the bar itself.
const barWidth = 24

// A Progress prints the report of a batch on W: a line per file, and,
// when Bar is set, a progress bar below them that is redrawn in place,
// with a carriage return, and that each line clears before it is printed.
// The bar shows the files done of Total, those that failed, the bytes
// sent and their rate since Start. Without Bar, W gets the lines and
// nothing else, for a pipe or a file.
//
// Set its fields before first use; a zero Start means the time of the
// first call. Its methods are safe for concurrent use.
type Progress struct {
	W     io.Writer
	Bar   bool
	Total int
	Start time.Time

	mu           sync.Mutex
	done, failed int
	sent         int64
	shown        bool // the bar is on the last line of W
}

// Println prints line above the bar.
func (p *Progress) Println(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintln(p.W, line)
	p.draw()
}

// Done counts a file as done, failed or not, with the bytes sent for it,
// prints line for it above the bar, and redraws the bar.
func (p *Progress) Done(line string, failed bool, sent int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
	p.sent += sent
	p.clear()
	fmt.Fprintln(p.W, line)
	p.draw()
}

// Redraw draws the bar again, for its rate to follow the time.
func (p *Progress) Redraw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
}

// Clear removes the bar, leaving the cursor at the start of its line for
// what comes next. The next call but Clear draws it again.
func (p *Progress) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

// clear removes the bar, if shown.
func (p *Progress) clear() {
	p.started()
	if p.shown {
		io.WriteString(p.W, "\r\x1b[K") // to the start of the line, and erase it
		p.shown = false
	}
}

// draw writes the bar over the current line, when Bar is set.
func (p *Progress) draw() {
	p.started()
	if !p.Bar {
		return
	}
	io.WriteString(p.W, "\r"+bar(p.done, p.failed, p.Total, p.sent, time.Since(p.Start))+"\x1b[K")
	p.shown = true
}

func (p *Progress) started() {
	if p.Start.IsZero() {
		p.Start = time.Now()
	}
}

// bar renders the progress bar: done files of total, failed of them, sent
// bytes in elapsed time.
//
//	[############............] 2 of 4 files, 1 failed, 1.5 MiB sent, 3.0 MiB/s
func bar(done, failed, total int, sent int64, elapsed time.Duration) string {
	full := barWidth
	if total > 0 {
		full = min(done, total) * barWidth / total
	}
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(strings.Repeat("#", full))
	b.WriteString(strings.Repeat(".", barWidth-full))
	fmt.Fprintf(&b, "] %d of %d files", done, total)
	if failed > 0 {
		fmt.Fprintf(&b, ", %d failed", failed)
	}
	fmt.Fprintf(&b, ", %s sent", size(sent))
	if elapsed > 0 {
		fmt.Fprintf(&b, ", %s/s", size(int64(float64(sent)/elapsed.Seconds())))
	}
	return b.String()
}

// size renders n bytes: "512 B", "1.5 KiB", "12.0 MiB".
func size(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}
