// Package webpdec decodes a WebP file to 8-bit gray as Pillow sees it. It
// is the WebP path of package scaler's DecodeGray, and only package scaler
// imports it.
//
// golang.org/x/image decodes the bitstreams: x/image/vp8 the lossy VP8
// frame to limited-range BT.601 YCbCr with chroma at half resolution, and
// x/image/vp8l the lossless one to NRGBA. Taking the gray of that YCbCr
// with image/color's full-range JFIF equations, as scaler.Grayscale would,
// gives the wrong gray. [DecodeGray] instead computes what libwebp (and so
// Pillow, dwebp and browsers) shows: the chroma upsampled by libwebp's
// "fancy" upsampler, its fixed-point BT.601 conversion to RGB, then the
// ITU-R 601-2 luma of Pillow's convert("L").
//
// # Output
//
// The gray of a pixel is (19595·R + 38470·G + 7471·B + 2^15) >> 16 of the
// 8-bit RGB libwebp decodes, each channel first composited onto white,
// (c·a + 255·(255−a) + 127) / 255, when libwebp decodes the image with
// alpha: for a lossy image or an animation when the VP8X chunk's alpha
// flag is set (an ALPH chunk without it is ignored), for a still lossless
// one when the VP8L header's alpha hint is set. Otherwise alpha in the
// bitstream is ignored, as Pillow (which then decodes to RGB) ignores it.
// The tests hold the result to within 2 levels of Pillow's on every pixel
// of files cwebp made; it is exact on all of them.
//
// Lossy, lossy with alpha (ALPH, raw or lossless, with any filter),
// lossless, and extended (VP8X) files are decoded, with their ICC, EXIF
// and XMP chunks ignored. Of an animation, the first frame is decoded, as
// Pillow shows it: on a transparent black canvas, so that the canvas
// around a smaller frame is white when the file has alpha and black when
// it has not.
//
// # Errors
//
// Errors are one line, prefixed "webpdec: ". A file shorter than its RIFF
// header says, or whose bitstream ends before its last pixel, gives an
// error wrapping io.ErrUnexpectedEOF; a malformed container or bitstream a
// format error that says what is wrong.
//
// # Memory
//
// [DecodeConfig] reads the RIFF header, the VP8X chunk and the header of
// the first frame's bitstream without allocating pixels; [DecodeGray]
// checks both the canvas and the frame against [Options.MaxPixels] first,
// and a lossy frame against the size of its first partition, which must
// spend at least a bit a macroblock (refusing a small file that claims a
// huge image, which x/image/vp8 would allocate and decode from zeros).
// What it holds at its peak is [Config.Memory]. A lossless bitstream can
// describe a large image in few bytes, validly; only MaxPixels bounds it.
package webpdec
