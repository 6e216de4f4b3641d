package examples_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escala-img/escala/internal/tools/progtest"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/store/s3/s3test"
	"github.com/escala-img/escala/transport"
)

// The tests of this file run the programs as they are deployed to scale
// out: scale servers, and gateways that spread their work over all of
// them and store their results in one bucket of an S3 server, which
// s3test provides (they skip without one, or fail if ESCALA_REQUIRE_S3=1).

func TestMain(m *testing.M) { s3test.Main(m) }

// storeDown is what a client is told when the gateway could not store its
// result.
const storeDown = "escala: the result could not be stored; try again later"

// linkSecret signs the links of the gateways of a cluster, so that each
// serves the links that the others give.
const linkSecret = "the secret of the scale-out links"

// keyPattern is the name of a result: 160 bits of a hash, in base 32.
var keyPattern = regexp.MustCompile(`^[a-z2-7]{32}\.jpg$`)

// A cluster is scale servers, and gateways over them that share a bucket.
type cluster struct {
	t       *testing.T
	bins    map[string]string
	srv     s3test.Config
	bucket  string
	env     []string            // of the gateways: the S3 credentials
	scalers []*progtest.Program // the scale servers
	marks   int                 // marker images sent by scaled
}

// newCluster builds the programs, makes a bucket of the test's own and
// starts n scale servers.
func newCluster(t *testing.T, n int) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	c := &cluster{t: t, srv: s3test.Server(t), bucket: s3test.NewBucket(t)}
	c.bins = progtest.Build(t, "scaleserver", "asyncserver")
	// Only these credentials, from the environment as in production:
	// no profile or file of the machine's.
	c.env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+c.srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+c.srv.SecretKey, "AWS_SESSION_TOKEN=",
		"AWS_PROFILE=", "AWS_CONFIG_FILE=/nonexistent/escala-test", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent/escala-test")
	for range n {
		c.scalers = append(c.scalers, progtest.Start(t, c.bins["scaleserver"], 1, "--ip", "127.0.0.1", "--port", "0"))
	}
	return c
}

// storeURL is the --store of the cluster's bucket at the S3 server at
// endpoint.
func (c *cluster) storeURL(endpoint string) string {
	return "s3://" + c.bucket + "?endpoint=" + endpoint
}

// gateway starts a gateway over every scale server of the cluster that
// stores in store, with more flags in args.
func (c *cluster) gateway(store string, args ...string) *progtest.Program {
	c.t.Helper()
	var scalers []string
	for _, s := range c.scalers {
		scalers = append(scalers, s.Addr())
	}
	args = append([]string{"--ip", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0",
		"--scaler", strings.Join(scalers, ","), "--store", store}, args...)
	cmd := exec.Command(c.bins["asyncserver"], args...)
	cmd.Env = c.env
	return progtest.StartCmd(c.t, cmd, 2)
}

// scaled returns how many w×h images the scale servers have been sent,
// counting all that each received before the call: each is first sent a
// marker image, of a size of its own, and its log line for it awaited, as
// a server logs its lines in order.
func (c *cluster) scaled(w, h int) int {
	c.t.Helper()
	n := 0
	for _, s := range c.scalers {
		c.marks++
		mw, mh := 20+c.marks, 10 // smaller than every image of the tests
		client := &transport.Client{Addr: s.Addr()}
		_, err := client.Do(c.t.Context(), &transport.Request{Body: sample.JPEG(mw, mh)})
		client.Close()
		if err != nil {
			c.t.Fatalf("marker image to scale server %s: %v", s.Addr(), err)
		}
		s.WaitLog(c.t, 10*time.Second, scaledLine(mw, mh))
		for _, line := range s.Lines() {
			if scaledLine(w, h)(line) {
				n++
			}
		}
	}
	return n
}

// scaledLine matches the line that a scale server logs for a w×h image.
func scaledLine(w, h int) func(string) bool {
	from := fmt.Sprintf(" from=%dx%d ", w, h)
	return func(line string) bool {
		return strings.Contains(line, " msg=request ") && strings.Contains(line, " result=ok") && strings.Contains(line+" ", from)
	}
}

