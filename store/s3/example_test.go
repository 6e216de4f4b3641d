package s3_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/escala-img/escala/store"
	"github.com/escala-img/escala/store/s3"
)

// A gateway that stores its results in a bucket and serves them, from any
// machine that shares the bucket. It needs a running S3 server, so it is
// not run by go test.
func Example() {
	ctx := context.Background()
	opts, err := s3.ParseURL("s3://results/thumbs?endpoint=http://127.0.0.1:7070&public-endpoint=https://s3.example.com")
	if err != nil {
		log.Fatal(err)
	}
	opts.Immutable = true // keys are hashes of the content
	st, err := s3.New(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	if err := st.Check(ctx); err != nil {
		log.Fatal(err) // a wrong bucket or credentials: stop at once
	}

	// Store a result. Put returns nil once S3 has the whole object.
	putCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	const key = "7k2m9q4d1c0b8a6e5f3g2h1j0k9m8n7p.jpg"
	err = st.Put(putCtx, key, strings.NewReader("a JPEG"))
	if errors.Is(err, s3.ErrUnavailable) {
		log.Print("the result could not be stored; try again later: ", err)
		return
	}
	if err != nil {
		log.Fatal(err)
	}

	// Either serve it through this program...
	h := store.NewHandler(st, &store.HandlerOptions{Immutable: true})
	http.Handle("GET /i/", http.StripPrefix("/i/", h))
	fmt.Println("http://gateway.example.com/i/" + key)

	// ...or let S3 serve it for an hour.
	link, err := st.PresignGet(ctx, key, time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link)
}

func ExampleParseURL() {
	opts, err := s3.ParseURL("s3://results/thumbs?endpoint=http://127.0.0.1:7070&region=eu-west-3")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(opts.Bucket, opts.Prefix, opts.Endpoint, opts.Region, opts.PathStyle)

	_, err = s3.ParseURL("s3://results?endpoint=127.0.0.1:7070")
	fmt.Println(err)
	// Output:
	// results thumbs/ http://127.0.0.1:7070 eu-west-3 true
	// s3: store URL "s3://results?endpoint=127.0.0.1:7070": endpoint: "127.0.0.1:7070" is not an http:// or https:// URL of a host
}
