package escala_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/fakescaler"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

// sentenceGateway serves a gateway that scales with a default (native)
// transport.Client to scaleAddr, and returns its address.
func sentenceGateway(t *testing.T, scaleAddr string) string {
	t.Helper()
	dir, err := store.NewDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	files := httptest.NewServer(store.Handler(dir))
	t.Cleanup(files.Close)
	client := &transport.Client{Addr: scaleAddr, Logger: quiet}
	t.Cleanup(func() { client.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &transport.Server{
		Handler:      &escala.Gateway{Scaler: client, Store: dir, BaseURL: files.URL + "/", Logger: quiet},
		Logger:       quiet,
		StallTimeout: 10 * time.Second,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, transport.ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	return l.Addr().String()
}

// A gateway pointed at a scale server of the original system, with the
// default protocol, finds that it speaks only the original framing and
// serves the uploads.
func TestGatewayWithOriginalScaleServer(t *testing.T) {
	gateway := sentenceGateway(t, fakescaler.Start(t, false).Addr)
	for i := range 3 {
		line := rawUpload(t, gateway, sample.JPEG(40+2*i, 30))
		if !strings.HasPrefix(line, badLinkLine) {
			t.Errorf("upload #%d to a gateway of an original scale server = %q, want the link", i, line)
		}
	}
}

// What a person reads from the gateway is a sentence: bytes that are no
// image are refused at once, and a scale server that is down is named
// with its address but without the socket's words.
func TestGatewaySentences(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	gateway := sentenceGateway(t, down)
	upload := func(data string) string {
		c, err := net.Dial("tcp", gateway)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second)) // the StallTimeout is 10 s
		c.Write([]byte(data))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatalf("upload %q: %v", data, err)
		}
		return line
	}
	const refused = "Error: scaler: invalid image: not an image: the upload starts with bytes that no supported format or protocol starts with\n"
	for _, data := range []string{"a", "abc", "hello\n"} {
		if line := upload(data); line != refused {
			t.Errorf("upload %q = %q, want %q", data, line, refused)
		}
	}
	line := upload(string(sample.JPEG(40, 30)))
	if want := "Error: transport: server unavailable: cannot connect to " + down + ": connection refused\n"; line != want {
		t.Errorf("upload with the scale server down = %q, want %q", line, want)
	}
	socket := regexp.MustCompile(`read tcp|write tcp|dial tcp|i/o timeout|->`)
	if m := socket.FindString(line); m != "" {
		t.Errorf("upload with the scale server down = %q: carries %q", line, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := &transport.Client{Addr: gateway}
	defer c.Close()
	_, err = c.Do(ctx, &transport.Request{Body: sample.JPEG(40, 30)})
	var re *transport.RemoteError
	if !errors.As(err, &re) || socket.MatchString(re.Message) {
		t.Errorf("native request with the scale server down = %v, want a RemoteError without socket text", err)
	}
}
