package scaler

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/escala-img/escala/internal/codec/mem"
)

// Errors that callers branch on. Errors returned by this package wrap them,
// so test with errors.Is.
var (
	// ErrTooLarge means an image, or the result asked for, has more
	// pixels than the limit allows.
	ErrTooLarge = errors.New("scaler: image too large")
	// ErrInvalid means the data is not an image of a supported format, or
	// is truncated or corrupt.
	ErrInvalid = errors.New("scaler: invalid image")
	// ErrInvalidOptions means the options make no sense: a factor of 0,
	// a negative size, a quality of 101, an unknown filter.
	ErrInvalidOptions = errors.New("scaler: invalid options")
	// ErrBusy means there is no room for the work now, and too much work
	// already waits for room: try again later, or elsewhere.
	ErrBusy = errors.New("scaler: busy")
)

// DefaultMaxPixels is the pixel limit when Options.MaxPixels is 0:
// 50 megapixels, as imgproxy allows by default.
const DefaultMaxPixels = 50_000_000

// DefaultFactor is the scale factor of Local when nothing else is said.
const DefaultFactor = 0.5

// DefaultQuality is the JPEG quality of Encode when Options.Quality is 0.
const DefaultQuality = 80

// Options are the settings of the functions of this package and of Scale.
// A nil *Options means all defaults; each function reads only the fields
// its documentation names, and zero fields mean their defaults.
type Options struct {
	// MaxPixels caps width×height of a decoded image and of a result.
	// 0 means DefaultMaxPixels.
	MaxPixels int64

	// Filter is the resampling filter. nil means CatmullRom (or, in Scale,
	// the Interface's own default).
	Filter *Filter

	// Quality is the JPEG quality of Encode, 1 to 100. 0 means
	// DefaultQuality.
	Quality int

	// Factor, Width and Height choose the size of Scale's result. Width
	// and Height give it exactly; one of them alone keeps the aspect
	// ratio. Otherwise the result is floor(w·Factor)×floor(h·Factor) of
	// a w×h source, at least 1×1. With all three 0, the Interface
	// chooses (Local uses its Factor).
	Factor        float64
	Width, Height int

	// Orientation is the EXIF orientation of the source's pixels, which
	// Scale applies to its result, so that the result is upright; Width
	// and Height then describe the upright result. It is applied after
	// the resize, where it costs least. 0 means TopLeft: as stored.
	Orientation Orientation
}

func (o *Options) maxPixels() int64 {
	if o == nil || o.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return o.MaxPixels
}

// filter returns o.Filter, or def, or CatmullRom.
func (o *Options) filter(def *Filter) *Filter {
	switch {
	case o != nil && o.Filter != nil:
		return o.Filter
	case def != nil:
		return def
	}
	return CatmullRom
}

func (o *Options) quality() (int, error) {
	if o == nil || o.Quality == 0 {
		return DefaultQuality, nil
	}
	if o.Quality < 1 || o.Quality > 100 {
		return 0, fmt.Errorf("%w: quality %d is not between 1 and 100", ErrInvalidOptions, o.Quality)
	}
	return o.Quality, nil
}

// Size returns the size of the result that o asks for from a w×h source,
// using factor when o sets neither a size nor a factor. It returns an error
// wrapping ErrInvalidOptions for a factor that is not finite and positive,
// or a negative size, and one wrapping ErrTooLarge when the result would
// exceed o.MaxPixels.
func (o *Options) Size(w, h int, factor float64) (int, int, error) {
	var ow, oh int
	if o != nil {
		ow, oh = o.Width, o.Height
		if o.Factor != 0 {
			factor = o.Factor
		}
	}
	if ow == 0 && oh == 0 {
		if math.IsNaN(factor) || math.IsInf(factor, 0) || factor <= 0 {
			return 0, 0, fmt.Errorf("%w: factor %v is not a positive number", ErrInvalidOptions, factor)
		}
		// The small bias keeps 0.7×10 at 7 despite binary rounding.
		fw := math.Floor(float64(w)*factor + 1e-9)
		fh := math.Floor(float64(h)*factor + 1e-9)
		// Converting a float beyond the range of int gives any value (on
		// amd64, a negative one, which would make the result 1×1): refuse
		// such a size before, as checkPixels would.
		if fw > math.MaxInt32 || fh > math.MaxInt32 {
			return 0, 0, fmt.Errorf("%w: %dx%d scaled by %v is over the limit of %d pixels", ErrTooLarge, w, h, factor, o.maxPixels())
		}
		ow = max(1, int(fw))
		oh = max(1, int(fh))
	}
	ow, oh, err := fitSize(w, h, ow, oh)
	if err != nil {
		return 0, 0, err
	}
	if err := checkPixels(ow, oh, o.maxPixels()); err != nil {
		return 0, 0, err
	}
	return ow, oh, nil
}

