//go:build !amd64

package jpegdec

// decodeBlock is decodeBlockGo.
func (br *bitReader) decodeBlock(c *[64]int16, dc, ac *huffTable, pred *int32) (int, error) {
	return br.decodeBlockGo(c, dc, ac, pred)
}
