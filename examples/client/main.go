// Command client sends images to the gateway, prints the links it gets
// back, and downloads the scaled images.
//
// With one --image, it sends that image and saves its result as the file
// --out (default imagen_escalada.jpg), telling each step:
//
//	go run ./examples/client --ip 127.0.0.1 --port 8080 --image photo.jpg
//
// # Batch mode
//
// With several --image flags, or any --dir, it sends them all,
// --concurrency at a time (default 4), and saves the results in the folder
// --out (default "scaled", created if missing), each named after its
// input with the extension .jpg: photos/cat.png gives scaled/cat.jpg.
// When two inputs would give the same name, or a name is that of an input
// (as with --out photos), the later one gets -2, -3 and so on: an input is
// never overwritten. Other files of that name in --out are replaced.
//
//	go run ./examples/client --dir photos --image extra.png --out scaled
//	cat scan.png | go run ./examples/client --image - --image b.jpg
//
// --dir takes the image files directly in a folder: regular files (or
// links to them) named *.jpg, *.jpeg, *.png, *.gif, *.bmp, *.tif, *.tiff
// or *.webp, in any case, and not hidden (starting with a dot). It does
// not enter subfolders. An --image is sent whatever its name; "--image -"
// reads the image from standard input ("stdin.jpg" in batch mode).
//
// It prints a line per image, with its link or its error, as each is
// done, and a summary at the end; when its standard output is a terminal,
// a progress bar below the lines shows the images done, the bytes sent and
// the rate. --timeout bounds each image's exchange.
//
// It exits 1 if any image failed, and 2 if the flags are wrong, or name a
// folder that cannot be read or an --out that cannot be used.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/escala-img/escala/internal/tools/batch"
	"github.com/escala-img/escala/internal/tools/serverflags"
	"github.com/escala-img/escala/transport"
)

// paths is a flag that may be given many times.
type paths []string

func (p *paths) String() string { return fmt.Sprint(*p) }

func (p *paths) Set(s string) error {
	if s == "" {
		return errors.New("empty path")
	}
	*p = append(*p, s)
	return nil
}

func main() { os.Exit(run()) }

func run() int {
	var images, dirs paths
	ip := flag.String("ip", "127.0.0.1", "IP address of the gateway")
	port := flag.Int("port", 8080, "TCP port of the gateway")
	flag.Var(&images, "image", "image file to send, or - for standard input; repeat for more")
	flag.Var(&dirs, "dir", "folder whose image files to send (not its subfolders or hidden files); repeat for more")
	out := flag.String("out", "", "with one --image, the file of the result (default imagen_escalada.jpg); in batch mode, the folder of the results (default scaled)")
	concurrency := flag.Int("concurrency", batch.DefaultConcurrency, "images sent at once in batch mode")
	timeout := flag.Duration("timeout", time.Minute, "how long to wait for each image's whole exchange")
	useTLS := flag.Bool("tls", false, "connect with TLS (implied by --tls-ca and --tls-server-name)")
	tlsCA := flag.String("tls-ca", "", "PEM CA certificates that sign the gateway's (default: the system's)")
	tlsName := flag.String("tls-server-name", "", "name the gateway's certificate must have (default: --ip)")
	token := flag.String("auth-token", "", "upload token, for a gateway with --auth-tokens; better given as the variable, which the process list does not show")
	prog := &serverflags.Program{Name: "client", ArgHint: "name images with --image", Groups: []serverflags.Group{
		{Title: "Gateway", Flags: []string{"ip", "port", "timeout", "tls", "tls-ca", "tls-server-name", "auth-token"}},
		{Title: "Images", Flags: []string{"image", "dir", "out", "concurrency"}},
		{Title: "Version", Flags: []string{"version"}},
	}}
	prog.Register(flag.CommandLine)
	prog.Main(flag.CommandLine)
	switch {
	case len(images) == 0 && len(dirs) == 0:
		return usage("--image or --dir is required")
	case *concurrency < 1:
		return usage(fmt.Sprintf("--concurrency %d is not at least 1", *concurrency))
	case *token != "" && !transport.ValidToken(*token):
		return usage(fmt.Sprintf("--auth-token is not 1 to %d printable characters without spaces", transport.MaxTokenLen))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tlsConfig, err := serverflags.ClientTLS(*useTLS, *tlsCA, *tlsName, "", "")
	if err != nil {
		return usage(fmt.Sprintf("--tls-ca: %v", err))
	}
	c := &transport.Client{Addr: net.JoinHostPort(*ip, strconv.Itoa(*port)), TLSConfig: tlsConfig, Token: *token}
	defer c.Close()
	r := &batch.Runner{Client: c, Concurrency: *concurrency, Timeout: *timeout, Bar: batch.IsTerminal(os.Stdout)}
	if tlsConfig != nil {
		// The links of a gateway with TLS are https ones, signed by the
		// same CA.
		r.HTTP = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tlsConfig.RootCAs}}}
	}

	if len(images) == 1 && len(dirs) == 0 {
		path := *out
		if path == "" {
			path = "imagen_escalada.jpg"
		}
		if err := r.One(ctx, images[0], path); err != nil {
			fmt.Fprintln(os.Stderr, "client:", err)
			return 1
		}
		return 0
	}

	inputs, err := batch.Inputs(images, dirs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		return 2
	}
	if len(inputs) == 0 {
		fmt.Fprintln(os.Stderr, "client: no image files in the folders given")
		return 1
	}
	folder := *out
	if folder == "" {
		folder = "scaled"
	}
	jobs, err := batch.Plan(inputs, folder)
	if err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		return 2
	}
	if sum := r.Run(ctx, jobs); sum.Failed > 0 {
		return 1
	}
	return 0
}

// usage reports a mistake in the flags, and lists them.
func usage(msg string) int {
	fmt.Fprintln(os.Stderr, "client:", msg)
	flag.Usage()
	return 2
}
