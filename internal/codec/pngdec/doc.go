// Package pngdec decodes a PNG file straight to 8-bit gray, fast. It is the
// PNG path of package scaler's DecodeGray, and only package scaler imports
// it.
//
// image/png decodes a file into an image of its colour model, 4 or 8 bytes
// a pixel for colour, which scaler.Grayscale then converts. [DecodeGray]
// instead inflates the IDAT chunks in place, row by row, with an inflater
// of its own that accepts exactly the streams compress/flate accepts, keeps
// only the previous and the current row of samples, reverses each row's
// filter (Paeth without branches, specialised by bytes per pixel) and
// writes its gray straight into the result.
//
// On amd64 with AVX2 the Paeth filter of 3 to 8 bytes a pixel, the
// Adler-32 of the zlib stream and the gray of 8-bit RGB, RGBA and gray
// with alpha run in assembly, which gives the same results as the Go code
// that runs everywhere else.
//
// # Output
//
// The result equals, byte for byte, scaler.Grayscale of the image that
// image/png decodes from the same file: the ITU-R 601-2 luma of the 8-bit
// RGB of each pixel composited onto white, 16-bit samples taken through
// color.Color's RGBA method as Grayscale does, the tRNS colour key of a
// gray or RGB image made white, palette entries through a table. Every
// colour type and bit depth PNG allows is supported, with tRNS, and Adam7
// interlacing.
//
// # What is accepted
//
// DecodeGray accepts exactly the files that image/png accepts, and refuses
// the others:
//
//   - the chunk order image/png requires: IHDR first; PLTE, then tRNS,
//     then the IDAT chunks, then IEND; unknown chunks anywhere;
//   - the CRC of every chunk, ancillary ones too;
//   - the zlib stream's header and Adler-32 checksum, and no compressed
//     data left over after the last row;
//   - image/png's leniencies: whatever follows IEND is ignored; IDAT
//     chunks after the one in which the zlib stream ends are skipped like
//     unknown chunks; palette indexes past the palette are opaque black, and
//     a tRNS chunk longer than the palette adds black entries to it;
//   - bytes after the end of the zlib stream in its last IDAT chunk, which
//     image/png accepts only when they come within the same 4096-byte read
//     of its buffered reader as the stream's last byte (counted from the
//     chunk's start), and DecodeGray likewise.
//
// Errors are one line, prefixed "pngdec: ". Data that ends early, or
// compressed data that ends before the last row, gives an error wrapping
// io.ErrUnexpectedEOF. The one deliberate difference from image/png is in
// which error a file gets, never whether it gets one: DecodeGray checks the
// size first, and refuses a file whose IDAT chunks are too short to inflate
// to its image before it allocates anything, where image/png allocates the
// image and finds out row by row.
//
// # Memory
//
// DecodeGray checks width×height against [Options.MaxPixels] and against
// what the platform can address when it reads IHDR, and the size of the
// filtered image against the most that its compressed data can inflate to
// (258 bytes per bit) before allocating anything of the image's size. It
// then holds the gray image, two rows of samples, for an interlaced image
// a row of gray, and the inflater's window of 128 KiB and its tables:
// [Config.Memory]. Inflaters are pooled between calls.
package pngdec
