package scaler

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"

	"github.com/escala-img/escala/internal/codec/jpegdec"
)

// DefaultBudget is the size of a Budget whose Max is 0: 256 MiB.
const DefaultBudget = 256 << 20

// DefaultMaxWaiting is how many Acquires may wait at once on a Budget whose
// MaxWaiting is 0.
const DefaultMaxWaiting = 64

// A Budget bounds the memory held by the work in flight, in bytes, so that
// it stays bounded however many requests arrive: each piece of work
// acquires what it will hold before it starts and releases it when it is
// done, and work that finds the budget spent waits for room.
//
// The queue of work waiting for room is bounded too: when MaxWaiting
// Acquires already wait, the next one fails at once with ErrBusy, so that
// overload gets a quick answer rather than an ever longer wait.
//
// Its zero value is a budget of DefaultBudget bytes with a queue of
// DefaultMaxWaiting. It is safe for concurrent use; Max and MaxWaiting
// must not change after first use. Work that acquires
// twice from the same Budget (a handler and the Local it calls, say) can
// deadlock when the budget is spent, so give each stage its own.
type Budget struct {
	// Max is the size of the budget, in bytes. 0 means DefaultBudget.
	Max int64

	// MaxWaiting bounds how many Acquires may wait for room at once.
	// 0 means DefaultMaxWaiting; a negative value means no bound.
	MaxWaiting int

	once    sync.Once
	sem     *semaphore.Weighted
	max     int64
	waiting atomic.Int64
	inUse   atomic.Int64
}

// BudgetStats is what a Budget holds at a moment.
type BudgetStats struct {
	Max     int64 // the size of the budget, in bytes
	InUse   int64 // bytes acquired and not yet released
	Waiting int   // Acquires waiting for room
}

// Stats returns what b holds now, for metrics and readiness checks.
func (b *Budget) Stats() BudgetStats {
	max := b.Max
	if max <= 0 {
		max = DefaultBudget
	}
	return BudgetStats{Max: max, InUse: b.inUse.Load(), Waiting: int(b.waiting.Load())}
}

// Acquire waits until n bytes of the budget are free, or ctx ends, and
// takes them; the caller calls release when its work is done. A request
// for more than the whole budget fails at once with an error wrapping
// ErrTooLarge, as it could never be served. When there is no room and
// MaxWaiting others already wait, it fails at once with an error wrapping
// ErrBusy. If ctx ends first, Acquire returns ctx's error.
func (b *Budget) Acquire(ctx context.Context, n int64) (release func(), err error) {
	b.once.Do(func() {
		b.max = b.Max
		if b.max <= 0 {
			b.max = DefaultBudget
		}
		b.sem = semaphore.NewWeighted(b.max)
	})
	if n > b.max {
		return nil, fmt.Errorf("%w: the work needs %d MiB, more than the %d MiB allowed in flight", ErrTooLarge, mib(n), mib(b.max))
	}
	release = func() {
		b.inUse.Add(-n)
		b.sem.Release(n)
	}
	if b.sem.TryAcquire(n) {
		b.inUse.Add(n)
		return release, nil
	}
	limit := int64(b.MaxWaiting)
	if limit == 0 {
		limit = DefaultMaxWaiting
	}
	if w := b.waiting.Add(1); limit > 0 && w > limit {
		b.waiting.Add(-1)
		return nil, fmt.Errorf("%w: %d MiB in flight, and %d requests already wait for room", ErrBusy, mib(b.max), limit)
	}
	err = b.sem.Acquire(ctx, n)
	b.waiting.Add(-1)
	if err != nil {
		return nil, err
	}
	b.inUse.Add(n)
	return release, nil
}

func mib(n int64) int64 { return (n + 1<<20 - 1) >> 20 }

// Decode decodes the image file in data as Decode does, with the memory
// that takes acquired from b first: it reads the header, waits for room
// for the decoded image, then decodes it. The caller calls release when it
// no longer holds the image or anything of its size derived from it.
func (b *Budget) Decode(ctx context.Context, data []byte, opts *Options) (img image.Image, release func(), err error) {
	cfg, f, err := DecodeConfig(bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, err
	}
	if release, err = b.Acquire(ctx, decodeCost(cfg, f, false)); err != nil {
		return nil, nil, err
	}
	if img, err = Decode(bytes.NewReader(data), opts); err != nil {
		release()
		return nil, nil, err
	}
	return img, release, nil
}

// DecodeGray is Decode for DecodeGray: the image comes as 8-bit gray, and
// the memory acquired is what decoding to gray takes, often less.
func (b *Budget) DecodeGray(ctx context.Context, data []byte, opts *Options) (gray *image.Gray, release func(), err error) {
	hdr, ok, err := grayConfig(data, opts)
	if err != nil {
		return nil, nil, err
	}
	cost := hdr.memory
	if !ok {
		cfg, f, err := DecodeConfig(bytes.NewReader(data), opts)
		if err != nil {
			return nil, nil, err
		}
		cost = decodeCost(cfg, f, true)
	}
	if release, err = b.Acquire(ctx, cost); err != nil {
		return nil, nil, err
	}
	if gray, err = decodeGrayBytes(data, opts); err != nil {
		release()
		return nil, nil, err
	}
	return gray, release, nil
}

// decodeCost estimates the bytes that decoding an image with this header
// holds at its peak: the decoder's pixels, its coefficients for a
// progressive JPEG, and, when gray is asked for, the gray image as well.
func decodeCost(cfg image.Config, f Format, gray bool) int64 {
	pixels := int64(cfg.Width) * int64(cfg.Height)
	perPixel := bytesPerPixel(cfg.ColorModel)
	if f == JPEG {
		// image/jpeg keeps 2-byte coefficients of every component of a
		// progressive file; the header does not say which it is.
		perPixel += 2 * componentsOf(cfg.ColorModel)
	}
	if gray && cfg.ColorModel != color.GrayModel {
		perPixel++
	}
	return pixels * perPixel
}

// grayJPEGCost estimates the bytes that decoding the luma of a JPEG with
// jpegdec holds: the gray image, and the luma coefficients of a
// progressive file or a few rows of coefficients of a sequential one.
func grayJPEGCost(c jpegdec.Config) int64 {
	pixels := int64(c.Width) * int64(c.Height)
	if c.Progressive {
		return 3 * pixels
	}
	return pixels + min(16<<20, 64*6*int64(c.Width))
}

// bytesPerPixel returns the size of a pixel in the image that a decoder
// returns for a colour model; YCbCr is counted at 4:4:4.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

func componentsOf(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.Gray16Model:
		return 1
	case color.CMYKModel:
		return 4
	}
	return 3
}
