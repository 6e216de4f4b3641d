package store_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escala-img/escala/store"
)

// testSecret is the Secret of the Signers of the tests.
var testSecret = []byte("0123456789abcdef0123456789abcdef")

// signTime is when the links of the tests are made.
var signTime = time.Unix(1_700_000_000, 0)

// splitLink splits a link made by Sign into its key and its query.
func splitLink(t testing.TB, link string) (string, url.Values) {
	t.Helper()
	key, rawQuery, ok := strings.Cut(link, "?")
	if !ok {
		t.Fatalf("link %q has no query", link)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	return key, q
}

func TestSignerSign(t *testing.T) {
	tests := []struct {
		name       string
		ttl        time.Duration
		now        time.Time
		wantExpiry int64
	}{
		{"DefaultTTL", 0, signTime, 1_700_000_000 + 3600},
		{"NegativeTTL", -time.Minute, signTime, 1_700_000_000 + 3600},
		{"TenMinutes", 10 * time.Minute, signTime, 1_700_000_000 + 600},
		{"RoundedDown", 10 * time.Minute, signTime.Add(999 * time.Millisecond), 1_700_000_000 + 600},
		{"Year", 365 * 24 * time.Hour, signTime, 1_700_000_000 + 31536000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &store.Signer{Secret: testSecret, TTL: tc.ttl}
			link := s.Sign("img.jpg", tc.now)
			if again := s.Sign("img.jpg", tc.now); again != link {
				t.Errorf("Sign(img.jpg) = %q, then %q, want the same", link, again)
			}
			key, q := splitLink(t, link)
			if key != "img.jpg" {
				t.Errorf("Sign(img.jpg) = %q, want it to start with the key and '?'", link)
			}
			if !strings.HasPrefix(link, "img.jpg?e=") || len(q) != 2 {
				t.Errorf("Sign(img.jpg) = %q, want img.jpg?e=...&s=...", link)
			}
			if got, want := q.Get("e"), strconv.FormatInt(tc.wantExpiry, 10); got != want {
				t.Errorf("Sign(img.jpg) with TTL %v = %q: e=%s, want %s", tc.ttl, link, got, want)
			}
			// 128 bits in unpadded base64url.
			if sig := q.Get("s"); len(sig) != 22 || strings.Trim(sig, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Errorf("Sign(img.jpg) = %q: s=%s, want 22 characters of base64url", link, sig)
			}
			if err := s.Verify(key, q, tc.now); err != nil {
				t.Errorf("Verify(Sign(img.jpg)) at the time of signing = %v, want nil", err)
			}
		})
	}
}

func TestSignerSignDiffers(t *testing.T) {
	s := &store.Signer{Secret: testSecret}
	base := s.Sign("img.jpg", signTime)
	others := map[string]string{
		"OtherKey":    s.Sign("img.png", signTime),
		"OtherTime":   s.Sign("img.jpg", signTime.Add(time.Second)),
		"OtherSecret": (&store.Signer{Secret: []byte("another secret of enough bytes!!")}).Sign("img.jpg", signTime),
	}
	_, q := splitLink(t, base)
	for name, link := range others {
		_, oq := splitLink(t, link)
		if oq.Get("s") == q.Get("s") {
			t.Errorf("%s: Sign gives the signature %s of %q to %q too", name, q.Get("s"), base, link)
		}
	}
}

