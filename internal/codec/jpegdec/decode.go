package jpegdec

import (
	"fmt"
	"image"

	"github.com/escala-img/escala/internal/codec/jpegtab"
	"github.com/escala-img/escala/internal/codec/mem"
)

// A component is one colour component of the frame (T.81 B.2.2).
type component struct {
	id    uint8
	h, v  int   // sampling factors
	tq    uint8 // quantization table
	plane int   // its index in decoder.planes, or -1 if it is not decoded
}

// A decoder holds the state of one DecodeGray or DecodeConfig call.
type decoder struct {
	data      []byte
	pos       int // next byte of data to parse
	scale     int // of the inverse DCT: 8/scale samples a block side
	outScale  int // of the image: the Scale asked for
	maxPixels int64

	// From the header.
	sof             byte // the SOF marker, 0 before it
	progressive     bool
	arith           bool // arithmetic coding (SOF9, SOF10)
	width, height   int
	ncomp           int
	comps           [4]component
	hmax, vmax      int // the largest sampling factors
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
	dcCond, acCond  [16]uint8 // arithmetic conditioning (DAC): L | U<<4, and Kx
	checked         bool      // the checks at the first SOS are done

	// What is decoded.
	model        colorModel
	planes       []plane     // the components that are decoded
	bwImg, bhImg int         // blocks of 8×8 image pixels
	img          *image.Gray // nil until the first scan that is decoded
	scans        []*progScan // progressive: the scans that are decoded, at EOI
	decoded      int         // scans decoded so far
	converted    bool        // sequential, colour: the samples are converted to gray
	procs        int         // goroutines to use: maxProcs, or 1 for a small image
	maxProcs     int         // what par.Enter allowed
}

// A plane is a component that is decoded, with its samples or
// coefficients: the luma alone for gray and YCbCr files, whose samples are
// the image, and every component for the others.
type plane struct {
	ci     int // the index in decoder.comps
	h, v   int // blocks in an MCU of an interleaved scan
	rx, ry int // the image pixels of each of its samples: hmax/h by vmax/v
	bw, bh int // blocks that hold the component's samples (T.81 A.1.1)

	q      [64]uint16 // the quantization table, latched at its first scan
	seen   bool       // a scan had it
	dc     bool       // progressive: its first DC scan came
	al     [64]uint8  // progressive, arithmetic: 1 + the Al of the last scan of each coefficient, 0 before
	coefs  []uint64   // progressive: bw×bh blocks of 16 words (see zigzagBlock)
	nz     []uint64   // progressive: the nonzero AC coefficients of each block, by zigzag index
	pix    []byte     // sequential, colour: the samples, (8·bw/scale)×(8·bh/scale)
	stride int        // of pix
}

