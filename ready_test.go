package escala_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/escala-img/escala"
	"github.com/escala-img/escala/scaler"
)

// upScaler is a Scaler that says how many scale servers are up.
type upScaler struct {
	scaler.Local
	up int
}

func (s *upScaler) Up() int { return s.up }

// pingScaler is a Scaler whose ping fails with err.
type pingScaler struct {
	scaler.Local
	err error
}

func (s *pingScaler) Ping(ctx context.Context) error { return s.err }

func TestGatewayCheck(t *testing.T) {
	down := errors.New("dial tcp 10.0.0.9:8001: connection refused")
	full := &scaler.Budget{Max: 10, MaxWaiting: 1}
	tests := []struct {
		name   string
		g      *escala.Gateway
		reason string // "" for ready
	}{
		{"ready, in process", &escala.Gateway{Store: &memStore{}}, ""},
		{"ready, a scale server up", &escala.Gateway{Store: &memStore{}, Scaler: &upScaler{up: 1}}, ""},
		{"no scale server up", &escala.Gateway{Store: &memStore{}, Scaler: &upScaler{up: 0}}, "no scale server answers"},
		{"the scale server does not answer", &escala.Gateway{Store: &memStore{}, Scaler: &pingScaler{err: down}}, "the scale server does not answer"},
		{"the store refuses a write", &escala.Gateway{Store: failingStore{}}, "the store refuses a write"},
		{"queue full", &escala.Gateway{Store: &memStore{}, Budget: full}, "busy: 1 requests wait for memory"},
	}
	hold, err := full.Acquire(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	waiting := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(waiting)
		full.Acquire(ctx, 5) // waits until cancelled
	}()
	for full.Stats().Waiting < 1 {
		select {
		case <-waiting:
			t.Fatal("the second Acquire did not wait")
		default:
			runtime.Gosched()
		}
	}
	defer func() { cancel(); <-waiting }()

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.g.Check(context.Background())
			if tc.reason == "" {
				if err != nil {
					t.Errorf("Check = %v, want ready", err)
				}
				return
			}
			var nr *escala.NotReadyError
			if !errors.As(err, &nr) || nr.Reason != tc.reason {
				t.Errorf("Check = %v, want the reason %q", err, tc.reason)
			}
		})
	}
	st := &memStore{}
	g := &escala.Gateway{Store: st}
	if err := g.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	rc, err := st.Open(context.Background(), escala.ReadyKey)
	if err != nil {
		t.Fatalf("Check left nothing under ReadyKey: %v", err)
	}
	rc.Close()
}
