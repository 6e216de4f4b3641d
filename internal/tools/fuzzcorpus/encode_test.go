package fuzzcorpus

import (
	"math"
	"testing"
)

func TestEncode(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []any
		want string
	}{
		{"bytes", []any{[]byte("\xff\xd8\x00a\"\n")}, `[]byte("\xff\xd8\x00a\"\n")`},
		{"nil-bytes", []any{[]byte(nil)}, `[]byte("")`},
		{"string", []any{"caf\u00e9\xff"}, `string("café\xff")`},
		{"bool", []any{true, false}, "bool(true)\nbool(false)"},
		{"signed", []any{int(-1), int8(-128), int16(-32768), int64(-1 << 63)},
			"int(-1)\nint8(-128)\nint16(-32768)\nint64(-9223372036854775808)"},
		{"unsigned", []any{uint(1), uint16(299), uint32(1 << 31), uint64(1<<64 - 1)},
			"uint(1)\nuint16(299)\nuint32(2147483648)\nuint64(18446744073709551615)"},
		{"byte", []any{byte('a'), byte(0xff), byte(0)}, "byte('a')\nbyte('ÿ')\nbyte('\\x00')"},
		{"rune", []any{'é', rune(-1), rune(0xd800)}, "rune('é')\nint32(-1)\nint32(55296)"},
		{"float64", []any{0.1, math.Copysign(0, -1), math.Inf(-1), math.NaN(), math.Float64frombits(0x7ff8000000000002)},
			"float64(0.1)\nfloat64(-0)\nfloat64(-Inf)\nfloat64(NaN)\nmath.Float64frombits(0x7ff8000000000002)"},
		{"float32", []any{float32(0.1), float32(math.NaN()), math.Float32frombits(0x7fc00001)},
			"float32(0.1)\nfloat32(NaN)\nmath.Float32frombits(0x7fc00001)"},
		{"mixed", []any{[]byte("x"), uint64(3)}, "[]byte(\"x\")\nuint64(3)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Encode(tc.args...)
			if want := header + tc.want + "\n"; err != nil || string(got) != want {
				t.Errorf("Encode(%#v) = %q, %v, want %q, nil", tc.args, got, err, want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []any
	}{
		{"none", nil},
		{"complex", []any{[]byte("x"), complex(1, 2)}},
		{"slice", []any{[]int{1}}},
		{"nil", []any{nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := Encode(tc.args...); err == nil {
				t.Errorf("Encode(%#v) = %q, want an error", tc.args, got)
			}
		})
	}
}
