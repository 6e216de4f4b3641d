package jpegdec

import (
	"image"
	"runtime"
)

// A component is one colour component of the frame (T.81 B.2.2).
type component struct {
	id   uint8
	h, v int   // sampling factors
	tq   uint8 // quantization table
}

// A decoder holds the state of one DecodeGray or DecodeConfig call.
type decoder struct {
	data      []byte
	pos       int // next byte of data to parse
	scale     int
	maxPixels int64

	// From the header.
	sof             byte // the SOF marker, 0 before it
	progressive     bool
	width, height   int
	ncomp           int
	comps           [3]component
	mcusX, mcusY    int // MCUs of an interleaved scan
	jfif, adobe     bool
	adobeTransform  byte
	restartInterval int
	quant           [4][64]uint16 // natural order
	quantSet        [4]bool
	huff            [2][4]huffTable // DC, AC
	huffSet         [2][4]bool
	huffVer         [2][4]int // definitions of each table so far
	snaps           [2][4]snapshot
	checked         bool // the checks at the first SOS are done

	// Luma.
	bwImg, bhImg int         // blocks that hold image pixels
	qY           [64]uint16  // the luma quantization table, latched at its first scan
	img          *image.Gray // nil until the first scan with luma
	lumaScans    int         // scans with luma so far
	scans        []*progScan // progressive: the scans with luma, decoded at EOI
	lumaDC       bool        // progressive: a DC scan of luma came
	coefs        []uint64    // progressive: the luma coefficients, bwImg×bhImg blocks of 16 words (see zigzagBlock)
	nz           []uint64    // progressive: the nonzero AC coefficients of each block, by zigzag index
	procs        int         // goroutines to use
}

// decode parses data and decodes its luma into d.img; with configOnly it
// stops at the first SOS marker.
func (d *decoder) decode(configOnly bool) error {
	data := d.data
	if len(data) < 2 {
		if len(data) == 0 || data[0] == 0xff {
			return truncated("missing SOI marker")
		}
		return formatError("missing SOI marker")
	}
	if data[0] != 0xff || data[1] != 0xd8 {
		return formatError("missing SOI marker")
	}
	d.pos = 2
	for {
		m, err := d.nextMarker()
		if err != nil {
			return err
		}
		switch {
		case m == 0xd9: // EOI
			if configOnly {
				return formatError("missing SOS marker")
			}
			return d.finish()
		case m == 0x01 || 0xd0 <= m && m <= 0xd7: // TEM, RSTn outside a scan
			continue
		case m == 0xd8:
			return formatError("unexpected SOI marker")
		}
		if len(data)-d.pos < 2 {
			return truncated("marker segment")
		}
		n := int(data[d.pos])<<8 | int(data[d.pos+1])
		if n < 2 {
			return formatError("marker %#02x has length %d", m, n)
		}
		if len(data)-d.pos < n {
			return truncated("marker segment")
		}
		p := data[d.pos+2 : d.pos+n]
		d.pos += n
		switch {
		case m == 0xc0 || m == 0xc1 || m == 0xc2:
			err = d.parseSOF(m, p)
		case m == 0xc4:
			err = d.parseDHT(p)
		case m == 0xdb:
			err = d.parseDQT(p)
		case m == 0xdd:
			err = d.parseDRI(p)
		case m == 0xda:
			if d.sof == 0 {
				return formatError("SOS before SOF")
			}
			if !d.checked {
				if err := d.checkColor(); err != nil {
					return err
				}
				if configOnly {
					return nil
				}
				// The blocks, 2 bytes a sample for a progressive file, are
				// bounded too: they exceed the pixels much only for images
				// a few pixels wide or high.
				pixels := int64(d.width) * int64(d.height)
				blocks := int64(d.bwImg) * int64(d.bhImg) * 64
				if d.maxPixels > 0 && (pixels > d.maxPixels || blocks > 4*d.maxPixels) {
					return ErrTooLarge
				}
				d.checked = true
			}
			err = d.scan(p)
		case 0xc3 <= m && m <= 0xcf: // other SOFn, JPG, DAC
			err = ErrUnsupported
		case m == 0xde || m == 0xdf: // DHP, EXP: hierarchical
			err = ErrUnsupported
		case m == 0xe0:
			if len(p) >= 5 && string(p[:5]) == "JFIF\x00" {
				d.jfif = true
			}
		case m == 0xee:
			if len(p) >= 12 && string(p[:5]) == "Adobe" {
				d.adobe, d.adobeTransform = true, p[11]
			}
		case m < 0xc0:
			err = formatError("unknown marker %#02x", m)
		}
		// Everything else (APPn, COM, DNL, JPGn) is skipped.
		if err != nil {
			return err
		}
	}
}

