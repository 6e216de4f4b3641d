package transport

import "context"

// Ping reports whether the server accepts connections: it dials a new
// connection to Addr, within ctx and DialTimeout, and closes it at once
// with nothing sent; pooled connections are neither used nor counted.
// A server that cannot be reached gives an error wrapping
// ErrUnavailable, as in Do; when ctx ends first, the error wraps ctx's.
// After Close, Ping returns ErrClientClosed. A Balancer probes its
// scalers with it.
func (c *Client) Ping(ctx context.Context) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrClientClosed
	}
	nc, err := c.dial(ctx)
	if err != nil {
		return err
	}
	nc.Close()
	return nil
}
