// Package store keeps the results of the scaling service, JPEG files and the
// like, under keys chosen by the caller, and serves them over HTTP.
//
// [Interface] is the whole contract of a backend: [Interface.Put] stores the
// bytes of a reader under a key, atomically, and [Interface.Open] reads them
// back. [Dir] is the backend that keeps each object as a file in one folder.
// [Handler] serves the objects of any backend to the open internet:
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
// # Writing a backend
//
// A backend implements [Interface] and runs the conformance suite of package
// [github.com/escala-img/escala/store/storetest] in its tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Interface { return newBackend(t) })
//	}
package store
