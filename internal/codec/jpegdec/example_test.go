package jpegdec_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"log"
	"os"

	"github.com/escala-img/escala/internal/codec/jpegdec"
)

// gray decodes a JPEG file's luma with jpegdec, falling back to image/jpeg
// for the files jpegdec leaves to it.
func gray(data []byte, opts *jpegdec.Options) (*image.Gray, error) {
	g, err := jpegdec.DecodeGray(data, opts)
	if !errors.Is(err, jpegdec.ErrUnsupported) {
		return g, err
	}
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	g = image.NewGray(m.Bounds())
	draw.Draw(g, g.Rect, m, m.Bounds().Min, draw.Src)
	return g, nil
}

func ExampleDecodeGray() {
	for _, name := range []string{"420-prog.jpg", "cmyk-prog.jpg"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			log.Fatal(err)
		}
		cfg, err := jpegdec.DecodeConfig(data)
		fmt.Printf("%s: %dx%d, %d components, progressive %v, unsupported %v\n",
			name, cfg.Width, cfg.Height, cfg.Components, cfg.Progressive, errors.Is(err, jpegdec.ErrUnsupported))

		full, err := gray(data, &jpegdec.Options{MaxPixels: 50e6})
		if err != nil {
			log.Fatal(err)
		}
		half, err := gray(data, &jpegdec.Options{MaxPixels: 50e6, Scale: 2})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(full.Bounds().Size(), half.Bounds().Size())
	}
	// Output:
	// 420-prog.jpg: 67x45, 3 components, progressive true, unsupported false
	// (67,45) (34,23)
	// cmyk-prog.jpg: 67x45, 4 components, progressive true, unsupported false
	// (67,45) (34,23)
}
