// Command client sends an image to the gateway, prints the link it gets
// back, downloads the scaled image and saves it as --out.
//
//	go run ./examples/client --ip 127.0.0.1 --port 8080 --image photo.jpg
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/transport"
)

func main() {
	ip := flag.String("ip", "127.0.0.1", "IP address of the gateway")
	port := flag.Int("port", 8080, "TCP port of the gateway")
	imagePath := flag.String("image", "", "image file to send (required)")
	out := flag.String("out", "imagen_escalada.jpg", "where to save the scaled image")
	timeout := flag.Duration("timeout", time.Minute, "how long to wait for the whole exchange")
	flag.Parse()
	if *imagePath == "" {
		fmt.Fprintln(os.Stderr, "client: --image is required")
		flag.Usage()
		os.Exit(2)
	}
	data, err := os.ReadFile(*imagePath)
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	addr := net.JoinHostPort(*ip, strconv.Itoa(*port))
	fmt.Printf("Connecting to the server at %s...\n", addr)
	c := &transport.Client{Addr: addr}
	defer c.Close()
	fmt.Printf("Sending image of %d bytes...\n", len(data))
	resp, err := c.Do(ctx, &transport.Request{Body: data})
	if err != nil {
		fail(err)
	}
	fmt.Printf("Scaled image (%dx%d) available at: %s\n", resp.Width, resp.Height, resp.Location)
	n, err := escala.Download(ctx, nil, resp.Location, *out)
	if err != nil {
		fail(err)
	}
	fmt.Printf("Scaled image received (%d bytes) and saved as %s.\n", n, *out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "client:", err)
	os.Exit(1)
}