// upload sends data to a gateway in the native protocol.
func upload(ctx context.Context, c *transport.Client, data []byte) (*transport.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return c.Do(ctx, &transport.Request{Body: data})
}

// keyOf returns the name of the result that link points at.
func keyOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	key := path.Base(u.Path)
	if !keyPattern.MatchString(key) {
		t.Fatalf("link %q names %q, not a result", link, key)
	}
	return key
}

// get sends a GET without credentials to rawURL, and returns the status
// and the body.
func get(t *testing.T, rawURL string) (int, []byte) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Get(rawURL)
	if err == nil {
		defer resp.Body.Close()
		var body []byte
		if body, err = io.ReadAll(resp.Body); err == nil {
			return resp.StatusCode, body
		}
	}
	t.Fatalf("GET %s: %v", rawURL, err)
	return 0, nil
}

// checkDownload fails t unless rawURL serves a whole JPEG of w×h.
func checkDownload(t *testing.T, rawURL string, w, h int) []byte {
	t.Helper()
	status, body := get(t, rawURL)
	if status != http.StatusOK {
		t.Errorf("GET %s = %d, want 200", rawURL, status)
		return nil
	}
	img, err := jpeg.Decode(bytes.NewReader(body))
	if err != nil {
		t.Errorf("GET %s: %d bytes that are not a whole JPEG: %v", rawURL, len(body), err)
		return nil
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("GET %s: a %dx%d JPEG, want %dx%d", rawURL, b.Dx(), b.Dy(), w, h)
	}
	return body
}

// A link made by either gateway is served by the other, and an upload
// that one gateway has processed is answered by the other from the
// bucket, without a scale server.
func TestScaleOut(t *testing.T) {
	c := newCluster(t, 2)
	store := c.storeURL(c.srv.Endpoint)
	a := c.gateway(store, "--link-secret", linkSecret)
	b := c.gateway(store, "--link-secret", linkSecret)
	toA, toB := &transport.Client{Addr: a.Addr()}, &transport.Client{Addr: b.Addr()}
	defer toA.Close()
	defer toB.Close()

	const w, h = 322, 242
	img := sample.JPEG(w, h)
	fromA, err := upload(t.Context(), toA, img)
	if err != nil {
		t.Fatalf("upload to gateway A: %v", err)
	}
	if !strings.HasPrefix(fromA.Location, a.URL()+"/") || !strings.Contains(fromA.Location, "&s=") {
		t.Fatalf("gateway A gave the link %q, want a signed link at %s", fromA.Location, a.URL())
	}
	if n := c.scaled(w, h); n != 1 {
		t.Fatalf("the scale servers scaled the upload %d times, want once", n)
	}
	if fromA.Width != w/2 || fromA.Height != h/2 {
		t.Errorf("gateway A: a result of %dx%d, want %dx%d", fromA.Width, fromA.Height, w/2, h/2)
	}
	onB := b.URL() + strings.TrimPrefix(fromA.Location, a.URL())
	checkDownload(t, onB, w/2, h/2)

	fromB, err := upload(t.Context(), toB, img)
	if err != nil {
		t.Fatalf("the same upload to gateway B: %v", err)
	}
	if !strings.HasPrefix(fromB.Location, b.URL()+"/") {
		t.Fatalf("gateway B gave the link %q, want one at %s", fromB.Location, b.URL())
	}
	if ka, kb := keyOf(t, fromA.Location), keyOf(t, fromB.Location); ka != kb {
		t.Errorf("the same upload is %s at gateway A and %s at gateway B, want one name", ka, kb)
	}
	if fromB.Width != w/2 || fromB.Height != h/2 {
		t.Errorf("gateway B: a result of %dx%d, want %dx%d", fromB.Width, fromB.Height, w/2, h/2)
	}
	if n := c.scaled(w, h); n != 1 {
		t.Errorf("after the same upload to gateway B, the scale servers scaled it %d times, want once: B found A's result", n)
	}
	onA := a.URL() + strings.TrimPrefix(fromB.Location, b.URL())
	checkDownload(t, onA, w/2, h/2)
}

