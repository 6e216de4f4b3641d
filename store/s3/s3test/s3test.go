package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3api "github.com/aws/aws-sdk-go-v2/service/s3"
)

// A Config is where tests store: an S3 server, its credentials and a
// bucket on it.
type Config struct {
	// Endpoint is the server's URL, such as "http://127.0.0.1:7070".
	// Its buckets are addressed path style.
	Endpoint string

	// AccessKey and SecretKey are credentials that the server accepts.
	AccessKey, SecretKey string

	// Bucket exists, and is shared by the tests of the binary: each
	// test keeps its objects under a prefix of its own, or asks
	// [NewBucket] for a bucket of its own.
	Bucket string
}

// Client returns a client of the AWS SDK for c's server and credentials,
// in path style and with no checksums beyond what S3 requires, for tests
// to look at a bucket behind the back of the code they test.
func (c Config) Client() *s3api.Client {
	return s3api.New(s3api.Options{
		BaseEndpoint:               aws.String(c.Endpoint),
		Region:                     "us-east-1",
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// server is the S3 server of the test binary, found or started on first
// use by start and stopped by Main.
var server struct {
	once sync.Once
	Config
	skip string // why the tests skip, if they do
	err  error  // why the server could not be had

	cmd  *exec.Cmd     // the versitygw started, if any
	done chan struct{} // closed when cmd has exited
	dir  string        // its folder
	log  *syncWriter   // its output
}

// Main runs the tests of m and exits with their status, having stopped
// the versitygw that Server started, if any, and removed its folder. It
// also sets AWS_EC2_METADATA_DISABLED=true in the environment, which the
// programs that the tests start inherit, so that the AWS credential chain
// never reaches for the credentials of an EC2 instance, at an address
// outside this machine. Call it from TestMain.
func Main(m *testing.M) {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code := m.Run()
	stop()
	os.Exit(code)
}

// Server returns the S3 server of the tests (see the package doc),
// starting a versitygw on first use if there is no other. It skips tb
// when there is no server, or fails it if ESCALA_REQUIRE_S3=1, and fails
// it when the server was found but could not be used.
func Server(tb testing.TB) Config {
	tb.Helper()
	server.once.Do(start)
	if server.err != nil {
		tb.Fatalf("S3 server of the tests: %v", server.err)
	}
	if server.skip != "" {
		if os.Getenv("ESCALA_REQUIRE_S3") == "1" {
			tb.Fatalf("%s; ESCALA_REQUIRE_S3=1 requires it", server.skip)
		}
		tb.Skip(server.skip)
	}
	return server.Config
}

// NewBucket makes a new, empty bucket on the server of Server, for tb
// alone, and returns its name, "escala-test-" and 12 random letters and
// digits. The bucket and what it holds are removed when tb ends. It
// skips or fails tb as Server does, and fails it if the server does not
// let the credentials make a bucket.
func NewBucket(tb testing.TB) string {
	tb.Helper()
	srv := Server(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bucket, err := createBucket(ctx, srv)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := removeBucket(ctx, srv.Client(), bucket); err != nil {
			tb.Errorf("removing the bucket of the test: %v", err)
		}
	})
	return bucket
}

// createBucket makes a bucket of a new name on srv.
func createBucket(ctx context.Context, srv Config) (string, error) {
	bucket := "escala-test-" + strings.ToLower(rand.Text()[:12])
	_, err := srv.Client().CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		return "", fmt.Errorf("creating bucket %s at %s: %w", bucket, srv.Endpoint, err)
	}
	return bucket, nil
}

// removeBucket deletes the objects of bucket and then the bucket.
func removeBucket(ctx context.Context, c *s3api.Client, bucket string) error {
	pages := s3api.NewListObjectsV2Paginator(c, &s3api.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing bucket %s: %w", bucket, err)
		}
		for _, obj := range page.Contents {
			if _, err := c.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: aws.String(bucket), Key: obj.Key}); err != nil {
				return fmt.Errorf("deleting %s from bucket %s: %w", aws.ToString(obj.Key), bucket, err)
			}
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3api.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("deleting bucket %s: %w", bucket, err)
	}
	return nil
}

// start finds or starts the S3 server and makes its bucket, setting
// server's fields.
func start() {
	s := &server
	if endpoint := os.Getenv("ESCALA_S3_ENDPOINT"); endpoint != "" {
		s.Endpoint = endpoint
		s.AccessKey = os.Getenv("ESCALA_S3_ACCESS_KEY")
		s.SecretKey = os.Getenv("ESCALA_S3_SECRET_KEY")
		if s.AccessKey == "" || s.SecretKey == "" {
			s.err = errors.New("ESCALA_S3_ENDPOINT is set but ESCALA_S3_ACCESS_KEY or ESCALA_S3_SECRET_KEY is not")
			return
		}
		if s.Bucket = os.Getenv("ESCALA_S3_BUCKET"); s.Bucket != "" {
			return
		}
	} else {
		bin := findVersitygw()
		if bin == "" {
			s.skip = "no S3 server: set ESCALA_S3_ENDPOINT, or install versitygw " +
				"(go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)"
			return
		}
		if s.err = startVersitygw(bin); s.err != nil {
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.Bucket, s.err = createBucket(ctx, s.Config)
}

// findVersitygw returns the path of the versitygw binary on PATH or in
// $GOPATH/bin, or "" if there is none.
func findVersitygw() string {
	if path, err := exec.LookPath("versitygw"); err == nil {
		return path
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		path := filepath.Join(dir, "bin", "versitygw")
		if _, err := exec.LookPath(path); err == nil {
			return path
		}
	}
	return ""
}

// startVersitygw starts versitygw on a free port of 127.0.0.1 with a new
// temporary folder and random credentials, and waits until it answers.
func startVersitygw(bin string) error {
	s := &server
	dir, err := os.MkdirTemp("", "escala-s3-")
	if err != nil {
		return err
	}
	s.dir = dir
	// A port that was free a moment ago. Should another process take it
	// first, versitygw exits and the wait below says so.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()

	s.AccessKey = "escala" + rand.Text()[:8]
	s.SecretKey = rand.Text()
	s.Endpoint = "http://" + addr
	s.log = &syncWriter{}
	s.cmd = exec.Command(bin, "--port", addr, "--access", s.AccessKey, "--secret", s.SecretKey, "posix", dir)
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	setDeathSignal(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	s.done = make(chan struct{})
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()

	// Any HTTP answer, even 403 to an unsigned request, means it serves.
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		resp, err := client.Get(s.Endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw at %s did not answer within 30s: %v; its output: %s", addr, err, s.log)
		}
		select {
		case <-s.done:
			return fmt.Errorf("versitygw at %s exited: %v; its output: %s", addr, s.cmd.ProcessState, s.log)
		case <-poll.C:
		}
	}
}

// stop stops the versitygw that start started, if any, and removes its
// folder.
func stop() {
	s := &server
	if s.cmd != nil && s.cmd.Process != nil && s.done != nil {
		s.cmd.Process.Kill()
		<-s.done
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// syncWriter keeps what is written to it, serialising the writes, which
// the two output pipes of a command may make at once.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.buf.String())
}

// FlipSignature changes one character of the X-Amz-Signature of the
// query of a presigned URL, for a test that checks that a tampered URL is
// refused.
func FlipSignature(q url.Values) {
	sig := []byte(q.Get("X-Amz-Signature"))
	if len(sig) == 0 {
		return
	}
	if sig[0] == '0' {
		sig[0] = '1'
	} else {
		sig[0] = '0'
	}
	q.Set("X-Amz-Signature", string(sig))
}
