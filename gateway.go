package escala

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/escala-img/escala/internal/codec/mem"
	"github.com/escala-img/escala/scaler"
	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/transport"
)

// Gateway is the transport.Handler of the gateway: for each request it
// decodes the image, turns it to grayscale, has Scaler resize it, encodes
// the upright result as JPEG (or PNG, if the request asks), stores it
// under a name derived from the upload, and answers with the link.
//
// Scaler decides where the resizing happens: a scaler.Local in this
// process, a transport.Client of a remote scale server, or a
// transport.Balancer over several. Only the gray image travels to a remote
// scale server, as raw pixels with no loss.
//
// # Work done once
//
// A result is named by the SHA-256 of the upload and of the options that
// shape the result (format, size, filter, quality, orientation), so the
// same upload with the same options always has the same name. Before it
// decodes anything, the Gateway looks for that name in Store: a result
// that is there already, made by this gateway or by any other that shares
// the store, is answered at once, for the cost of hashing the upload and
// reading the result's header. Identical requests that arrive together
// are processed once, and all get the one result. Gateways that share a
// store must therefore make the same result from the same request: the
// same Quality and Scaler defaults (the scale servers' factor and filter).
// Keep results made with other settings under another prefix or folder.
//
// Its zero value is not usable: Store, and BaseURL or Linker, must be set.
// It is safe for concurrent use; its fields must not change after first
// use.
type Gateway struct {
	// Scaler resizes the grayscale images. nil means a zero
	// scaler.Local, which halves them.
	Scaler scaler.Interface

	// Store keeps the results. It must be set.
	Store store.Interface

	// BaseURL is where Store's contents are served: the link of a result
	// stored under key is BaseURL + "/" + key. It must be set unless
	// Linker is.
	BaseURL string

	// Links, when set, makes every link expire: the link of a result is
	// BaseURL + "/" + Links.Sign(key, now), which carries its expiry and
	// signature. Serve Store with store.NewHandler and the same Signer in
	// HandlerOptions.Links. nil means links that never expire.
	Links *store.Signer

	// Linker, when set, makes the links instead of BaseURL and Links: the
	// presigned URLs of an object store, say. A Linker that fails fails
	// the request as a Store that fails does.
	Linker Linker

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

	local  scaler.Local
	own    scaler.Budget
	flight singleflight.Group
}

// A Linker makes the link that a client is given to the result stored
// under key. Link may be called by many goroutines at once.
type Linker interface {
	Link(ctx context.Context, key string) (string, error)
}

// LinkFunc adapts a function to a Linker.
type LinkFunc func(ctx context.Context, key string) (string, error)

// Link calls f(ctx, key).
func (f LinkFunc) Link(ctx context.Context, key string) (string, error) { return f(ctx, key) }

// result is what a request's work leaves: the key of the stored result
// and its size.
type result struct {
	key           string
	width, height int
	found         bool // already in the store: nothing was decoded
}

