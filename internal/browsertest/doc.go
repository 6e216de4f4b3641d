// Package browsertest tests the upload page of the gateway in a real
// browser: Chromium, headless, driven by chromedp. It is a module of its
// own so that the module of escala keeps its few dependencies.
//
// Its test skips when no Chromium is installed (Debian's package
// "chromium"), and fails instead when ESCALA_REQUIRE_BROWSER=1, as in CI.
// With ESCALA_SCREENSHOT set to the path of a PNG file, it saves there a
// screenshot of the page with a result and an error, the picture of the
// page in the README:
//
//	cd internal/browsertest &&
//	ESCALA_SCREENSHOT=$PWD/../../docs/upload-page.png go test
package browsertest
