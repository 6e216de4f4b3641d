// Package codec is the home of the image codecs behind packages scaler and
// transport: the JPEG decoder and encoder and their shared tables, the
// PNG, BMP, TIFF and WebP gray decoders, and the detection of where an
// image file ends in a raw upload.
// Beside them is what their hot loops share: the detection of vector
// instructions (simd), the pools of large buffers (mem), the choice of
// how many goroutines a call may use (par) and the expansion of samples
// packed several to a byte (packed). They are
// internal because their APIs follow what those packages need, not what a
// user of the module would want; the public API is scaler's Decode,
// DecodeGray and Encode, and transport's Server.
//
// Only scaler, transport, the gateway (package escala, for mem) and the
// codec packages themselves import them. Nothing here imports the
// programs' helpers under internal/tools.
package codec