// nextMarker returns the code of the next marker, skipping fill bytes and, as
// libjpeg does, any other bytes before it. d.pos is left after the marker.
func (d *decoder) nextMarker() (byte, error) {
	at, m := nextMarker(d.data, d.pos, false)
	if at < 0 {
		d.pos = len(d.data)
		return 0, truncated("missing EOI marker")
	}
	d.pos = at + 2
	return m, nil
}

// parseSOF parses a frame header (T.81 B.2.2).
func (d *decoder) parseSOF(m byte, p []byte) error {
	if d.sof != 0 {
		return formatError("more than one SOF marker")
	}
	if len(p) < 6 {
		return formatError("short SOF segment")
	}
	d.sof = m
	d.progressive = m == 0xc2
	d.height = int(p[1])<<8 | int(p[2])
	d.width = int(p[3])<<8 | int(p[4])
	d.ncomp = int(p[5])
	if len(p) != 6+3*d.ncomp {
		return formatError("bad SOF length")
	}
	if d.ncomp == 0 || d.width == 0 {
		return formatError("empty image")
	}
	if p[0] != 8 || d.height == 0 || (d.ncomp != 1 && d.ncomp != 3) {
		return ErrUnsupported // 12-bit samples, DNL, 2 or 4 components
	}
	for i := 0; i < d.ncomp; i++ {
		c := &d.comps[i]
		c.id = p[6+3*i]
		c.h, c.v = int(p[7+3*i]>>4), int(p[7+3*i]&15)
		c.tq = p[8+3*i]
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return formatError("bad sampling factors")
		}
		if c.tq > 3 {
			return formatError("bad quantization table selector")
		}
		for j := 0; j < i; j++ {
			if d.comps[j].id == c.id {
				return formatError("repeated component id")
			}
		}
	}
	y := d.comps[0]
	for _, c := range d.comps[1:d.ncomp] {
		if c.h > y.h || c.v > y.v {
			return ErrUnsupported // luma is not the most finely sampled
		}
	}
	if d.ncomp == 1 {
		d.comps[0].h, d.comps[0].v = 1, 1 // a single component has 1-block MCUs
	}
	d.bwImg, d.bhImg = (d.width+7)/8, (d.height+7)/8
	d.mcusX = (d.width + 8*d.comps[0].h - 1) / (8 * d.comps[0].h)
	d.mcusY = (d.height + 8*d.comps[0].v - 1) / (8 * d.comps[0].v)
	return nil
}

// checkColor refuses, at the first SOS, files whose luma is not a component:
// RGB (T.872 Adobe transform 0, or component ids 'R', 'G', 'B' with neither a
// JFIF nor an Adobe segment, as libjpeg guesses) and Adobe transforms other
// than YCbCr.
func (d *decoder) checkColor() error {
	if d.ncomp != 3 {
		return nil
	}
	if d.adobe {
		if d.adobeTransform != 1 {
			return ErrUnsupported
		}
		return nil
	}
	if !d.jfif && d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B' {
		return ErrUnsupported
	}
	return nil
}

// parseDQT parses quantization tables (T.81 B.2.4.1).
func (d *decoder) parseDQT(p []byte) error {
	for len(p) > 0 {
		pq, tq := p[0]>>4, p[0]&15
		if tq > 3 || pq > 1 {
			return formatError("bad DQT table")
		}
		n := 64 << pq
		if len(p) < 1+n {
			return formatError("short DQT segment")
		}
		t := &d.quant[tq]
		for k := 0; k < 64; k++ {
			z := unzig[k]
			if pq == 0 {
				t[z] = uint16(p[1+k])
			} else {
				t[z] = uint16(p[1+2*k])<<8 | uint16(p[2+2*k])
			}
		}
		d.quantSet[tq] = true
		p = p[1+n:]
	}
	return nil
}

