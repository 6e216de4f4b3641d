package pngdec

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
)

// signature starts every PNG file.
const signature = "\x89PNG\r\n\x1a\n"

// Chunk types, as big-endian numbers.
const (
	typeIHDR = 'I'<<24 | 'H'<<16 | 'D'<<8 | 'R'
	typePLTE = 'P'<<24 | 'L'<<16 | 'T'<<8 | 'E'
	typeTRNS = 't'<<24 | 'R'<<16 | 'N'<<8 | 'S'
	typeIDAT = 'I'<<24 | 'D'<<16 | 'A'<<8 | 'T'
	typeIEND = 'I'<<24 | 'E'<<16 | 'N'<<8 | 'D'
)

// Colour types of the IHDR chunk.
const (
	ctGray      = 0
	ctRGB       = 2
	ctPaletted  = 3
	ctGrayAlpha = 4
	ctRGBA      = 6
)

// The stages of decoding, in the order in which image/png requires the
// critical chunks: IHDR, then PLTE, then tRNS, then IDAT, then IEND.
const (
	stageStart = iota
	stageIHDR
	stagePLTE
	stageTRNS
	stageIDAT
	stageIEND
)

// decoder holds the state of one DecodeGray or DecodeConfig call.
type decoder struct {
	data      []byte
	maxPixels int64
	img       *image.Gray
	stage     int

	// From IHDR.
	width, height int
	depth         int // bits per sample or palette index
	colorType     int
	interlaced    bool

	// From PLTE and tRNS: the palette and its alpha, of a paletted image.
	nplte int
	plte  [256][3]uint8
	ntrns int
	alpha [256]uint8

	// From tRNS: the transparent colour of a gray or RGB image, its
	// samples as the chunk stores them, big-endian.
	hasKey bool
	key    [6]uint8
}

// channels returns the number of samples in a pixel of a colour type, 0
// for an invalid one.
func channels(colorType int) int {
	switch colorType {
	case ctGray, ctPaletted:
		return 1
	case ctGrayAlpha:
		return 2
	case ctRGB:
		return 3
	case ctRGBA:
		return 4
	}
	return 0
}

// validDepth reports whether PNG allows the bit depth for the colour type.
func validDepth(colorType, depth int) bool {
	switch colorType {
	case ctGray:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
	case ctPaletted:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8
	case ctRGB, ctGrayAlpha, ctRGBA:
		return depth == 8 || depth == 16
	}
	return false
}

// chunkName returns a chunk type for an error message.
func chunkName(typ uint32) string {
	b := []byte{byte(typ >> 24), byte(typ >> 16), byte(typ >> 8), byte(typ)}
	for _, c := range b {
		if c < 'A' || c > 'z' || c > 'Z' && c < 'a' {
			return fmt.Sprintf("chunk %q", b)
		}
	}
	return string(b) + " chunk"
}

// decode reads the chunks of d.data, in the order and with the checks of
// image/png: every chunk's CRC, the critical chunks' order and contents.
// With configOnly it stops at the first IDAT chunk; otherwise it decodes
// the pixels there and goes on up to IEND. Whatever follows IEND is
// ignored.
func (d *decoder) decode(configOnly bool) error {
	data := d.data
	if len(data) < len(signature) {
		if string(data) == signature[:len(data)] {
			return truncated("%d bytes, shorter than the signature", len(data))
		}
		return formatError("not a PNG file")
	}
	if string(data[:len(signature)]) != signature {
		return formatError("not a PNG file")
	}
	pos := len(signature)
	for d.stage != stageIEND {
		if len(data)-pos < 8 {
			return truncated("chunk header at offset %d", pos)
		}
		length := binary.BigEndian.Uint32(data[pos:])
		typ := binary.BigEndian.Uint32(data[pos+4:])
		next := 0
		var err error
		switch typ {
		case typeIHDR:
			if d.stage != stageStart {
				return formatError("IHDR chunk at offset %d out of order", pos)
			}
			d.stage = stageIHDR
			next, err = d.parseIHDR(pos, length)
		case typePLTE:
			if d.stage != stageIHDR {
				return formatError("PLTE chunk at offset %d out of order", pos)
			}
			d.stage = stagePLTE
			next, err = d.parsePLTE(pos, length)
		case typeTRNS:
			switch {
			case d.colorType == ctPaletted && d.stage == stagePLTE:
			case d.colorType == ctRGB && (d.stage == stageIHDR || d.stage == stagePLTE):
			case d.colorType != ctPaletted && d.colorType != ctRGB && d.stage == stageIHDR:
			default:
				return formatError("tRNS chunk at offset %d out of order", pos)
			}
			d.stage = stageTRNS
			next, err = d.parseTRNS(pos, length)
		case typeIDAT:
			if d.stage < stageIHDR || d.stage > stageIDAT || d.stage == stageIHDR && d.colorType == ctPaletted {
				return formatError("IDAT chunk at offset %d out of order", pos)
			}
			if d.stage == stageIDAT {
				// An IDAT chunk after those that held the compressed
				// pixels: image/png skips it like an unknown chunk.
				next, err = d.skip(pos, length, typ)
				break
			}
			d.stage = stageIDAT
			if configOnly {
				return nil
			}
			next, err = d.decodePixels(pos)
		case typeIEND:
			if d.stage != stageIDAT {
				return formatError("IEND chunk at offset %d out of order", pos)
			}
			d.stage = stageIEND
			if length != 0 {
				return formatError("IEND chunk of length %d", length)
			}
			next, err = d.body(pos, length, typ)
		default:
			next, err = d.skip(pos, length, typ)
		}
		if err != nil {
			return err
		}
		pos = next
	}
	return nil
}

