package imagefile

import "encoding/binary"

// Limits on the TIFF directory structure that the Scanner walks.
const (
	tiffMaxIFDs    = 64   // IFDs in the chain and sub-IFDs together
	tiffMaxEntries = 4096 // entries in one IFD
)

// TIFF tags that point at data the file's length must cover.
const (
	tagStripOffsets       = 273
	tagStripByteCounts    = 279
	tagTileOffsets        = 324
	tagTileByteCounts     = 325
	tagSubIFDs            = 330
	tagJPEGInterchange    = 513
	tagJPEGInterchangeLen = 514
	tagExifIFD            = 34665
	tagGPSIFD             = 34853
	tagInteropIFD         = 40965
)

// TIFF field types that the walk reads.
const (
	tiffShort = 3
	tiffLong  = 4
	tiffIFD   = 13
)

// tiffWalk is the state of a walk over a TIFF file's IFDs. IFDs are walked one
// at a time, each once every byte it needs has arrived, so bytes that arrive
// later never cause an IFD to be walked twice.
type tiffWalk struct {
	order  binary.ByteOrder
	queue  []int64 // offsets of the IFDs still to walk, in order
	seen   []int64 // offsets of every IFD queued so far
	extent int64   // the largest end of anything found so far
	need   int64   // the walk cannot go on before this many bytes arrive
	// open reports an IFD whose strips have offsets but no byte counts,
	// which libtiff reads: where they end is not written anywhere.
	open bool
}

// tiffArray is an IFD entry whose values the walk reads.
type tiffArray struct {
	ok    bool   // the entry is present
	typ   uint16 // tiffShort, tiffLong or tiffIFD
	count int64
	at    int64 // offset of the first value, in the entry or out of line
}

// value returns the array's i'th value; b must hold the whole array.
func (a *tiffArray) value(b []byte, order binary.ByteOrder, i int64) int64 {
	if a.typ == tiffShort {
		return int64(order.Uint16(b[a.at+2*i:]))
	}
	return int64(order.Uint32(b[a.at+4*i:]))
}

// tiffTypeSize returns the size in bytes of one value of a TIFF field type;
// unknown types count as 1.
func tiffTypeSize(typ uint16) int64 {
	switch typ {
	case 3, 8: // SHORT, SSHORT
		return 2
	case 4, 9, 11, 13: // LONG, SLONG, FLOAT, IFD
		return 4
	case 5, 10, 12: // RATIONAL, SRATIONAL, DOUBLE
		return 8
	}
	return 1 // BYTE, ASCII, SBYTE, UNDEFINED and unknown types
}

// scanTIFF walks a TIFF file's IFDs and returns the file's extent once it has
// walked them all.
func (s *Scanner) scanTIFF(b []byte) (int64, error) {
	n := int64(len(b))
	t := s.tiff
	if t == nil {
		if !consistent(b, "tiff") {
			if hasPrefix(b, "II+\x00") || hasPrefix(b, "MM\x00+") {
				if n < 4 {
					return 0, nil
				}
				return 0, s.errorf("BigTIFF is not supported")
			}
			return 0, s.errorf("bad signature")
		}
		if n < 8 {
			return 0, nil
		}
		s.work += 8
		t = &tiffWalk{order: binary.LittleEndian, extent: 8}
		if b[0] == 'M' {
			t.order = binary.BigEndian
		}
		first := int64(t.order.Uint32(b[4:]))
		if first == 0 {
			return 0, s.errorf("no IFD")
		}
		if err := s.queueIFD(t, first); err != nil {
			return 0, err
		}
		s.tiff = t
	}
	if n < t.need {
		return 0, nil
	}
	for len(t.queue) > 0 {
		done, err := s.walkIFD(t, b)
		if err != nil || !done {
			return 0, err
		}
	}
	if t.open {
		// The file ends where its sender stops: more bytes are needed
		// until then.
		return 0, nil
	}
	return t.extent, nil
}

// queueIFD adds the IFD at off to the walk. An offset of 0 ends a chain.
func (s *Scanner) queueIFD(t *tiffWalk, off int64) error {
	if off == 0 {
		return nil
	}
	if off < 8 {
		return s.errorf("IFD offset %d lies inside the header", off)
	}
	for _, o := range t.seen {
		if o == off {
			return s.errorf("IFD loop at offset %d", off)
		}
	}
	if len(t.seen) >= tiffMaxIFDs {
		return s.errorf("more than %d IFDs", tiffMaxIFDs)
	}
	t.seen = append(t.seen, off)
	t.queue = append(t.queue, off)
	return nil
}

