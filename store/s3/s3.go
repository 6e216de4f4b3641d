package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	s3api "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/escala-img/escala/store"
)

// Options configures [New]. Bucket is required; every other field has a
// default.
type Options struct {
	// Bucket is the name of the bucket that holds the objects. It must
	// exist: New does not create it.
	Bucket string

	// Prefix is put before every key to name its object in the bucket:
	// with Prefix "results/", the key "x.jpg" is the object
	// "results/x.jpg". It is taken as it is, so a folder-like prefix ends
	// in '/'. "" (the default) means none. It is at most 512 bytes of ASCII
	// letters, digits and "-_./", does not start with '/' and has no empty,
	// "." or ".." segment.
	Prefix string

	// Endpoint is the URL of the S3 API, such as "http://127.0.0.1:7070" or
	// "https://s3.example.com": a scheme (http or https), a host and
	// optionally a port and a path. "" (the default) means AWS S3 in
	// Region.
	Endpoint string

	// PublicEndpoint is the endpoint that presigned URLs (see
	// [Store.PresignGet]) point at, when their users reach the store by
	// another name than this program does. A presigned URL is signed for
	// its host, so it must be made with the endpoint its users will call,
	// and anything in between must pass the Host header on unchanged. ""
	// (the default) means Endpoint.
	PublicEndpoint string

	// Region is the region of the bucket, which requests are signed for.
	// "" means the region of the standard AWS configuration (AWS_REGION,
	// the shared config file), and "us-east-1" if that names none, which
	// is what most servers other than AWS expect.
	Region string

	// PathStyle puts the bucket in the URL path (http://host/bucket/key)
	// rather than in the host name (http://bucket.host/key). Most servers
	// other than AWS need it. false (the default) means the host name.
	PathStyle bool

	// Immutable says that the object under a key never changes, as when
	// keys are derived from the content. Objects are then stored with
	// "Cache-Control: public, max-age=31536000, immutable", which S3
	// sends with every GET, presigned ones included. false (the default)
	// stores them with no Cache-Control.
	Immutable bool

	// Credentials signs the requests. nil (the default) means the
	// standard AWS chain: the environment (AWS_ACCESS_KEY_ID and
	// AWS_SECRET_ACCESS_KEY), the shared credentials and config files
	// (AWS_PROFILE), web identity, and the role of the instance or
	// container.
	Credentials aws.CredentialsProvider

	// Timeout bounds every call to the store, on top of its ctx: a Put
	// whole, an Open until the object's headers have arrived, a
	// [Store.Check]. It includes the retries. 0 means 30 seconds.
	Timeout time.Duration

	// MaxSize bounds the objects that Put reads from a reader that is not
	// an io.ReadSeeker: those are read into memory first, since S3 needs
	// the length before the bytes. 0 means 64 MiB.
	MaxSize int64
}

// Defaults of [Options].
const (
	defaultTimeout = 30 * time.Second
	defaultMaxSize = 64 << 20
	defaultRegion  = "us-east-1"
)

// Retries: a request that failed for a cause that may pass (no connection,
// a 5xx, throttling) is tried maxAttempts times in all, waiting at most
// maxBackoff before each new attempt; the ctx of the call bounds it all.
const (
	maxAttempts = 3
	maxBackoff  = time.Second
	dialTimeout = 5 * time.Second
)

// maxPrefixLen is the length of the longest [Options.Prefix]. S3 keys have
// up to 1024 bytes, and a key of package store up to 128.
const maxPrefixLen = 512

// maxPresignTTL is the longest lifetime of a presigned URL that Signature
// Version 4 allows: 7 days.
const maxPresignTTL = 7 * 24 * time.Hour

// immutableCacheControl is the Cache-Control of objects when
// [Options.Immutable] is set, the same as [store.NewHandler] sends.
const immutableCacheControl = "public, max-age=31536000, immutable"

// Store is a [store.Interface] that keeps each object in a bucket of an
// S3-compatible object store (AWS S3, Ceph RGW, MinIO, SeaweedFS,
// versitygw), under [Options.Prefix] followed by its key.
//
// A Store is safe for concurrent use by multiple goroutines, and any number
// of Stores, in any number of processes, may share a bucket. Create one with
// [New]; the zero value is not usable.
type Store struct {
	client    *s3api.Client
	public    *s3api.Client // the client of PublicEndpoint, or client
	presigner *s3api.PresignClient
	bucket    string
	prefix    string
	immutable bool
	timeout   time.Duration
	maxSize   int64
}