// No result that was acknowledged is lost: while two gateways take
// uploads, a scale server is killed and its work goes to the other, and
// then a gateway is killed, and every link it gave is served by the other.
func TestScaleOutKills(t *testing.T) {
	c := newCluster(t, 2)
	store := c.storeURL(c.srv.Endpoint)
	gws := []*progtest.Program{
		c.gateway(store, "--link-secret", linkSecret),
		c.gateway(store, "--link-secret", linkSecret),
	}
	urls := []string{gws[0].URL(), gws[1].URL()}
	clients := []*transport.Client{{Addr: gws[0].Addr()}, {Addr: gws[1].Addr()}}
	for _, cl := range clients {
		defer cl.Close()
	}

	type job struct{ gw, w, h int }
	type outcome struct {
		job
		link      string
		err       error
		afterKill bool // gateway A was killed before the reply came
	}
	const perGateway, workers = 24, 6
	jobs := make(chan job, 2*perGateway)
	for i := range perGateway {
		for g := range 2 {
			jobs <- job{g, 120 + 4*i + 2*g, 90} // each upload a picture of its own
		}
	}
	close(jobs)
	var aKilled atomic.Bool
	results := make(chan outcome, 2*perGateway)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				resp, err := upload(t.Context(), clients[j.gw], sample.JPEG(j.w, j.h))
				o := outcome{job: j, err: err, afterKill: aKilled.Load()}
				if err == nil {
					o.link = resp.Location
				}
				results <- o
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	var done []outcome
	for o := range results {
		done = append(done, o)
		switch len(done) {
		case 8:
			// Scale server 1 has had work by now; it dies while
			// both gateways send it more.
			c.scalers[0].WaitLog(t, 10*time.Second, func(line string) bool {
				return strings.Contains(line, " msg=request ") && strings.Contains(line, " result=ok")
			})
			c.scalers[0].Kill()
		case 24:
			aKilled.Store(true)
			gws[0].Kill()
		}
	}

	fromA, lostA := 0, 0
	for _, o := range done {
		if o.err != nil {
			if o.gw == 0 && o.afterKill {
				lostA++ // never acknowledged
				continue
			}
			t.Errorf("upload of %dx%d to gateway %c: %v; want a link, with a scale server down", o.w, o.h, 'A'+o.gw, o.err)
			continue
		}
		if !strings.HasPrefix(o.link, urls[o.gw]+"/") {
			t.Errorf("gateway %c gave the link %q, want one at %s", 'A'+o.gw, o.link, urls[o.gw])
			continue
		}
		if o.gw == 0 {
			fromA++
		}
		// Every link is served by gateway B, whichever gave it.
		checkDownload(t, urls[1]+strings.TrimPrefix(o.link, urls[o.gw]), o.w/2, o.h/2)
	}
	if fromA == 0 {
		t.Errorf("gateway A gave no link before it was killed")
	}
	t.Logf("%d uploads: %d links from gateway A, all served by B; %d uploads to A after its death failed", len(done), fromA, lostA)
}

