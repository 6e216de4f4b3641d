package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// ErrInvalidLink is returned, wrapped, by [Signer.Verify] for a link that
// [Signer.Sign] did not make with the same Secret: a missing, malformed or
// altered signature, key or expiry. Check it with errors.Is.
var ErrInvalidLink = errors.New("store: invalid link")

// ErrExpiredLink is returned, wrapped, by [Signer.Verify] for a link that
// [Signer.Sign] made but whose time is up. Check it with errors.Is.
var ErrExpiredLink = errors.New("store: link expired")

// Signer makes and checks links to objects that work only for a while:
// the key, followed by a query that holds the expiry time and an
// HMAC-SHA256 of the key and the expiry under a secret. Whoever has the
// secret can make links; nobody else can make one, extend one or turn one
// into a link to another key.
//
// Pass a Signer to [NewHandler] as [HandlerOptions.Links] to serve only
// signed links, and hand out the links made by [Signer.Sign].
//
// A Signer is safe for concurrent use by multiple goroutines as long as its
// fields are not changed.
type Signer struct {
	// Secret is the HMAC key. It must not be empty: Sign and NewHandler
	// panic if it is, and Verify rejects every link. Use 32 random bytes
	// (from crypto/rand), kept secret and shared by every server that makes
	// or serves links; changing it invalidates every link made before.
	Secret []byte

	// TTL is how long a link stays valid after it is made. 0 or less means
	// one hour.
	TTL time.Duration
}

// defaultTTL is the TTL of a Signer whose TTL is 0.
const defaultTTL = time.Hour

// sigLen is the length in bytes of a signature: the HMAC-SHA256 is cut to
// 128 bits. In the link it takes 22 characters of unpadded base64url.
const sigLen = 16

// sigEncoding is the encoding of signatures in links. Strict: of the
// encodings that decode to a signature, only the one Sign writes is valid.
var sigEncoding = base64.RawURLEncoding.Strict()

// Sign returns a link to the object under key that expires TTL after now
// (rounded down to the second): key followed by the query
// "?e=<expiry>&s=<signature>", where expiry is the Unix time in seconds, in
// decimal, and signature is 128 bits of HMAC-SHA256 in unpadded base64url.
// Append it to the URL that the handler is mounted at:
//
//	link := "https://img.example.com/i/" + signer.Sign(key, time.Now())
//
// The signature covers the key as the handler sees it, after any prefix is
// stripped, so the same link works under any mount point. key should be
// valid (see [ValidKey]): no handler serves an invalid one, signed or not,
// and Sign does not escape it. Sign panics if s.Secret is empty.
func (s *Signer) Sign(key string, now time.Time) string {
	if len(s.Secret) == 0 {
		panic("store: Signer.Sign with an empty Secret")
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = defaultTTL
	}
	expiry := now.Add(ttl).Unix()
	return key + "?e=" + strconv.FormatInt(expiry, 10) + "&s=" + sigEncoding.EncodeToString(s.mac(key, expiry))
}

// Verify checks a link to the object under key at the time now. query is the
// link's query, as from URL.Query(); its parameters other than "e" and "s"
// are ignored. Verify returns nil if the link was made by [Signer.Sign] with
// the same Secret and expires after now. Otherwise the error reads
// "store: link to "key": ..." and wraps [ErrExpiredLink] if the link was
// made by Sign but its time is up, or [ErrInvalidLink] in every other case:
// an invalid key, a missing, repeated or malformed "e" or "s", a signature
// that does not match, or an empty Secret. The signature is compared in
// constant time.
func (s *Signer) Verify(key string, query url.Values, now time.Time) error {
	_, err := s.verify(key, query, now)
	return err
}

// verify does the work of Verify and also returns the expiry, in Unix
// seconds, of a valid link.
func (s *Signer) verify(key string, query url.Values, now time.Time) (int64, error) {
	if !ValidKey(key) {
		// Don't quote a key that may be long or hostile.
		return 0, fmt.Errorf("store: link: invalid key: %w", ErrInvalidLink)
	}
	if len(s.Secret) == 0 {
		return 0, fmt.Errorf("store: link to %q: empty Secret: %w", key, ErrInvalidLink)
	}
	es, ss := query["e"], query["s"]
	if len(es) != 1 || len(ss) != 1 {
		return 0, fmt.Errorf("store: link to %q: want one e and one s: %w", key, ErrInvalidLink)
	}
	expiry, ok := parseExpiry(es[0])
	if !ok {
		return 0, fmt.Errorf("store: link to %q: malformed expiry: %w", key, ErrInvalidLink)
	}
	if sigEncoding.EncodedLen(sigLen) != len(ss[0]) {
		return 0, fmt.Errorf("store: link to %q: malformed signature: %w", key, ErrInvalidLink)
	}
	sig, err := sigEncoding.DecodeString(ss[0])
	if err != nil {
		return 0, fmt.Errorf("store: link to %q: malformed signature: %w", key, ErrInvalidLink)
	}
	if !hmac.Equal(sig, s.mac(key, expiry)) {
		return 0, fmt.Errorf("store: link to %q: wrong signature: %w", key, ErrInvalidLink)
	}
	// Only now that the link is known to be genuine may the answer depend
	// on the expiry: a forged one is invalid, not expired.
	if !now.Before(time.Unix(expiry, 0)) {
		return 0, fmt.Errorf("store: link to %q: expired at %v: %w", key, time.Unix(expiry, 0).UTC(), ErrExpiredLink)
	}
	return expiry, nil
}

// maxExpiryLen is the length of the longest expiry Verify parses: 19 digits
// hold every positive int64.
const maxExpiryLen = 19

// parseExpiry parses e as Sign writes an expiry: decimal digits without a
// sign or a leading zero, except "0" itself, within int64. Each expiry thus
// has one spelling.
func parseExpiry(e string) (int64, bool) {
	if len(e) == 0 || len(e) > maxExpiryLen || len(e) > 1 && e[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(e); i++ {
		if e[i] < '0' || e[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(e, 10, 64)
	return n, err == nil
}

// macDomain starts every message signed, so that a Secret shared with
// other uses cannot sign a link by accident.
const macDomain = "escala store link v1\x00"

// mac returns the signature of a link to key that expires at expiry: the
// first sigLen bytes of the HMAC-SHA256, under s.Secret, of macDomain, the
// expiry as 8 bytes big-endian, and the key. The fixed-size expiry before
// the key makes the message unambiguous.
func (s *Signer) mac(key string, expiry int64) []byte {
	m := hmac.New(sha256.New, s.Secret)
	var buf [len(macDomain) + 8]byte
	copy(buf[:], macDomain)
	binary.BigEndian.PutUint64(buf[len(macDomain):], uint64(expiry))
	m.Write(buf[:])
	m.Write([]byte(key))
	return m.Sum(nil)[:sigLen]
}
