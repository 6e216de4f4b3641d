package tiffdec

import (
	"encoding/binary"
	"fmt"
	"math"
)

// maxEntries is the most entries an image file directory may have; real
// files have a few dozen.
const maxEntries = 4096

// The tags that the decoder reads.
const (
	tagImageWidth       = 256
	tagImageLength      = 257
	tagBitsPerSample    = 258
	tagCompression      = 259
	tagPhotometric      = 262
	tagFillOrder        = 266
	tagStripOffsets     = 273
	tagSamplesPerPixel  = 277
	tagRowsPerStrip     = 278
	tagStripByteCounts  = 279
	tagPlanarConfig     = 284
	tagT4Options        = 292
	tagT6Options        = 293
	tagPredictor        = 317
	tagColorMap         = 320
	tagTileWidth        = 322
	tagTileLength       = 323
	tagTileOffsets      = 324
	tagTileByteCounts   = 325
	tagInkSet           = 332
	tagExtraSamples     = 338
	tagSampleFormat     = 339
	tagJPEGTables       = 347
	tagYCbCrCoeffs      = 529
	tagYCbCrSubsampling = 530
	tagRefBlackWhite    = 532
)

// Compression schemes.
const (
	cNone     = 1
	cCCITTRLE = 2
	cG3       = 3
	cG4       = 4
	cLZW      = 5
	cOldJPEG  = 6
	cJPEG     = 7
	cDeflate  = 8
	cPackBits = 32773
	cDeflate2 = 32946
)

// Photometric interpretations.
const (
	pWhiteIsZero = 0
	pBlackIsZero = 1
	pRGB         = 2
	pPalette     = 3
	pSeparated   = 5
	pYCbCr       = 6
	pCIELab      = 8
)

// Kinds of extra sample that the decoder tells apart.
const (
	alphaNone       = iota // no alpha, or an extra sample of unspecified meaning
	alphaAssociated        // premultiplied
	alphaUnassociated
)

// entry is a directory entry whose values lie in data.
type entry struct {
	typ   uint16
	count int
	at    int // offset of the first value
}

// typeSizes are the sizes of the values of the TIFF field types 1 to 13.
var typeSizes = [...]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}

// decoder holds what the first directory says, checked, and the state of a
// decode.
type decoder struct {
	data  []byte
	order binary.ByteOrder

	width, height int
	bps, spp      int
	compression   int
	photometric   int
	planar        int // 1 contiguous, 2 separate planes
	predictor     int
	fillOrder     int
	alpha         int // alphaNone, alphaAssociated or alphaUnassociated
	base          int // samples of the colour without extra samples
	inkSet        int
	float         bool // 32-bit IEEE floating-point samples
	subX, subY    int  // YCbCr chroma subsampling
	t4Options     int

	colorMap   entry
	jpegTables entry
	ycbcr      ycbcrParams
	ycbcrT     *ycbcrTables // made from ycbcr at the first strip or tile

	tiled          bool
	chunkW, chunkH int // a strip's or tile's width and height in pixels
	across, down   int // strips or tiles across and down a plane
	planes         int // planes of strips or tiles: 1, or spp when separate
	offsets        entry
	counts         entry // count 0 when the file has no byte counts
	maxCount       int   // the largest byte count of a strip or tile, within data
	sumCount       int64 // the bytes of all strips or tiles, within data
	pastEnd        int   // the first strip or tile that data cuts short, or -1
}

