package store_test

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/tools/fuzzcorpus"
	"github.com/escala-img/escala/store"
)

// This file generates the seed corpora of FuzzValidKey and
// FuzzSignerVerify, in testdata/fuzz/<target>. Rewrite them with
//
//	go test ./store -run '^TestFuzzCorpus$' -genseeds

var genSeeds = flag.Bool("genseeds", false, "rewrite the seed corpora in testdata/fuzz")

// keySeeds are valid keys at the limits and invalid keys of every kind:
// path syntax of Unix, Windows and URLs, bad bytes, bad extensions and
// lengths.
var keySeeds = []struct{ name, key string }{
	{"valid-short", "a"},
	{"valid-extension", "0f3a9c.jpg"},
	{"valid-dash-underscore", "thumb_12-b.tiff"},
	{"valid-longest", strings.Repeat("k", store.MaxKeyLen-5) + ".jpeg"},
	{"valid-extension-8", "a.12345678"},
	{"too-long", strings.Repeat("k", store.MaxKeyLen+1)},
	{"too-long-with-extension", strings.Repeat("k", store.MaxKeyLen-4) + ".jpeg"},
	{"extension-9", "a.123456789"},
	{"empty", ""},
	{"dot", "."},
	{"dot-dot", ".."},
	{"parent", "../x"},
	{"hidden", ".tmp-x"},
	{"extension-only", ".jpg"},
	{"trailing-dot", "a."},
	{"two-extensions", "a.tar.gz"},
	{"upper-extension", "a.JPG"},
	{"dash-in-extension", "a.j-g"},
	{"slash", "a/b"},
	{"backslash", "a\\b"},
	{"drive", "C:x"},
	{"percent", "%2e"},
	{"space", "x y"},
	{"nul", "a\x00b"},
	{"newline", "a\nb"},
	{"leading-dash", "-a"},
	{"leading-underscore", "_a"},
	{"non-ascii", "caf\u00e9.jpg"},
	{"invalid-utf8", "a\xff"},
}

// signSeeds returns the seed corpus of FuzzSignerVerify: genuine links,
// verified in time, at and past their expiry and for another key, and
// links with each part altered or spelled another way.
func signSeeds(tb testing.TB) []fuzzcorpus.Seed {
	tb.Helper()
	s := &store.Signer{Secret: testSecret}
	_, q := splitLink(tb, s.Sign("img.jpg", signTime))
	e, sig := q.Get("e"), q.Get("s")
	exp := signTime.Unix() + 3600
	flip := func(str string, i int, c byte) string { b := []byte(str); b[i] = c; return string(b) }
	var seeds []fuzzcorpus.Seed
	add := func(name, key, e, sig string, now int64) {
		seeds = append(seeds, fuzzcorpus.Seed{Name: name, Args: []any{key, e, sig, now}})
	}
	add("genuine", "img.jpg", e, sig, signTime.Unix())
	add("genuine-last-second", "img.jpg", e, sig, exp-1)
	add("expired-at-expiry", "img.jpg", e, sig, exp)
	add("expired-later", "img.jpg", e, sig, exp+7200)
	add("other-key", "img.png", e, sig, signTime.Unix())
	add("invalid-key", "../img.jpg", e, sig, signTime.Unix())
	add("signature-flipped", "img.jpg", e, flip(sig, 0, sig[0]^1), signTime.Unix())
	add("signature-last-bits", "img.jpg", e, flip(sig, len(sig)-1, sig[len(sig)-1]^1), signTime.Unix())
	add("signature-padded", "img.jpg", e, sig+"==", signTime.Unix())
	add("signature-std-alphabet", "img.jpg", e, flip(sig, 3, '+'), signTime.Unix())
	add("signature-short", "img.jpg", e, sig[:21], signTime.Unix())
	add("signature-empty", "img.jpg", e, "", signTime.Unix())
	add("expiry-later", "img.jpg", fmt.Sprint(exp+1), sig, signTime.Unix())
	add("expiry-leading-zero", "img.jpg", "0"+e, sig, signTime.Unix())
	add("expiry-plus", "img.jpg", "+"+e, sig, signTime.Unix())
	add("expiry-negative", "img.jpg", "-1", sig, -10)
	add("expiry-zero", "img.jpg", "0", sig, 0)
	add("expiry-max", "img.jpg", "9223372036854775807", sig, 1<<62)
	add("expiry-overflow", "img.jpg", "9223372036854775808", sig, 1<<62)
	add("expiry-20-digits", "img.jpg", "99999999999999999999", sig, 0)
	add("expiry-empty", "img.jpg", "", sig, 0)
	add("now-min", "img.jpg", e, sig, -1<<63)
	return seeds
}

func TestFuzzCorpus(t *testing.T) {
	var keys []fuzzcorpus.Seed
	for _, s := range keySeeds {
		keys = append(keys, fuzzcorpus.Seed{Name: s.name, Args: []any{s.key}})
	}
	t.Run("FuzzValidKey", func(t *testing.T) { fuzzcorpus.Sync(t, "FuzzValidKey", keys, *genSeeds) })
	t.Run("FuzzSignerVerify", func(t *testing.T) { fuzzcorpus.Sync(t, "FuzzSignerVerify", signSeeds(t), *genSeeds) })
}
