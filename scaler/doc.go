// Package scaler decodes, grayscales, resizes, orients and encodes
// images. Its functions are pure: any image.Image in, a new image out, and
// a nil *Options means the defaults.
//
//	img, err := scaler.Decode(r, nil)     // header checked against a pixel cap first
//	gray := scaler.Grayscale(img)         // *image.Gray, as Pillow's convert("L")
//	half, err := scaler.Resize(gray, gray.Bounds().Dx()/2, 0, nil) // 0 keeps the aspect
//	err = scaler.Encode(w, half, scaler.JPEG, nil)
//
// # Limits
//
// Decode reads an image's header and refuses it with ErrTooLarge when it
// has more than Options.MaxPixels pixels (DefaultMaxPixels, 50 MP), before
// any pixel memory is allocated. Malformed, truncated and unknown data
// gives an error wrapping ErrInvalid; nothing panics on hostile input.
//
// # Grayscale
//
// Grayscale computes the ITU-R 601-2 luma that Pillow's convert("L") does,
// L = R·299/1000 + G·587/1000 + B·114/1000, in 16-bit fixed point and
// rounded, so its results match Pillow's to within one level. Pixels that
// are not opaque are composited onto white first; Pillow would drop the
// alpha instead.
//
// # Resizing
//
// Resize is a separable resampler: a horizontal pass and a vertical one,
// each with weights computed once per size pair. When it reduces an image,
// the filter's support widens by the reduction factor, as in Pillow and
// libvips, so that every source pixel contributes and fine detail averages
// out instead of turning into moiré. Filters are values: Box, Linear,
// CatmullRom (the default, Pillow's BICUBIC) and Lanczos3. Large images
// are split by rows across GOMAXPROCS goroutines when no other image work
// runs in the process; when some does, the cores are busy already, and a
// call keeps to its own goroutine, which costs less CPU time.
//
// # Orientation
//
// Decode returns pixels as stored. ExifOrientation reads the EXIF
// orientation of a JPEG, PNG, WebP or TIFF file, and Orient applies it.
// Interface implementations apply Options.Orientation after resizing,
// where the image is smallest.
//
// # Scaling as a service
//
// Interface is anything that scales: Local in this process, or a client of
// a remote scale server (package transport). Local bounds the pixels it
// works on at once with a weighted semaphore.
package scaler
