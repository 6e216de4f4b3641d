package jpegdec

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestDecodeBlockAsm checks decodeBlockAsm against decodeBlockGo on random
// data decoded with random tables, complete and not, with long codes, stuffed
// bytes, markers and ends of data: each block must give the same
// coefficients, last index, prediction, reader state and error.
func TestDecodeBlockAsm(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(21, 22))
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for trial := 0; trial < 3000; trial++ {
		name := fmt.Sprintf("trial %d", trial)
		dc := randomTable(t, r, all[:16], 2+r.IntN(15), trial%5 == 1, true)
		ac := randomTable(t, r, all, 2+r.IntN(255), trial%5 == 2, false)
		if trial%3 == 0 {
			// Photo-like: few symbols, short codes, an EOB among them.
			syms := []byte{0x00, 0x01, 0x02, 0x03, 0x11, 0x12, 0x21, 0x31, 0xf0, 0x04, 0x05, 0x41, 0x13, 0x22}
			ac = randomTable(t, r, syms, len(syms), false, false)
		}
		data := randomScan(r, 8+r.IntN(600), trial%2 == 0)
		asm, gob := bitReader{data: data}, bitReader{data: data}
		var predAsm, predGo int32
		for b := 0; b < 200; b++ {
			var cAsm, cGo [64]int16
			lAsm, errAsm := asm.decodeBlock(&cAsm, dc, ac, &predAsm)
			lGo, errGo := gob.decodeBlockGo(&cGo, dc, ac, &predGo)
			if errAsm != errGo {
				t.Fatalf("%s, block %d: error %v, Go %v", name, b, errAsm, errGo)
			}
			if errGo != nil {
				break
			}
			if lAsm != lGo || cAsm != cGo || predAsm != predGo {
				t.Fatalf("%s, block %d: last %d, pred %d, coefficients %v\nGo: last %d, pred %d, coefficients %v",
					name, b, lAsm, predAsm, cAsm, lGo, predGo, cGo)
			}
			if asm.pos != gob.pos || asm.bits != gob.bits || asm.n != gob.n || asm.pad != gob.pad || asm.end != gob.end || asm.eof != gob.eof {
				t.Fatalf("%s, block %d: reader %+v, Go %+v", name, b, asm, gob)
			}
			if gob.pad > 1024 {
				break // long past the end of the data
			}
		}
	}
}
