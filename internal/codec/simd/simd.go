// Package simd reports which vector instructions the codecs may use. The
// hot loops of the JPEG decoder and encoder and of scaler's resize have
// assembly versions for amd64 with AVX2, beside pure-Go versions that give
// exactly the same results and run everywhere else. It is imported by
// those packages only.
package simd

// AVX2 reports whether the processor and the operating system support
// AVX2 (and so the 256-bit registers it needs). It is false on every
// architecture but amd64. Tests set it to false to run the pure-Go paths;
// nothing else may change it, and not while a codec runs.
var AVX2 = hasAVX2()
