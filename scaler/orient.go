package scaler

import (
	"image"
	"image/draw"
)

// Orientation is an EXIF orientation: how the stored pixels must be
// transformed to be seen upright. The values are those of the EXIF tag 0x0112
// (1 to 8); any other value is invalid and means the same as [TopLeft]. The
// names say where the 0th stored row and the 0th stored column are when the
// image is seen upright: [RightTop] means the 0th row is the visual right-hand
// side and the 0th column is the visual top.
//
// With S the stored image of width w and height h, and U the upright one:
//
//	TopLeft     (1): U(x, y) = S(x, y)
//	TopRight    (2): U(x, y) = S(w-1-x, y)
//	BottomRight (3): U(x, y) = S(w-1-x, h-1-y)
//	BottomLeft  (4): U(x, y) = S(x, h-1-y)
//	LeftTop     (5): U(x, y) = S(y, x)           U is h wide and w high
//	RightTop    (6): U(x, y) = S(y, h-1-x)       U is h wide and w high
//	RightBottom (7): U(x, y) = S(w-1-y, h-1-x)   U is h wide and w high
//	LeftBottom  (8): U(x, y) = S(w-1-y, x)       U is h wide and w high
//
// The zero value is invalid and treated as [TopLeft]. Use [ExifOrientation] to
// read it from encoded data and [Orient] to apply it.
type Orientation uint8

// The eight EXIF orientations. A camera held upright records TopLeft; a phone
// held in portrait usually records RightTop.
const (
	TopLeft     Orientation = 1 // as stored
	TopRight    Orientation = 2 // mirrored left-right
	BottomRight Orientation = 3 // rotated 180°
	BottomLeft  Orientation = 4 // mirrored top-bottom
	LeftTop     Orientation = 5 // transposed (mirrored along the top-left to bottom-right diagonal)
	RightTop    Orientation = 6 // needs 90° clockwise rotation to be upright
	RightBottom Orientation = 7 // transverse
	LeftBottom  Orientation = 8 // needs 90° counter-clockwise rotation to be upright
)

// Transposed reports whether o swaps width and height, which is the case for
// [LeftTop], [RightTop], [RightBottom] and [LeftBottom] (5 to 8). It is false
// for invalid values.
func (o Orientation) Transposed() bool {
	return o >= LeftTop && o <= LeftBottom
}

// valid reports whether o is one of the eight EXIF orientations.
func (o Orientation) valid() bool {
	return o >= TopLeft && o <= LeftBottom
}

// Orient returns img transformed by o so that it is upright, as described on
// [Orientation].
//
// For [TopLeft] or an invalid o, it returns img itself. Otherwise the result is
// newly allocated, shares no memory with img, has its origin at (0, 0), and is
// img.Bounds().Dy() wide and img.Bounds().Dx() high when o.Transposed(), or the
// size of img otherwise. A *image.Gray gives a *image.Gray; an *image.RGBA is
// copied as is, and any other image is first converted to an *image.RGBA
// through [draw.Draw] (losing any precision beyond 8 bits), so it gives a
// *image.RGBA. Orient cannot fail; img must have finite bounds and, for
// *image.Gray and *image.RGBA, a Pix slice that covers them. It only reads img,
// so concurrent calls on the same img are safe while nothing writes to it.
func Orient(img image.Image, o Orientation) image.Image {
	if !o.valid() || o == TopLeft {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o.Transposed() {
		dw, dh = h, w
	}
	// Pix[0] of a *image.Gray or *image.RGBA is the pixel at Rect.Min, also
	// for a sub-image.
	switch src := img.(type) {
	case *image.Gray:
		dst := newGray(dw, dh)
		orientGray(dst.Pix, dst.Stride, src.Pix, src.Stride, w, h, o)
		return dst
	case *image.RGBA:
		dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
		orientRGBA(dst.Pix, dst.Stride, src.Pix, src.Stride, w, h, o)
		return dst
	default:
		tmp := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(tmp, tmp.Rect, img, b.Min, draw.Src)
		dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
		orientRGBA(dst.Pix, dst.Stride, tmp.Pix, tmp.Stride, w, h, o)
		return dst
	}
}

// walk returns how to read the source pixels of a w×h image, stored with the
// given stride and bpp bytes per pixel, in the order of the upright result:
// destination row 0 starts at byte start of the source, each next destination
// row starts rowStep bytes further, and each next pixel within a destination
// row is step bytes further. o must be valid and w, h positive.
func (o Orientation) walk(w, h, stride, bpp int) (start, rowStep, step int) {
	last := (h - 1) * stride // first byte of the bottom stored row
	right := (w - 1) * bpp   // first byte of the rightmost pixel of row 0
	switch o {
	case TopRight: // U(x, y) = S(w-1-x, y)
		return right, stride, -bpp
	case BottomRight: // U(x, y) = S(w-1-x, h-1-y)
		return last + right, -stride, -bpp
	case BottomLeft: // U(x, y) = S(x, h-1-y)
		return last, -stride, bpp
	case LeftTop: // U(x, y) = S(y, x)
		return 0, bpp, stride
	case RightTop: // U(x, y) = S(y, h-1-x)
		return last, bpp, -stride
	case RightBottom: // U(x, y) = S(w-1-y, h-1-x)
		return last + right, -bpp, -stride
	case LeftBottom: // U(x, y) = S(w-1-y, x)
		return right, -bpp, stride
	default: // TopLeft
		return 0, stride, bpp
	}
}

// orientGray writes into dst, a (dw×dh) 1-byte-per-pixel buffer with stride
// dstStride, the w×h source src (stride srcStride, pixel (0, 0) at src[0])
// transformed by o.
func orientGray(dst []uint8, dstStride int, src []uint8, srcStride, w, h int, o Orientation) {
	if w <= 0 || h <= 0 {
		return
	}
	dw, dh := w, h
	if o.Transposed() {
		dw, dh = h, w
	}
	start, rowStep, step := o.walk(w, h, srcStride, 1)
	for y := 0; y < dh; y++ {
		d := dst[y*dstStride : y*dstStride+dw]
		s := start + y*rowStep
		if step == 1 {
			copy(d, src[s:s+dw])
			continue
		}
		for x := range d {
			d[x] = src[s]
			s += step
		}
	}
}

// orientRGBA is orientGray for 4-byte pixels.
func orientRGBA(dst []uint8, dstStride int, src []uint8, srcStride, w, h int, o Orientation) {
	if w <= 0 || h <= 0 {
		return
	}
	dw, dh := w, h
	if o.Transposed() {
		dw, dh = h, w
	}
	start, rowStep, step := o.walk(w, h, srcStride, 4)
	for y := 0; y < dh; y++ {
		d := dst[y*dstStride : y*dstStride+4*dw]
		s := start + y*rowStep
		if step == 4 {
			copy(d, src[s:s+4*dw])
			continue
		}
		for x := 0; x+4 <= len(d); x += 4 {
			p := src[s : s+4 : s+4]
			q := d[x : x+4 : x+4]
			q[0], q[1], q[2], q[3] = p[0], p[1], p[2], p[3]
			s += step
		}
	}
}
