// Command demo runs the whole system in one process on free loopback
// ports: a scale server, a gateway and the HTTP server of the results. It
// sends --image (a generated picture when none is given) through it as a
// client would, prints the link, saves the result as imagen_escalada.jpg
// and keeps serving, so that more images can be sent with
// examples/client, until Ctrl-C; with --once it exits after the first.
//
//	go run ./examples/demo
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/internal/tools/serverflags"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

func main() {
	imagePath := flag.String("image", "", "image file to send (default: a generated 1600x1200 picture)")
	out := flag.String("out", "imagen_escalada.jpg", "where to save the scaled image")
	once := flag.Bool("once", false, "exit after the first image instead of serving until Ctrl-C")
	prog := &serverflags.Program{Name: "demo", Groups: []serverflags.Group{{Title: "Demo", Flags: []string{"image", "out", "once", "version"}}}}
	prog.Register(flag.CommandLine)
	prog.Main(flag.CommandLine)
	if err := run(*imagePath, *out, *once); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(imagePath, out string, once bool) error {
	data := sample.JPEG(1600, 1200)
	if imagePath != "" {
		var err error
		if data, err = os.ReadFile(imagePath); err != nil {
			return err
		}
	}
	folder, err := os.MkdirTemp("", "escala-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(folder)
	dir, err := store.NewDir(folder, nil)
	if err != nil {
		return err
	}
	defer dir.Close()

	var listeners [3]net.Listener
	for i := range listeners {
		if listeners[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
	}
	scaleL, gatewayL, filesL := listeners[0], listeners[1], listeners[2]
	scaleSrv := &transport.Server{Handler: &transport.ScaleHandler{}}
	gatewaySrv := &transport.Server{Handler: &escala.Gateway{
		Scaler:  &transport.Client{Addr: scaleL.Addr().String()},
		Store:   dir,
		BaseURL: "http://" + filesL.Addr().String(),
	}}
	filesSrv := &http.Server{Handler: store.Handler(dir), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 3)
	go func() { served <- scaleSrv.Serve(scaleL) }()
	go func() { served <- gatewaySrv.Serve(gatewayL) }()
	go func() { served <- filesSrv.Serve(filesL) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		gatewaySrv.Shutdown(ctx)
		scaleSrv.Shutdown(ctx)
		filesSrv.Shutdown(ctx)
	}()
	slog.Info("demo running", "scale_server", scaleL.Addr().String(), "gateway", gatewayL.Addr().String(),
		"results", "http://"+filesL.Addr().String())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	client := &transport.Client{Addr: gatewayL.Addr().String()}
	defer client.Close()
	fmt.Printf("Sending image of %d bytes to the gateway at %s...\n", len(data), gatewayL.Addr())
	resp, err := client.Do(ctx, &transport.Request{Body: data})
	if err != nil {
		return err
	}
	fmt.Printf("Scaled image (%dx%d) available at: %s\n", resp.Width, resp.Height, resp.Location)
	n, err := escala.Download(ctx, nil, resp.Location, out)
	if err != nil {
		return err
	}
	fmt.Printf("Scaled image received (%d bytes) and saved as %s.\n", n, out)
	if once {
		return nil
	}
	_, port, _ := net.SplitHostPort(gatewayL.Addr().String())
	fmt.Printf("Serving until Ctrl-C. Send more with:\n  go run ./examples/client --port %s --image photo.jpg\n", port)
	select {
	case <-ctx.Done():
		return nil
	case err := <-served:
		if errors.Is(err, transport.ErrServerClosed) || errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}