// Serve implements transport.Handler. Errors wrap the sentinels of
// package scaler when the image or the options are at fault, so that the
// client is told what was wrong. When the Store fails (a full or read-only
// disk, an object store that is down or too slow), the cause is logged
// and the error wraps both it and transport.ErrUnavailable, whose text
// alone reaches the client: "the result could not be stored; try again
// later". It comes before ctx's deadline: the Store is given until a
// moment before it.
func (g *Gateway) Serve(ctx context.Context, req *transport.Request) (*transport.Response, error) {
	if g.Store == nil || g.BaseURL == "" && g.Linker == nil {
		return nil, errors.New("escala: Gateway needs a Store, and a BaseURL or a Linker")
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
	if opts.Quality == 0 {
		opts.Quality = scaler.DefaultQuality
	}
	key := resultKey(req, format, &opts)

	var res result
	for {
		v, err, shared := g.flight.Do(key, func() (any, error) {
			return g.make(ctx, req, key, format, &opts)
		})
		if shared && err != nil && ctx.Err() == nil && isContextError(err) {
			// The request that did the work was cancelled or timed out
			// while this one still has time: do it again.
			continue
		}
		if err != nil {
			return nil, err
		}
		res = v.(result)
		break
	}
	link, err := g.link(ctx, res.key)
	if err != nil {
		g.logger().Error("escala: making the link", "peer", req.RemoteAddr, "key", res.key, "err", err)
		return nil, &storeError{err}
	}
	trace := transport.TraceFrom(ctx)
	trace.Set(slog.String("to", fmt.Sprintf("%dx%d", res.width, res.height)), slog.Bool("found", res.found), slog.String("key", res.key))
	if trace == nil {
		g.logger().Info("stored",
			"peer", req.RemoteAddr, "protocol", req.Protocol, "bytes", len(req.Body),
			"to", fmt.Sprintf("%dx%d", res.width, res.height), "found", res.found, "link", link)
	}
	return &transport.Response{Location: link, Width: res.width, Height: res.height, Format: format}, nil
}

// ReadyKey is the key under which Check stores a small object to see that
// the Store accepts a write. It names no result.
const ReadyKey = "escala-ready.txt"

// Check reports whether the gateway can do its work now, for a readiness
// probe. It returns nil, or a *NotReadyError that says why: no scale
// server answers (a Scaler with an Up method, such as a
// transport.Balancer, has none up; or the ping of one with a Ping method
// fails), the Store refuses a write of a few bytes under ReadyKey, or as
// many requests wait for memory as the Budget lets wait, so that the next
// would be refused as busy. ctx bounds the ping and the write.
func (g *Gateway) Check(ctx context.Context) error {
	if g.Store == nil {
		return &NotReadyError{Reason: "no store"}
	}
	switch s := g.Scaler.(type) {
	case interface{ Up() int }:
		if s.Up() == 0 {
			return &NotReadyError{Reason: "no scale server answers"}
		}
	case interface{ Ping(context.Context) error }:
		if err := s.Ping(ctx); err != nil {
			return &NotReadyError{Reason: "the scale server does not answer", Err: err}
		}
	}
	budget := g.Budget
	if budget == nil {
		budget = &g.own
	}
	limit := budget.MaxWaiting
	if limit == 0 {
		limit = scaler.DefaultMaxWaiting
	}
	if st := budget.Stats(); limit > 0 && st.Waiting >= limit {
		return &NotReadyError{Reason: fmt.Sprintf("busy: %d requests wait for memory", st.Waiting)}
	}
	note := strings.NewReader("written by a gateway's readiness check at " + time.Now().UTC().Format(time.RFC3339) + "\n")
	if err := g.Store.Put(ctx, ReadyKey, note); err != nil {
		return &NotReadyError{Reason: "the store refuses a write", Err: err}
	}
	return nil
}

// A NotReadyError is why a Gateway cannot do its work now: a Reason fit
// for anyone to read, and the cause, which may name hosts and files of
// this machine.
type NotReadyError struct {
	Reason string
	Err    error // may be nil
}

func (e *NotReadyError) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return e.Reason + ": " + e.Err.Error()
}

func (e *NotReadyError) Unwrap() error { return e.Err }

// make finds the result of req under key in the Store, or makes it and
// stores it there.
func (g *Gateway) make(ctx context.Context, req *transport.Request, key string, format scaler.Format, opts *scaler.Options) (result, error) {
	trace := transport.TraceFrom(ctx)
	began := time.Now()
	res, ok := g.find(ctx, key)
	began = trace.Time("lookup", began)
	if ok {
		return res, nil
	}
	gray, release, err := g.gray(ctx, req, opts)
	if err != nil {
		return result{}, err
	}
	began = trace.Time("decode", began)
	trace.Set(slog.String("from", fmt.Sprintf("%dx%d", gray.Rect.Dx(), gray.Rect.Dy())))
	s := g.Scaler
	if s == nil {
		s = &g.local
	}
	dst, err := s.Scale(ctx, gray, opts)
	release()
	began = trace.Time("scale", began)
	// The pixels decoded here, the result of Scale and the encoded file
	// are this call's alone: their memory goes back to the pool as soon
	// as they are used. A gray image sent raw is the Server's.
	if req.Image == nil {
		mem.Bytes.Put(gray.Pix)
	}
	if err != nil {
		return result{}, err
	}
	b := dst.Bounds()
	buf := mem.NewBuffer(b.Dx()*b.Dy()/4 + 4096)
	defer buf.Free()
	err = scaler.Encode(buf, dst, format, opts)
	if d, ok := dst.(*image.Gray); ok {
		mem.Bytes.Put(d.Pix)
	}
	if err != nil {
		return result{}, err
	}
	began = trace.Time("encode", began)
	putCtx, cancel := context.WithDeadline(ctx, storeDeadline(ctx))
	defer cancel()
	if err := g.Store.Put(putCtx, key, bytes.NewReader(buf.Bytes())); err != nil {
		if ctx.Err() != nil {
			return result{}, fmt.Errorf("escala: storing the result: %w", err)
		}
		g.logger().Error("escala: storing the result", "peer", req.RemoteAddr, "key", key, "err", err)
		return result{}, &storeError{err}
	}
	trace.Time("store", began)
	return result{key: key, width: b.Dx(), height: b.Dy()}, nil
}