// walkIFD walks the IFD at the head of the queue. It reports false with a nil
// error when the IFD or an array it points to has not arrived yet, having set
// t.need; then the next call walks the same IFD again from its start.
func (s *Scanner) walkIFD(t *tiffWalk, b []byte) (bool, error) {
	n := int64(len(b))
	off := t.queue[0]
	if off+2 > n {
		t.need = off + 2
		return false, nil
	}
	count := int64(t.order.Uint16(b[off:]))
	if count > tiffMaxEntries {
		return false, s.errorf("IFD at offset %d has %d entries, more than %d", off, count, tiffMaxEntries)
	}
	end := off + 2 + 12*count + 4
	if end > n {
		t.need = end
		return false, nil
	}
	t.extent = max(t.extent, end)

	// Pass 1: the extent of out-of-line values, and where the arrays that
	// must be read are.
	var (
		strips, stripCounts, tiles, tileCounts, jpeg, jpegLen tiffArray
		pointers                                              [4]tiffArray
	)
	need := end
	for i := range count {
		e := off + 2 + 12*i
		tag := t.order.Uint16(b[e:])
		typ := t.order.Uint16(b[e+2:])
		cnt := int64(t.order.Uint32(b[e+4:]))
		size := tiffTypeSize(typ) * cnt
		at := e + 8
		if size > 4 {
			at = int64(t.order.Uint32(b[e+8:]))
			t.extent = max(t.extent, at+size)
		}
		var a *tiffArray
		pointer := false
		switch tag {
		case tagStripOffsets:
			a = &strips
		case tagStripByteCounts:
			a = &stripCounts
		case tagTileOffsets:
			a = &tiles
		case tagTileByteCounts:
			a = &tileCounts
		case tagJPEGInterchange:
			a = &jpeg
		case tagJPEGInterchangeLen:
			a = &jpegLen
		case tagSubIFDs:
			a, pointer = &pointers[0], true
		case tagExifIFD:
			a, pointer = &pointers[1], true
		case tagGPSIFD:
			a, pointer = &pointers[2], true
		case tagInteropIFD:
			a, pointer = &pointers[3], true
		default:
			continue
		}
		if pointer {
			if typ != tiffLong && typ != tiffIFD {
				continue // a malformed pointer; nothing to follow
			}
			if cnt > tiffMaxIFDs {
				return false, s.errorf("tag %d at offset %d points to %d IFDs, more than %d", tag, e, cnt, tiffMaxIFDs)
			}
		} else if typ != tiffShort && typ != tiffLong {
			return false, s.errorf("tag %d at offset %d has type %d, want SHORT or LONG", tag, e, typ)
		}
		*a = tiffArray{ok: true, typ: typ, count: cnt, at: at}
		need = max(need, at+size)
	}
	s.work += 12 * count
	if need > n {
		t.need = need
		return false, nil
	}

	// Pass 2: the data the arrays point to, and the IFDs to walk next.
	pairs := [...]struct {
		offsets, counts *tiffArray
		names           string
		optional        bool
	}{
		{&strips, &stripCounts, "StripOffsets and StripByteCounts", false},
		{&tiles, &tileCounts, "TileOffsets and TileByteCounts", false},
		{&jpeg, &jpegLen, "JPEGInterchangeFormat and JPEGInterchangeFormatLength", true},
	}
	for _, p := range pairs {
		o, c := p.offsets, p.counts
		if !o.ok && !c.ok {
			continue
		}
		if o.ok != c.ok {
			if !p.optional && o.ok {
				t.open = true // offsets without counts: the end is unknown
			}
			if p.optional || o.ok {
				continue
			}
			return false, s.errorf("IFD at offset %d has only one of %s", off, p.names)
		}
		if o.count != c.count {
			return false, s.errorf("IFD at offset %d has %d and %d values in %s", off, o.count, c.count, p.names)
		}
		for i := range o.count {
			// A zero byte count marks absent data; ignore its offset.
			if size := c.value(b, t.order, i); size != 0 {
				t.extent = max(t.extent, o.value(b, t.order, i)+size)
			}
		}
		s.work += 8 * o.count
	}
	t.queue = t.queue[1:]
	if err := s.queueIFD(t, int64(t.order.Uint32(b[end-4:]))); err != nil {
		return false, err
	}
	for i := range pointers {
		p := &pointers[i]
		for j := range p.count {
			if err := s.queueIFD(t, p.value(b, t.order, j)); err != nil {
				return false, err
			}
		}
		s.work += 4 * p.count
	}
	return true, nil
}
