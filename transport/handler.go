package transport

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"time"

	"github.com/escala-img/escala/internal/codec/mem"
	"github.com/escala-img/escala/scaler"
)

// ScaleHandler is the Handler of a scale server: it decodes the image of
// each request, scales it with Scaler and replies with the result, encoded
// as the request asks (JPEG by default, at the request's quality or
// Quality), or as raw gray pixels when the request sent raw gray pixels.
// The EXIF orientation of an image file is applied to its result unless
// the request says otherwise.
//
// Its zero value is ready to use. It is safe for concurrent use; its fields
// must not change after first use.
type ScaleHandler struct {
	// Scaler does the scaling. nil means a zero scaler.Local, which
	// halves images.
	Scaler scaler.Interface

	// MaxPixels caps the pixels of an image and of a result. 0 means
	// scaler.DefaultMaxPixels.
	MaxPixels int64

	// Budget bounds the memory of the images being decoded at once:
	// requests beyond it wait for room or their deadline. nil means a
	// Budget of its own, of scaler.DefaultBudget. It must not be the
	// Budget of Scaler.
	Budget *scaler.Budget

	// Quality is the JPEG quality of results when a request names
	// none. 0 means scaler.DefaultQuality.
	Quality int

	// Logger receives a line per request: peer, bytes received, the
	// original and scaled sizes; but when the request has a Trace (its
	// Server has Observe), the sizes and the time of each phase go to
	// the Trace instead. nil means slog.Default().
	Logger *slog.Logger

	local scaler.Local
	own   scaler.Budget
}

// Serve implements Handler.
func (h *ScaleHandler) Serve(ctx context.Context, req *Request) (*Response, error) {
	opts := req.Options
	opts.MaxPixels = h.MaxPixels
	budget := h.Budget
	if budget == nil {
		budget = &h.own
	}
	trace := TraceFrom(ctx)
	began := time.Now()
	var src image.Image
	var release func()
	var err error
	if req.Image != nil {
		src = req.Image
		if opts.Orientation == 0 {
			opts.Orientation = scaler.TopLeft
		}
		release, err = budget.Acquire(ctx, int64(len(req.Image.Pix)))
	} else {
		src, release, err = budget.Decode(ctx, req.Body, &opts)
		if opts.Orientation == 0 {
			opts.Orientation = scaler.ExifOrientation(req.Body)
		}
	}
	if err != nil {
		return nil, err
	}
	defer release()
	if req.Image == nil {
		began = trace.Time("decode", began)
	}
	size := src.Bounds().Size()
	s := h.Scaler
	if s == nil {
		s = &h.local
	}
	dst, err := s.Scale(ctx, src, &opts)
	if err != nil {
		return nil, err
	}
	began = trace.Time("scale", began)
	b := dst.Bounds()
	from, to := fmt.Sprintf("%dx%d", size.X, size.Y), fmt.Sprintf("%dx%d", b.Dx(), b.Dy())
	if trace != nil {
		trace.Set(slog.String("from", from), slog.String("to", to))
	} else {
		h.logger().Info("scaled",
			"peer", req.RemoteAddr, "protocol", req.Protocol, "bytes", len(req.Body)+len(grayPix(req.Image)),
			"from", from, "to", to)
	}
	resp := &Response{Width: b.Dx(), Height: b.Dy()}
	// The result is this handler's alone (scaler.Interface), so its
	// memory goes back to the pool once the server has written it.
	if req.Image != nil && req.Format == 0 {
		gray := scaler.Grayscale(dst)
		resp.Image = gray
		resp.pooled = [][]byte{gray.Pix}
		return resp, nil
	}
	resp.Format = req.Format
	if resp.Format == 0 {
		resp.Format = scaler.JPEG
	}
	if opts.Quality == 0 {
		opts.Quality = h.Quality
	}
	buf := mem.NewBuffer(b.Dx()*b.Dy()/4 + 4096)
	err = scaler.Encode(buf, dst, resp.Format, &opts)
	if g, ok := dst.(*image.Gray); ok {
		mem.Bytes.Put(g.Pix)
	}
	if err != nil {
		buf.Free()
		return nil, err
	}
	trace.Time("encode", began)
	resp.Body = buf.Bytes()
	resp.pooled = [][]byte{resp.Body}
	return resp, nil
}

func (h *ScaleHandler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func grayPix(g *image.Gray) []byte {
	if g == nil {
		return nil
	}
	return g.Pix
}