// body checks that the chunk at pos, of the given length, is within the
// data and that its CRC is right, and returns the offset of the chunk after
// it.
func (d *decoder) body(pos int, length, typ uint32) (next int, err error) {
	if uint64(length)+12 > uint64(len(d.data)-pos) {
		return 0, truncated("%s at offset %d", chunkName(typ), pos)
	}
	end := pos + 8 + int(length)
	if crc32.ChecksumIEEE(d.data[pos+4:end]) != binary.BigEndian.Uint32(d.data[end:]) {
		return 0, formatError("bad CRC of the %s at offset %d", chunkName(typ), pos)
	}
	return end + 4, nil
}

// skip checks a chunk that is not decoded as body does, refusing the
// lengths of 2 GiB and more that image/png refuses there.
func (d *decoder) skip(pos int, length, typ uint32) (next int, err error) {
	if length > 0x7fffffff {
		return 0, formatError("%s at offset %d has length %d", chunkName(typ), pos, length)
	}
	return d.body(pos, length, typ)
}

func (d *decoder) parseIHDR(pos int, length uint32) (int, error) {
	if length != 13 {
		return 0, formatError("IHDR chunk of length %d", length)
	}
	next, err := d.body(pos, length, typeIHDR)
	if err != nil {
		return 0, err
	}
	p := d.data[pos+8 : pos+8+13]
	w := int32(binary.BigEndian.Uint32(p[0:]))
	h := int32(binary.BigEndian.Uint32(p[4:]))
	depth, ct := int(p[8]), int(p[9])
	switch {
	case p[10] != 0:
		return 0, formatError("unknown compression method %d", p[10])
	case p[11] != 0:
		return 0, formatError("unknown filter method %d", p[11])
	case p[12] > 1:
		return 0, formatError("unknown interlace method %d", p[12])
	case w <= 0 || h <= 0:
		return 0, formatError("image size %dx%d", binary.BigEndian.Uint32(p[0:]), binary.BigEndian.Uint32(p[4:]))
	case !validDepth(ct, depth):
		return 0, formatError("bit depth %d with colour type %d", depth, ct)
	}
	d.width, d.height = int(w), int(h)
	d.depth, d.colorType = depth, ct
	d.interlaced = p[12] == 1
	if err := d.checkSize(); err != nil {
		return 0, err
	}
	return next, nil
}

func (d *decoder) parsePLTE(pos int, length uint32) (int, error) {
	n := int(length / 3)
	if length%3 != 0 || n == 0 || n > 256 || n > 1<<d.depth {
		return 0, formatError("PLTE chunk of length %d", length)
	}
	next, err := d.body(pos, length, typePLTE)
	if err != nil {
		return 0, err
	}
	switch d.colorType {
	case ctPaletted:
		p := d.data[pos+8:]
		for i := range n {
			d.plte[i] = [3]uint8{p[3*i], p[3*i+1], p[3*i+2]}
		}
		d.nplte = n
	case ctRGB, ctRGBA:
		// A suggested palette, which image/png ignores too.
	default:
		return 0, formatError("PLTE chunk in an image of colour type %d", d.colorType)
	}
	return next, nil
}

func (d *decoder) parseTRNS(pos int, length uint32) (int, error) {
	switch d.colorType {
	case ctGray, ctRGB:
		if want := uint32(2 * channels(d.colorType)); length != want {
			return 0, formatError("tRNS chunk of length %d, want %d", length, want)
		}
	case ctPaletted:
		if length > 256 {
			return 0, formatError("tRNS chunk of length %d", length)
		}
	default:
		return 0, formatError("tRNS chunk in an image of colour type %d", d.colorType)
	}
	next, err := d.body(pos, length, typeTRNS)
	if err != nil {
		return 0, err
	}
	p := d.data[pos+8 : pos+8+int(length)]
	if d.colorType == ctPaletted {
		d.ntrns = copy(d.alpha[:], p)
	} else {
		d.hasKey = true
		copy(d.key[:], p)
	}
	return next, nil
}
