package net

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	stdnet "net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"golang.org/x/time/rate"
)

// Errors of reads heldConn refuses before the WebSocket library sees them.
var (
	// errFrameFlood: the client sent frames faster than its budget allows.
	errFrameFlood = errors.New("net: too many frames")
	// errCloseReason: the client's close frame has a reason that is not
	// UTF-8, which the library would echo back as it is (RFC 6455 §8.1
	// wants 1007 instead).
	errCloseReason = errors.New("net: close reason is not UTF-8")
	// errCloseCode: the client's close frame is malformed or has a code no
	// peer may send (RFC 6455 §7.4).
	errCloseCode = errors.New("net: invalid close frame")
)

// peerClose is the client's close frame, held back from the library: it
// would answer it at once, before the session has taken the player's
// actor out of the world; the session answers it after (session.serve).
type peerClose struct {
	code   websocket.StatusCode
	reason string
}

func (p *peerClose) Error() string { return fmt.Sprintf("net: closed by the client with %d", p.code) }

// heldConn sits under a WebSocket connection. It holds what the WebSocket
// library writes while the session's write loop writes a burst, so the
// whole burst leaves in one write system call instead of one per message;
// writes outside a burst (pongs, the close frame) go straight through.
// It also counts the frames the client sends, which the library does not
// limit: a message split into endless empty continuation frames costs the
// server a frame's work each while the packet limit, which counts whole
// messages, never hears of it.
type heldConn struct {
	stdnet.Conn
	mu    sync.Mutex
	hold  bool
	buf   []byte     // the burst held; nil between bursts
	spare *sync.Pool // burst buffers, shared by every connection of a server

	// Read side, used by the library's single reader only.
	pre     []byte                // bytes read before the hijack, served first
	frames  *rate.Limiter         // every frame the client sends, control frames too
	hdr     [14]byte              // the frame header being read
	hn      int                   // bytes of it read
	skip    uint64                // payload bytes of the current frame still to come
	masked  bool                  // the current frame is masked (as a client's must be)
	mask    [4]byte               // with this key
	closing bool                  // the current frame is a close frame
	ctl     []byte                // its payload, as read so far (at most 125 bytes)
	refused atomic.Pointer[error] // what a read was refused with: a *peerClose or an error above
}

// Read reads from the connection and counts the frames that pass; over the
// frame budget it fails with errFrameFlood.
func (c *heldConn) Read(p []byte) (int, error) {
	var n int
	var err error
	if len(c.pre) > 0 {
		n = copy(p, c.pre)
		c.pre = c.pre[n:]
	} else {
		n, err = c.Conn.Read(p)
	}
	if ferr := c.count(p[:n]); ferr != nil {
		c.refused.CompareAndSwap(nil, &ferr)
		return 0, ferr
	}
	return n, err
}

// count follows the frame headers in b, a continuation of what it saw
// before, and takes one token of the frame budget per frame.
func (c *heldConn) count(b []byte) error {
	if c.frames == nil {
		return nil
	}
	for len(b) > 0 {
		if c.skip > 0 {
			k := min(c.skip, uint64(len(b)))
			if c.closing {
				c.ctl = append(c.ctl, b[:k]...)
			}
			c.skip -= k
			b = b[k:]
			if c.skip == 0 && c.closing {
				return c.closed()
			}
			continue
		}
		c.hdr[c.hn] = b[0]
		c.hn++
		b = b[1:]
		if c.hn < 2 {
			continue
		}
		need, size := 2, uint64(c.hdr[1]&0x7f)
		switch size {
		case 126:
			need += 2
		case 127:
			need += 8
		}
		if c.hdr[1]&0x80 != 0 {
			need += 4 // the mask
		}
		if c.hn < need {
			continue
		}
		switch size {
		case 126:
			size = uint64(binary.BigEndian.Uint16(c.hdr[2:4]))
		case 127:
			size = binary.BigEndian.Uint64(c.hdr[2:10])
		}
		if c.masked = c.hdr[1]&0x80 != 0; c.masked {
			copy(c.mask[:], c.hdr[need-4:need])
		}
		c.hn, c.skip = 0, size
		c.closing, c.ctl = c.hdr[0]&0x0f == 0x8, c.ctl[:0]
		switch {
		case !c.frames.Allow():
			return errFrameFlood
		case c.closing && size > 125:
			return errCloseCode
		case c.closing && size == 0:
			return c.closed()
		}
	}
	return nil
}

// closed reads the close frame just read: the client's close, or an
// error when it breaks the rules.
func (c *heldConn) closed() error {
	p := c.ctl
	if c.masked {
		for i := range p {
			p[i] ^= c.mask[i%4]
		}
	}
	switch {
	case len(p) == 0:
		return &peerClose{code: websocket.StatusNoStatusRcvd}
	case len(p) == 1:
		return errCloseCode
	}
	code := websocket.StatusCode(binary.BigEndian.Uint16(p))
	switch {
	case !validCloseCode(code):
		return errCloseCode
	case !utf8.Valid(p[2:]):
		return errCloseReason
	}
	return &peerClose{code: code, reason: string(p[2:])}
}

// validCloseCode reports whether a peer may send code in a close frame:
// the defined codes meant for the wire, or one of 3000–4999.
func validCloseCode(code websocket.StatusCode) bool {
	switch {
	case code >= 3000 && code <= 4999:
		return true
	case code < 1000 || code > 1014:
		return false
	}
	return code != 1004 && code != websocket.StatusNoStatusRcvd && code != websocket.StatusAbnormalClosure
}

// refusal is what the first refused read failed with, or nil.
func (c *heldConn) refusal() error {
	if err := c.refused.Load(); err != nil {
		return *err
	}
	return nil
}

// Write holds p during a burst, and writes it at once otherwise.
func (c *heldConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hold {
		if c.buf == nil {
			if b, ok := c.spare.Get().(*[]byte); ok {
				c.buf = *b
			}
		}
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
	if cap(c.buf) <= maxSpare { // one huge burst should not pin its buffer for good
		b := c.buf[:0]
		c.spare.Put(&b)
	}
	c.buf = nil // an idle connection holds no buffer
	if err != nil {
		return fmt.Errorf("net: write: %w", err)
	}
	return c.Conn.SetWriteDeadline(time.Time{})
}

// maxSpare is the largest burst buffer kept for reuse.
const maxSpare = 256 << 10

// The library's buffers under each connection: small, as what it reads is
// a client's short packets, and what it writes in a burst is held in a
// burst buffer anyway.
const (
	readBuffer  = 1024
	writeBuffer = 512
)

// holdingWriter hands the WebSocket library a heldConn when it hijacks the
// HTTP connection.
type holdingWriter struct {
	http.ResponseWriter
	conn   *heldConn
	frames *rate.Limiter // the client's frame budget
	spare  *sync.Pool    // burst buffers
}

// Hijack takes over the connection as a heldConn, with the library's
// buffered writer writing through it and its reader reading through it,
// from the first byte after the HTTP request on, so every frame is counted.
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
	pre, _ := brw.Reader.Peek(brw.Reader.Buffered())
	w.conn = &heldConn{Conn: conn, pre: append([]byte(nil), pre...), frames: w.frames, spare: w.spare}
	return w.conn, bufio.NewReadWriter(bufio.NewReaderSize(w.conn, readBuffer), bufio.NewWriterSize(w.conn, writeBuffer)), nil
}