// parse reads the TIFF header and first directory of data and checks what
// they say. It returns the decoder as far as it read it, with the error.
func parse(data []byte) (*decoder, error) {
	if len(data) < 8 {
		if len(data) >= 2 && string(data[:2]) != "II" && string(data[:2]) != "MM" {
			return nil, formatError("not a TIFF file")
		}
		return nil, truncated("header")
	}
	d := &decoder{data: data}
	switch string(data[:2]) {
	case "II":
		d.order = binary.LittleEndian
	case "MM":
		d.order = binary.BigEndian
	default:
		return nil, formatError("not a TIFF file")
	}
	switch d.order.Uint16(data[2:]) {
	case 42:
	case 43:
		return nil, unsupported("BigTIFF")
	default:
		return nil, formatError("not a TIFF file")
	}
	ifd := int64(d.order.Uint32(data[4:]))
	if ifd < 8 {
		return nil, formatError("first directory at offset %d, inside the header", ifd)
	}
	if ifd+2 > int64(len(data)) {
		return nil, truncated("first directory at offset %d", ifd)
	}
	n := int(d.order.Uint16(data[ifd:]))
	if n == 0 {
		return nil, formatError("first directory has no entries")
	}
	if n > maxEntries {
		return nil, formatError("first directory has %d entries, more than %d", n, maxEntries)
	}
	if ifd+2+12*int64(n) > int64(len(data)) {
		return nil, truncated("first directory")
	}
	tags := make(map[uint16]entry, n)
	for i := range n {
		e := data[ifd+2+12*int64(i):][:12]
		tag := d.order.Uint16(e)
		typ := d.order.Uint16(e[2:])
		count := int64(d.order.Uint32(e[4:]))
		if _, dup := tags[tag]; dup || int(typ) >= len(typeSizes) || typeSizes[typ] == 0 {
			continue // later duplicates and unknown types are ignored, as libtiff does
		}
		size := count * int64(typeSizes[typ])
		at := ifd + 2 + 12*int64(i) + 8
		if size > 4 {
			at = int64(d.order.Uint32(e[8:]))
		}
		tags[tag] = entry{typ: typ, count: int(min(count, math.MaxInt32)), at: int(min(at, math.MaxInt32))}
	}
	return d, d.read(tags)
}

// size returns the bytes of e's values.
func (e entry) size() int64 { return int64(e.count) * int64(typeSizes[e.typ]) }

// values checks that the values of e lie within the data.
func (d *decoder) values(name string, e entry) error {
	if int64(e.at)+e.size() > int64(len(d.data)) {
		return truncated("values of %s", name)
	}
	return nil
}

// uint returns the i'th value of e, an entry of an unsigned integer type.
func (d *decoder) uint(e entry, i int) uint32 {
	switch e.typ {
	case 1, 7:
		return uint32(d.data[e.at+i])
	case 3:
		return uint32(d.order.Uint16(d.data[e.at+2*i:]))
	}
	return d.order.Uint32(d.data[e.at+4*i:])
}