// parseDHT parses Huffman tables (T.81 B.2.4.2).
func (d *decoder) parseDHT(p []byte) error {
	for len(p) > 0 {
		if len(p) < 17 {
			return formatError("short DHT segment")
		}
		tc, th := p[0]>>4, p[0]&15
		if tc > 1 || th > 3 {
			return formatError("bad DHT table")
		}
		counts := (*[16]uint8)(p[1:17])
		total := 0
		for _, c := range counts {
			total += int(c)
		}
		if len(p) < 17+total {
			return formatError("short DHT segment")
		}
		if err := d.huff[tc][th].build(counts, p[17:17+total], tc == 0); err != nil {
			d.huffSet[tc][th] = false
			return err
		}
		d.huffSet[tc][th] = true
		d.huffVer[tc][th]++
		p = p[17+total:]
	}
	return nil
}

// parseDRI parses a restart interval (T.81 B.2.4.4).
func (d *decoder) parseDRI(p []byte) error {
	if len(p) != 2 {
		return formatError("bad DRI length")
	}
	d.restartInterval = int(p[0])<<8 | int(p[1])
	return nil
}

// A scanComp is one component of a scan.
type scanComp struct {
	ci     int // index in d.comps
	dc, ac *huffTable
}

// A scanHeader is a parsed SOS segment (T.81 B.2.3).
type scanHeader struct {
	n              int
	comps          [3]scanComp
	ss, se, ah, al int
	luma           bool // comps includes the luma component
}

// scan parses an SOS segment and decodes the entropy-coded data after it,
// leaving d.pos at the marker that ends it.
func (d *decoder) scan(p []byte) error {
	var sc scanHeader
	if len(p) < 1 {
		return formatError("short SOS segment")
	}
	sc.n = int(p[0])
	if sc.n < 1 || sc.n > d.ncomp || len(p) != 4+2*sc.n {
		return formatError("bad SOS segment")
	}
	var td, ta [3]uint8
	for i := 0; i < sc.n; i++ {
		id := p[1+2*i]
		ci := -1
		for j := 0; j < d.ncomp; j++ {
			if d.comps[j].id == id {
				ci = j
			}
		}
		if ci < 0 {
			return formatError("SOS names an unknown component")
		}
		for j := 0; j < i; j++ {
			if sc.comps[j].ci == ci {
				return formatError("SOS names a component twice")
			}
		}
		sc.comps[i].ci = ci
		td[i], ta[i] = p[2+2*i]>>4, p[2+2*i]&15
		if td[i] > 3 || ta[i] > 3 {
			return formatError("bad Huffman table selector")
		}
		if ci == 0 {
			sc.luma = true
		}
	}
	sc.ss, sc.se = int(p[1+2*sc.n]), int(p[2+2*sc.n])
	sc.ah, sc.al = int(p[3+2*sc.n]>>4), int(p[3+2*sc.n]&15)

	if !sc.luma {
		// Only chroma: find the end of the data without decoding it.
		at, _ := nextMarker(d.data, d.pos, true)
		if at < 0 {
			return truncated("scan data")
		}
		d.pos = at
		return nil
	}

	needDC, needAC := true, true
	if d.progressive {
		if sc.ss == 0 {
			if sc.se != 0 {
				return formatError("bad progressive scan: Ss 0, Se %d", sc.se)
			}
			needDC, needAC = sc.ah == 0, false
		} else {
			if sc.ss > sc.se || sc.se > 63 || sc.n != 1 {
				return formatError("bad progressive scan: Ss %d, Se %d, %d components", sc.ss, sc.se, sc.n)
			}
			if !d.lumaDC {
				return formatError("AC scan of luma before its DC scan")
			}
			needDC = false
		}
		if sc.ah != 0 && sc.al != sc.ah-1 || sc.al > 13 {
			return formatError("bad progressive scan: Ah %d, Al %d", sc.ah, sc.al)
		}
	} else if d.lumaScans > 0 {
		return formatError("luma in two sequential scans")
	}
	for i := 0; i < sc.n; i++ {
		if needDC {
			if !d.huffSet[0][td[i]] {
				return formatError("missing Huffman table")
			}
			sc.comps[i].dc = d.table(0, td[i])
		}
		if needAC {
			if !d.huffSet[1][ta[i]] {
				return formatError("missing Huffman table")
			}
			sc.comps[i].ac = d.table(1, ta[i])
		}
	}
	if err := d.allocate(&sc); err != nil {
		return err
	}
	d.lumaScans++
	if !d.progressive {
		return d.sequentialScan(&sc)
	}
	// The scans of a progressive file are decoded together at EOI, so that
	// each can follow the one before it down the image on another goroutine.
	if d.lumaScans > maxLumaScans {
		return formatError("more than %d scans with luma", maxLumaScans)
	}
	if sc.ss == 0 {
		d.lumaDC = true
	}
	d.scans = append(d.scans, &progScan{hdr: sc, pos: d.pos, ri: d.restartInterval})
	at, _ := nextMarker(d.data, d.pos, true)
	if at < 0 {
		return truncated("scan data")
	}
	d.pos = at
	return nil
}

