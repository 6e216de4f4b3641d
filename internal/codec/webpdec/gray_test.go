package webpdec

import (
	"image"
	"testing"
)

// TestRGB checks libwebp's conversion at values worked out by hand from
// its formulas: limited-range black and white, and a saturated red.
func TestRGB(t *testing.T) {
	for _, tc := range []struct {
		y, u, v int32
		r, g, b int32
	}{
		// yy = 16·19077>>8 = 1192; 128·26149>>8 = 13074, 128·6419>>8 = 3209,
		// 128·13320>>8 = 6660, 128·33050>>8 = 16525: R = 32, G = 31, B = 32.
		{16, 128, 128, 0, 0, 0},
		// yy = 17512: R = 16352 >> 6 = 255, G = 16351 >> 6 = 255, B = 255.
		{235, 128, 128, 255, 255, 255},
		// yy = 81·19077>>8 = 6036; R = 6036 + 240·26149>>8 − 14234 =
		// 6036 + 24514 − 14234 = 16316 → 254; G = 6036 − 90·6419>>8 −
		// 240·13320>>8 + 8708 = 6036 − 2256 − 12487 + 8708 = 1 → 0;
		// B = 6036 + 90·33050>>8 − 17685 = 6036 + 11619 − 17685 = −30 → 0.
		{81, 90, 240, 254, 0, 0},
		// yy = 19002; R = 19002 + 26046 − 14234 = 30814, past 255;
		// G = 19002 − 0 − 13267 + 8708 = 14443 → 225; B = 19002 − 17685 =
		// 1317 → 20.
		{255, 0, 255, 255, 225, 20},
	} {
		r, g, b := rgb(tc.y, tc.u, tc.v)
		if r != tc.r || g != tc.g || b != tc.b {
			t.Errorf("rgb(%d, %d, %d) = %d, %d, %d; want %d, %d, %d", tc.y, tc.u, tc.v, r, g, b, tc.r, tc.g, tc.b)
		}
	}
}

// TestFancy2x2 checks the gray of a 2×2 frame, whose single chroma
// sample every pixel takes as it is: the rows and columns are all first or
// last, and (3·c + c + 2) >> 2 = c.
func TestFancy2x2(t *testing.T) {
	m := image.NewYCbCr(image.Rect(0, 0, 2, 2), image.YCbCrSubsampleRatio420)
	copy(m.Y, []byte{16, 235, 81, 128})
	m.Cb[0], m.Cr[0] = 90, 240
	dst := make([]byte, 4)
	yuvGray(dst, 2, m, []byte{255, 255, 0, 128})
	// (16, 90, 240): R = (1192+24514−14234)>>6 = 179, G = (1192−2256−12487
	// +8708) < 0 → 0, B = (1192+11619−17685) < 0 → 0: luma = (19595·179 +
	// 2^15)>>16 = 54.
	// (235, 90, 240): R = 27792 → 255, G = (17512−2256−12487+8708)>>6 =
	// 179, B = (17512+11619−17685)>>6 = 178: luma (19595·255 + 38470·179 +
	// 7471·178 + 2^15)>>16 = 202.
	// (81, ...) is transparent: white. (128, ...) at alpha 128: yy = 9538,
	// R = 19818 → 255, G = 3503>>6 = 54, B = 3472>>6 = 54; over white
	// (c·128 + 255·127 + 127)/255: 255, 154, 154; luma 184.
	want := []byte{54, 202, 255, 184}
	for i := range want {
		if dst[i] != want[i] {
			t.Errorf("gray of pixel %d = %d, want %d (all %v)", i, dst[i], want[i], dst)
			break
		}
	}
}
