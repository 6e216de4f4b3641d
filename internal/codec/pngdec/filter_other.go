//go:build !amd64

package pngdec

// unfilterPaeth reverses the Paeth filter.
func unfilterPaeth(cur, prev []byte, bpp int) {
	paethGo(cur, prev[:len(cur)], bpp)
}
