// Package transport carries images over TCP between the programs of
// escala: a [Server] that answers requests with a [Handler], shaped like
// net/http, and a [Client] that sends them over pooled connections.
//
// A Client is also a [scaler.Interface], so a gateway scales through a
// remote scale server exactly as it would in process; a [Balancer] spreads
// that work over several servers, sending each call to the one with the
// fewest calls in flight among those that are up, and probing them with
// [Client.Ping] so that a server that dies is skipped, and one that
// returns is used again, within a second. [ScaleHandler] is the Handler of a scale
// server.
//
// A Server speaks three protocols on the same port and tells them apart by
// the first four bytes of a connection (see Detection): its own native
// protocol, and the two of the original Python system, so that its gateway,
// scale server and client keep working against these programs. A Client
// speaks the native protocol, or the original framing when told to, and
// finds out by itself when its server is an original scale server, which
// speaks nothing else (see [Client.Do]).
//
// # Wire format
//
// All integers are big-endian and unsigned unless said otherwise.
//
// Native protocol. Both directions are a sequence of frames. A frame is a
// 16-byte header, M bytes of metadata and B bytes of body:
//
//	offset  size  field
//	0       4     magic "ESCL" (0x45 0x53 0x43 0x4C)
//	4       1     version, 1
//	5       1     type: 1 request, 2 result, 3 error
//	6       2     reserved, 0
//	8       4     M, metadata length, at most 4096
//	12      4     B, body length; M+B is at most the receiver's MaxFrameSize
//	16      M     metadata, laid out by type as below
//	16+M    B     body
//
// The receiver checks the header, including both lengths against its
// limits, before it allocates anything for the rest, and then allocates
// as the bytes arrive, not all that the lengths announce at once.
//
// A request (type 1) has 32 bytes of metadata, 33+L with a request id,
// or 34+L+T with an upload token; its body is the image:
//
//	0   8  factor, an IEEE 754 binary64; 0: the server's default
//	8   4  width of the result; 0: from the height or the factor
//	12  4  height of the result; 0: from the width or the factor
//	16  1  filter: 0 the server's default, 1 box, 2 linear, 3 catmullrom, 4 lanczos3
//	17  1  JPEG quality, 1 to 100; 0: the server's default
//	18  1  result format: 0 the server's default, 1 JPEG, 2 PNG, 16 raw gray
//	19  1  EXIF orientation to apply, 1 to 8; 0: read it from the body
//	20  1  body format: 0 an image file (JPEG, PNG, GIF, BMP, TIFF or
//	       WebP, told by its bytes), 16 raw gray
//	21  3  reserved, 0
//	24  4  width of a raw gray body, else 0
//	28  4  height of a raw gray body, else 0
//	32    1  L, length of the request id, 0 to 64 (only if an id or a
//	         token is sent; 0 only before a token)
//	33    L  the request id: printable ASCII, no spaces (see [Request.ID])
//	33+L  1  T, length of the upload token, 1 to 128 (only if it is sent)
//	34+L  T  the upload token: printable ASCII, no spaces (see [Access])
//
// The request id names the request in the logs of every server it crosses:
// a gateway sends its own to the scale server. A server that receives
// none makes one. The upload token is for a server that serves only the
// holders of tokens; it travels in the clear unless the connection is
// TLS. A server checks it, and the limits of its client, once the
// metadata has arrived and before it reads the body; a refused request
// gets its error frame, and the connection is closed, as its body was
// not read.
//
// A raw gray image is width×height bytes of 8-bit luma, row after row, with
// no padding. The size fields follow [scaler.Options]: width and height
// give the result exactly, one of them alone keeps the aspect ratio, and
// otherwise the result is floor(w·factor)×floor(h·factor), at least 1×1.
//
// A result (type 2) has at least 12 bytes of metadata; its body is the
// result image, in the format the request asked for, or empty:
//
//	0   4  width of the result
//	4   4  height of the result
//	8   1  body format: 0 none, 1 JPEG, 2 PNG, 16 raw gray
//	9   3  reserved, 0
//	12  -  location: the rest of the metadata, a UTF-8 URL where the
//	       result is stored, or nothing
//
// An error (type 3) has at least 2 bytes of metadata and no body:
//
//	0   2  code: 1 bad request, 2 invalid image, 3 too large, 4 busy,
//	       5 unavailable, 6 timeout, 7 internal, 8 unauthorized
//	2   -  message: the rest of the metadata, one line of UTF-8
//
// A client sends a request and reads its reply, a result or an error,
// before it sends the next one on the same connection; connections are
// kept open between requests. After an error about the frame itself (bad
// magic, unknown version or type, lengths over the limits) the server
// closes the connection, as it cannot find the next frame; after an error
// about the request or the image, the connection stays usable. A server
// that receives a version it does not speak answers with a version-1 error
// frame and closes.
//
// Framed protocol, as the original gateway spoke to the original scale
// server: a request is a 4-byte length L followed by L bytes of an image
// file; the reply is framed the same way and holds the scaled image (or,
// from a gateway, the link). The server's default factor applies. The
// original has no error message: on an error the server closes the
// connection without a reply. A connection may carry several requests.
//
// Raw protocol, as the original client spoke to the original gateway: the
// client writes the bytes of one image file, with no length, and waits
// for the reply without closing its side. The server knows the upload is
// complete when the bytes form a whole file: a JPEG up to the EOI marker
// that ends it (found by walking the marker segments, so that an EXIF
// thumbnail's own EOI does not count), a PNG through IEND, a GIF through
// its trailer, or the size that a BMP, TIFF or WebP header gives; or when
// the client half-closes. An upload that stalls for the Server's
// StallTimeout, or grows past MaxFrameSize, gets an error. The reply is
// one line and the server then closes the connection:
//
//	Imagen escalada disponible en: <link>\n
//	Error: <message>\n
//
// (or, from a server whose handler returns an image rather than a link,
// the bytes of the image file).
//
// # Detection
//
// The server reads the first four bytes of a connection:
//
//   - "ESCL" starts the native protocol;
//   - the start of an image file signature starts the raw protocol: JPEG
//     FF D8 FF, PNG 89 50 4E 47, GIF "GIF8", BMP "BM", TIFF "II*\0" or
//     "MM\0*", WebP "RIFF";
//   - anything else is a framed length: from 1 to MaxFrameSize it starts
//     the framed protocol.
//
// This is unambiguous because each magic and signature above, read as a
// length, is at least 0x42000000 (1107296256), and MaxFrameSize is capped
// at 1 GiB (1073741824).
//
// The server does not wait for four bytes when fewer already rule out
// all three: after each read it checks whether the bytes received so far
// are the start of the magic, of a signature, or of a framed length in
// range. As the length is big-endian, its first bytes are its high ones:
// k bytes can start a length from 1 to MaxFrameSize only if, followed by
// zeros, they are at most MaxFrameSize. With the default of 64 MiB
// (0x04000000), a framed request starts with 00 to 03, or with 04 00 00 00
// exactly. So "a", "ab" or "abc" (none of which starts the magic, a
// signature or a length) is refused at once, as are "EX" and "GIX",
// while "E", "ES", "GIF", FF D8, 89 "P" and 00 00 wait for more.
// A refused connection gets the error line
//
//	Error: scaler: invalid image: not an image: the upload starts with bytes that no supported format or protocol starts with
//
// and is closed. A peer that half-closes before four bytes gets an error
// line that says how many it sent, and one that stalls for the Server's
// StallTimeout gets one that says it stalled after how many; these go to
// a peer of any protocol, as before four bytes the protocol is not known.
//
// TLS. With Server.TLSConfig set, a connection whose first byte is 0x16,
// that of a TLS handshake record (the ClientHello), is served over TLS:
// after the handshake, the first bytes of the decrypted stream are told
// apart as above. No magic or signature starts with 0x16; a framed length
// does only from 0x16000000 to 0x16FFFFFF bytes (352 to 368 MiB), which a
// server with TLS therefore cannot take. With RequireTLS, a plaintext peer is answered "this server
// accepts only TLS connections: connect with TLS" (an error frame for a
// native one, a line otherwise) and closed.
//
// # Access
//
// A Server with an [Access] serves only requests that carry a valid upload
// token, when it has Tokens, and serves each client only as many requests
// as its Rate and Concurrency allow: a client is its address, and apart
// from it, its token. A native request carries its token in its
// metadata (see Wire format); the raw and framed protocols of the
// original system cannot, so while tokens are needed they are refused,
// unless Access.AllowOriginal. A request refused for its token gets
// the unauthorized code, or the line
//
//	Error: transport: unauthorized: the upload token is not accepted
//
// and one over its client's limits gets the busy code, or a line that
// says which limit and when to try again, at once, before its body is
// read. The framed protocol has no error reply: its connection is closed.
//
// No reply, error line or error frame carries the text of a socket error:
// a peer is told what went wrong ("stalled", "connection refused") but not
// the addresses or system calls involved, which only the server's log
// gives.

package transport