// decode parses data and decodes its gray into d.img; with configOnly it
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
	for i := range d.dcCond {
		d.dcCond[i], d.acCond[i] = defaultDCCond, defaultACCond
	}
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
		case m == 0xc0 || m == 0xc1 || m == 0xc2 || m == 0xc9 || m == 0xca:
			err = d.parseSOF(m, p)
		case m == 0xcc:
			err = d.parseDAC(p)
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
				if err := d.setup(); err != nil {
					return err
				}
				if configOnly {
					return nil
				}
				if err := d.checkSize(); err != nil {
					return err
				}
				d.checked = true
			}
			err = d.scan(p)
		case m == 0xc3 || m == 0xcb: // SOF3, SOF11
			err = unsupported("lossless JPEG is not supported")
		case m == 0xc8:
			err = unsupported("the JPG extension marker is not supported")
		case 0xc5 <= m && m <= 0xcf || m == 0xde || m == 0xdf: // SOF5–7, SOF13–15, DHP, EXP
			err = unsupported("hierarchical JPEG is not supported")
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
	d.progressive = m == 0xc2 || m == 0xca
	d.arith = m == 0xc9 || m == 0xca
	d.height = int(p[1])<<8 | int(p[2])
	d.width = int(p[3])<<8 | int(p[4])
	d.ncomp = int(p[5])
	if len(p) != 6+3*d.ncomp {
		return formatError("bad SOF length")
	}
	if d.ncomp == 0 || d.width == 0 {
		return formatError("empty image")
	}
	switch {
	case p[0] == 12:
		return unsupported("12-bit samples are not supported")
	case p[0] != 8:
		return formatError("bad sample precision %d", p[0])
	case d.height == 0:
		return unsupported("a height defined by a DNL marker is not supported")
	case d.ncomp == 2 || d.ncomp > 4:
		return unsupported(fmt.Sprintf("%d-component JPEG is not supported", d.ncomp))
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
	if d.ncomp == 1 {
		d.comps[0].h, d.comps[0].v = 1, 1 // a single component has 1-block MCUs
	}
	d.hmax, d.vmax = 1, 1
	for _, c := range d.comps[:d.ncomp] {
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	d.bwImg, d.bhImg = (d.width+7)/8, (d.height+7)/8
	d.mcusX = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcusY = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	return nil
}

// setup chooses, at the first SOS, the colour model as image/jpeg does and
// the components to decode, and refuses what this package does not decode:
// 4 components without an Adobe segment, whose colour model image/jpeg
// does not know either, a luma component sampled more coarsely than
// another one by a ratio that is not whole, and, when every component is
// decoded, sampling factors that do not divide the largest ones, so that
// samples cannot be replicated. (libjpeg refuses the last two too.)
func (d *decoder) setup() error {
	if d.outScale == 0 {
		d.outScale = d.scale
	}
	switch {
	case d.ncomp == 4 && !d.adobe:
		return unsupported("a 4-component JPEG without an Adobe APP14 segment is not supported")
	case d.ncomp == 4 && d.adobeTransform == 0:
		d.model = modelCMYK
	case d.ncomp == 4:
		d.model = modelYCCK // as libjpeg and image/jpeg assume
	case d.ncomp == 3 && d.isRGB():
		d.model = modelRGB
	default:
		d.model = modelLuma
	}
	n := d.ncomp
	if d.model == modelLuma {
		if y := d.comps[0]; y.h != d.hmax || y.v != d.vmax {
			if d.hmax%y.h != 0 || d.vmax%y.v != 0 {
				return unsupported("a luma sampling factor that does not divide the chroma's is not supported")
			}
			d.model = modelUpLuma
			if r := d.hmax / y.h; r == d.vmax/y.v && d.scale%r == 0 {
				// At 1/r of the size or less, a luma sample is an image
				// pixel or more: the reduced inverse DCT of the luma at
				// r times the scale makes the image, as in libjpeg.
				d.model = modelLuma
				d.scale /= r
			}
		}
		n = 1
	}
	for i := range d.comps[:d.ncomp] {
		c := &d.comps[i]
		c.plane = -1
		if i >= n {
			continue
		}
		if d.hmax%c.h != 0 || d.vmax%c.v != 0 {
			return unsupported("sampling factors that do not divide the largest ones in an RGB, CMYK or YCCK file are not supported")
		}
		c.plane = i
		cw := (d.width*c.h + d.hmax - 1) / d.hmax // T.81 A.1.1
		ch := (d.height*c.v + d.vmax - 1) / d.vmax
		d.planes = append(d.planes, plane{ci: i, h: c.h, v: c.v, rx: d.hmax / c.h, ry: d.vmax / c.v,
			bw: (cw + 7) / 8, bh: (ch + 7) / 8})
	}
	return nil
}

// isRGB reports whether a 3-component file holds RGB, as image/jpeg decides
// it: not if it has a JFIF segment, else if it has an Adobe segment with
// transform 0 (T.872) or its component ids are 'R', 'G' and 'B'. (libjpeg
// differs only for component ids 'R', 'G', 'B' with an Adobe transform 1,
// which it takes for YCbCr.)
func (d *decoder) isRGB() bool {
	if d.jfif {
		return false
	}
	if d.adobe && d.adobeTransform == 0 {
		return true
	}
	return d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B'
}

// checkSize returns ErrTooLarge, at the first SOS, if the image has more
// pixels than d.maxPixels or a component that is decoded has blocks of
// more than 4×d.maxPixels samples: for a progressive file they take 2 bytes
// a sample, and exceed the pixels much only for images a few pixels wide or
// high.
func (d *decoder) checkSize() error {
	if d.maxPixels == 0 {
		return nil
	}
	if int64(d.width)*int64(d.height) > d.maxPixels {
		return ErrTooLarge
	}
	for _, p := range d.planes {
		if int64(p.bw)*int64(p.bh)*64 > 4*d.maxPixels {
			return ErrTooLarge
		}
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
			z := jpegtab.Zigzag[k]
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

// parseDAC parses arithmetic conditioning tables (T.81 B.2.4.3): for DC
// tables the bounds L and U, L ≤ U, and for AC tables Kx, 1 to 63. Like
// libjpeg it takes table numbers up to 15.
func (d *decoder) parseDAC(p []byte) error {
	if len(p)%2 != 0 {
		return formatError("bad DAC length")
	}
	for ; len(p) > 0; p = p[2:] {
		tc, tb, cs := p[0]>>4, p[0]&15, p[1]
		switch {
		case tc == 0 && cs&15 <= cs>>4:
			d.dcCond[tb] = cs
		case tc == 1 && cs >= 1 && cs <= 63:
			d.acCond[tb] = cs
		default:
			return formatError("bad DAC table")
		}
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
	plane  int // index in d.planes, or -1 if it is not decoded
	dc, ac *huffTable
	td, ta uint8 // the table selectors: Huffman, or arithmetic conditioning
}

// A scanHeader is a parsed SOS segment (T.81 B.2.3).
type scanHeader struct {
	n              int
	comps          [4]scanComp
	ss, se, ah, al int
	decoded        bool // comps includes a component that is decoded
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
	var td, ta [4]uint8
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
		sc.comps[i].plane = d.comps[ci].plane
		td[i], ta[i] = p[2+2*i]>>4, p[2+2*i]&15
		sc.comps[i].td, sc.comps[i].ta = td[i], ta[i]
		if (td[i] > 3 || ta[i] > 3) && !d.arith {
			// Arithmetic conditioning tables are 0 to 3 too, but libjpeg
			// takes any up to 15.
			return formatError("bad Huffman table selector")
		}
		if sc.comps[i].plane >= 0 {
			sc.decoded = true
		}
	}
	sc.ss, sc.se = int(p[1+2*sc.n]), int(p[2+2*sc.n])
	sc.ah, sc.al = int(p[3+2*sc.n]>>4), int(p[3+2*sc.n]&15)

	if !sc.decoded {
		// Only chroma of a YCbCr file: find the end of the data without
		// decoding it.
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
			if !d.planes[sc.comps[0].plane].dc {
				return formatError("AC scan of a component before its DC scan")
			}
			needDC = false
		}
		if sc.ah != 0 && sc.al != sc.ah-1 || sc.al > 13 {
			return formatError("bad progressive scan: Ah %d, Al %d", sc.ah, sc.al)
		}
		if d.arith {
			if err := d.checkProgression(&sc); err != nil {
				return err
			}
		}
	} else {
		for _, c := range sc.comps[:sc.n] {
			if c.plane >= 0 && d.planes[c.plane].seen {
				return formatError("a component in two sequential scans")
			}
		}
	}
	for i := 0; i < sc.n && !d.arith; i++ {
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
	d.decoded++
	if !d.progressive {
		return d.sequentialScan(&sc)
	}
	// The scans of a progressive file are decoded together at EOI, so that
	// each can follow the one before it down the image on another goroutine.
	if d.decoded > maxScans {
		return formatError("more than %d scans to decode", maxScans)
	}
	if sc.ss == 0 {
		for _, c := range sc.comps[:sc.n] {
			if c.plane >= 0 {
				d.planes[c.plane].dc = true
			}
		}
	}
	ps := &progScan{hdr: sc, pos: d.pos, ri: d.restartInterval}
	if d.arith {
		// The conditioning tables in force now.
		ps.ar = d.newArithScan(&sc, d.pos)
	}
	d.scans = append(d.scans, ps)
	at, _ := nextMarker(d.data, d.pos, true)
	if at < 0 {
		return truncated("scan data")
	}
	d.pos = at
	return nil
}

// checkProgression checks, in an arithmetic-coded progressive file, that
// the scan codes the bits of each coefficient of its decoded components
// that come next: a first scan, of a coefficient that no scan had, or a
// refinement whose Ah is the last scan's Al (T.81 G.1.1.1.1; libjpeg only
// warns). Then a block is decoded at most 14 times for each coefficient,
// each time with a bounded number of decisions, however the few bytes
// that an arithmetic-coded scan can take are made: without the check,
// maxScans scans that each decode every coefficient of every block could
// be had for little more than their headers.
func (d *decoder) checkProgression(sc *scanHeader) error {
	for _, c := range sc.comps[:sc.n] {
		if c.plane < 0 {
			continue
		}
		p := &d.planes[c.plane]
		for k := sc.ss; k <= sc.se; k++ {
			if sc.ah == 0 && p.al[k&63] != 0 || sc.ah != 0 && int(p.al[k&63]) != sc.ah+1 {
				return formatError("bad progression: coefficient %d of component %d again at Ah %d, Al %d", k, c.ci, sc.ah, sc.al)
			}
			p.al[k&63] = uint8(sc.al + 1)
		}
	}
	return nil
}

// maxScans bounds the scans of a progressive file that are decoded. A
// progression that refines every coefficient bit by bit has 896 of them for
// each component (T.81 G.1.1.1); real files have fewer than 20 in all.
// Every scan costs time for every block, so without a bound a few bytes of
// scan headers could buy minutes of work.
const maxScans = 256

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

// geometry returns the MCUs of a scan and the rows of image blocks in each
// MCU row: a scan of one component has one block per MCU and covers only
// the blocks that hold the component's samples (T.81 A.2.2); an
// interleaved one covers whole MCUs (A.2.3). The scan of a component that
// is not decoded has no geometry.
func (d *decoder) geometry(sc *scanHeader) (mcusX, mcusY, rowsPer int) {
	if sc.n == 1 {
		p := &d.planes[sc.comps[0].plane]
		return p.bw, p.bh, p.ry
	}
	return d.mcusX, d.mcusY, d.vmax
}

// allocate checks, at the first scan of each component that is decoded,
// that the data can hold its blocks, latches its quantization table and
// allocates its samples (sequential colour files) or coefficients
// (progressive files), and at the first such scan the image.
func (d *decoder) allocate(sc *scanHeader) error {
	var fresh []int
	blocks := int64(0) // in the scan
	for _, c := range sc.comps[:sc.n] {
		if c.plane >= 0 && !d.planes[c.plane].seen {
			fresh = append(fresh, c.plane)
		}
		if sc.n == 1 {
			blocks = int64(d.planes[c.plane].bw) * int64(d.planes[c.plane].bh)
		} else {
			blocks += int64(d.comps[c.ci].h*d.comps[c.ci].v) * int64(d.mcusX) * int64(d.mcusY)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	for _, i := range fresh {
		if !d.quantSet[d.comps[d.planes[i].ci].tq] {
			return formatError("missing quantization table")
		}
	}
	// Every block of a Huffman-coded scan takes at least one bit: a shorter
	// file is truncated, and must not make us allocate for its header's
	// size. An arithmetic-coded one can take much less: the QM-coder codes
	// up to 2^15 likely decisions in a bit, and the zero bytes at the end
	// of a scan are left out (see arithDecoder), so only MaxPixels bounds
	// it.
	if blocks > 8*int64(len(d.data)-d.pos) && !d.arith {
		return truncated("entropy-coded data too short for the image size")
	}
	s := d.scale
	for _, i := range fresh {
		p := &d.planes[i]
		p.q = d.quant[d.comps[p.ci].tq]
		p.seen = true
		n := p.bw * p.bh
		if d.progressive {
			// From the pool, as they are given back when the decoding
			// ends (see release); they must start at zero.
			p.coefs, p.nz = mem.Words.Get(n*16), mem.Words.Get(n)
			clear(p.coefs)
			clear(p.nz)
		}
		if d.model == modelUpLuma || d.model != modelLuma && !d.progressive {
			p.stride = p.bw * 8 / s
			p.pix = make([]byte, n*64/(s*s))
		}
	}
	if d.img == nil {
		d.procs = max(1, d.maxProcs)
		if int64(d.width)*int64(d.height) < smallImage {
			d.procs = 1
		}
		os := d.outScale
		d.img = newImage((d.width+os-1)/os, (d.height+os-1)/os)
	}
	return nil
}

// newImage returns the w×h image to decode into. Every pixel is written
// by the inverse DCT of some block, so the pool's memory serves, whatever
// it holds. Tests replace it to check that.
var newImage = func(w, h int) *image.Gray {
	return &image.Gray{Pix: mem.Bytes.Get(w * h), Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// release gives the decoder's coefficients back to the pool, and the
// image too unless keepImage: after a successful decode the image is the
// caller's.
func (d *decoder) release(keepImage bool) {
	for i := range d.planes {
		p := &d.planes[i]
		mem.Words.Put(p.coefs)
		mem.Words.Put(p.nz)
		p.coefs, p.nz = nil, nil
	}
	if d.img != nil && !keepImage {
		mem.Bytes.Put(d.img.Pix)
		d.img = nil
	}
}

// smallImage is the number of pixels under which an image is decoded on
// the calling goroutine alone. With every core busy, as in a service
// decoding many photos at once, handing work between goroutines cost
// 15–30% more CPU than one goroutine for images of 350×418 to 512×512
// pixels, and a few percent from 724×724 up, while on an idle machine two
// cores cut the time of images from 256×256 up by a quarter to a third
// (BenchmarkSmallImages). Tests lower it to take the parallel paths on
// small images.
var smallImage int64 = 512 * 512

// finish ends the decoding at EOI.
func (d *decoder) finish() error {
	if d.sof == 0 {
		return formatError("missing SOF marker")
	}
	for _, p := range d.planes {
		if !p.seen {
			return formatError("no scan holds component %d", p.ci)
		}
	}
	if d.img == nil {
		return formatError("no scan holds a component that is decoded")
	}
	if d.progressive {
		return d.decodeScans()
	}
	switch {
	case d.model == modelUpLuma:
		d.upsampleLuma()
	case d.model != modelLuma && !d.converted:
		d.convertAll()
	}
	return nil
}
