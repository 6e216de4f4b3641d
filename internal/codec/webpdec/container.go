package webpdec

import (
	"encoding/binary"
	"image"
	"strings"
)

// A file is what parse finds in a WebP file: its Config and the data of
// the chunks of its first frame.
type file struct {
	config Config
	// alpha is the ALPH chunk's data, if the frame has one; image is the
	// VP8 or VP8L chunk's.
	alpha, image []byte
}

// The flags of the VP8X chunk.
const (
	flagAnimation = 1 << 1
	flagAlpha     = 1 << 4
)

// A chunk is one RIFF chunk: its FourCC and its data.
type chunk struct {
	id   string
	data []byte
	at   int // offset of its header in the file
}

// chunks splits b, which starts at offset base of the file, into RIFF
// chunks, up to and including the first VP8 or VP8L chunk, or with anim
// the first ANMF chunk: what follows the first frame is not read, and
// need not be well formed. Each chunk's data must lie within b; the pad
// byte after data of odd length may be missing at b's end.
func chunks(b []byte, base int, anim bool) ([]chunk, error) {
	var cs []chunk
	for p := 0; p < len(b); {
		if n := len(cs); n > 0 {
			if id := cs[n-1].id; id == "VP8 " || id == "VP8L" || anim && id == "ANMF" {
				return cs, nil
			}
		}
		if len(b)-p < 8 {
			return nil, formatError("%d bytes at offset %d are too few for a chunk header", len(b)-p, base+p)
		}
		id := string(b[p : p+4])
		n := binary.LittleEndian.Uint32(b[p+4:])
		if uint64(n) > uint64(len(b)-p-8) {
			return nil, formatError("chunk %q at offset %d holds %d bytes, past the end of its container", id, base+p, n)
		}
		cs = append(cs, chunk{id: id, data: b[p+8 : p+8+int(n)], at: base + p})
		p += 8 + int(n) + int(n&1)
	}
	return cs, nil
}

// parse reads the RIFF header and the chunks of data up to the first
// frame's VP8 or VP8L chunk, and that chunk's header. The Config of the
// file it returns is filled in as far as the headers were read, on an
// error too.
func parse(data []byte) (file, error) {
	var f file
	if len(data) < 12 {
		if len(data) < 4 && string(data) == "RIFF"[:len(data)] || len(data) >= 4 && string(data[:4]) == "RIFF" {
			return f, truncated("%d bytes are too few for a RIFF header", len(data))
		}
		return f, formatError("not a RIFF file")
	}
	if string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return f, formatError("not a RIFF WEBP file")
	}
	size := binary.LittleEndian.Uint32(data[4:])
	if size < 4 {
		return f, formatError("RIFF size %d is too small", size)
	}
	if uint64(size) > uint64(len(data)-8) {
		// libwebp refuses a file shorter than its RIFF header says.
		return f, truncated("RIFF size %d is more than the %d bytes that follow", size, len(data)-8)
	}
	// Bytes after the RIFF data are ignored, as libwebp ignores them.
	body := data[12 : 8+size]
	cs, err := chunks(body, 12, false)
	if err != nil {
		return f, err
	}
	if len(cs) == 0 {
		return f, formatError("no chunks in the RIFF WEBP file")
	}
	switch cs[0].id {
	case "VP8 ", "VP8L":
		return f, f.frame(cs[:1], image.Rectangle{}, false)
	case "VP8X":
	default:
		return f, formatError("first chunk is %q, not VP8, VP8L or VP8X", cs[0].id)
	}

	x := cs[0].data
	if len(x) < 10 {
		return f, formatError("VP8X chunk of %d bytes, want 10", len(x))
	}
	flags := x[0]
	w := int(x[4]) | int(x[5])<<8 | int(x[6])<<16 + 1
	h := int(x[7]) | int(x[8])<<8 | int(x[9])<<16 + 1
	if uint64(w)*uint64(h) > 1<<32-1 {
		return f, formatError("canvas of %dx%d is more than 2^32-1 pixels", w, h)
	}
	f.config.Width, f.config.Height = w, h
	f.config.Alpha = flags&flagAlpha != 0
	canvas := image.Rect(0, 0, w, h)
	if flags&flagAnimation == 0 {
		return f, f.frame(cs[1:], canvas, true)
	}
	f.config.Animated = true
	if cs, err = chunks(body, 12, true); err != nil {
		return f, err
	}
	for _, c := range cs[1:] {
		if c.id != "ANMF" {
			continue
		}
		if len(c.data) < 16 {
			return f, formatError("ANMF chunk at offset %d of %d bytes is too short for its header", c.at, len(c.data))
		}
		u24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
		x0, y0 := 2*u24(c.data[0:]), 2*u24(c.data[3:])
		r := image.Rect(x0, y0, x0+u24(c.data[6:])+1, y0+u24(c.data[9:])+1)
		if !r.In(canvas) {
			return f, formatError("first frame %v is not within the %dx%d canvas", r, w, h)
		}
		sub, err := chunks(c.data[16:], c.at+8+16, false)
		if err != nil {
			return f, err
		}
		return f, f.frame(sub, r, true)
	}
	return f, formatError("animation without an ANMF chunk")
}

