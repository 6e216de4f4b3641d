package imagefile

// signatures lists the file signature of every known format, in the order
// that Sniff tries them. A '?' in sig matches any byte.
var signatures = [...]struct{ format, sig string }{
	{"jpeg", "\xff\xd8\xff"},
	{"png", "\x89PNG\r\n\x1a\n"},
	{"gif", "GIF87a"},
	{"gif", "GIF89a"},
	{"bmp", "BM"},
	{"tiff", "II*\x00"},
	{"tiff", "MM\x00*"},
	{"webp", "RIFF????WEBP"},
}

// Sniff reports the format ("jpeg", "png", "gif", "bmp", "tiff" or "webp")
// whose file signature is consistent with b, or "" if none is.
//
// b may be shorter than the signature: only the first min(len(b), len(sig))
// bytes are compared, so a prefix of a signature is enough, but Sniff needs
// at least 2 bytes to say anything and returns "" for a shorter b. The
// signatures are FF D8 FF (JPEG), 89 "PNG" 0D 0A 1A 0A (PNG), "GIF87a" or
// "GIF89a" (GIF), "BM" (BMP), "II*" 00 or "MM" 00 "*" (TIFF) and "RIFF",
// four bytes of any value, "WEBP" (WebP).
func Sniff(b []byte) string {
	if len(b) < 2 {
		return ""
	}
	return match(b)
}

// match is Sniff without the minimum length.
func match(b []byte) string {
	for _, s := range signatures {
		if hasPrefix(b, s.sig) {
			return s.format
		}
	}
	return ""
}

// consistent reports whether b may be the start of a file of format f.
func consistent(b []byte, f string) bool {
	for _, s := range signatures {
		if s.format == f && hasPrefix(b, s.sig) {
			return true
		}
	}
	return false
}

// hasPrefix reports whether the first min(len(b), len(sig)) bytes of b match
// sig, where a '?' in sig matches any byte.
func hasPrefix(b []byte, sig string) bool {
	for i := range min(len(b), len(sig)) {
		if sig[i] != '?' && b[i] != sig[i] {
			return false
		}
	}
	return true
}
