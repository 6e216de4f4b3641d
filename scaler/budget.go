package scaler

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"sync"

	"golang.org/x/sync/semaphore"
)

// DefaultBudget is the size of a Budget whose Max is 0: four images of the
// largest size Decode allows by default.
const DefaultBudget = 4 * DefaultMaxPixels

// A Budget bounds the pixels held by the work in flight, so that memory
// stays bounded however many requests arrive: each piece of work acquires
// its weight before it starts and releases it when it is done, and work
// that finds the budget spent waits for room.
//
// Its zero value is a budget of DefaultBudget pixels. It is safe for
// concurrent use; Max must not change after first use. Work that acquires
// twice from the same Budget (a handler and the Local it calls, say) can
// deadlock when the budget is spent, so give each stage its own.
type Budget struct {
	// Max is the size of the budget, in pixels. 0 means DefaultBudget.
	Max int64

	once sync.Once
	sem  *semaphore.Weighted
	max  int64
}

// Acquire waits until n pixels of the budget are free, or ctx ends, and
// takes them; the caller calls release when its work is done. A request
// for more than the whole budget fails at once with an error wrapping
// ErrTooLarge, as it could never be served. If ctx ends first, Acquire
// returns ctx's error.
func (b *Budget) Acquire(ctx context.Context, n int64) (release func(), err error) {
	b.once.Do(func() {
		b.max = b.Max
		if b.max <= 0 {
			b.max = DefaultBudget
		}
		b.sem = semaphore.NewWeighted(b.max)
	})
	if n > b.max {
		return nil, fmt.Errorf("%w: the work needs %d pixels, more than the %d allowed in flight", ErrTooLarge, n, b.max)
	}
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	return func() { b.sem.Release(n) }, nil
}

// Decode decodes the image file in data as Decode does, with its pixels
// acquired from b first: it reads the header, waits for room for the
// image, then decodes it. The caller calls release when it no longer
// holds the image or anything of its size derived from it.
func (b *Budget) Decode(ctx context.Context, data []byte, opts *Options) (img image.Image, release func(), err error) {
	cfg, _, err := DecodeConfig(bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, err
	}
	if release, err = b.Acquire(ctx, int64(cfg.Width)*int64(cfg.Height)); err != nil {
		return nil, nil, err
	}
	if img, err = Decode(bytes.NewReader(data), opts); err != nil {
		release()
		return nil, nil, err
	}
	return img, release, nil
}