// A gateway whose store is down, or does not answer, tells its clients
// so within its --process-timeout, gives no link, keeps serving, and
// stores again once the store is back, with no restart.
func TestScaleOutStoreDown(t *testing.T) {
	c := newCluster(t, 1)
	proxy := newStoreProxy(t, c.srv.Endpoint)
	const processTimeout = 3 * time.Second
	gw := c.gateway(c.storeURL("http://"+proxy.addr), "--process-timeout", processTimeout.String())
	client := &transport.Client{Addr: gw.Addr()}
	defer client.Close()

	stored := sample.JPEG(200, 150)
	resp, err := upload(t.Context(), client, stored)
	if err != nil {
		t.Fatalf("upload with the store up: %v", err)
	}
	link := resp.Location
	before := checkDownload(t, link, 100, 75)

	// storeIsDown checks that an upload of data, in the native protocol
	// and then in the original one, gets the store's error and no link,
	// within --process-timeout.
	storeIsDown := func(t *testing.T, data []byte) {
		t.Helper()
		start := time.Now()
		resp, err := upload(t.Context(), client, data)
		took := time.Since(start)
		var re *transport.RemoteError
		switch {
		case err == nil:
			t.Errorf("upload with the store down gave the link %q, want no link", resp.Location)
		case !errors.As(err, &re) || re.Code != transport.CodeUnavailable || re.Message != storeDown:
			t.Errorf("upload with the store down = %v, want a RemoteError %q, code unavailable", err, storeDown)
		}
		if took >= processTimeout {
			t.Errorf("upload with the store down: the reply came after %v, want it within --process-timeout %v", took, processTimeout)
		}
		start = time.Now()
		line, err := progtest.RawUpload(gw.Addr(), data)
		took = time.Since(start)
		if err != nil || line != "Error: "+storeDown+"\n" {
			t.Errorf("raw upload with the store down = %q, %v; want the line %q", line, err, "Error: "+storeDown)
		}
		if took >= processTimeout {
			t.Errorf("raw upload with the store down: the reply came after %v, want it within --process-timeout %v", took, processTimeout)
		}
	}

	t.Run("refusing", func(t *testing.T) {
		proxy.set(t, proxyRefuse)
		storeIsDown(t, sample.JPEG(202, 150))
		storeIsDown(t, stored) // no link to a result that cannot be read now
		// The HTTP server of the results answers too: that it cannot.
		if status, _ := get(t, link); status != http.StatusServiceUnavailable {
			t.Errorf("GET of a result with the store down = %d, want 503", status)
		}
	})
	t.Run("silent", func(t *testing.T) {
		proxy.set(t, proxySilent)
		storeIsDown(t, sample.JPEG(204, 150))
	})

	proxy.set(t, proxyForward)
	resp, err = upload(t.Context(), client, sample.JPEG(202, 150))
	if err != nil {
		t.Fatalf("upload once the store is back: %v", err)
	}
	checkDownload(t, resp.Location, 101, 75)
	if after := checkDownload(t, link, 100, 75); !bytes.Equal(after, before) {
		t.Errorf("the result stored before the store went down serves other bytes after")
	}
}

// The links of --links presigned are S3's, at the public endpoint, and
// work without credentials until tampered with; those of --links public
// are --public-url and the key.
func TestScaleOutLinks(t *testing.T) {
	c := newCluster(t, 1)
	const w, h = 240, 180

	t.Run("presigned", func(t *testing.T) {
		public := otherName(t, c.srv.Endpoint)
		gw := c.gateway(c.storeURL(c.srv.Endpoint)+"&public-endpoint="+public, "--links", "presigned", "--link-ttl", "10m")
		client := &transport.Client{Addr: gw.Addr()}
		defer client.Close()
		resp, err := upload(t.Context(), client, sample.JPEG(w, h))
		if err != nil {
			t.Fatalf("upload: %v", err)
		}
		link := resp.Location
		key := keyOf(t, link)
		if !strings.HasPrefix(link, public+"/"+c.bucket+"/"+key+"?") || !strings.Contains(link, "X-Amz-Signature=") {
			t.Fatalf("link %q, want a presigned URL of %s/%s/%s", link, public, c.bucket, key)
		}
		checkDownload(t, link, w/2, h/2)

		u, _ := url.Parse(link)
		q := u.Query()
		if got := q.Get("X-Amz-Expires"); got != "600" {
			t.Errorf("link %q: X-Amz-Expires = %q, want 600, from --link-ttl 10m", link, got)
		}
		s3test.FlipSignature(q)
		u.RawQuery = q.Encode()
		if status, body := get(t, u.String()); status != http.StatusForbidden {
			t.Errorf("GET of the link with its signature changed = %d, %q; want 403", status, body)
		}
		// Signed for the public name, it is refused under the other.
		direct := c.srv.Endpoint + strings.TrimPrefix(link, public)
		if status, _ := get(t, direct); status != http.StatusForbidden {
			t.Errorf("GET of the link at the store's endpoint %s = %d; want 403", c.srv.Endpoint, status)
		}
	})

	t.Run("public", func(t *testing.T) {
		const cdn = "http://cdn.example.test/thumbs"
		gw := c.gateway(c.storeURL(c.srv.Endpoint), "--links", "public", "--public-url", cdn)
		client := &transport.Client{Addr: gw.Addr()}
		defer client.Close()
		resp, err := upload(t.Context(), client, sample.JPEG(w+2, h))
		if err != nil {
			t.Fatalf("upload: %v", err)
		}
		key := keyOf(t, resp.Location)
		if resp.Location != cdn+"/"+key {
			t.Errorf("link %q, want %s/%s", resp.Location, cdn, key)
		}
		// The bucket has it under that key.
		checkDownload(t, gw.URL()+"/"+key, (w+2)/2, h/2)
	})
}