var _ store.Interface = (*Store)(nil)

// New returns a Store for the bucket and settings of opts. It checks opts
// and loads the standard AWS configuration (for the credentials and the
// region, unless opts gives them), but does not contact the store: a store
// that is down makes the calls fail, not New, and they succeed once it is
// back. Call [Store.Check] to find a wrong bucket or wrong credentials at
// once.
//
// Requests need no checksum beyond what the S3 API requires (the setting
// "when required"), since servers other than AWS may not support the
// newer ones. New returns an error, one line starting "s3: ", if opts is
// nil, if Bucket is not a valid bucket name, if Prefix or an endpoint is not
// valid, or if the AWS configuration cannot be loaded (a malformed shared
// config file, say).
func New(ctx context.Context, opts *Options) (*Store, error) {
	if opts == nil {
		return nil, errors.New("s3: new store: no Options")
	}
	if err := checkBucket(opts.Bucket); err != nil {
		return nil, fmt.Errorf("s3: new store: %w", err)
	}
	if err := checkPrefix(opts.Prefix); err != nil {
		return nil, fmt.Errorf("s3: new store: %w", err)
	}
	if opts.Endpoint != "" {
		if err := checkEndpoint(opts.Endpoint); err != nil {
			return nil, fmt.Errorf("s3: new store: endpoint: %w", err)
		}
	}
	if opts.PublicEndpoint != "" {
		if err := checkEndpoint(opts.PublicEndpoint); err != nil {
			return nil, fmt.Errorf("s3: new store: public endpoint: %w", err)
		}
	}
	if opts.Timeout < 0 || opts.MaxSize < 0 {
		return nil, errors.New("s3: new store: Timeout and MaxSize cannot be negative")
	}

	load := []func(*config.LoadOptions) error{
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithDialerOptions(func(d *net.Dialer) {
			d.Timeout = dialTimeout
		})),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.MaxBackoff = maxBackoff
				// No client-side retry quota: after a spell of failures
				// it would refuse to retry with an error of its own,
				// and the ctx of each call bounds the retries already.
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if opts.Region != "" {
		load = append(load, config.WithRegion(opts.Region))
	}
	if opts.Credentials != nil {
		load = append(load, config.WithCredentialsProvider(opts.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("s3: new store: loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}

	client := s3api.NewFromConfig(cfg, func(o *s3api.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.UsePathStyle = opts.PathStyle
	})
	public := client
	if opts.PublicEndpoint != "" {
		public = s3api.NewFromConfig(cfg, func(o *s3api.Options) {
			o.BaseEndpoint = aws.String(opts.PublicEndpoint)
			o.UsePathStyle = opts.PathStyle
		})
	}
	s := &Store{
		client:    client,
		public:    public,
		presigner: s3api.NewPresignClient(public),
		bucket:    opts.Bucket,
		prefix:    opts.Prefix,
		immutable: opts.Immutable,
		timeout:   opts.Timeout,
		maxSize:   opts.MaxSize,
	}
	if s.timeout == 0 {
		s.timeout = defaultTimeout
	}
	if s.maxSize == 0 {
		s.maxSize = defaultMaxSize
	}
	return s, nil
}

// Put stores the bytes of r under key, as [store.Interface.Put] requires:
// it sends them with one PutObject request of known length and returns nil
// only once the store has acknowledged the whole object. S3 makes the
// object visible whole or not at all, so a failed Put stores nothing and
// leaves the previous object as it was.
//
// An io.ReadSeeker (a *bytes.Reader, an *os.File) is sent from its current
// offset to its end, and read again from there if the request is retried;
// any other reader, or a seeker whose Seek fails at once (a pipe), is read
// into memory first, up to [Options.MaxSize]
// bytes, checking ctx before each chunk. The object's Content-Type comes
// from the key's extension, as [store.NewHandler] chooses it, and with
// [Options.Immutable] it has a year-long immutable Cache-Control.
//
// The error reads "s3: put "key": ..." and wraps the cause: [store.ErrInvalidKey],
// ctx.Err() when ctx was cancelled, the error of r, or the error of the
// SDK. When the store cannot be reached, does not answer within ctx's
// deadline or [Options.Timeout], or answers that it cannot serve now (a
// 5xx status, throttling), the error also satisfies
// errors.Is(err, [ErrUnavailable]).
func (s *Store) Put(ctx context.Context, key string, r io.Reader) error {
	if !store.ValidKey(key) {
		return fmt.Errorf("s3: put %q: %w", key, store.ErrInvalidKey)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3: put %q: %w", key, err)
	}
	body, size, err := s.body(ctx, r)
	if err != nil {
		return fmt.Errorf("s3: put %q: %w", key, err)
	}
	in := &s3api.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.prefix + key),
		Body:          body,
		ContentLength: aws.Int64(size),
		ContentType:   aws.String(contentType(key)),
	}
	if s.immutable {
		in.CacheControl = aws.String(immutableCacheControl)
	}
	callCtx, cancel := context.WithTimeoutCause(ctx, s.timeout, errTimeout)
	defer cancel()
	if _, err := s.client.PutObject(callCtx, in); err != nil {
		return s.fail(ctx, callCtx, "put", key, err)
	}
	return nil
}

// body returns what Put sends for r and its length: r itself from its
// offset if it can seek, or else its bytes read into memory.
func (s *Store) body(ctx context.Context, r io.Reader) (io.ReadSeeker, int64, error) {
	rs, ok := r.(io.ReadSeeker)
	var start int64
	if ok {
		// A seeker that cannot seek, such as an *os.File of a pipe, is
		// read like any other reader.
		var err error
		start, err = rs.Seek(0, io.SeekCurrent)
		ok = err == nil
	}
	if ok {
		end, err := rs.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, 0, err
		}
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return nil, 0, err
		}
		return rs, max(end-start, 0), nil // past the end, nothing is left
	}
	var buf bytes.Buffer
	chunk := make([]byte, 64<<10)
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		n, err := r.Read(chunk)
		if int64(buf.Len()+n) > s.maxSize {
			return nil, 0, fmt.Errorf("object larger than MaxSize (%d bytes); pass an io.ReadSeeker", s.maxSize)
		}
		buf.Write(chunk[:n])
		if err == io.EOF {
			return bytes.NewReader(buf.Bytes()), int64(buf.Len()), nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

// Open returns the object stored under key, as [store.Interface.Open]
// requires. It waits for the object's headers, within ctx and
// [Options.Timeout]; the bytes then stream from the store as the result is
// read, for as long as ctx lasts. The caller closes it.
//
// The result has Stat, which gives the object's size and its time of
// storing, and Seek, which moves where the next Read starts (reading again
// from there asks the store for the rest of the object, provided it has not
// changed meanwhile). So [store.NewHandler] serves it as it serves a file:
// with Content-Length, Last-Modified, ETag and 304 when Immutable, and
// Range requests.
//
// A missing object, or an invalid key, gives an error that satisfies
// errors.Is(err, store.ErrNotFound). Other errors read "s3: open "key":
// ..." and wrap the cause, and satisfy errors.Is(err, [ErrUnavailable])
// when the store is unavailable, as for [Store.Put]; a bucket that does
// not exist is such an other error, not ErrNotFound.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if !store.ValidKey(key) {
		return nil, fmt.Errorf("s3: open %q: invalid key: %w", key, store.ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3: open %q: %w", key, err)
	}
	// The body streams under callCtx, which lives until Close: only the
	// wait for the headers has the timeout.
	callCtx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(s.timeout, func() { cancel(errTimeout) })
	out, err := s.client.GetObject(callCtx, &s3api.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.prefix + key),
	})
	if !timer.Stop() && err == nil {
		out.Body.Close()
		err = context.Cause(callCtx)
	}
	if err != nil {
		e := s.fail(ctx, callCtx, "open", key, err)
		cancel(nil)
		return nil, e
	}
	o := &object{
		s:      s,
		ctx:    callCtx,
		cancel: cancel,
		key:    key,
		body:   out.Body,
		size:   aws.ToInt64(out.ContentLength),
		etag:   aws.ToString(out.ETag),
	}
	if out.LastModified != nil {
		o.modTime = *out.LastModified
	}
	return o, nil
}

