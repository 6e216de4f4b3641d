package bmpdec

import "image"

// decodeRows decodes the uncompressed or bit field pixels of h from data.
// Each row is padded to a multiple of 4 bytes; the last row need not be,
// as Pillow reads only its pixels.
func (h *header) decodeRows(data []byte) (*image.Gray, error) {
	rowBytes := (int64(h.width)*int64(h.bits) + 7) / 8
	stride := (rowBytes + 3) &^ 3
	avail := int64(len(data)) - h.pixels
	if avail < rowBytes || h.height > 1 && (avail-rowBytes)/stride < int64(h.height-1) {
		if avail < 0 {
			return nil, truncated("pixels at offset %d of a file of %d bytes", h.pixels, len(data))
		}
		return nil, truncated("%d bytes of pixels cannot hold the %d rows of %d bytes of a %dx%d image", avail, h.height, stride, h.width, h.height)
	}
	// Every pixel is written, so recycled memory serves.
	img := h.newImage()
	convert := h.converter()
	src := data[h.pixels:]
	n, w := int(rowBytes), h.width
	for r := range h.height {
		y := h.height - 1 - r
		if h.topDown {
			y = r
		}
		// Within avail: the offset is under the rows checked above.
		off := int(stride) * r
		convert(img.Pix[y*w:y*w+w], src[off:off+n])
	}
	return img, nil
}
