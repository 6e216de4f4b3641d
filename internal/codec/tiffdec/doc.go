// Package tiffdec decodes the first image of a TIFF file straight to 8-bit
// gray. It is the TIFF path of package scaler's DecodeGray, and only
// package scaler imports it.
//
// golang.org/x/image/tiff refuses JPEG-compressed and CMYK files and calls
// a file whose samples lie in separate planes truncated. [DecodeGray]
// instead aims to decode what Pillow 9.4 (through libtiff) decodes, to the
// gray that Pillow gives for it within two levels, and decompresses one
// strip or tile at a time straight into the gray result.
//
// # What is supported
//
// Classic TIFF, little- and big-endian; strips and tiles; samples contiguous
// or in separate planes (PlanarConfiguration 1 and 2); compression none (1),
// CCITT Group 3 one-dimensional without fill bits (3) and Group 4 (4)
// through golang.org/x/image/ccitt, LZW (5) in TIFF 6's bit order and in the
// reversed one of libtiff's first versions, which libtiff still reads, JPEG
// (7), Deflate (8 and 32946, by an inflater of its own that writes straight
// into a strip's buffer) and PackBits (32773); horizontal differencing
// (Predictor 2) of 8- and 16-bit samples; FillOrder 2. Samples of 1, 2, 4, 8
// and 16 bits for gray (WhiteIsZero, BlackIsZero) and palette images, and of
// 8 and 16 bits for RGB and CMYK (separated, InkSet 1) ones, with an extra
// sample of associated or unassociated alpha; 8-bit YCbCr with any
// subsampling of 1, 2 or 4; and 32-bit floating-point gray.
//
// Everything else gives an error wrapping [ErrUnsupported] that names it,
// from the header alone: BigTIFF, old-style JPEG (6), CCITT modified Huffman
// (2), Group 3 two-dimensional or with fill bits (which x/image/ccitt does
// not read), other compressions, CIELab and other photometric
// interpretations, signed samples, 32-bit integer samples, floating-point
// samples but 32-bit gray ones, the floating-point predictor,
// JPEG-compressed CMYK and YCbCr in planes. Only the first image file
// directory is read; the others, and sub-IFDs, are ignored, so the directory
// chain is never followed.
//
// # Gray
//
// The gray of a pixel is the ITU-R 601-2 luma of its 8-bit RGB colour, as
// package scaler computes it, composited onto white when there is alpha:
// each channel c of alpha a becomes (c·a + 255·(255−a) + 127)/255 for
// unassociated alpha and c + 255 − a for associated. 16-bit samples keep their high byte, as Pillow's unpackers do.
// Samples of 1, 2 and 4 bits are scaled to 0..255. A floating-point sample
// is truncated towards zero and clamped to 0..255, as Pillow converts its
// "F" images to "L". WhiteIsZero is inverted at every depth; Pillow does not
// invert 16-bit and floating-point WhiteIsZero gray. A palette colour is the
// high bytes of its ColorMap entries, as Pillow takes them. CMYK is
// converted to RGB as Pillow converts it: each channel is 255·(1−c)·(1−k)
// for inks c and k as fractions of 255, rounded as Pillow's integer
// arithmetic rounds it. Uncompressed YCbCr is converted to RGB as libtiff's
// RGBA interface does, with its YCbCrCoefficients and ReferenceBlackWhite,
// chroma replicated over its block. JPEG-compressed strips and tiles are put
// together with the JPEGTables into whole JPEG streams and decoded with
// package jpegdec: the gray of a YCbCr stream is its luma, an RGB one is
// marked as such with an Adobe segment, and a stream of one plane gives that
// plane's samples.
//
// The TIFF Orientation tag is ignored (Pillow applies it when it loads a
// file); scaler reads it from the file's directory and applies it.
//
// # Hostile input
//
// The directory may hold at most 4096 entries. The image's width × height,
// and a tile's, are checked against [Options.MaxPixels] before anything of
// the image's size is allocated. The number of strip or tile offsets and
// byte counts must be at least what the image's size and RowsPerStrip or
// tile size imply (more are ignored, as libtiff ignores them), and their
// values must lie within the file, which is checked before any is read;
// the decoder keeps no state per strip. Every decompressor writes into the
// buffer of one strip or tile of the size it must have and stops when it
// is full, so that a compression bomb costs no more than its strip's
// size. A strip that decompresses to less than its size is an error, as
// it is for libtiff; a strip or tile, or a tag's values, that reach past
// the end of data give an error wrapping io.ErrUnexpectedEOF.
//
// # Memory
//
// DecodeGray holds the gray image, one decompressed strip or tile of each
// plane, a row of 8-bit samples and the decompressors' state; for JPEG
// compression, also the JPEG stream of a strip or tile and what jpegdec
// needs for it. [Config.Memory] gives the total.
package tiffdec
