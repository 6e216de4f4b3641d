// Package imagefile finds where an image file ends in a byte stream that
// carries no length prefix. It serves package transport, which reads raw
// uploads, and is imported by nothing else.
//
// A legacy client writes the raw bytes of an image file and then waits for a
// reply without closing its side of the connection, so the receiver has to
// decide from the bytes alone when the upload is complete. [Sniff] names the
// format whose signature the first bytes match, and a [Scanner] is fed the
// bytes received so far after every read until it reports the file's length
// or an error. Bytes that cannot start a file of a known format are rejected
// as soon as the first two bytes rule out every signature.
//
// # Where each format ends
//
//   - JPEG: after the EOI marker (FF D9). The marker segments are walked by
//     their lengths, so an EOI inside a segment payload (the thumbnail of an
//     APP1 Exif segment) does not end the file; entropy-coded data after each
//     SOS segment is scanned for the next marker, skipping stuffed bytes
//     (FF 00), fill bytes (FF FF) and restart markers (FF D0 to FF D7).
//   - PNG: after the CRC of the IEND chunk. The first chunk must be IHDR.
//   - GIF: after the trailer byte (3B), found by walking the extension and
//     image blocks and their data sub-blocks.
//   - BMP: at bfSize (offset 2), or, when that is smaller than the pixel data
//     offset, at the pixel data offset plus the size of the pixel array that
//     the DIB header describes. A pixel data offset inside the headers (0
//     means that the pixels follow the palette) needs bfSize. The OS/2 2.x
//     headers of 16 and 64 bytes are read as well as Windows' 12 to 124.
//   - WebP: after the RIFF chunk whose size is at offset 4, padded to an even
//     length.
//   - TIFF: at the largest end of any IFD, any out-of-line entry value and
//     any strip, tile or JPEG thumbnail that the IFDs point to. The walk
//     follows the IFD chain and the SubIFDs, Exif, GPS and Interoperability
//     IFD pointers, at most 64 IFDs of at most 4096 entries each. BigTIFF is
//     not supported. Strips with offsets but no byte counts, which libtiff
//     reads to the end of the file, end where the sender stops: the Scanner
//     asks for more bytes until then.
//
// The Scanner checks only as much structure as it needs to find the end; it
// does not verify checksums or decode pixels, so a complete result does not
// mean that the image will decode.
package imagefile