func TestSignerVerify(t *testing.T) {
	s := &store.Signer{Secret: testSecret, TTL: 10 * time.Minute}
	link := s.Sign("img.jpg", signTime)
	_, q := splitLink(t, link)
	e, sig := q.Get("e"), q.Get("s")
	expiry := signTime.Add(10 * time.Minute)
	// flip changes the character at i of sig to another base64url one.
	flip := func(i int) string {
		b := []byte(sig)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	// lastBits keeps the 6 bits the last character of sig stands for but
	// sets one of the 2 padding bits of unpadded base64 for 16 bytes.
	lastBits := func() string {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		i := strings.IndexByte(alphabet, sig[len(sig)-1])
		return sig[:len(sig)-1] + string(alphabet[i^1])
	}
	tests := []struct {
		name    string
		signer  *store.Signer
		key     string
		query   url.Values
		now     time.Time
		wantErr error // nil means valid
	}{
		{"Valid", s, "img.jpg", url.Values{"e": {e}, "s": {sig}}, signTime, nil},
		{"ValidLater", s, "img.jpg", url.Values{"e": {e}, "s": {sig}}, expiry.Add(-time.Nanosecond), nil},
		{"ValidBefore", s, "img.jpg", url.Values{"e": {e}, "s": {sig}}, signTime.Add(-time.Hour), nil},
		{"ValidExtraParams", s, "img.jpg", url.Values{"e": {e}, "s": {sig}, "x": {"1"}}, signTime, nil},
		{"ValidOtherTTL", &store.Signer{Secret: testSecret, TTL: time.Hour}, "img.jpg", url.Values{"e": {e}, "s": {sig}}, signTime, nil},

		{"ExpiredAtExpiry", s, "img.jpg", url.Values{"e": {e}, "s": {sig}}, expiry, store.ErrExpiredLink},
		{"ExpiredAfter", s, "img.jpg", url.Values{"e": {e}, "s": {sig}}, expiry.Add(time.Hour), store.ErrExpiredLink},

		{"OtherSecret", &store.Signer{Secret: []byte("another secret of enough bytes!!")}, "img.jpg", url.Values{"e": {e}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"EmptySecret", &store.Signer{}, "img.jpg", url.Values{"e": {e}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"OtherKey", s, "img.png", url.Values{"e": {e}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"KeyPrefix", s, "img", url.Values{"e": {e}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"InvalidKey", s, "../img.jpg", url.Values{"e": {e}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"EmptyKey", s, "", url.Values{"e": {e}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"LaterExpiry", s, "img.jpg", url.Values{"e": {strconv.FormatInt(expiry.Unix()+1, 10)}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"FarExpiry", s, "img.jpg", url.Values{"e": {"9223372036854775807"}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"EarlierExpiry", s, "img.jpg", url.Values{"e": {strconv.FormatInt(expiry.Unix()-1, 10)}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"ExpiryLeadingZero", s, "img.jpg", url.Values{"e": {"0" + e}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"ExpiryPlus", s, "img.jpg", url.Values{"e": {"+" + e}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"ExpirySpace", s, "img.jpg", url.Values{"e": {e + " "}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"ExpiryNegative", s, "img.jpg", url.Values{"e": {"-" + e}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"ExpiryOverflow", s, "img.jpg", url.Values{"e": {"99999999999999999999"}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"ExpiryEmpty", s, "img.jpg", url.Values{"e": {""}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"ExpiredForged", s, "img.jpg", url.Values{"e": {"1"}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"SigFirstChar", s, "img.jpg", url.Values{"e": {e}, "s": {flip(0)}}, signTime, store.ErrInvalidLink},
		{"SigLastChar", s, "img.jpg", url.Values{"e": {e}, "s": {flip(len(sig) - 1)}}, signTime, store.ErrInvalidLink},
		{"SigPaddingBits", s, "img.jpg", url.Values{"e": {e}, "s": {lastBits()}}, signTime, store.ErrInvalidLink},
		{"SigTruncated", s, "img.jpg", url.Values{"e": {e}, "s": {sig[:21]}}, signTime, store.ErrInvalidLink},
		{"SigLonger", s, "img.jpg", url.Values{"e": {e}, "s": {sig + "A"}}, signTime, store.ErrInvalidLink},
		{"SigPadded", s, "img.jpg", url.Values{"e": {e}, "s": {sig + "=="}}, signTime, store.ErrInvalidLink},
		{"SigStdEncoding", s, "img.jpg", url.Values{"e": {e}, "s": {strings.NewReplacer("-", "+", "_", "/").Replace(sig) + "+"}}, signTime, store.ErrInvalidLink},
		{"SigEmpty", s, "img.jpg", url.Values{"e": {e}, "s": {""}}, signTime, store.ErrInvalidLink},
		{"MissingSig", s, "img.jpg", url.Values{"e": {e}}, signTime, store.ErrInvalidLink},
		{"MissingExpiry", s, "img.jpg", url.Values{"s": {sig}}, signTime, store.ErrInvalidLink},
		{"MissingBoth", s, "img.jpg", url.Values{}, signTime, store.ErrInvalidLink},
		{"NilQuery", s, "img.jpg", nil, signTime, store.ErrInvalidLink},
		{"TwoSigs", s, "img.jpg", url.Values{"e": {e}, "s": {sig, sig}}, signTime, store.ErrInvalidLink},
		{"TwoExpiries", s, "img.jpg", url.Values{"e": {e, e}, "s": {sig}}, signTime, store.ErrInvalidLink},
		{"UpperCaseNames", s, "img.jpg", url.Values{"E": {e}, "S": {sig}}, signTime, store.ErrInvalidLink},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.signer.Verify(tc.key, tc.query, tc.now)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("Verify(%q, %v, %v) = %v, want nil", tc.key, tc.query, tc.now.Unix(), err)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("Verify(%q, %v, %v) = %v, want an error wrapping %v", tc.key, tc.query, tc.now.Unix(), err, tc.wantErr)
			case err != nil && !strings.HasPrefix(err.Error(), "store: "):
				t.Errorf("Verify(%q, %v, %v) = %q, want it to start with \"store: \"", tc.key, tc.query, tc.now.Unix(), err)
			}
		})
	}
}

func TestSignerSignEmptySecret(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("Sign with an empty Secret did not panic")
		}
	}()
	(&store.Signer{}).Sign("img.jpg", signTime)
}

// TestHandlerLinks serves a Dir under a prefix, with links required, and
// requests it as a browser following a link would.
func TestHandlerLinks(t *testing.T) {
	d, img := newServedDir(t)
	signer := &store.Signer{Secret: testSecret, TTL: 10 * time.Minute}
	var now atomic.Int64 // Unix nanoseconds: set by the test, read by the handler
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	mux := http.NewServeMux()
	mux.Handle("GET /i/", http.StripPrefix("/i/", store.NewHandler(d, &store.HandlerOptions{Links: signer, Now: clock})))
	mux.Handle("GET /c/", http.StripPrefix("/c/", store.NewHandler(d, &store.HandlerOptions{Links: signer, Immutable: true, Now: clock})))

	link := signer.Sign("img.jpg", signTime)
	key, q := splitLink(t, link)
	e, sig := q.Get("e"), q.Get("s")
	altered := []byte(sig)
	altered[3] = 'A'
	if sig[3] == 'A' {
		altered[3] = 'B'
	}
	later := strconv.FormatInt(signTime.Add(20*time.Minute).Unix(), 10)
	const notFound = "404 page not found\n"

	tests := []struct {
		name       string
		target     string
		now        time.Time
		wantStatus int
		wantBody   []byte
		wantCache  string // "" means none
	}{
		{"Valid", "/i/" + link, signTime, 200, img, "no-cache"},
		{"ValidLater", "/i/" + link, signTime.Add(9 * time.Minute), 200, img, "no-cache"},
		{"ValidImmutable", "/c/" + link, signTime, 200, img, "public, max-age=600, immutable"},
		{"ValidImmutableLater", "/c/" + link, signTime.Add(9*time.Minute + 30*time.Second), 200, img, "public, max-age=30, immutable"},
		{"ValidPNG", "/i/" + signer.Sign("pic.png", signTime), signTime, 200, []byte("png bytes"), "no-cache"},
		{"ValidReordered", "/i/" + key + "?s=" + sig + "&e=" + e, signTime, 200, img, "no-cache"},
		{"ValidEncodedKey", "/i/img%2Ejpg?e=" + e + "&s=" + sig, signTime, 200, img, "no-cache"},

		{"Expired", "/i/" + link, signTime.Add(10 * time.Minute), 403, []byte("link expired\n"), ""},
		{"ExpiredImmutable", "/c/" + link, signTime.Add(time.Hour), 403, []byte("link expired\n"), ""},
		{"ExpiredMissingObject", "/i/" + signer.Sign("missing.jpg", signTime), signTime.Add(time.Hour), 403, []byte("link expired\n"), ""},

		{"AlteredSignature", "/i/img.jpg?e=" + e + "&s=" + string(altered), signTime, 404, []byte(notFound), ""},
		{"AlteredKey", "/i/pic.png?e=" + e + "&s=" + sig, signTime, 404, []byte(notFound), ""},
		{"AlteredExpiry", "/i/img.jpg?e=" + later + "&s=" + sig, signTime, 404, []byte(notFound), ""},
		{"AlteredExpiryAfterExpiry", "/i/img.jpg?e=" + later + "&s=" + sig, signTime.Add(15 * time.Minute), 404, []byte(notFound), ""},
		{"AlteredExpiryToPast", "/i/img.jpg?e=1&s=" + sig, signTime, 404, []byte(notFound), ""},
		{"AlteredSignatureImmutable", "/c/img.jpg?e=" + e + "&s=" + string(altered), signTime, 404, []byte(notFound), ""},
		{"MissingParams", "/i/img.jpg", signTime, 404, []byte(notFound), ""},
		{"MissingSignature", "/i/img.jpg?e=" + e, signTime, 404, []byte(notFound), ""},
		{"MissingExpiry", "/i/img.jpg?s=" + sig, signTime, 404, []byte(notFound), ""},
		{"EmptyParams", "/i/img.jpg?e=&s=", signTime, 404, []byte(notFound), ""},
		{"RepeatedSignature", "/i/" + link + "&s=" + sig, signTime, 404, []byte(notFound), ""},
		{"MissingObject", "/i/" + signer.Sign("missing.jpg", signTime), signTime, 404, []byte(notFound), ""},
		{"SymlinkSigned", "/i/" + signer.Sign("alias.jpg", signTime), signTime, 404, []byte(notFound), ""},
		{"OtherSecret", "/i/" + (&store.Signer{Secret: []byte("another secret of enough bytes!!")}).Sign("img.jpg", signTime), signTime, 404, []byte(notFound), ""},
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now.Store(tc.now.UnixNano())
			req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+tc.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			at := tc.now.Sub(signTime)
			if resp.StatusCode != tc.wantStatus || !bytes.Equal(body, tc.wantBody) {
				t.Errorf("GET %s %v after signing: %d with %d bytes %.40q, want %d with %d bytes %.40q",
					tc.target, at, resp.StatusCode, len(body), body, tc.wantStatus, len(tc.wantBody), tc.wantBody)
			}
			if got := resp.Header.Values("Cache-Control"); tc.wantCache == "" && len(got) != 0 || tc.wantCache != "" && (len(got) != 1 || got[0] != tc.wantCache) {
				t.Errorf("GET %s %v after signing: Cache-Control %q, want %q", tc.target, at, got, tc.wantCache)
			}
			if tc.wantStatus != 200 && resp.Header.Get("Etag") != "" {
				t.Errorf("GET %s %v after signing: status %d with ETag %q, want none", tc.target, at, resp.StatusCode, resp.Header.Get("Etag"))
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("GET %s %v after signing: X-Content-Type-Options %q, want nosniff", tc.target, at, got)
			}
		})
	}
}

func FuzzSignerVerify(f *testing.F) {
	s := &store.Signer{Secret: testSecret}
	_, q := splitLink(f, s.Sign("img.jpg", signTime))
	f.Add("img.jpg", q.Get("e"), q.Get("s"), signTime.Unix())
	f.Add("img.jpg", q.Get("e"), q.Get("s"), signTime.Unix()+7200)
	f.Add("img.png", q.Get("e"), q.Get("s"), signTime.Unix())
	f.Add("../x", "0", "", int64(0))
	f.Add("a", "-1", "====", int64(-1))
	f.Add("a.jpg", "99999999999999999999", "AAAAAAAAAAAAAAAAAAAAAA", int64(1<<62))
	f.Fuzz(func(t *testing.T, key, e, sig string, now int64) {
		at := time.Unix(now, 0)
		query := url.Values{"e": {e}, "s": {sig}}
		err := s.Verify(key, query, at)
		if err != nil && !errors.Is(err, store.ErrInvalidLink) && !errors.Is(err, store.ErrExpiredLink) {
			t.Fatalf("Verify(%q, %v, %d) = %v, want nil, ErrInvalidLink or ErrExpiredLink", key, query, now, err)
		}
		if err == nil || errors.Is(err, store.ErrExpiredLink) {
			// Only the link Sign makes is genuine.
			expiry, perr := strconv.ParseInt(e, 10, 64)
			if perr != nil {
				t.Fatalf("Verify(%q, %v, %d) = %v with an expiry that does not parse", key, query, now, err)
			}
			signed := time.Unix(expiry, 0).Add(-time.Hour)
			if want := key + "?e=" + e + "&s=" + sig; s.Sign(key, signed) != want {
				t.Fatalf("Verify(%q, %v, %d) = %v, but Sign makes %q", key, query, now, err, s.Sign(key, signed))
			}
		}
		// A round trip: what Sign makes verifies until it expires.
		if store.ValidKey(key) && 0 <= now && now < 1<<40 {
			k, q := splitLink(t, s.Sign(key, at))
			if err := s.Verify(k, q, at); err != nil {
				t.Fatalf("Verify(Sign(%q, %d)) = %v, want nil", key, now, err)
			}
		}
	})
}