// find looks for the result stored under key and reads its size from its
// header. A result that cannot be read, for any reason, is not found: the
// request is then processed, and its result stored again. The search is
// given a quarter of the time that ctx has left, so that a store that is
// slow to answer leaves time for the work.
func (g *Gateway) find(ctx context.Context, key string) (result, bool) {
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Until(d)/4)
		defer cancel()
	}
	rc, err := g.Store.Open(ctx, key)
	if err != nil {
		return result{}, false
	}
	defer rc.Close()
	cfg, _, err := scaler.DecodeConfig(rc, nil)
	if err != nil {
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			g.logger().Warn("escala: a stored result is unreadable; making it again", "key", key, "err", err)
		}
		return result{}, false
	}
	return result{key: key, width: cfg.Width, height: cfg.Height, found: true}, true
}

// storeDeadline is when a Put must have succeeded for its failure to
// still reach the client in time: a tenth of the time ctx has left before
// its deadline, at least 50ms and at most 2s. It is far away when ctx has
// no deadline.
func storeDeadline(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Now().Add(24 * time.Hour)
	}
	margin := min(max(time.Until(d)/10, 50*time.Millisecond), 2*time.Second)
	return d.Add(-margin)
}

// link returns the link of the result stored under key.
func (g *Gateway) link(ctx context.Context, key string) (string, error) {
	if g.Linker != nil {
		return g.Linker.Link(ctx, key)
	}
	link := key
	if g.Links != nil {
		link = g.Links.Sign(key, time.Now())
	}
	return strings.TrimSuffix(g.BaseURL, "/") + "/" + link, nil
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
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

// resultKey names the result of req by 160 bits of the SHA-256 of the
// upload and of the options that shape the result: the same request always
// gets the same name, two different ones never share one, and names cannot
// be guessed or enumerated without the upload. opts has the Gateway's
// defaults filled in. The first field of the hash is the version of this
// layout, to be changed whenever a field is added.
func resultKey(req *transport.Request, f scaler.Format, opts *scaler.Options) string {
	h := sha256.New()
	var hdr [64]byte
	b := append(hdr[:0], "escala result v1"...)
	b = append(b, byte(f), byte(opts.Orientation), byte(opts.Quality))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(opts.Factor))
	b = binary.BigEndian.AppendUint32(b, uint32(opts.Width))
	b = binary.BigEndian.AppendUint32(b, uint32(opts.Height))
	filter := ""
	if opts.Filter != nil {
		filter = opts.Filter.Name
	}
	b = append(b, byte(len(filter)))
	h.Write(b)
	h.Write([]byte(filter))
	if img := req.Image; img != nil {
		// Raw pixels: their size, then their rows without padding.
		b = append(hdr[:0], 'g')
		b = binary.BigEndian.AppendUint32(b, uint32(img.Rect.Dx()))
		b = binary.BigEndian.AppendUint32(b, uint32(img.Rect.Dy()))
		h.Write(b)
		for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
			i := img.PixOffset(img.Rect.Min.X, y)
			h.Write(img.Pix[i : i+img.Rect.Dx()])
		}
	} else {
		h.Write([]byte{'f'})
		h.Write(req.Body)
	}
	sum := h.Sum(nil)
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

func (e *storeError) Unwrap() []error { return []error{ErrStore, transport.ErrUnavailable, e.err} }

// ErrStore is wrapped by the error of a request whose result the Store
// could not take, so that a program can count them.
var ErrStore = errors.New("escala: the store failed")
