// Package fakescaler runs, for tests, fake servers on loopback ([Serve]),
// and among them a scale server that speaks only the original system's
// protocol: a 4-byte big-endian length and an image in,
// the image halved out as JPEG, one request per connection, and on any
// failure a closed connection without a reply. Only tests import it.
package fakescaler

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escala-img/escala/scaler"
)

// A Server is an original scale server on a port of 127.0.0.1.
type Server struct {
	// Addr is its address, "127.0.0.1:port".
	Addr string

	// Native counts the connections that started with a length over
	// 64 MiB, as escala's native frame does ("ESCL" read as a length).
	Native atomic.Int64
	// Framed counts the requests answered.
	Framed atomic.Int64
}

// Start starts a Server that runs until tb ends. A length over 64 MiB
// fails at once when waits is false; when it is true, only once the client
// half-closes, as the original waits for that many bytes.
func Start(tb testing.TB, waits bool) *Server {
	tb.Helper()
	s := &Server{}
	s.Addr = Serve(tb, func(c net.Conn) { s.serve(c, waits) })
	return s
}

// Serve runs, until tb ends, a server on a free port of 127.0.0.1 that
// gives each connection to serve, with a deadline 10 s away, and closes
// it when serve returns. It returns the server's address. It is the
// ground of fake servers of any protocol.
func Serve(tb testing.TB, serve func(net.Conn)) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				serve(c)
			}()
		}
	}()
	return l.Addr().String()
}

func (s *Server) serve(c net.Conn, waits bool) {
	var n uint32
	if binary.Read(c, binary.BigEndian, &n) != nil {
		return
	}
	if n > 64<<20 {
		s.Native.Add(1)
		if waits {
			io.Copy(io.Discard, c)
		}
		return
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(c, data); err != nil {
		return
	}
	img, err := scaler.Decode(bytes.NewReader(data), nil)
	if err != nil {
		return
	}
	b := img.Bounds()
	half, err := scaler.Resize(img, b.Dx()/2, b.Dy()/2, nil)
	if err != nil {
		return
	}
	var out bytes.Buffer
	if scaler.Encode(&out, scaler.Grayscale(half), scaler.JPEG, nil) != nil {
		return
	}
	s.Framed.Add(1)
	binary.Write(c, binary.BigEndian, uint32(out.Len()))
	c.Write(out.Bytes())
}
