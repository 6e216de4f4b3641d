package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/escala-img/escala/store"
)

func ExampleDir() {
	folder, err := os.MkdirTemp("", "escala-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(folder)

	dir, err := store.NewDir(folder, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer dir.Close()

	ctx := context.Background()
	const key = "0123456789abcdefghijklmnopqrstuv.jpg"
	if err := dir.Put(ctx, key, strings.NewReader("not really a JPEG")); err != nil {
		log.Fatal(err)
	}
	rc, err := dir.Open(ctx, key)
	if err != nil {
		log.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	if err != nil {
		log.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(data), "bytes")

	_, err = dir.Open(ctx, "missing.jpg")
	fmt.Println(errors.Is(err, store.ErrNotFound))
	err = dir.Put(ctx, "../escape.jpg", strings.NewReader("x"))
	fmt.Println(errors.Is(err, store.ErrInvalidKey))
	// Output:
	// 17 bytes
	// true
	// true
}

func ExampleHandler() {
	folder, err := os.MkdirTemp("", "escala-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(folder)
	dir, err := store.NewDir(folder, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer dir.Close()
	if err := dir.Put(context.Background(), "cat.jpg", strings.NewReader("not really a JPEG")); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /i/", http.StripPrefix("/i/", store.Handler(dir)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, path := range []string{"/i/cat.jpg", "/i/dog.jpg", "/i/..%2fsecret"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		if err := resp.Body.Close(); err != nil {
			log.Fatal(err)
		}
		fmt.Println(path, resp.Status, resp.Header.Get("Content-Type"))
	}
	// Output:
	// /i/cat.jpg 200 OK image/jpeg
	// /i/dog.jpg 404 Not Found text/plain; charset=utf-8
	// /i/..%2fsecret 404 Not Found text/plain; charset=utf-8
}

func ExampleSigner() {
	folder, err := os.MkdirTemp("", "escala-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(folder)
	dir, err := store.NewDir(folder, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer dir.Close()
	if err := dir.Put(context.Background(), "cat.jpg", strings.NewReader("not really a JPEG")); err != nil {
		log.Fatal(err)
	}

	// A real Secret is 32 bytes from crypto/rand, and the clock is the real
	// one; both are fixed here so that the output is always the same.
	signer := &store.Signer{Secret: []byte("example secret, not a random one"), TTL: time.Hour}
	signed := time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)
	now := signed
	h := store.NewHandler(dir, &store.HandlerOptions{
		Immutable: true,
		Links:     signer,
		Now:       func() time.Time { return now },
	})
	mux := http.NewServeMux()
	mux.Handle("GET /i/", http.StripPrefix("/i/", h))

	link := "/i/" + signer.Sign("cat.jpg", signed)
	fmt.Println(link)

	u, err := url.Parse(link)
	if err != nil {
		log.Fatal(err)
	}
	q := u.Query()
	q.Set("e", strconv.FormatInt(signed.Add(24*time.Hour).Unix(), 10))
	u.RawQuery = q.Encode()
	extended := u.String()

	get := func(target string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Printf("%d %q\n", rec.Code, rec.Header().Get("Cache-Control"))
	}
	get(link)
	now = signed.Add(59 * time.Minute)
	get(link)
	get("/i/cat.jpg") // not signed
	get(extended)     // expiry altered
	now = signed.Add(2 * time.Hour)
	get(link) // expired
	// Output:
	// /i/cat.jpg?e=1735833845&s=u7y6nmCuFbDNwTomoeKjMg
	// 200 "public, max-age=3600, immutable"
	// 200 "public, max-age=60, immutable"
	// 404 ""
	// 404 ""
	// 403 ""
}
