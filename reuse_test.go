package escala_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"image/png"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

// TestReusedMemoryStaysWithItsRequest sends distinct photos of the same
// size from many clients at once, through a gateway and a scale server
// that recycle their buffers between requests, and checks that every
// stored result is exactly the one its own photo gives in process: a
// buffer handed to a second request while the first still used it would
// mix their pixels, which the sizes alone would not show.
func TestReusedMemoryStaysWithItsRequest(t *testing.T) {
	const w, h, clients, rounds = 640, 400, 12, 3
	var photos [][]byte
	for i := range 2 * clients {
		pic := soakPicture(w, h, uint64(i+1))
		var buf bytes.Buffer
		var err error
		if i%3 == 2 {
			err = png.Encode(&buf, pic)
		} else {
			err = jpeg.Encode(&buf, pic, &jpeg.Options{Quality: 90})
		}
		if err != nil {
			t.Fatal(err)
		}
		photos = append(photos, buf.Bytes())
	}
	want := make([][]byte, len(photos))
	for i, data := range photos {
		want[i] = inProcess(t, data)
		for j := range i {
			if bytes.Equal(want[i], want[j]) {
				t.Fatalf("photos %d and %d give the same result: the test could not tell them apart", j, i)
			}
		}
	}

	scale := &transport.Server{Handler: &transport.ScaleHandler{Logger: quiet}, Logger: quiet}
	scaleAddr := serveOn(t, scale)
	dir, err := store.NewDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	client := &transport.Client{Addr: scaleAddr}
	t.Cleanup(func() { client.Close() })
	gw := &escala.Gateway{Scaler: client, Store: dir, BaseURL: "http://files.test/i", Logger: quiet}
	gwAddr := serveOn(t, &transport.Server{Handler: gw, Logger: quiet})
	native := &transport.Client{Addr: gwAddr}
	t.Cleanup(func() { native.Close() })

	ctx := context.Background()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for r := range rounds {
				i := (c + r*clients/2) % len(photos)
				var link string
				var err error
				if (c+r)%2 == 0 {
					link, err = rawLink(gwAddr, photos[i])
				} else {
					var resp *transport.Response
					resp, err = native.Do(ctx, &transport.Request{Body: photos[i]})
					if err == nil {
						link = resp.Location
					}
				}
				if err != nil {
					t.Errorf("client %d, photo %d: %v", c, i, err)
					return
				}
				key := strings.TrimPrefix(link, "http://files.test/i/")
				rc, err := dir.Open(ctx, key)
				if err != nil {
					t.Errorf("client %d, photo %d: %v", c, i, err)
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Errorf("client %d, photo %d: %v", c, i, err)
					return
				}
				if !bytes.Equal(got, want[i]) {
					t.Errorf("client %d, round %d: the result of photo %d (%d bytes) is not the one it gives in process (%d bytes)", c, r, i, len(got), len(want[i]))
				}
			}
		})
	}
	wg.Wait()
}

// inProcess returns the file the gateway should store for data: its gray,
// halved with the default filter, as JPEG at the default quality.
func inProcess(tb testing.TB, data []byte) []byte {
	tb.Helper()
	g, err := scaler.DecodeGray(bytes.NewReader(data), nil)
	if err != nil {
		tb.Fatal(err)
	}
	half, err := scaler.Resize(g, g.Rect.Dx()/2, g.Rect.Dy()/2, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := scaler.Encode(&buf, half, scaler.JPEG, nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// serveOn serves s on a loopback port until the test ends, and returns
// the address.
func serveOn(tb testing.TB, s *transport.Server) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	tb.Cleanup(func() {
		s.Close()
		<-done
	})
	return l.Addr().String()
}

// rawLink uploads data as the original client does and returns the link
// of the reply line.
func rawLink(addr string, data []byte) (string, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := c.Write(data); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", err
	}
	link, ok := strings.CutPrefix(strings.TrimSpace(line), "Imagen escalada disponible en: ")
	if !ok {
		return "", fmt.Errorf("reply %q", line)
	}
	return link, nil
}
