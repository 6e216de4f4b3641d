package escala_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

// The whole system in one process, on loopback: a scale server, a gateway
// that stores its results in a folder served over HTTP, and a client that
// sends a photo and downloads the result from its link.
func Example() {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	listen := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		return l
	}

	// The scale server halves what it is sent.
	scaleL := listen()
	scaleSrv := &transport.Server{Handler: &transport.ScaleHandler{Logger: quiet}, Logger: quiet}
	go scaleSrv.Serve(scaleL)
	defer scaleSrv.Shutdown(ctx)

	// Results go to a folder, served over HTTP.
	folder, err := os.MkdirTemp("", "escala-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(folder)
	dir, err := store.NewDir(folder, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer dir.Close()
	filesL := listen()
	files := &http.Server{Handler: store.Handler(dir)}
	go files.Serve(filesL)
	defer files.Shutdown(ctx)

	// The gateway scales through the remote scale server.
	gatewayL := listen()
	gateway := &transport.Server{Logger: quiet, Handler: &escala.Gateway{
		Scaler:  &transport.Client{Addr: scaleL.Addr().String()},
		Store:   dir,
		BaseURL: "http://" + filesL.Addr().String(),
		Logger:  quiet,
	}}
	go gateway.Serve(gatewayL)
	defer gateway.Shutdown(ctx)

	// A client sends a 640×480 colour photo...
	photo := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range photo.Pix {
		photo.Pix[i] = uint8(i % 251)
	}
	var upload bytes.Buffer
	if err := jpeg.Encode(&upload, photo, nil); err != nil {
		log.Fatal(err)
	}
	client := &transport.Client{Addr: gatewayL.Addr().String()}
	defer client.Close()
	resp, err := client.Do(ctx, &transport.Request{Body: upload.Bytes()})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("link ends in .jpg:", strings.HasSuffix(resp.Location, ".jpg"))

	// ... and downloads a 320×240 grayscale JPEG from the link.
	got, err := http.Get(resp.Location)
	if err != nil {
		log.Fatal(err)
	}
	defer got.Body.Close()
	img, err := scaler.Decode(got.Body, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Header.Get("Content-Type"), img.Bounds().Size(), img.ColorModel() == color.GrayModel)
	// Output:
	// link ends in .jpg: true
	// image/jpeg (320,240) true
}
