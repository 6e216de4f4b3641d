package transport_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/transport"
)

// A scale server and a client of it, in one process. The client is a
// scaler.Interface: the gray image travels as raw pixels and comes back
// scaled, with no encoding on the way.
func ExampleClient_Scale() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	srv := &transport.Server{Handler: &transport.ScaleHandler{Logger: quiet}, Logger: quiet}
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())

	var s scaler.Interface = &transport.Client{Addr: l.Addr().String()}
	src := image.NewGray(image.Rect(0, 0, 640, 480))
	dst, err := s.Scale(context.Background(), src, &scaler.Options{Factor: 0.25})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%T %v\n", dst, dst.Bounds().Size())
	// Output: *image.Gray (160,120)
}

// A Handler's errors reach the client as a RemoteError, which errors.Is
// matches to the sentinel of its kind.
func ExampleHandlerFunc() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	srv := &transport.Server{Logger: quiet, Handler: transport.HandlerFunc(
		func(ctx context.Context, req *transport.Request) (*transport.Response, error) {
			if len(req.Body) < 100 {
				return nil, fmt.Errorf("%w: %d bytes is too short", scaler.ErrInvalid, len(req.Body))
			}
			return &transport.Response{Location: "https://example.com/result.jpg"}, nil
		})}
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())

	c := &transport.Client{Addr: l.Addr().String()}
	defer c.Close()
	_, err = c.Do(context.Background(), &transport.Request{Body: []byte("tiny")})
	var re *transport.RemoteError
	if errors.As(err, &re) {
		fmt.Println(re.Code, "|", re.Message, "|", errors.Is(err, scaler.ErrInvalid))
	}
	// Output: invalid image | scaler: invalid image: 4 bytes is too short | true
}

// Shutdown stops accepting connections and waits for the requests in
// progress; Serve then returns ErrServerClosed.
func ExampleServer_Shutdown() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &transport.Server{Handler: &transport.ScaleHandler{}}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	if err := srv.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-served)
	// Output: transport: server closed
}

// An Access serves only the holders of a token of its file, each within
// its limits; a Client sends its Token with each request.
func ExampleAccess() {
	dir, err := os.MkdirTemp("", "tokens")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("# one a line\nsecret-for-the-shop\n"), 0o600); err != nil {
		log.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &transport.Server{
		Handler: transport.HandlerFunc(func(ctx context.Context, req *transport.Request) (*transport.Response, error) {
			return &transport.Response{Location: "stored"}, nil
		}),
		Access: &transport.Access{
			Tokens:      &transport.TokenFile{Path: tokens},
			Rate:        10, // requests a second, per address and per token
			Concurrency: 4,
		},
	}
	go srv.Serve(l)
	defer srv.Close()

	for _, token := range []string{"", "a-guess", "secret-for-the-shop"} {
		c := &transport.Client{Addr: l.Addr().String(), Token: token}
		resp, err := c.Do(context.Background(), &transport.Request{Body: []byte("an image")})
		switch {
		case errors.Is(err, transport.ErrUnauthorized):
			fmt.Println("refused:", err)
		case err != nil:
			log.Fatal(err)
		default:
			fmt.Println("served:", resp.Location)
		}
		c.Close()
	}
	// Output:
	// refused: remote: transport: unauthorized: this server needs an upload token, and the request carries none
	// refused: remote: transport: unauthorized: the upload token is not accepted
	// served: stored
}
