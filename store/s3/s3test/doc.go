// Package s3test gives tests an S3 server and buckets on it: the tests of
// package s3 and those of the programs that store their results in S3.
// Only tests import it.
//
// The server is, in this order:
//
//   - the one at ESCALA_S3_ENDPOINT, with the credentials
//     ESCALA_S3_ACCESS_KEY and ESCALA_S3_SECRET_KEY, whose bucket is
//     ESCALA_S3_BUCKET if set (it must exist) or else a new one;
//   - or a versitygw of the test binary's own, started on first use on a
//     free port of 127.0.0.1 with a temporary folder and random
//     credentials, if a versitygw binary is on PATH or in $GOPATH/bin
//     (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0).
//
// With neither, [Server] and [NewBucket] skip the test, saying so, unless
// ESCALA_REQUIRE_S3=1, which makes them fail it instead. The script .ci/s3
// at the root of the repository starts a versitygw for a command and sets
// these variables.
//
// A test binary that uses the package runs its tests with [Main], which
// stops the versitygw it started:
//
//	func TestMain(m *testing.M) { s3test.Main(m) }
//
//	func TestPut(t *testing.T) {
//		srv := s3test.Server(t)      // skips without a server
//		bucket := s3test.NewBucket(t) // empty, this test's alone
//		...
//	}
package s3test