// checkPixels returns an error wrapping ErrTooLarge when a w×h image has
// more than limit pixels.
func checkPixels(w, h int, limit int64) error {
	if int64(w)*int64(h) > limit || w > math.MaxInt32 || h > math.MaxInt32 {
		return fmt.Errorf("%w: %dx%d is over the limit of %d pixels", ErrTooLarge, w, h, limit)
	}
	return nil
}

// Interface is implemented by anything that scales images: Local in this
// process, or a client of a remote scale server (see package transport).
// Implementations are safe for concurrent use.
type Interface interface {
	// Scale returns src resized as opts says (see Options for Factor,
	// Width, Height and Filter). The result shares no memory with src,
	// and belongs to the caller: the implementation keeps no reference
	// to it, so the caller may recycle its memory. It fails with an error wrapping ErrInvalidOptions, ErrTooLarge or
	// ErrInvalid when the request itself is at fault, or with the error
	// that stopped the work: ctx's, or a network error.
	Scale(ctx context.Context, src image.Image, opts *Options) (image.Image, error)
}

// Local is an Interface that scales in this process with Resize. Its zero
// value is ready to use, and it is safe for concurrent use; it must not be
// copied or have its fields changed after first use.
type Local struct {
	// Factor is the scale factor used when a call's Options ask for no
	// size. 0 means DefaultFactor.
	Factor float64

	// Filter is used when a call's Options name none. nil means CatmullRom.
	Filter *Filter

	// Budget bounds the memory of the images being scaled at once: the
	// result, and a copy of the source for images other than gray. nil
	// means a Budget of its own, of DefaultBudget.
	Budget *Budget

	own Budget
}

// Scale implements Interface.
func (l *Local) Scale(ctx context.Context, src image.Image, opts *Options) (image.Image, error) {
	b := src.Bounds()
	factor := l.Factor
	if factor == 0 {
		factor = DefaultFactor
	}
	var o Orientation
	if opts != nil {
		o = opts.Orientation
	}
	if o > LeftBottom {
		return nil, fmt.Errorf("%w: orientation %d is not between 1 and 8", ErrInvalidOptions, o)
	}
	// Sizes are of the upright image; the resize works as stored.
	uw, uh := b.Dx(), b.Dy()
	if o.Transposed() {
		uw, uh = uh, uw
	}
	w, h, err := opts.Size(uw, uh, factor)
	if err != nil {
		return nil, err
	}
	if o.Transposed() {
		w, h = h, w
	}
	weight := resizeCost(src, w, h)
	budget := l.Budget
	if budget == nil {
		budget = &l.own
	}
	release, err := budget.Acquire(ctx, weight)
	if err != nil {
		return nil, err
	}
	defer release()
	ro := Options{Filter: opts.filter(l.Filter), MaxPixels: opts.maxPixels()}
	dst, err := Resize(src, w, h, &ro)
	if err != nil {
		return nil, err
	}
	up := Orient(dst, o)
	if g, ok := dst.(*image.Gray); ok && up != dst {
		mem.Bytes.Put(g.Pix) // turned into up, and no one else has it
	}
	return up, nil
}

// newGray returns a w×h gray image whose pixels come from mem.Bytes, for
// the functions that write every one of them.
func newGray(w, h int) *image.Gray {
	return &image.Gray{Pix: mem.Bytes.Get(w * h), Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// resizeCost returns the bytes that Resize allocates to resize src to
// w×h: the result, and for images other than gray and RGBA a copy of the
// source as RGBA.
func resizeCost(src image.Image, w, h int) int64 {
	out := int64(w) * int64(h)
	switch src.(type) {
	case *image.Gray:
		return out
	case *image.RGBA:
		return 4 * out
	}
	b := src.Bounds()
	return 4 * (out + int64(b.Dx())*int64(b.Dy()))
}
