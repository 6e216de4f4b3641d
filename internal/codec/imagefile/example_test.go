package imagefile_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"strings"
	"testing/iotest"

	"github.com/escala-img/escala/internal/codec/imagefile"
)

// A peer sends a PNG and then more bytes without closing the stream. The
// receiver reads until the Scanner says the file is complete.
func ExampleScanner() {
	var file bytes.Buffer
	if err := png.Encode(&file, image.NewGray(image.Rect(0, 0, 16, 16))); err != nil {
		fmt.Println(err)
		return
	}
	size := file.Len()
	file.WriteString("next request")
	conn := iotest.HalfReader(&file) // short reads, like a network connection

	var s imagefile.Scanner
	buf := make([]byte, 0, 64)
	reads := 0
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		reads++
		n, serr := s.Scan(buf)
		if serr != nil {
			fmt.Println(serr)
			return
		}
		if n > 0 && n <= len(buf) {
			fmt.Printf("%s file complete: %v\n", s.Format(), n == size)
			// Bytes after n belong to whatever the peer sends next.
			fmt.Println("rest is the next request:", strings.HasPrefix("next request", string(buf[n:])))
			break
		}
		if err == io.EOF {
			fmt.Println("stream ended before the file did")
			return
		}
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("more than one read:", reads > 1)
	// Output:
	// png file complete: true
	// rest is the next request: true
	// more than one read: true
}
