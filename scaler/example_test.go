package scaler_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log"

	"github.com/escala-img/escala/scaler"
)

func ExampleResize() {
	// A 640×480 photo, encoded as a JPEG.
	photo := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range photo.Pix {
		photo.Pix[i] = uint8(i % 253)
	}
	var file bytes.Buffer
	if err := jpeg.Encode(&file, photo, nil); err != nil {
		log.Fatal(err)
	}

	img, err := scaler.Decode(&file, nil)
	if err != nil {
		log.Fatal(err)
	}
	gray := scaler.Grayscale(img)
	half, err := scaler.Resize(gray, gray.Bounds().Dx()/2, 0, nil)
	if err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	if err := scaler.Encode(&out, half, scaler.JPEG, &scaler.Options{Quality: 85}); err != nil {
		log.Fatal(err)
	}
	cfg, format, err := scaler.DecodeConfig(&out, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(format, cfg.Width, cfg.Height, cfg.ColorModel == color.GrayModel)
	// Output: jpeg 320 240 true
}

func ExampleGrayscale() {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	img.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255}) // red
	img.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 128})   // half-transparent black, over white
	img.SetNRGBA(2, 0, color.NRGBA{0, 0, 0, 0})     // transparent
	fmt.Println(scaler.Grayscale(img).Pix)
	// Output: [76 127 255]
}

func ExampleDecode_tooLarge() {
	// The header of a PNG that claims to be 100000×100000.
	header := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x00\x00\x00\x00\x8d\x39\x54\x14")
	_, err := scaler.Decode(bytes.NewReader(header), nil)
	fmt.Println(err)
	// Output: scaler: image too large: 100000x100000 is over the limit of 50000000 pixels
}
