package tiffdec_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/escala-img/escala/internal/codec/tiffdec"
)

func ExampleDecodeGray() {
	for _, name := range []string{"rgb-planar-jpeg.tif", "cmyk-lzw-msb.tif"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			log.Fatal(err)
		}
		// The header says how large the image is and how much memory its
		// decode holds, before anything is decoded.
		cfg, err := tiffdec.DecodeConfig(data)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %dx%d, compression %d, photometric %d, under 1 MiB %v\n",
			name, cfg.Width, cfg.Height, cfg.Compression, cfg.Photometric, cfg.Memory() < 1<<20)

		img, err := tiffdec.DecodeGray(data, &tiffdec.Options{MaxPixels: 50e6})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(img.Bounds().Size(), img.Stride)
	}
	_, err := tiffdec.DecodeGray([]byte("II+\x00\x08\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00"), nil)
	fmt.Println(errors.Is(err, tiffdec.ErrUnsupported), err)
	// Output:
	// rgb-planar-jpeg.tif: 37x23, compression 7, photometric 2, under 1 MiB false
	// (37,23) 37
	// cmyk-lzw-msb.tif: 37x23, compression 5, photometric 5, under 1 MiB true
	// (37,23) 37
	// true tiffdec: not supported: BigTIFF
}
