// Package jpegenc encodes 8-bit grayscale images as baseline JPEG, several
// times faster than image/jpeg and with the same quantisation and Huffman
// tables, so at the same quality the files are essentially the same. It is
// the gray JPEG path of package scaler's Encode, and is imported by nothing
// else.
//
// # Method
//
// Each 8×8 block goes through an integer scaled DCT (Arai, Agui and
// Nakajima) whose scale factors are folded into per-quality reciprocals, so
// quantisation is a multiplication and a shift. The blocks of a block row
// are transformed a few dozen at a time, then entropy-coded. On amd64 with
// AVX2 the transform runs in assembly, on 8 blocks at once, one in each
// lane; it computes exactly what the pure-Go version, used elsewhere and
// for rows of one or two blocks, computes, so the output is the same bytes
// with or without it. The non-zero coefficients are found through a 64-bit
// mask in zigzag order. Each AC coefficient takes three table lookups (its
// magnitude category, its value bits and the code of its run and category,
// shifted to make room for them), and Huffman codes go through a 64-bit bit
// buffer written eight bytes at a time, with 0xFF stuffing only on the rare
// words that need it. Larger images are cut into bands of whole block rows,
// each its own restart interval, coded in parallel and written in order.
package jpegenc
