// Package bmpdec decodes a BMP file straight to 8-bit gray. It is meant to
// be the BMP path of package scaler's DecodeGray, and only package scaler
// (and the codecs under internal/codec) import it.
//
// golang.org/x/image/bmp refuses RLE and bit field files, and decodes into
// an image of 4 bytes a pixel that scaler.Grayscale then converts.
// [DecodeGray] instead reads every layout that Pillow 9.4 reads, and more,
// and writes the gray of each row of pixels straight into the result: a
// table lookup per pixel for palette indexes and 16-bit pixels, the luma
// of the bytes of 24- and 32-bit ones.
//
// # What is read
//
//   - Info headers of 12 bytes (OS/2 1.x BITMAPCOREHEADER: 16-bit sizes,
//     3-byte palette entries), 16 and 64 bytes (OS/2 2.x), 40
//     (BITMAPINFOHEADER), 52 and 56 (its versions 2 and 3, with bit field
//     masks), 108 (V4) and 124 (V5). Pillow 9.4 does not read the 16-, 52-
//     and 56-byte ones.
//   - 1, 2, 4 and 8 bits a pixel with a palette, 16, 24 and 32 bits; Pillow
//     does not read 2 bits a pixel, golang.org/x/image/bmp does.
//   - No compression (BI_RGB), RLE8, RLE4, bit fields (BI_BITFIELDS,
//     masks in the header or after a 40-byte one) and bit fields with alpha
//     (BI_ALPHABITFIELDS, 4 masks). The masks may be of any contiguous
//     bits: 5-6-5, 5-5-5, 4-4-4-4, 10-10-10-2 and so on. Pillow reads 5-6-5
//     and 5-5-5 16-bit pixels, 8-bit blue, green, red 24-bit ones, and
//     five layouts of bytes of 32-bit ones. Paletted pixels under a V4
//     or V5 header whose masks are the usual blue, green, red and alpha
//     bytes are read as uncompressed, as golang.org/x/image/bmp reads them.
//   - Rows bottom-up or, with a negative height, top-down, for RLE too.
//     An image of no width or height is refused, as Pillow refuses it
//     (golang.org/x/image/bmp reads a 0×0 one, which scaler refuses as
//     empty).
//
// Embedded JPEG and PNG data, OS/2 RLE24 and Huffman 1D compression, and
// the rest of what is listed under [ErrUnsupported], are refused with an
// error that names them.
//
// # Output
//
// The gray of a pixel is the ITU-R 601-2 luma of its 8-bit RGB colour,
// (19595·R + 38470·G + 7471·B + 2^15) >> 16 as Pillow's convert("L") and
// scaler.Grayscale take it, after compositing a pixel with alpha onto
// white: c·a/255 + 255 − a per channel, rounded to nearest. A bit field of
// n bits is scaled to 8 bits as v·255/(2^n − 1), rounded down as Pillow
// scales 5- and 6-bit fields. The tests require the gray of every file of
// testdata, and of random files when Pillow is installed, to equal the one
// Pillow 9.4 gives (see testdata/README.md), and
// that of every file golang.org/x/image/bmp decodes to equal
// scaler.Grayscale of x/image's image, but for the one case where the two
// disagree on alpha below.
//
// The colours and their alpha are Pillow's:
//
//   - Palette entries are blue, green, red and a byte that is ignored
//     (no such byte in an OS/2 1.x file).
//     Indexes past the palette (which may be shorter than 2^bits, or
//     longer, up to 256 entries, or cut short by the end of the file) are
//     gray i for index i, the entries of Pillow's default palette.
//   - Uncompressed 16-bit pixels are 5-5-5 bits; 32-bit ones are blue,
//     green, red and a byte that is not alpha. (golang.org/x/image/bmp
//     takes that byte for alpha under headers larger than 40 bytes; a file
//     whose 4th bytes are all 0 would be white.)
//   - Bit field pixels have alpha when their alpha mask is not 0, except
//     that Pillow ignores the alpha mask of 16-bit 5-6-5 and 5-5-5 pixels
//     and of 8-bit blue, green, red 24-bit ones, and so does DecodeGray.
//     Three zero colour masks mean blue, green and red bytes (5-5-5 bits
//     for 16-bit pixels), and for 32-bit pixels whose alpha mask is also
//     zero, an alpha byte on top, as in Pillow.
//   - Pixels start at the offset the file header gives, or right after
//     the palette when that is 0; when it points right after the info
//     header of a paletted file, 4 bytes per palette entry further on, as
//     Pillow reads it. The last row needs no padding.
//
// Pillow 9.4 misreads some files, and there DecodeGray does what the format
// says instead, as later versions of Pillow or golang.org/x/image/bmp do:
// paletted pixels whose palette Pillow takes for plain gray (entry i gray
// i, or black and white for a palette of 2 entries) when they are not of 8
// bits (1 bit for black and white), which Pillow reads as 8-bit gray
// values (as 1-bit ones) all the same; the delta codes of RLE, of
// which Pillow takes the wrong two bytes; RLE4 absolute runs of an odd
// length, which Pillow reads a byte short; and an RLE stream that ends its
// bitmap before the image is full, which Pillow refuses and DecodeGray
// leaves index 0 in. How RLE is read is told at decodeRLE in rle.go.
//
// # Errors and memory
//
// Errors are one line, prefixed "bmpdec: ". Data that ends before the last
// pixel that is read, or an RLE stream that ends before the image is full
// without an end of bitmap, gives an error wrapping io.ErrUnexpectedEOF;
// what follows the pixels, and a missing padding of the last row, are not
// needed. DecodeGray checks width×height against [Options.MaxPixels] and
// against what the platform can address, and that the data holds every
// uncompressed row, before it allocates anything of the image's size. It
// then holds the gray image and at most 68 KiB besides: [Config.Memory]
// (and, made once for the process at the first file of 32-bit blue, green,
// red and alpha pixels, a 64 KiB table of compositing onto white). An
// RLE stream is decoded in time linear in its length plus the image: every
// code takes 2 bytes or more, and what it writes stops at the image's end.
package bmpdec
