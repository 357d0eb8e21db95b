package net

import (
	"bufio"
	"fmt"
	stdnet "net"
	"net/http"
	"sync"
	"time"
)

// heldConn sits under a WebSocket connection and holds what the WebSocket
// library writes while the session's write loop writes a burst, so the
// whole burst leaves in one write system call instead of one per message.
// Writes outside a burst (pongs, the close frame) go straight through.
type heldConn struct {
	stdnet.Conn
	mu   sync.Mutex
	hold bool
	buf  []byte
}

// Write holds p during a burst, and writes it at once otherwise.
func (c *heldConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hold {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// Hold starts a burst.
func (c *heldConn) Hold() {
	c.mu.Lock()
	c.hold = true
	c.mu.Unlock()
}

// Flush ends a burst, writing what it held by deadline.
func (c *heldConn) Flush(deadline time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hold = false
	if len(c.buf) == 0 {
		return nil
	}
	if err := c.Conn.SetWriteDeadline(deadline); err != nil {
		return fmt.Errorf("net: write deadline: %w", err)
	}
	_, err := c.Conn.Write(c.buf)
	if cap(c.buf) > 1<<20 {
		c.buf = nil // one huge burst should not pin its buffer for good
	} else {
		c.buf = c.buf[:0]
	}
	if err != nil {
		return fmt.Errorf("net: write: %w", err)
	}
	return c.Conn.SetWriteDeadline(time.Time{})
}

// holdingWriter hands the WebSocket library a heldConn when it hijacks the
// HTTP connection.
type holdingWriter struct {
	http.ResponseWriter
	conn *heldConn
}

// Hijack takes over the connection as a heldConn, with the library's
// buffered writer writing through it.
func (w *holdingWriter) Hijack() (stdnet.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("net: %T cannot be hijacked", w.ResponseWriter)
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("net: flush before hijack: %w", err)
	}
	w.conn = &heldConn{Conn: conn}
	return w.conn, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(w.conn, 4096)), nil
}
