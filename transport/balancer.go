package transport

import (
	"context"
	"errors"
	"image"
	"sync/atomic"

	"github.com/escala-img/escala/scaler"
)

// A Balancer is a scaler.Interface that spreads its calls over several
// others, typically Clients of different scale servers, taking them in
// turn. When one is unavailable (its error wraps ErrUnavailable: it is
// down, or died before it replied) or busy (ErrBusy), the call goes on to
// the next, so that a server that is down costs a failed connection
// attempt rather than a failed request; one that comes back is used again
// on its next turn. When every one fails so, the error is the last one's.
//
// Its zero value has no scalers and fails every call. It is safe for
// concurrent use; Scalers must not change after first use.
type Balancer struct {
	Scalers []scaler.Interface

	next atomic.Uint64
}

// Scale implements scaler.Interface.
func (b *Balancer) Scale(ctx context.Context, src image.Image, opts *scaler.Options) (image.Image, error) {
	n := len(b.Scalers)
	if n == 0 {
		return nil, errors.New("transport: Balancer has no scalers")
	}
	start := b.next.Add(1) - 1
	var err error
	for i := range n {
		var dst image.Image
		dst, err = b.Scalers[(start+uint64(i))%uint64(n)].Scale(ctx, src, opts)
		if err == nil || !(errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBusy)) || ctx.Err() != nil {
			return dst, err
		}
	}
	return nil, err
}