// rational returns the i'th value of e, a RATIONAL entry.
func (d *decoder) rational(e entry, i int) float64 {
	num := d.order.Uint32(d.data[e.at+8*i:])
	den := d.order.Uint32(d.data[e.at+8*i+4:])
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

// isUint reports whether e holds unsigned integers: BYTE, SHORT or LONG.
func isUint(e entry) bool { return e.typ == 1 || e.typ == 3 || e.typ == 4 }

// scalar returns the first value of an unsigned integer tag, or def if the
// tag is absent.
func (d *decoder) scalar(tags map[uint16]entry, tag uint16, name string, def int) (int, error) {
	e, ok := tags[tag]
	if !ok {
		return def, nil
	}
	if !isUint(e) || e.count < 1 {
		return 0, formatError("%s has type %d and %d values", name, e.typ, e.count)
	}
	if err := d.values(name, e); err != nil {
		return 0, err
	}
	v := d.uint(e, 0)
	if uint64(v) > math.MaxInt {
		// Only on 32-bit platforms: a size no slice there can hold.
		return 0, fmt.Errorf("%w: %s %d is more than this platform can address", ErrTooLarge, name, v)
	}
	return int(v), nil
}

// read checks the tags of the first directory and sets up the decoder.
func (d *decoder) read(tags map[uint16]entry) error {
	var err error
	scalar := func(tag uint16, name string, def int) int {
		if err != nil {
			return 0
		}
		v, e := d.scalar(tags, tag, name, def)
		err = e
		return v
	}
	d.width = scalar(tagImageWidth, "ImageWidth", -1)
	d.height = scalar(tagImageLength, "ImageLength", -1)
	d.compression = scalar(tagCompression, "Compression", cNone)
	d.spp = scalar(tagSamplesPerPixel, "SamplesPerPixel", 1)
	d.planar = scalar(tagPlanarConfig, "PlanarConfiguration", 1)
	d.predictor = scalar(tagPredictor, "Predictor", 1)
	d.fillOrder = scalar(tagFillOrder, "FillOrder", 1)
	d.inkSet = scalar(tagInkSet, "InkSet", 1)
	d.t4Options = scalar(tagT4Options, "T4Options", 0)
	sampleFormat := scalar(tagSampleFormat, "SampleFormat", 1)
	defPhoto := pWhiteIsZero // Pillow's default when the tag is missing
	if d.spp >= 3 {
		defPhoto = pRGB
	}
	d.photometric = scalar(tagPhotometric, "PhotometricInterpretation", defPhoto)
	if err != nil {
		return err
	}
	if d.width < 0 || d.height < 0 {
		return formatError("no ImageWidth or ImageLength")
	}
	if d.width == 0 || d.height == 0 {
		return formatError("empty image, %dx%d", d.width, d.height)
	}
	if d.spp < 1 || d.spp > 16 {
		return formatError("SamplesPerPixel %d", d.spp)
	}

	// Bits per sample: one value, or one for each sample, all equal.
	d.bps = 1
	if e, ok := tags[tagBitsPerSample]; ok {
		if !isUint(e) || e.count < 1 {
			return formatError("BitsPerSample has type %d and %d values", e.typ, e.count)
		}
		if err := d.values("BitsPerSample", e); err != nil {
			return err
		}
		d.bps = int(d.uint(e, 0))
		for i := 1; i < min(e.count, d.spp); i++ {
			if b := int(d.uint(e, i)); b != d.bps {
				return unsupported("samples of %d and %d bits in one pixel", d.bps, b)
			}
		}
	}
	switch sampleFormat {
	case 1:
		if d.bps == 32 {
			return unsupported("32-bit integer samples")
		}
	case 2:
		return unsupported("signed integer samples")
	case 3:
		if d.bps != 32 || d.spp != 1 || d.photometric > pBlackIsZero {
			return unsupported("floating-point samples other than 32-bit gray")
		}
		d.float = true
	default:
		return unsupported("SampleFormat %d", sampleFormat)
	}

	switch d.compression {
	case cNone, cG3, cG4, cLZW, cJPEG, cDeflate, cDeflate2, cPackBits:
	case cCCITTRLE:
		return unsupported("CCITT modified Huffman compression (2)")
	case cOldJPEG:
		return unsupported("old-style JPEG compression (6)")
	default:
		return unsupported("compression %d", d.compression)
	}
	if d.planar != 1 && d.planar != 2 {
		return formatError("PlanarConfiguration %d", d.planar)
	}
	if d.spp == 1 {
		d.planar = 1
	}
	if d.fillOrder != 1 && d.fillOrder != 2 {
		return formatError("FillOrder %d", d.fillOrder)
	}

	// The colour samples, and what the extra ones mean.
	switch d.photometric {
	case pWhiteIsZero, pBlackIsZero, pPalette:
		d.base = 1
	case pRGB, pYCbCr:
		d.base = 3
	case pSeparated:
		d.base = 4
		if d.inkSet != 1 {
			return unsupported("separated image with InkSet %d", d.inkSet)
		}
	case pCIELab:
		return unsupported("CIELab colour")
	default:
		return unsupported("PhotometricInterpretation %d", d.photometric)
	}
	if d.spp < d.base {
		return formatError("%d samples a pixel for PhotometricInterpretation %d", d.spp, d.photometric)
	}
	if d.spp > d.base {
		kind := uint32(0)
		if e, ok := tags[tagExtraSamples]; ok && isUint(e) && e.count >= 1 {
			if err := d.values("ExtraSamples", e); err != nil {
				return err
			}
			kind = d.uint(e, 0)
		} else if d.photometric == pRGB && d.spp == 4 {
			kind = 2 // Pillow reads RGB with a fourth sample as RGBA
		}
		switch kind {
		case 0:
			d.alpha = alphaNone
		case 1:
			d.alpha = alphaAssociated
		default:
			d.alpha = alphaUnassociated
		}
	}

	if err := d.checkDepth(); err != nil {
		return err
	}
	switch d.compression {
	case cG3, cG4:
		if d.bps != 1 || d.spp != 1 {
			return formatError("CCITT compression of %d samples of %d bits", d.spp, d.bps)
		}
		if d.compression == cG3 && d.t4Options&1 != 0 {
			return unsupported("two-dimensional CCITT Group 3 coding")
		}
		if d.compression == cG3 && d.t4Options&2 != 0 {
			return unsupported("uncompressed mode in CCITT Group 3")
		}
		if d.compression == cG3 && d.t4Options&4 != 0 {
			// x/image/ccitt reads end-of-line codes of exactly 12 bits.
			return unsupported("fill bits in CCITT Group 3")
		}
		if d.compression == cG4 {
			if t6, err := d.scalar(tags, tagT6Options, "T6Options", 0); err != nil {
				return err
			} else if t6&2 != 0 {
				return unsupported("uncompressed mode in CCITT Group 4")
			}
		}
	case cJPEG:
		if d.bps != 8 {
			return unsupported("JPEG compression of %d-bit samples", d.bps)
		}
		switch {
		case d.photometric == pSeparated:
			return unsupported("JPEG-compressed CMYK")
		case d.photometric == pPalette:
			return unsupported("JPEG-compressed palette image")
		case d.planar == 1 && d.spp != d.base:
			return unsupported("JPEG compression with extra samples")
		}
		if e, ok := tags[tagJPEGTables]; ok {
			if e.typ != 7 && e.typ != 1 {
				return formatError("JPEGTables has type %d", e.typ)
			}
			if err := d.values("JPEGTables", e); err != nil {
				return err
			}
			d.jpegTables = e
		}
	}

	switch d.predictor {
	case 1:
	case 2:
		if d.bps != 8 && d.bps != 16 {
			return unsupported("horizontal differencing of %d-bit samples", d.bps)
		}
		if d.compression == cJPEG {
			d.predictor = 1 // libtiff ignores it for JPEG
		}
	case 3:
		return unsupported("floating-point predictor")
	default:
		return unsupported("Predictor %d", d.predictor)
	}

	if d.photometric == pPalette {
		e, ok := tags[tagColorMap]
		if !ok {
			return formatError("palette image without ColorMap")
		}
		if e.typ != 3 || e.count != 3<<d.bps {
			return formatError("ColorMap has type %d and %d values, want %d SHORTs", e.typ, e.count, 3<<d.bps)
		}
		if err := d.values("ColorMap", e); err != nil {
			return err
		}
		d.colorMap = e
	}
	if d.photometric == pYCbCr && d.compression != cJPEG {
		if err := d.readYCbCr(tags); err != nil {
			return err
		}
	}
	return d.readLayout(tags)
}

// checkDepth checks the bit depth against the photometric interpretation.
func (d *decoder) checkDepth() error {
	switch d.bps {
	case 8, 16:
	case 32: // floating-point gray, checked above
	case 1, 2, 4:
		if d.spp != 1 || d.photometric > pPalette {
			return unsupported("%d-bit samples in a pixel of %d samples", d.bps, d.spp)
		}
	default:
		return unsupported("%d-bit samples", d.bps)
	}
	if d.photometric == pPalette && d.bps == 16 {
		return unsupported("16-bit palette indexes")
	}
	return nil
}

// readYCbCr reads the subsampling and conversion of an uncompressed YCbCr
// image, which is converted as libtiff's RGBA interface converts it.
func (d *decoder) readYCbCr(tags map[uint16]entry) error {
	if d.bps != 8 || d.spp != 3 {
		return unsupported("YCbCr with %d samples of %d bits", d.spp, d.bps)
	}
	if d.planar != 1 {
		return unsupported("YCbCr in separate planes")
	}
	d.subX, d.subY = 2, 2
	if e, ok := tags[tagYCbCrSubsampling]; ok {
		if !isUint(e) || e.count != 2 {
			return formatError("YCbCrSubsampling has type %d and %d values", e.typ, e.count)
		}
		if err := d.values("YCbCrSubsampling", e); err != nil {
			return err
		}
		d.subX, d.subY = int(d.uint(e, 0)), int(d.uint(e, 1))
	}
	okSub := func(v int) bool { return v == 1 || v == 2 || v == 4 }
	if !okSub(d.subX) || !okSub(d.subY) || d.subY > d.subX {
		return unsupported("YCbCr subsampling %dx%d", d.subX, d.subY)
	}
	if d.predictor != 1 {
		return unsupported("horizontal differencing of YCbCr")
	}
	d.ycbcr = ycbcrParams{luma: [3]float64{0.299, 0.587, 0.114}, refBW: [6]float64{0, 255, 128, 255, 128, 255}}
	if e, ok := tags[tagYCbCrCoeffs]; ok && e.typ == 5 && e.count == 3 {
		if err := d.values("YCbCrCoefficients", e); err != nil {
			return err
		}
		for i := range 3 {
			d.ycbcr.luma[i] = d.rational(e, i)
		}
	}
	if e, ok := tags[tagRefBlackWhite]; ok && e.typ == 5 && e.count == 6 {
		if err := d.values("ReferenceBlackWhite", e); err != nil {
			return err
		}
		for i := range 6 {
			d.ycbcr.refBW[i] = d.rational(e, i)
		}
	}
	return nil
}

// readLayout reads the strips or tiles and checks their number against
// the image's size.
func (d *decoder) readLayout(tags map[uint16]entry) error {
	offTag, countTag, what := uint16(tagStripOffsets), uint16(tagStripByteCounts), "strip"
	if _, ok := tags[tagTileOffsets]; ok {
		d.tiled = true
		offTag, countTag, what = tagTileOffsets, tagTileByteCounts, "tile"
		tw, err := d.scalar(tags, tagTileWidth, "TileWidth", 0)
		if err != nil {
			return err
		}
		th, err := d.scalar(tags, tagTileLength, "TileLength", 0)
		if err != nil {
			return err
		}
		if tw == 0 || th == 0 {
			return formatError("tiles of %dx%d pixels", tw, th)
		}
		d.chunkW, d.chunkH = tw, th
	} else {
		rps, err := d.scalar(tags, tagRowsPerStrip, "RowsPerStrip", math.MaxInt32)
		if err != nil {
			return err
		}
		if rps == 0 {
			return formatError("RowsPerStrip 0")
		}
		d.chunkW, d.chunkH = d.width, min(rps, d.height)
	}
	if err := d.checkSize(0); err != nil {
		return err
	}
	if d.subY > 1 && !d.tiled && d.chunkH%d.subY != 0 && d.chunkH != d.height {
		return formatError("%d rows a strip with YCbCr subsampling %dx%d", d.chunkH, d.subX, d.subY)
	}
	d.across = (d.width-1)/d.chunkW + 1
	d.down = (d.height-1)/d.chunkH + 1
	d.planes = 1
	if d.planar == 2 {
		d.planes = d.spp
	}
	want := int64(d.across) * int64(d.down) * int64(d.planes)

	off, ok := tags[offTag]
	if !ok {
		return formatError("no %s offsets", what)
	}
	if !isUint(off) || off.typ == 1 {
		return formatError("%s offsets have type %d", what, off.typ)
	}
	// More offsets than the image needs are ignored, as libtiff ignores
	// them; fewer are an error, told before any of them is read.
	if int64(off.count) < want {
		return formatError("%d %s offsets for %d %ss", off.count, what, want, what)
	}
	off.count = int(want)
	if err := d.values(what+" offsets", off); err != nil {
		return err
	}
	d.offsets = off
	if cnt, ok := tags[countTag]; ok {
		if !isUint(cnt) || cnt.typ == 1 {
			return formatError("%s byte counts have type %d", what, cnt.typ)
		}
		if int64(cnt.count) < want {
			return formatError("%d %s byte counts for %d %ss", cnt.count, what, want, what)
		}
		cnt.count = int(want)
		if err := d.values(what+" byte counts", cnt); err != nil {
			return err
		}
		d.counts = cnt
	}
	d.pastEnd = -1
	for i := range int(want) {
		off, n := d.chunkRange(i)
		in := max(min(n, int64(len(d.data))-off), 0) // more is never read
		if in < n && d.pastEnd < 0 {
			d.pastEnd = i
		}
		d.maxCount = max(d.maxCount, int(in))
		d.sumCount += in
	}
	return nil
}

// chunkRange returns the offset and length of the compressed data of strip
// or tile i, as the directory gives them; a file without byte counts has
// uncompressed strips of their expected size, or compressed ones that run
// to the end of the file.
func (d *decoder) chunkRange(i int) (off, n int64) {
	off = int64(d.uint(d.offsets, i))
	if d.counts.count > 0 {
		return off, int64(d.uint(d.counts, i))
	}
	if d.compression == cNone {
		return off, d.planeBytes(d.chunkH)
	}
	return off, max(int64(len(d.data))-off, 0)
}
