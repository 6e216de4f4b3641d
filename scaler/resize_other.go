//go:build !amd64

package scaler

// vecLayout is empty where there are no vector loops.
type vecLayout struct{}

// newVecLayout returns nil: the Go loops need no other layout.
func newVecLayout(k *kernel) *vecLayout { return nil }

// grayRow resamples one row of gray pixels, with row1.
func (k *kernel) grayRow(out, in []uint8) { k.row1(out, in) }

// grayColumn computes result row y of a vertical pass over gray pixels,
// with column.
func (k *kernel) grayColumn(out []uint8, acc []int32, tmp []uint8, stride, y int) {
	k.column(out, acc, tmp, stride, y)
}
