// Package jpegdec decodes a JPEG file straight to gray, fast. It is the
// JPEG path of package scaler's DecodeGray, and is imported by nothing else.
//
// The service turns every image to grayscale. For a gray or YCbCr JPEG the
// grayscale image is just its Y component, so [DecodeGray] entropy-decodes
// the chroma coefficients of interleaved scans only to stay in step with
// the bit stream, never dequantises, transforms, upsamples or
// colour-converts them, and skips scans that hold only chroma without
// Huffman-decoding them at all: their end is found by looking for the next
// marker in the entropy-coded bytes. For progressive files that leaves out
// most of the work, and only the luma coefficients are kept (two bytes per
// pixel).
//
// RGB, CMYK and YCCK files have no luma component: every component is
// decoded, through the same inverse DCT, and the gray of each pixel is
// computed from them as scaler.Grayscale computes it from image/jpeg's
// decode of the file (an *image.RGBA or *image.CMYK): the ITU-R 601-2 luma
// of its 8-bit RGB, which for CMYK is color.CMYKToRGB of the inverted
// Adobe samples, and for YCCK that of color.YCbCrToRGB's RGB taken for
// the inverted C, M and Y. Subsampled components are replicated, as
// image/jpeg does. The colour model is chosen as image/jpeg chooses it: a
// 3-component file is RGB unless it has a JFIF segment, if it has an
// Adobe APP14 segment with transform 0 or component ids 'R', 'G', 'B'; a
// 4-component file is CMYK with Adobe transform 0 and YCCK with any other.
//
// # What is supported
//
// 8-bit files, baseline (SOF0), extended sequential (SOF1) and progressive
// (SOF2) with Huffman coding, and extended sequential (SOF9) and
// progressive (SOF10) with arithmetic coding (T.81 annex D, with DAC
// conditioning tables), with one component (gray), three (YCbCr or RGB)
// or four (Adobe CMYK or YCCK), any sampling factors from 1 to 4, restart
// intervals, tables redefined between scans, and non-interleaved scans.
// In a YCbCr file whose luma is sampled more coarsely than chroma (cjpeg
// -sample 1x1,2x2,2x2), the luma is upsampled to the image as djpeg
// -grayscale does (see upsampleLuma): the gray is libjpeg's.
//
// Everything else is reported from the header, before any pixel work, by
// an error that names it and matches [ErrUnsupported]: lossless and
// hierarchical files, 12-bit samples, 2 components, 4 components without
// an Adobe segment (whose colour model image/jpeg refuses too), a height
// left to a DNL marker, a luma sampling factor that does not divide the
// chroma's in a YCbCr file, and in RGB, CMYK and YCCK files sampling
// factors that do not divide the largest ones, which replication cannot
// upsample. libjpeg refuses all of them as well for a gray decode, and
// image/jpeg decodes none of them.
//
// An arithmetic-coded scan is decoded by the same decoder whether the
// file is sequential or progressive, one binary decision at a time; its
// chroma blocks are decoded only to keep the statistics in step, and
// chroma-only scans are skipped as in Huffman-coded files. Corrupt data
// cannot make it loop: each block takes a bounded number of decisions,
// and past the end of the data the decoder reads zeros, as T.81 says. The
// scans of a progressive arithmetic-coded file must code the bits of each
// coefficient in turn, once (libjpeg only warns of other progressions), so
// that a small file cannot ask for many passes over every block. It is
// written in Go alone, for every platform.
//
// # Accuracy
//
// The inverse DCT is the accurate integer one of the IJG library (the
// Loeffler–Ligtenberg–Moschytz factorisation with 13-bit constants, "islow"),
// so the gray of a gray, YCbCr or RGB file equals libjpeg's grayscale
// decode exactly (for RGB, with replicated upsampling: djpeg -nosmooth;
// for a luma that is upsampled, with libjpeg's default upsampling);
// image/jpeg uses a different integer IDCT and differs from it by at most
// one level in a sample, on a small fraction of them. The transform computes
// in 32-bit integers that wrap around, which the IJG design needs for 8-bit
// samples (only corrupt coefficients overflow), and clamps its samples.
// The gray of a CMYK or YCCK file multiplies two samples, which can double
// such a difference.
// With [Options.Scale] 2, 4 or 8 the image is decoded at reduced size in the
// DCT domain: each output sample is the mean of a 2×2, 4×4 or 8×8 square of
// the full decode, computed exactly for the lowest 4×4, 2×2 or 1×1
// frequencies of each block and ignoring the rest; the gray of a colour
// file is then computed from those samples. A luma that has 1/r of the
// chroma's resolution both ways (r 2 or 4) is, at a Scale that r divides,
// decoded by the inverse DCT of Scale/r, which gives the image with no
// upsampling, as libjpeg does: with Scale 2 and r 2 that is the full
// inverse DCT, and the gray is djpeg -scale 1/2's. Another luma sampled
// more coarsely than chroma is decoded at 1/Scale of its own size and
// upsampled as at full size.
//
// # Assembly
//
// On amd64 with AVX2 (package simd) the loops that take the time run in
// assembly: the inverse DCT, on 8 lanes of int32 and a row of blocks per
// call, reading a progressive file's coefficients in their zigzag form;
// the Huffman decoding of the blocks of sequential scans; and that of the
// AC scans of progressive files. Each has a pure-Go version beside it that
// gives the same result for every input, which runs elsewhere, and also
// for the blocks at the right and bottom edges and for what the assembly
// leaves to Go: refilling the bit reader at a 0xFF byte, and the blocks of
// a refinement scan that reach a marker or the end of the data. The tests
// compare the two on random and overflowing blocks, random bit streams and
// whole files, and so does the fuzz target. Blocks of components that are
// not decoded are skipped, in Go, a few symbols at a time with a table of
// what the next 12 bits hold (skipTable).
//
// # Concurrency and memory
//
// DecodeGray may use up to GOMAXPROCS goroutines for an image of 512×512
// pixels or more, and all of them have ended when it returns; a smaller one,
// or any while another call of the codecs runs (internal/codec/par), is
// decoded on the calling goroutine alone. In a sequential file the
// calling goroutine entropy-decodes rows of MCUs while the others run the
// inverse DCT of the finished ones; when restart markers start rows of
// MCUs, runs of rows are decoded in parallel instead. The scans of a
// progressive file follow each other down the image on different
// goroutines, each decoding a row of MCUs once the scan before it has
// finished that row, and the inverse DCT follows the last scan the same
// way.
//
// A sequential file needs the output image and at most 16 MiB of coefficient
// buffers, a few rows of MCUs, and a colour one also a byte for each sample
// of each component; a progressive file needs the output image and a little
// over two bytes for each sample of each component that is decoded: the
// luma alone, or all components of a colour file. A file whose luma is
// upsampled also holds the luma's samples, a byte each. All are checked
// against [Options.MaxPixels], and those of a Huffman-coded file against
// the amount of entropy-coded data too (every block costs at least one
// bit), before they are allocated. An arithmetic-coded file has no such
// bound: the QM-coder can code a flat image in a few bytes, and drops the
// zero bytes at the end of its data, so only MaxPixels bounds what a small
// file makes DecodeGray allocate and do.
package jpegdec