// PresignGet returns a URL by which anyone can GET the object under key,
// without credentials, until ttl has passed. The URL points at
// [Options.PublicEndpoint] (or Endpoint) and is signed with the Store's
// credentials: it stops working when they do, and it is refused by the
// store if any part of it is changed. The store's answer has the
// Content-Type, and with [Options.Immutable] the Cache-Control, that Put
// stored.
//
// PresignGet does not contact the store, so it does not check that the
// object exists; ctx bounds the fetching of credentials, if the chain has
// to. ttl must be positive and at most 7 days, the longest that
// Signature Version 4 allows. An invalid key gives an error wrapping
// store.ErrNotFound.
func (s *Store) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if !store.ValidKey(key) {
		return "", fmt.Errorf("s3: presign %q: invalid key: %w", key, store.ErrNotFound)
	}
	if ttl <= 0 || ttl > maxPresignTTL {
		return "", fmt.Errorf("s3: presign %q: ttl %v is not between 1s and 7 days", key, ttl)
	}
	req, err := s.presigner.PresignGetObject(ctx, &s3api.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.prefix + key),
	}, s3api.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3: presign %q: %w", key, err)
	}
	return req.URL, nil
}

// Check asks the store whether the bucket exists and the credentials may
// use it (a HeadBucket request), within ctx and [Options.Timeout]. It
// returns nil if so, and otherwise an error that says why: it satisfies
// errors.Is(err, [ErrUnavailable]) when the store cannot be reached or
// cannot serve now, and names a missing bucket or refused credentials.
// A program may call it when it starts, to stop at once on a wrong
// setting.
func (s *Store) Check(ctx context.Context) error {
	callCtx, cancel := context.WithTimeoutCause(ctx, s.timeout, errTimeout)
	defer cancel()
	_, err := s.client.HeadBucket(callCtx, &s3api.HeadBucketInput{Bucket: aws.String(s.bucket)})
	if err != nil {
		return s.fail(ctx, callCtx, "check bucket", s.bucket, err)
	}
	return nil
}

