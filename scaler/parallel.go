package scaler

import (
	"golang.org/x/sync/errgroup"

	"github.com/escala-img/escala/internal/codec/par"
)

// minParallelWork is the number of pixel operations below which handing
// rows to other goroutines costs more than it saves.
const minParallelWork = 1 << 20

// parallelRows calls fn on disjoint ranges [y0, y1) that together cover
// [0, rows), on up to GOMAXPROCS goroutines when rows×cost (the work of a
// row, in pixel operations) is large enough to be worth it and no other
// pixel work runs in the process (see internal/codec/par). It returns when
// every call has.
func parallelRows(rows, cost int, fn func(y0, y1 int)) {
	procs := par.Enter()
	defer par.Leave()
	if procs < 2 || rows < 2 || rows*cost < minParallelWork {
		fn(0, rows)
		return
	}
	// A few chunks per goroutine even out rows of unequal cost.
	chunks := min(rows, 4*procs)
	var g errgroup.Group
	g.SetLimit(procs)
	for i := range chunks {
		y0, y1 := rows*i/chunks, rows*(i+1)/chunks
		g.Go(func() error {
			fn(y0, y1)
			return nil
		})
	}
	g.Wait() // the calls return no errors
}
