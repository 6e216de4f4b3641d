package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
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

// The tests that need an S3 server use, in this order:
//
//   - the server at ESCALA_S3_ENDPOINT, with the credentials
//     ESCALA_S3_ACCESS_KEY and ESCALA_S3_SECRET_KEY, in the bucket
//     ESCALA_S3_BUCKET if set (it must exist) or else in a new bucket;
//   - or a versitygw of their own, started on a free port of 127.0.0.1
//     with a temporary folder, if a versitygw binary is on PATH or in
//     $GOPATH/bin (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0).
//
// With neither they skip, saying so, unless ESCALA_REQUIRE_S3=1, which
// makes them fail instead.

// testServer is the S3 server of the tests, started on first use by
// startServer and stopped by TestMain.
var testServer struct {
	once sync.Once
	testS3
	skip string // why the tests skip, if they do
	err  error  // why the server could not be had

	cmd  *exec.Cmd     // the versitygw started, if any
	done chan struct{} // closed when cmd has exited
	dir  string        // its folder
	log  bytes.Buffer  // its output
}

// testS3 is where the tests store: an endpoint, credentials and a bucket.
type testS3 struct {
	endpoint       string
	access, secret string
	bucket         string
}

func TestMain(m *testing.M) {
	// No test may reach for the credentials of an EC2 instance, at an
	// address outside this machine.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code := m.Run()
	stopServer()
	os.Exit(code)
}

// s3Server returns the S3 server of the tests, starting it if needed. It
// skips t when there is none, or fails it if ESCALA_REQUIRE_S3=1.
func s3Server(t testing.TB) testS3 {
	t.Helper()
	testServer.once.Do(startServer)
	if testServer.err != nil {
		t.Fatalf("S3 server of the tests: %v", testServer.err)
	}
	if testServer.skip != "" {
		if os.Getenv("ESCALA_REQUIRE_S3") == "1" {
			t.Fatalf("%s; ESCALA_REQUIRE_S3=1 requires it", testServer.skip)
		}
		t.Skip(testServer.skip)
	}
	return testServer.testS3
}

// startServer finds or starts the S3 server and makes its bucket,
// setting testServer's fields.
func startServer() {
	ts := &testServer
	if endpoint := os.Getenv("ESCALA_S3_ENDPOINT"); endpoint != "" {
		ts.endpoint = endpoint
		ts.access = os.Getenv("ESCALA_S3_ACCESS_KEY")
		ts.secret = os.Getenv("ESCALA_S3_SECRET_KEY")
		if ts.access == "" || ts.secret == "" {
			ts.err = errors.New("ESCALA_S3_ENDPOINT is set but ESCALA_S3_ACCESS_KEY or ESCALA_S3_SECRET_KEY is not")
			return
		}
		if ts.bucket = os.Getenv("ESCALA_S3_BUCKET"); ts.bucket != "" {
			return
		}
	} else {
		bin := findVersitygw()
		if bin == "" {
			ts.skip = "no S3 server: set ESCALA_S3_ENDPOINT, or install versitygw " +
				"(go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)"
			return
		}
		if ts.err = startVersitygw(bin); ts.err != nil {
			return
		}
	}
	ts.bucket = "escala-test-" + strings.ToLower(rand.Text()[:12])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := adminClient(ts.testS3).CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: aws.String(ts.bucket)})
	if err != nil {
		ts.err = fmt.Errorf("creating bucket %s at %s: %w", ts.bucket, ts.endpoint, err)
	}
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
	ts := &testServer
	dir, err := os.MkdirTemp("", "escala-s3-")
	if err != nil {
		return err
	}
	ts.dir = dir
	// A port that was free a moment ago. Should another process take it
	// first, versitygw exits and the wait below says so.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()

	ts.access = "escala" + rand.Text()[:8]
	ts.secret = rand.Text()
	ts.endpoint = "http://" + addr
	ts.cmd = exec.Command(bin, "--port", addr, "--access", ts.access, "--secret", ts.secret, "posix", dir)
	ts.cmd.Stdout = &syncWriter{w: &ts.log}
	ts.cmd.Stderr = ts.cmd.Stdout
	setDeathSignal(ts.cmd)
	if err := ts.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	ts.done = make(chan struct{})
	go func() {
		ts.cmd.Wait()
		close(ts.done)
	}()

	// Any HTTP answer, even 403 to an unsigned request, means it serves.
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		resp, err := client.Get(ts.endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw at %s did not answer within 30s: %v; its output: %s", addr, err, ts.cmd.Stdout)
		}
		select {
		case <-ts.done:
			return fmt.Errorf("versitygw at %s exited: %v; its output: %s", addr, ts.cmd.ProcessState, ts.cmd.Stdout)
		case <-poll.C:
		}
	}
}

// stopServer stops the versitygw that startServer started, if any, and
// removes its folder.
func stopServer() {
	ts := &testServer
	if ts.cmd != nil && ts.cmd.Process != nil && ts.done != nil {
		ts.cmd.Process.Kill()
		<-ts.done
	}
	if ts.dir != "" {
		os.RemoveAll(ts.dir)
	}
}

// adminClient returns a client of the SDK for srv, to look at the bucket
// behind the Store's back.
func adminClient(srv testS3) *s3api.Client {
	return s3api.New(s3api.Options{
		BaseEndpoint:               aws.String(srv.endpoint),
		Region:                     "us-east-1",
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(srv.access, srv.secret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// syncWriter serialises the writes to w, which the two output pipes of a
// command may make at once.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.w.String())
}
