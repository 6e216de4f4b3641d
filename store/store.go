package store

import (
	"context"
	"errors"
	"io"
)

// ErrNotFound is returned, possibly wrapped, by [Interface.Open] when no
// object is stored under the key. A key that cannot name an object (see
// [ValidKey]) is not found either. Check it with errors.Is.
var ErrNotFound = errors.New("store: not found")

// ErrInvalidKey is returned, wrapped, by [Interface.Put] for a key that
// [ValidKey] rejects. Nothing is stored and the disk is not touched. Check it
// with errors.Is.
var ErrInvalidKey = errors.New("store: invalid key")

// ErrUnavailable is wrapped by the errors of an implementation whose
// backend cannot serve now but may serve later: an object store that is
// down, or too slow to answer. [NewHandler] answers such errors with 503
// Service Unavailable, so that a client or a load balancer tries again.
var ErrUnavailable = errors.New("store: unavailable")

// Interface is the storage of results: objects of bytes, each named by a key
// that satisfies [ValidKey].
//
// Implementations are safe for concurrent use by multiple goroutines.
// Package [github.com/escala-img/escala/store/storetest] checks that an
// implementation keeps this contract.
type Interface interface {
	// Put stores the bytes of r under key, replacing any object stored there,
	// and returns nil only once the object is stored whole. It is atomic:
	// readers see either the previous object or the whole new one, never a
	// part. If r fails or ctx ends before the object is stored, nothing is
	// stored, the previous object (if any) is left unchanged, and the error
	// wraps the cause. An invalid key gives an error wrapping [ErrInvalidKey].
	// Put reads r until io.EOF and does not close it.
	Put(ctx context.Context, key string, r io.Reader) error

	// Open returns the object stored under key for reading. The caller
	// closes it. When there is no object, or key is invalid, the error
	// satisfies errors.Is(err, ErrNotFound).
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// MaxKeyLen is the length in bytes of the longest key [ValidKey] accepts.
const MaxKeyLen = 128

// maxExtLen is the length of the longest extension, not counting its '.'.
const maxExtLen = 8

// ValidKey reports whether key may name an object. A valid key is 1 to
// [MaxKeyLen] bytes long in all. It is a name of ASCII letters, digits, '-'
// and '_' that starts with a letter or digit, optionally followed by one
// extension: a '.' and 1 to 8 lowercase ASCII letters or digits. For example
// "0f3a9c.jpg", "thumb_12-b" and "X.tiff" are valid; "", ".jpg", "a.JPG",
// "a.tar.gz", "a/b", "..", "x y" and "%2e" are not.
//
// A valid key is therefore a single path element that is safe as a file
// name and in a URL path: it has no '/', '\', ':', '%', space or control
// byte, cannot be "." or "..", and never starts with '.'.
func ValidKey(key string) bool {
	if len(key) == 0 || len(key) > MaxKeyLen {
		return false
	}
	name, ext := key, ""
	for i := 0; i < len(key); i++ {
		if key[i] == '.' {
			name, ext = key[:i], key[i+1:]
			if len(ext) == 0 || len(ext) > maxExtLen {
				return false
			}
			break
		}
	}
	if len(name) == 0 || !isAlnum(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	for i := 0; i < len(ext); i++ {
		if c := ext[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