// otherName returns endpoint with another name of its host: localhost
// for 127.0.0.1 or ::1 and back, or else an address the name resolves to.
func otherName(t *testing.T, endpoint string) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Hostname()
	other := ""
	switch host {
	case "127.0.0.1", "::1":
		other = "localhost"
	case "localhost":
		other = "127.0.0.1"
	default:
		if addrs, err := net.LookupHost(host); err == nil && addrs[0] != host {
			other = addrs[0]
		}
	}
	if other == "" {
		t.Fatalf("no other name for %s, the host of the S3 server", host)
	}
	if port := u.Port(); port != "" {
		u.Host = net.JoinHostPort(other, port)
	} else {
		u.Host = other
	}
	return u.String()
}

// A proxyMode is what a storeProxy does with connections.
type proxyMode int

const (
	proxyForward proxyMode = iota // passes them on to the store
	proxyRefuse                   // refuses them: the port is closed
	proxySilent                   // accepts them and never answers
)

// A storeProxy stands between a gateway and the S3 server, on a port of
// its own, and does with the connections what its mode says.
type storeProxy struct {
	addr, target string // its address; the store's

	mu     sync.Mutex
	l      net.Listener // nil while refusing
	silent bool
	conns  []net.Conn // those open; closed when the mode changes
	wg     sync.WaitGroup
}

// newStoreProxy starts a proxy that forwards to the S3 server at
// endpoint, until t ends.
func newStoreProxy(t *testing.T, endpoint string) *storeProxy {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &storeProxy{addr: l.Addr().String(), target: u.Host}
	p.serve(l)
	t.Cleanup(func() {
		p.set(t, proxyRefuse)
		p.wg.Wait()
	})
	return p
}

// set changes the proxy's mode, closing the connections open. p.addr is
// listened on again when the mode is no longer proxyRefuse.
func (p *storeProxy) set(t *testing.T, m proxyMode) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.silent = m == proxySilent
	switch {
	case m == proxyRefuse && p.l != nil:
		p.l.Close()
		p.l = nil
	case m != proxyRefuse && p.l == nil:
		l, err := net.Listen("tcp", p.addr)
		if err != nil {
			t.Fatalf("listening again on the proxy's %s: %v", p.addr, err)
		}
		p.serve(l)
	}
}

// serve accepts the connections of l until it is closed. p.mu is held,
// or p is not yet shared.
func (p *storeProxy) serve(l net.Listener) {
	p.l = l
	p.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.handle(l, c)
		}
	})
}

// handle holds c, or passes it on to the store, as the mode says.
func (p *storeProxy) handle(l net.Listener, c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != l { // refused since
		c.Close()
		return
	}
	p.conns = append(p.conns, c)
	if p.silent {
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.conns = append(p.conns, s)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		dst.Close()
		src.Close()
	}
	p.wg.Go(func() { pipe(s, c) })
	p.wg.Go(func() { pipe(c, s) })
}
