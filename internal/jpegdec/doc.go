// Package jpegdec decodes only the luma of a JPEG file, fast.
//
// The service turns every image to grayscale, and for a JPEG the grayscale
// image is just its Y component. [DecodeGray] therefore entropy-decodes the
// chroma coefficients of interleaved scans only to stay in step with the bit
// stream, never dequantises, transforms, upsamples or colour-converts them,
// and skips scans that hold only chroma without Huffman-decoding them at all:
// their end is found by looking for the next marker in the entropy-coded
// bytes. For progressive files that leaves out most of the work, and only
// the luma coefficients are kept (two bytes per pixel).
//
// # What is supported
//
// Baseline (SOF0) and extended sequential (SOF1) Huffman-coded 8-bit files
// and progressive (SOF2) ones, with one component (gray) or three (YCbCr,
// including Adobe APP14 transform 1), any sampling factors from 1 to 4 in
// which luma has the largest, restart intervals, tables redefined between
// scans, and non-interleaved scans. Everything else is reported as
// [ErrUnsupported] from the header, before any pixel work, so that the
// caller can fall back to image/jpeg: arithmetic coding, lossless and
// hierarchical files, 12-bit samples, 2 or 4 components (CMYK, YCCK), RGB
// files (Adobe transform 0, or component ids 'R', 'G', 'B' with neither a
// JFIF nor an Adobe segment; luma would have to be computed from all three
// planes), a height left to a DNL marker, and chroma sampled more finely
// than luma.
//
// # Accuracy
//
// The inverse DCT is the accurate integer one of the IJG library (the
// Loeffler–Ligtenberg–Moschytz factorisation with 13-bit constants, "islow"),
// so the result equals the luma plane of libjpeg's default decode exactly;
// image/jpeg uses a different integer IDCT and differs from it by at most one
// level on a small fraction of pixels. With [Options.Scale] 2, 4 or 8 the
// image is decoded at reduced size in the DCT domain: each output pixel is the
// mean of a 2×2, 4×4 or 8×8 square of the full decode, computed exactly for the
// lowest 4×4, 2×2 or 1×1 frequencies of each block and ignoring the rest.
//
// # Concurrency and memory
//
// DecodeGray may use up to GOMAXPROCS goroutines, and all of them have ended
// when it returns. In a sequential file the calling goroutine entropy-decodes
// rows of MCUs while the others run the inverse DCT of the finished ones;
// when restart markers start rows of MCUs, runs of rows are decoded in
// parallel instead. The scans of a progressive file follow each other down
// the image on different goroutines, each decoding a row of MCUs once the
// scan before it has finished that row, and the inverse DCT follows the last
// scan the same way.
//
// A sequential file needs the output image and at most 16 MiB of coefficient
// buffers, a few rows of MCUs; a progressive file needs the output image and
// a little over two bytes per luma pixel. Both are checked against
// [Options.MaxPixels] and against the amount of entropy-coded data (every
// block costs at least one bit) before they are allocated.
package jpegdec
