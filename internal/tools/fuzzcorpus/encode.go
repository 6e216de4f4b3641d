package fuzzcorpus

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// header is the first line of a corpus file.
const header = "go test fuzz v1\n"

// Encode returns a corpus file that holds args, the values of one input of
// a fuzz target in the order of its parameters, byte for byte as the fuzzer
// writes it: the header line, then one line per value, such as
// []byte("\xff\xd8"), string("a.jpg"), uint16(299) or bool(true).
//
// The types are those a fuzz target may take: []byte, string, bool, the
// integer types and float32 and float64. A byte (uint8) is written as a
// quoted character, an int32 as a quoted rune when it is a valid one, and a
// NaN other than [math.NaN] by its bits, as the fuzzer does. Encode returns
// an error when args is empty or holds a value of another type.
func Encode(args ...any) ([]byte, error) {
	if len(args) == 0 {
		return nil, errors.New("fuzzcorpus: no values to encode")
	}
	b := []byte(header)
	for _, a := range args {
		switch a := a.(type) {
		case []byte:
			b = fmt.Appendf(b, "[]byte(%q)\n", a)
		case string:
			b = fmt.Appendf(b, "string(%q)\n", a)
		case bool, int, int8, int16, int64, uint, uint16, uint32, uint64:
			b = fmt.Appendf(b, "%T(%v)\n", a, a)
		case byte:
			b = fmt.Appendf(b, "byte(%q)\n", a)
		case rune:
			if utf8.ValidRune(a) {
				b = fmt.Appendf(b, "rune(%q)\n", a)
			} else {
				b = fmt.Appendf(b, "int32(%d)\n", a)
			}
		case float32:
			if math.IsNaN(float64(a)) && math.Float32bits(a) != math.Float32bits(float32(math.NaN())) {
				b = fmt.Appendf(b, "math.Float32frombits(0x%x)\n", math.Float32bits(a))
			} else {
				b = fmt.Appendf(b, "float32(%v)\n", a)
			}
		case float64:
			if math.IsNaN(a) && math.Float64bits(a) != math.Float64bits(math.NaN()) {
				b = fmt.Appendf(b, "math.Float64frombits(0x%x)\n", math.Float64bits(a))
			} else {
				b = fmt.Appendf(b, "float64(%v)\n", a)
			}
		default:
			return nil, fmt.Errorf("fuzzcorpus: no encoding for %T", a)
		}
	}
	return b, nil
}