// contentType returns the media type of a valid key, from its extension,
// as store.NewHandler chooses it.
func contentType(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		switch key[i:] {
		case ".jpg", ".jpeg":
			return "image/jpeg"
		case ".png":
			return "image/png"
		case ".gif":
			return "image/gif"
		case ".webp":
			return "image/webp"
		case ".bmp":
			return "image/bmp"
		case ".tif", ".tiff":
			return "image/tiff"
		}
	}
	return "application/octet-stream"
}

// checkBucket returns an error unless name is a valid bucket name: 3 to
// 63 lowercase ASCII letters, digits, '.' and '-', starting and ending
// with a letter or digit.
func checkBucket(name string) error {
	if name == "" {
		return errors.New("no bucket")
	}
	ok := len(name) >= 3 && len(name) <= 63 && isLowerAlnum(name[0]) && isLowerAlnum(name[len(name)-1])
	for i := 0; ok && i < len(name); i++ {
		ok = isLowerAlnum(name[i]) || name[i] == '.' || name[i] == '-'
	}
	if !ok {
		return fmt.Errorf("bucket %q is not a valid name (3 to 63 lowercase letters, digits, '.' and '-')", name)
	}
	return nil
}

// checkPrefix returns an error unless prefix is valid as Options.Prefix.
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	ok := len(prefix) <= maxPrefixLen
	for i := 0; ok && i < len(prefix); i++ {
		c := prefix[i]
		ok = isLowerAlnum(c) || 'A' <= c && c <= 'Z' || strings.IndexByte("-_./", c) >= 0
	}
	if ok {
		segs := strings.Split(prefix, "/")
		for i, seg := range segs {
			last := i == len(segs)-1
			if seg == "." || seg == ".." || seg == "" && !(last && i > 0) {
				ok = false
			}
		}
	}
	if !ok {
		return fmt.Errorf("prefix %q is not valid (at most %d bytes of letters, digits and \"-_./\", no leading '/', no empty, \".\" or \"..\" segment)", prefix, maxPrefixLen)
	}
	return nil
}

// checkEndpoint returns an error unless endpoint is an http or https URL
// with a host and no query, fragment or user.
func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an http:// or https:// URL of a host", endpoint)
	}
	return nil
}

// isLowerAlnum reports whether c is a lowercase ASCII letter or a digit.
func isLowerAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
}

// statusError is an error of the SDK that carries the HTTP status of the
// store's answer.
type statusError interface {
	HTTPStatusCode() int
}

var _ statusError = (*awshttp.ResponseError)(nil)

// unavailableStatus reports whether an HTTP status says that the store
// cannot serve now but may later.
func unavailableStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout
}
