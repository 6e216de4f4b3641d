package jpegenc_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"github.com/escala-img/escala/internal/codec/jpegenc"
)

func ExampleEncodeGray() {
	g := image.NewGray(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			g.SetGray(x, y, color.Gray{Y: uint8(4 * x)})
		}
	}
	var buf bytes.Buffer
	if err := jpegenc.EncodeGray(&buf, g, 80); err != nil {
		fmt.Println(err)
		return
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Bounds().Size(), img.ColorModel() == color.GrayModel)

	err = jpegenc.EncodeGray(&buf, g, 0)
	fmt.Println(err)
	// Output:
	// (64,48) true
	// jpegenc: quality 0 outside 1..100
}