// frame finds the ALPH chunk, if any, and the VP8 or VP8L chunk of a frame
// among cs, reads its header and fills in f. r is where the frame lies on
// the canvas; its size must be that of the bitstream. An empty r, in a
// simple file, means the frame is the canvas. extended reports a VP8X
// file, in which an ALPH chunk may come before a VP8 one.
func (f *file) frame(cs []chunk, r image.Rectangle, extended bool) error {
	var alpha []byte
	for _, c := range cs {
		switch c.id {
		case "ALPH":
			if alpha == nil && extended {
				alpha = c.data
			}
			continue
		case "VP8 ", "VP8L":
		default:
			continue
		}
		var w, h int
		if c.id == "VP8L" {
			b := c.data
			if len(b) < 5 {
				return truncated("VP8L chunk of %d bytes is too short for its header", len(b))
			}
			if b[0] != 0x2f {
				return formatError("VP8L signature is %#x, not 0x2f", b[0])
			}
			bits := binary.LittleEndian.Uint32(b[1:])
			w, h = int(bits&0x3fff)+1, int(bits>>14&0x3fff)+1
			if v := bits >> 29; v != 0 {
				return formatError("VP8L version %d, want 0", v)
			}
			f.config.Lossless = true
			if !f.config.Animated {
				// libwebp takes a still lossless image's alpha from
				// the bitstream's hint, whatever the VP8X flags say.
				f.config.Alpha = bits>>28&1 != 0
			}
		} else {
			b := c.data
			if len(b) < 10 {
				return truncated("VP8 chunk of %d bytes is too short for its frame header", len(b))
			}
			if b[0]&1 != 0 {
				return formatError("VP8 frame is not a key frame")
			}
			if b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
				return formatError("VP8 start code is %x, not 9d012a", b[3:6])
			}
			w, h = int(b[6])|int(b[7]&0x3f)<<8, int(b[8])|int(b[9]&0x3f)<<8
			if w == 0 || h == 0 {
				return formatError("VP8 frame of %dx%d", w, h)
			}
			// libwebp applies an ALPH chunk only when the VP8X chunk
			// says the image has alpha.
			if alpha != nil && f.config.Alpha {
				if len(alpha) == 0 {
					return formatError("empty ALPH chunk")
				}
				f.alpha = alpha
				f.config.alphaBytes = len(alpha)
				f.config.alphaLossless = alpha[0]&3 == 1
			}
		}
		f.image = c.data
		f.config.imageBytes = len(c.data)
		if r.Empty() {
			f.config.Width, f.config.Height = w, h
			r = image.Rect(0, 0, w, h)
		} else if r.Dx() != w || r.Dy() != h {
			return formatError("%s bitstream of %dx%d in a frame of %dx%d", strings.TrimSpace(c.id), w, h, r.Dx(), r.Dy())
		}
		f.config.frame = r
		return nil
	}
	return formatError("no VP8 or VP8L chunk")
}
