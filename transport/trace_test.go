package transport

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escala-img/escala/scaler"
)

// The request id travels in native requests, and a wrong one is refused.
func TestRequestIDWire(t *testing.T) {
	for _, id := range []string{"", "a", "0123456789abcdef", strings.Repeat("x", MaxIDLen)} {
		meta, body, err := marshalRequest(&Request{Body: []byte("img"), ID: id})
		if err != nil {
			t.Fatalf("marshalRequest(ID %q): %v", id, err)
		}
		req, err := parseRequest(&frame{typ: typeRequest, meta: meta, body: body})
		if err != nil || req.ID != id {
			t.Errorf("ID %q came back as %q, %v", id, req.ID, err)
		}
	}
	for _, id := range []string{"has space", strings.Repeat("x", MaxIDLen+1), "tab\t", "é"} {
		if _, _, err := marshalRequest(&Request{Body: []byte("img"), ID: id}); !errors.Is(err, scaler.ErrInvalidOptions) {
			t.Errorf("marshalRequest(ID %q) = %v, want ErrInvalidOptions", id, err)
		}
	}
	meta, _, _ := marshalRequest(&Request{Body: []byte("img"), ID: "abc"})
	for _, bad := range [][]byte{
		append(meta[:requestMeta:requestMeta], 5, 'a', 'b'), // length says 5, 2 follow
		append(meta[:requestMeta:requestMeta], 0),           // empty id
		append(meta[:requestMeta:requestMeta], 1, ' '),      // a space
	} {
		if _, err := parseRequest(&frame{typ: typeRequest, meta: bad, body: []byte("img")}); !errors.Is(err, errBadRequest) {
			t.Errorf("parseRequest(meta % x) = %v, want a bad request", bad[requestMeta:], err)
		}
	}
}

// Observe gets one Trace per request, of every protocol, with the id the
// client sent or one of the server's, the phases of the server and of the
// handler, the sizes and the result; and a Client sends the id of the
// Trace of its ctx.
func TestObserve(t *testing.T) {
	observed := make(chan *Trace, 8)
	h := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		tr := TraceFrom(ctx)
		if tr == nil || tr.ID != req.ID {
			return nil, errors.New("no trace, or not the request's id")
		}
		tr.AddPhase("work", 0)
		if string(req.Body) == "bad" {
			return nil, scaler.ErrInvalid
		}
		if req.Image != nil {
			return &Response{Image: req.Image}, nil
		}
		return &Response{Location: "loc"}, nil
	})
	_, rl := startServer(t, h, func(s *Server) {
		s.Observe = func(tr *Trace) { observed <- tr }
	})
	c := &Client{Addr: rl.Addr().String()}
	defer c.Close()
	ctx := WithTrace(context.Background(), &Trace{ID: "from-the-gateway"})
	if _, err := c.Scale(ctx, balancerSrc, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(context.Background(), &Request{Body: []byte("bad")}); err == nil {
		t.Fatal("bad request accepted")
	}
	// A raw upload of bytes that start no protocol: refused at once.
	nc, err := net.Dial("tcp", rl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nc.Write([]byte("abc"))
	buf := make([]byte, 512)
	nc.Read(buf)
	nc.Close()
	var traces []*Trace
	for range 3 {
		select {
		case tr := <-observed:
			traces = append(traces, tr)
		case <-time.After(5 * time.Second):
			t.Fatalf("%d traces after 5s, want 3", len(traces))
		}
	}
	want := []struct {
		id, result string
		proto      Protocol
		work       bool
	}{
		{"from-the-gateway", "ok", Native, true},
		{"", "invalid", Native, true},
		{"", "invalid", Raw, false},
	}
	// Each request's Trace is observed after its reply is written, so
	// the order may differ from the requests'.
	slices.SortStableFunc(traces, func(a, b *Trace) int {
		rank := func(t *Trace) int {
			switch {
			case t.Result == "ok":
				return 0
			case t.Protocol == Native:
				return 1
			}
			return 2
		}
		return rank(a) - rank(b)
	})
	for i, w := range want {
		tr := traces[i]
		var names []string
		for _, p := range tr.Phases() {
			names = append(names, p.Name)
		}
		phases := strings.Join(names, ",")
		wantPhases := "receive,reply"
		if w.work {
			wantPhases = "receive,work,reply"
		}
		if w.id != "" && tr.ID != w.id || tr.ID == "" || tr.Result != w.result || tr.Protocol != w.proto ||
			phases != wantPhases || tr.BytesIn == 0 || tr.BytesOut == 0 {
			t.Errorf("trace %d: id %q, result %s, protocol %v, phases %s, in %d, out %d; want id %q, %s, %v, %s",
				i, tr.ID, tr.Result, tr.Protocol, phases, tr.BytesIn, tr.BytesOut, w.id, w.result, w.proto, wantPhases)
		}
	}
	if traces[1].ID == traces[2].ID {
		t.Errorf("two requests without ids got the same one, %s", traces[1].ID)
	}
}
