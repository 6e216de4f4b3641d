package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/transport"
)

// DefaultConcurrency is the number of images a Runner sends at once when
// its Concurrency is 0: enough to keep a gateway busy while results
// download, few enough not to crowd one.
const DefaultConcurrency = 4

// redrawEvery is how often the bar is redrawn while no file finishes, for
// its rate to follow the time.
const redrawEvery = 250 * time.Millisecond

// A Runner sends images to the gateway of Client and saves the results it
// links to, through escala.Download: each result file is replaced whole or
// not at all.
//
// Client must be set; the other fields' zero values mean their defaults.
// A Runner is safe for concurrent use, but its reports on Out would mix.
type Runner struct {
	// Client reaches the gateway. The caller closes it.
	Client *transport.Client

	// HTTP downloads the results. nil means http.DefaultClient.
	HTTP *http.Client

	// Concurrency bounds the images in flight at once, from reading the
	// file to saving the result. 0 means DefaultConcurrency.
	Concurrency int

	// Timeout bounds the exchange of each image: sending it and
	// downloading its result. 0 means no bound but the context's.
	Timeout time.Duration

	// Stdin is read for the input Stdin. nil means os.Stdin.
	Stdin io.Reader

	// Out receives the report. nil means os.Stdout.
	Out io.Writer

	// Bar draws a progress bar on Out, which must then be a terminal
	// (see IsTerminal).
	Bar bool
}

// A Summary counts what a batch did.
type Summary struct {
	OK, Failed int
	// Sent is the bytes of the images that the gateway answered, with a
	// link or an error; Received is the bytes of the results saved.
	Sent, Received int64
	Elapsed        time.Duration
}

// String renders s as the last line of a report:
//
//	4 files: 3 ok, 1 failed; sent 1.5 MiB, received 310.2 KiB in 1.42s
func (s Summary) String() string {
	elapsed := s.Elapsed.Round(10 * time.Millisecond)
	if s.Elapsed < time.Second {
		elapsed = s.Elapsed.Round(time.Millisecond)
	}
	return fmt.Sprintf("%d files: %d ok, %d failed; sent %s, received %s in %v",
		s.OK+s.Failed, s.OK, s.Failed, size(s.Sent), size(s.Received), elapsed)
}

// Run sends the images of jobs, Concurrency at a time, saves their results
// and returns what it did. It reports on Out, as each image is done, a
// line with its link or its error, in the order they finish:
//
//	photos/cat.jpg: http://127.0.0.1:8082/wkxq…jpg (320x240), saved as scaled/cat.jpg
//	photos/notes.jpg: error: the gateway replied: scaler: invalid image: …
//
// and then the Summary. With Bar, a progress bar stays below the lines
// until the end. An image that fails does not stop the others; when ctx
// ends, the images not yet done fail as interrupted.
func (r *Runner) Run(ctx context.Context, jobs []Job) Summary {
	start := time.Now()
	p := &Progress{W: r.out(), Bar: r.Bar, Total: len(jobs), Start: start}
	p.Redraw()
	stop := make(chan struct{})
	ticking := make(chan struct{})
	if r.Bar {
		go func() {
			defer close(ticking)
			t := time.NewTicker(redrawEvery)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					p.Redraw()
				}
			}
		}()
	} else {
		close(ticking)
	}

	var g errgroup.Group
	limit := r.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	g.SetLimit(limit)
	results := make([]result, len(jobs))
	for i, job := range jobs {
		g.Go(func() error {
			res := r.send(ctx, job)
			results[i] = res
			if res.err != nil {
				p.Done(fmt.Sprintf("%s: error: %v", job.name(), res.err), true, res.sent)
			} else {
				p.Done(fmt.Sprintf("%s: %s (%dx%d), saved as %s", job.name(), res.link, res.width, res.height, job.Out), false, res.sent)
			}
			return nil
		})
	}
	g.Wait()
	close(stop)
	<-ticking

	s := Summary{Elapsed: time.Since(start)}
	for _, res := range results {
		if res.err != nil {
			s.Failed++
		} else {
			s.OK++
		}
		s.Sent += res.sent
		s.Received += res.received
	}
	p.Clear()
	fmt.Fprintln(r.out(), s)
	return s
}

// result is what became of a Job.
type result struct {
	link          string
	width, height int
	sent          int64 // bytes the gateway answered
	received      int64 // bytes saved
	err           error // worded for the report
}

// send does job within Timeout.
func (r *Runner) send(ctx context.Context, job Job) result {
	if err := ctx.Err(); err != nil {
		return result{err: worded(err, "interrupted")}
	}
	data, err := r.read(job.In)
	if err != nil {
		return result{err: err}
	}
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	resp, err := r.Client.Do(ctx, &transport.Request{Body: data})
	if err != nil {
		res := result{err: sendError(ctx, err, r.Client.Addr, r.Timeout)}
		if errors.As(err, new(*transport.RemoteError)) {
			res.sent = int64(len(data))
		}
		return res
	}
	res := result{link: resp.Location, width: resp.Width, height: resp.Height, sent: int64(len(data))}
	n, err := escala.Download(ctx, r.HTTP, resp.Location, job.Out)
	if err != nil {
		res.err = downloadError(ctx, err, resp.Location, job.Out, r.Timeout)
		return res
	}
	res.received = n
	return res
}

// One sends the image in, a file's path or Stdin, saves its result as the
// file out, and prints on Out what it does, as the client did before it
// knew batches:
//
//	Connecting to the server at 127.0.0.1:8080...
//	Sending image of 351588 bytes...
//	Scaled image (1280x800) available at: http://127.0.0.1:8082/wkxq…jpg
//	Scaled image received (60012 bytes) and saved as imagen_escalada.jpg.
//
// Timeout bounds the sending and the download together. It returns the
// error that stopped it, worded as a line of the report of Run is.
func (r *Runner) One(ctx context.Context, in, out string) error {
	data, err := r.read(in)
	if err != nil {
		return err
	}
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	w := r.out()
	fmt.Fprintf(w, "Connecting to the server at %s...\n", r.Client.Addr)
	fmt.Fprintf(w, "Sending image of %d bytes...\n", len(data))
	resp, err := r.Client.Do(ctx, &transport.Request{Body: data})
	if err != nil {
		return sendError(ctx, err, r.Client.Addr, r.Timeout)
	}
	fmt.Fprintf(w, "Scaled image (%dx%d) available at: %s\n", resp.Width, resp.Height, resp.Location)
	n, err := escala.Download(ctx, r.HTTP, resp.Location, out)
	if err != nil {
		return downloadError(ctx, err, resp.Location, out, r.Timeout)
	}
	fmt.Fprintf(w, "Scaled image received (%d bytes) and saved as %s.\n", n, out)
	return nil
}

// read returns the bytes of the input in; an empty one is an error, as it
// cannot be an image.
func (r *Runner) read(in string) ([]byte, error) {
	var data []byte
	var err error
	if in == Stdin {
		stdin := r.Stdin
		if stdin == nil {
			stdin = os.Stdin
		}
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(in)
	}
	if err != nil {
		return nil, readError(err, in)
	}
	if len(data) == 0 {
		if in == Stdin {
			return nil, errors.New("standard input is empty: no image to send")
		}
		return nil, fmt.Errorf("%s is empty: no image to send", in)
	}
	return data, nil
}

func (r *Runner) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.Timeout > 0 {
		return context.WithTimeout(ctx, r.Timeout)
	}
	return context.WithCancel(ctx)
}

func (r *Runner) out() io.Writer {
	if r.Out == nil {
		return os.Stdout
	}
	return r.Out
}
