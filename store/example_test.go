package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

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
