package bmpdec_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/escala-img/escala/internal/codec/bmpdec"
)

func ExampleDecodeGray() {
	for _, name := range []string{"im-info-rle8.bmp", "im-v5-argb4444.bmp", "unsupported-jpeg.bmp"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			log.Fatal(err)
		}
		cfg, err := bmpdec.DecodeConfig(data)
		if errors.Is(err, bmpdec.ErrUnsupported) {
			fmt.Printf("%s: %v\n", name, err)
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %dx%d, %d bits, compression %d, header of %d bytes, %d bytes to decode\n",
			name, cfg.Width, cfg.Height, cfg.BitsPerPixel, cfg.Compression, cfg.HeaderSize, cfg.Memory())

		gray, err := bmpdec.DecodeGray(data, &bmpdec.Options{MaxPixels: 50e6})
		if err != nil {
			log.Fatal(err)
		}
		// The left column of the ARGB4444 file is transparent: white.
		fmt.Println(gray.Bounds().Size(), gray.GrayAt(0, 0).Y, gray.GrayAt(47, 31).Y)
	}
	// Output:
	// im-info-rle8.bmp: 48x32, 8 bits, compression 1, header of 40 bytes, 5632 bytes to decode
	// (48,32) 162 43
	// im-v5-argb4444.bmp: 48x32, 16 bits, compression 3, header of 124 bytes, 5632 bytes to decode
	// (48,32) 255 39
	// unsupported-jpeg.bmp: bmpdec: embedded JPEG is not supported
}
