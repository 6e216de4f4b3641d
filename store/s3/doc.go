// Package s3 keeps the results of the scaling service in a bucket of an
// object store that speaks the S3 API: AWS S3, Ceph RGW, MinIO, SeaweedFS,
// versitygw. Its [Store] implements [store.Interface], so any number of
// gateways, on any number of machines, can store results in one bucket and
// serve every one of them, and results outlive the machine that made them.
//
//	opts, err := s3.ParseURL("s3://results/thumbs?endpoint=http://127.0.0.1:7070")
//	st, err := s3.New(ctx, opts)        // credentials from the AWS chain
//	err = st.Put(ctx, key, r)           // nil once S3 has the whole object
//	rc, err := st.Open(ctx, key)        // errors.Is(err, store.ErrNotFound)
//	mux.Handle("GET /i/", http.StripPrefix("/i/", store.NewHandler(st, nil)))
//	link, err := st.PresignGet(ctx, key, time.Hour) // or let S3 serve it
//
// This package is a module of its own, github.com/escala-img/escala/store/s3,
// so that the AWS SDK it is built on is a dependency of the programs that
// store in S3 and of no one else: the module github.com/escala-img/escala
// depends only on the standard library, golang.org/x/image and
// golang.org/x/sync.
//
// # Configuration
//
// [Options] names the bucket, a prefix for the keys within it, the
// endpoint (for servers other than AWS), the region and path-style
// addressing. A store URL says the same in one string, for a flag:
//
//	s3://BUCKET/PREFIX?endpoint=URL&region=R&public-endpoint=URL&path-style=true
//
// See [ParseURL]. Credentials never go in the URL: they come from the
// standard AWS chain, so AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the
// environment work, as do the shared files, SSO and the roles of instances
// and containers; [Options.Credentials] can set others. Requests carry no
// checksum beyond what the S3 API requires, so servers that lack the newer
// checksums work.
//
// # Objects
//
// Put sends each object in one PutObject request of known length, with
// the Content-Type of its key's extension and, when keys are named by their
// content ([Options.Immutable]), "Cache-Control: public, max-age=31536000,
// immutable", so that S3 or a CDN in front of it serves them as
// [store.NewHandler] does. It returns nil only once S3 has acknowledged the
// whole object, which is then visible to every reader at once; a failed
// Put stores nothing. Open streams the object; what it returns has Stat
// and Seek, so that [store.NewHandler] serves it with Content-Length,
// Last-Modified, ETag and 304, and Range requests.
//
// # Links
//
// A result can be served three ways: through the program's own HTTP server
// with [store.NewHandler], which reads it from the bucket; by S3 itself,
// through a presigned URL from [Store.PresignGet] that expires; or, for a
// public bucket or a CDN, at a public URL the program builds from the key.
// A presigned URL is valid only for the host it was signed for: when its
// users reach the store by another name than the program does,
// [Options.PublicEndpoint] (public-endpoint= in the URL) is that name.
//
// # Faults
//
// A store that is down, or too slow, makes Put, Open and Check fail within
// the ctx of the call (and [Options.Timeout]) with an error that wraps
// [ErrUnavailable] and its cause, so that a caller can answer "try again
// later" in time; failed requests are tried 3 times in all, the ctx
// permitting. Nothing is kept between calls, so the Store works again as
// soon as the store is back. Errors that trying again cannot fix, such as
// refused credentials or a missing bucket, say so and do not wrap
// ErrUnavailable.
//
// # Testing
//
// The tests of this package, and of the programs that store in S3, run
// against a real S3 server, which package
// [github.com/escala-img/escala/store/s3/s3test] gives them: the one at
// ESCALA_S3_ENDPOINT (with ESCALA_S3_ACCESS_KEY, ESCALA_S3_SECRET_KEY and
// optionally ESCALA_S3_BUCKET), or else a versitygw they start themselves
// if one is installed (go install
// github.com/versity/versitygw/cmd/versitygw@v1.8.0). Without either they
// skip, unless ESCALA_REQUIRE_S3=1, which makes them fail. The script .ci/s3
// at the root of the repository installs and starts versitygw for a command.
package s3
