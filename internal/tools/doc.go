// Package tools is the home of what the module's programs and tests use
// and its library does not: the commands that measure it against Pillow
// and the original Python system (benchcmp, loadtest) and what they learn
// of the machine (host); the flags and command line shared by the example
// servers (serverflags), their admin address and readiness (admin) and
// their metrics in the Prometheus format (metrics); the sample pictures
// of the demo and the tests (sample); the client's batch of uploads with
// its progress bar (batch); the building and running of the example
// programs in tests (progtest); a scale server of the original protocol
// for tests (fakescaler); certificates for tests of TLS (testcerts); and
// the writer of the fuzz seed corpora (fuzzcorpus).
//
// The library packages (escala, scaler, transport, store and the codecs
// under internal/codec) never import these, except from their tests.
package tools
