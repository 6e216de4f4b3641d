// Package store keeps the results of the scaling service, JPEG files and the
// like, under keys chosen by the caller, and serves them over HTTP.
//
// [Interface] is the whole contract of a backend: [Interface.Put] stores the
// bytes of a reader under a key, atomically, and [Interface.Open] reads them
// back. [Dir] is the backend that keeps each object as a file in one folder.
// [Handler] and [NewHandler] serve the objects of any backend to the open
// internet:
//
//	dir, err := store.NewDir("/var/lib/escala", nil)
//	err = dir.Put(ctx, key, r)           // temp file + rename: never half-written
//	rc, err := dir.Open(ctx, key)        // errors.Is(err, store.ErrNotFound)
//	mux.Handle("GET /i/", http.StripPrefix("/i/", store.Handler(dir)))
//
// # Keys
//
// A key is a single file name that is safe on disk and in a URL: 1 to 128
// bytes of ASCII letters, digits, '-' and '_', starting with a letter or
// digit, optionally followed by one extension of 1 to 8 lowercase letters or
// digits, such as "7k2m9q4d1c0b8a6e5f3g2h1j0k9m8n7p.jpg". [ValidKey] is the
// rule. Every backend and the [Handler] check keys before anything else, so
// a key can never be a path: no '/', no "..", no leading '.', no '%'. Put of
// an invalid key fails with [ErrInvalidKey]; Open of one fails with
// [ErrNotFound], since no object can have that name.
//
// # Durability
//
// Once Put returns nil the object is stored whole and, for [Dir], flushed to
// disk, so a link to it can be handed out. Until then nothing is visible:
// readers see either the previous object under the key or the whole new one.
// A Put whose reader fails or whose context ends stores nothing.
//
// [Dir] writes to a temporary file named ".tmp-*" in the same folder, flushes
// it, renames it onto the key and flushes the folder. Temporary files left by
// a crash are removed by the next [NewDir] once they are 10 minutes old.
// Every file access goes through an [os.Root], and Open serves only regular
// files, so neither a key nor a symlink planted in the folder can reach
// another file.
//
// # Caching and signed links
//
// [Handler] assumes that an object may be replaced under its key, so caches
// must revalidate ("Cache-Control: no-cache"). When keys are derived from
// the content, as a hash of the bytes, [NewHandler] with
// [HandlerOptions.Immutable] lets browsers and CDNs keep each object for a
// year ("public, max-age=31536000, immutable", ETag `"<key>"`, 304 Not
// Modified on If-None-Match), or, with signed links, for as long as the link
// lasts. Error responses carry no Cache-Control and no ETag.
//
// With [HandlerOptions.Links], the handler serves only links made by a
// [Signer]: the key followed by "?e=<expiry>&s=<signature>", an HMAC-SHA256
// of the key and the expiry under a secret, so that links can be handed out
// and stop working after the Signer's TTL. A missing or altered link gets
// 404 Not Found, the same as a missing object; an expired one gets 403
// Forbidden.
//
//	signer := &store.Signer{Secret: secret, TTL: time.Hour} // secret: 32 random bytes
//	h := store.NewHandler(dir, &store.HandlerOptions{Immutable: true, Links: signer})
//	mux.Handle("GET /i/", http.StripPrefix("/i/", h))
//	link := "https://img.example.com/i/" + signer.Sign(key, time.Now())
//
// # Writing a backend
//
// A backend implements [Interface] and runs the conformance suite of package
// [github.com/escala-img/escala/store/storetest] in its tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Interface { return newBackend(t) })
//	}
package store
