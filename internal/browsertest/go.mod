module github.com/escala-img/escala/internal/browsertest

go 1.26.0

require (
	github.com/chromedp/chromedp v0.24.0
	github.com/escala-img/escala v0.0.0-20261206142140-6331be8d34da
)

require (
	github.com/chromedp/cdproto v0.160.1 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	golang.org/x/image v0.48.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
)