// maxLumaScans bounds the scans with luma of a progressive file. A
// progression that refines every coefficient bit by bit has 896 of them
// (T.81 G.1.1.1); real files have fewer than 20. Every scan costs time for
// every block, so without a bound a few bytes of scan headers could buy
// minutes of work.
const maxLumaScans = 256

// A snapshot is a copy of a Huffman table for progressive scans, which are
// decoded after the tables may have been redefined.
type snapshot struct {
	ver int
	t   *huffTable
}

// table returns the Huffman table of a scan: the decoder's own for a
// sequential file, whose scans are decoded as they come, or a copy of it for
// a progressive file, shared by the scans between two definitions.
func (d *decoder) table(class, id uint8) *huffTable {
	class, id = class&1, id&3
	if !d.progressive {
		return &d.huff[class][id]
	}
	s := &d.snaps[class][id]
	if s.t == nil || s.ver != d.huffVer[class][id] {
		s.t, s.ver = new(huffTable), d.huffVer[class][id]
		*s.t = d.huff[class][id]
	}
	return s.t
}

// geometry returns the MCUs of a scan and the luma blocks in each: a scan of
// one component has one block per MCU and covers only the blocks that hold
// image pixels (T.81 A.2.2); an interleaved one covers whole MCUs (A.2.3).
func (d *decoder) geometry(sc *scanHeader) (mcusX, mcusY, hy, vy int) {
	if sc.n == 1 {
		return d.bwImg, d.bhImg, 1, 1
	}
	return d.mcusX, d.mcusY, d.comps[0].h, d.comps[0].v
}

// allocate checks, at the first scan with luma, that the data can hold the
// image, latches the luma quantization table and allocates the image and,
// for a progressive file, the coefficients.
func (d *decoder) allocate(sc *scanHeader) error {
	if d.img != nil {
		return nil
	}
	tq := d.comps[0].tq
	if !d.quantSet[tq] {
		return formatError("missing quantization table")
	}
	d.qY = d.quant[tq]
	// Every block of the scan takes at least one bit: a shorter file is
	// truncated, and must not make us allocate for its header's size.
	mx, my, hy, vy := d.geometry(sc)
	if blocks := int64(mx*hy) * int64(my*vy); blocks > 8*int64(len(d.data)-d.pos) {
		return truncated("entropy-coded data too short for the image size")
	}
	d.procs = runtime.GOMAXPROCS(0)
	if d.progressive {
		n := d.bwImg * d.bhImg
		d.coefs, d.nz = make([]uint64, n*16), make([]uint64, n)
	}
	s := d.scale
	d.img = image.NewGray(image.Rect(0, 0, (d.width+s-1)/s, (d.height+s-1)/s))
	return nil
}

// finish ends the decoding at EOI.
func (d *decoder) finish() error {
	if d.sof == 0 {
		return formatError("missing SOF marker")
	}
	if d.img == nil {
		return formatError("no scan holds the luma component")
	}
	if d.progressive {
		return d.decodeScans()
	}
	return nil
}
