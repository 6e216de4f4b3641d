// Package fuzzcorpus writes and checks the seed corpora that the fuzz
// targets of the module keep in testdata/fuzz/<target>, in the "go test
// fuzz v1" format that go test reads and the fuzzer writes. Only tests
// import it.
//
// A package lists its seeds in a test, which calls [Sync] with the value of
// the package's own -genseeds flag:
//
//	var genSeeds = flag.Bool("genseeds", false, "rewrite the seed corpora in testdata/fuzz")
//
//	func TestFuzzCorpus(t *testing.T) {
//		seeds := []fuzzcorpus.Seed{
//			{Name: "empty", Args: []any{[]byte{}}},
//			{Name: "truncated", Args: []any{jpegFile[:20]}},
//		}
//		fuzzcorpus.Sync(t, "FuzzDecode", seeds, *genSeeds)
//	}
//
// Without the flag the test checks the committed corpus; with it, it
// rewrites the corpus first:
//
//	go test ./scaler -run '^TestFuzzCorpus' -genseeds
//
// # Limits
//
// A committed corpus stays small: each file is under [MaxFileSize] bytes,
// and a folder holds at most [MaxFiles] files and [MaxDirSize] bytes in
// all. Inputs the fuzzer found count against the limits too.
//
// # Found inputs
//
// Files whose name starts with "found-" are inputs that the fuzzer found,
// copied by hand from its cache. [Sync] never removes or rewrites them, so
// seed names must not start with "found-".
//
// The package imports testing and is meant for tests only.
package fuzzcorpus
