package escala

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"time"

	"github.com/escala-img/escala/internal/codec/mem"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

// Gateway is the transport.Handler of the gateway: for each request it
// decodes the image, turns it to grayscale, has Scaler resize it, encodes
// the upright result as JPEG (or PNG, if the request asks), stores it
// under a name derived from its content, and answers with the link.
//
// Scaler decides where the resizing happens: a scaler.Local in this
// process, a transport.Client of a remote scale server, or a
// transport.Balancer over several. Only the gray image travels to a remote
// scale server, as raw pixels with no loss.
//
// Its zero value is not usable: Store and BaseURL must be set. It is safe
// for concurrent use; its fields must not change after first use.
type Gateway struct {
	// Scaler resizes the grayscale images. nil means a zero
	// scaler.Local, which halves them.
	Scaler scaler.Interface

	// Store keeps the results. It must be set.
	Store store.Interface

	// BaseURL is where Store's contents are served: the link of a result
	// stored under key is BaseURL + "/" + key. It must be set.
	BaseURL string

	// Links, when set, makes every link expire: the link of a result is
	// BaseURL + "/" + Links.Sign(key, now), which carries its expiry and
	// signature. Serve Store with store.NewHandler and the same Signer in
	// HandlerOptions.Links. nil means links that never expire.
	Links *store.Signer

	// Quality is the JPEG quality of results when a request names none.
	// 0 means scaler.DefaultQuality.
	Quality int

	// MaxPixels caps the pixels of an uploaded image. 0 means
	// scaler.DefaultMaxPixels.
	MaxPixels int64

	// Budget bounds the memory of the images being decoded and scaled
	// at once; requests beyond it wait for room or for their deadline.
	// nil means a Budget of its own, of scaler.DefaultBudget. It must not
	// be the Budget of a Local that Scaler uses.
	Budget *scaler.Budget

	// Logger receives a line per request: peer, bytes received, the
	// original and scaled sizes, and the link. nil means slog.Default().
	Logger *slog.Logger

	local scaler.Local
	own   scaler.Budget
}

// Serve implements transport.Handler. Errors wrap the sentinels of
// package scaler when the image or the options are at fault, so that the
// client is told what was wrong. When the Store fails (a full or read-only
// disk), the cause is logged and the error wraps both it and
// transport.ErrUnavailable, whose text alone reaches the client: "the
// result could not be stored; try again later".
func (g *Gateway) Serve(ctx context.Context, req *transport.Request) (*transport.Response, error) {
	if g.Store == nil || g.BaseURL == "" {
		return nil, errors.New("escala: Gateway needs a Store and a BaseURL")
	}
	format := req.Format
	switch format {
	case 0:
		format = scaler.JPEG
	case scaler.JPEG, scaler.PNG:
	default:
		return nil, fmt.Errorf("%w: results are stored as jpeg or png, not %v", scaler.ErrInvalidOptions, format)
	}
	opts := req.Options
	opts.MaxPixels = g.MaxPixels
	if opts.Quality == 0 {
		opts.Quality = g.Quality
	}

	gray, release, err := g.gray(ctx, req, &opts)
	if err != nil {
		return nil, err
	}
	s := g.Scaler
	if s == nil {
		s = &g.local
	}
	src := gray.Bounds().Size()
	dst, err := s.Scale(ctx, gray, &opts)
	release()
	// The pixels decoded here, the result of Scale and the encoded file
	// are this call's alone: their memory goes back to the pool as soon
	// as they are used. A gray image sent raw is the Server's.
	if req.Image == nil {
		mem.Bytes.Put(gray.Pix)
	}
	if err != nil {
		return nil, err
	}
	b := dst.Bounds()
	buf := mem.NewBuffer(b.Dx()*b.Dy()/4 + 4096)
	defer buf.Free()
	err = scaler.Encode(buf, dst, format, &opts)
	if d, ok := dst.(*image.Gray); ok {
		mem.Bytes.Put(d.Pix)
	}
	if err != nil {
		return nil, err
	}
	key := contentKey(buf.Bytes(), format)
	if err := g.Store.Put(ctx, key, bytes.NewReader(buf.Bytes())); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("escala: storing the result: %w", err)
		}
		g.logger().Error("escala: storing the result", "peer", req.RemoteAddr, "key", key, "err", err)
		return nil, &storeError{err}
	}
	link := key
	if g.Links != nil {
		link = g.Links.Sign(key, time.Now())
	}
	link = strings.TrimSuffix(g.BaseURL, "/") + "/" + link
	g.logger().Info("stored",
		"peer", req.RemoteAddr, "protocol", req.Protocol, "bytes", len(req.Body),
		"from", fmt.Sprintf("%dx%d", src.X, src.Y), "to", fmt.Sprintf("%dx%d", b.Dx(), b.Dy()), "link", link)
	return &transport.Response{Location: link, Width: b.Dx(), Height: b.Dy(), Format: format}, nil
}

// gray returns the request's image in grayscale, holding its pixels'
// weight in the budget until release is called. It fills in the EXIF
// orientation of an image file when the request left it to the file.
func (g *Gateway) gray(ctx context.Context, req *transport.Request, opts *scaler.Options) (gray *image.Gray, release func(), err error) {
	budget := g.Budget
	if budget == nil {
		budget = &g.own
	}
	if req.Image != nil {
		release, err = budget.Acquire(ctx, int64(len(req.Image.Pix)))
		return req.Image, release, err
	}
	gray, release, err = budget.DecodeGray(ctx, req.Body, opts)
	if err != nil {
		return nil, nil, err
	}
	if opts.Orientation == 0 {
		opts.Orientation = scaler.ExifOrientation(req.Body)
	}
	return gray, release, nil
}

func (g *Gateway) logger() *slog.Logger {
	if g.Logger != nil {
		return g.Logger
	}
	return slog.Default()
}

// keyEncoding writes names in lowercase letters and digits only.
var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// contentKey names a result by 160 bits of the SHA-256 of its bytes: the
// same result always gets the same name, two different results never
// share one, and names cannot be guessed or enumerated.
func contentKey(data []byte, f scaler.Format) string {
	sum := sha256.Sum256(data)
	ext := ".jpg"
	if f == scaler.PNG {
		ext = ".png"
	}
	return keyEncoding.EncodeToString(sum[:20]) + ext
}

// A storeError is a failure of the Store: a full or read-only disk, say.
// The client is told only that the result could not be stored, as a
// server that is unavailable for now; the cause, which names files of
// this machine, is logged and stays reachable with errors.Is and As.
type storeError struct{ err error }

func (e *storeError) Error() string { return "escala: the result could not be stored; try again later" }

func (e *storeError) Unwrap() []error { return []error{transport.ErrUnavailable, e.err} }
