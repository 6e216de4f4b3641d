package transport

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

func TestClientPing(t *testing.T) {
	_, rl := startServer(t, echo, nil)
	up := rl.Addr().String()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	closed := &Client{Addr: up}
	closed.Close()

	tests := []struct {
		name   string
		client *Client
		ctx    context.Context
		want   error // nil: success
	}{
		{"listening", &Client{Addr: up}, context.Background(), nil},
		{"closed port", &Client{Addr: down}, context.Background(), ErrUnavailable},
		{"ctx ended", &Client{Addr: up}, cancelled, context.Canceled},
		{"closed client", closed, context.Background(), ErrClientClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.client.Close()
			err := tc.client.Ping(tc.ctx)
			if !errors.Is(err, tc.want) {
				t.Errorf("Ping(%s) = %v, want %v", tc.client.Addr, err, tc.want)
			}
		})
	}
}

// Ping dials a connection of its own, even when one is pooled.
func TestClientPingDials(t *testing.T) {
	_, rl := startServer(t, echo, nil)
	c := &Client{Addr: rl.Addr().String()}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Do(ctx, &Request{Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := c.Ping(ctx); err != nil {
			t.Fatalf("Ping = %v", err)
		}
	}
	if !within(time.Second, func() bool { return len(rl.accepted()) == 3 }) {
		t.Errorf("the server accepted %d connections for a request and 2 pings, want 3", len(rl.accepted()))
	}
}
