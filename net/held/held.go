// Package held is the TCP connection under a WebSocket connection: it
// holds what the WebSocket library writes during a burst so the burst
// leaves in one write system call, and it checks what the client sends
// that the library does not (frames per second, close frames), before the
// library reads it.
package held

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

// Errors of reads Conn refuses before the WebSocket library sees them.
var (
	// ErrFrameFlood: the client sent frames faster than its budget allows.
	ErrFrameFlood = errors.New("held: too many frames")
	// ErrCloseReason: the client's close frame has a reason that is not
	// UTF-8, which the library would echo back as it is (RFC 6455 §8.1
	// wants 1007 instead).
	ErrCloseReason = errors.New("held: close reason is not UTF-8")
	// ErrCloseCode: the client's close frame is malformed or has a code no
	// peer may send (RFC 6455 §7.4).
	ErrCloseCode = errors.New("held: invalid close frame")
)

// PeerClose is the client's close frame, held back from the library: it
// would answer it at once, before the session has taken the player's
// actor out of the world; the session answers it after.
type PeerClose struct {
	Code   websocket.StatusCode
	Reason string
}

func (p *PeerClose) Error() string { return fmt.Sprintf("held: closed by the client with %d", p.Code) }

// Conn sits under a WebSocket connection. It holds what the WebSocket
// library writes while the session's write loop writes a burst, so the
// whole burst leaves in one write system call instead of one per message;
// writes outside a burst (pongs, the close frame) go straight through.
// It also counts the frames the client sends, which the library does not
// limit: a message split into endless empty continuation frames costs the
// server a frame's work each while the packet limit, which counts whole
// messages, never hears of it.
type Conn struct {
	stdnet.Conn
	mu       sync.Mutex
	hold     bool
	buf      []byte     // the burst held; nil between bursts
	deadline time.Time  // the write deadline set, zero for none
	spare    *sync.Pool // burst buffers, shared by every connection of a server

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
	refused atomic.Pointer[error] // what a read was refused with: a *PeerClose or an error above
}

// Read reads from the connection and counts the frames that pass; over the
// frame budget it fails with ErrFrameFlood.
func (c *Conn) Read(p []byte) (int, error) {
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
func (c *Conn) count(b []byte) error {
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
			return ErrFrameFlood
		case c.closing && size > 125:
			return ErrCloseCode
		case c.closing && size == 0:
			return c.closed()
		}
	}
	return nil
}

// closed reads the close frame just read: the client's close, or an
// error when it breaks the rules.
func (c *Conn) closed() error {
	p := c.ctl
	if c.masked {
		for i := range p {
			p[i] ^= c.mask[i%4]
		}
	}
	switch {
	case len(p) == 0:
		return &PeerClose{Code: websocket.StatusNoStatusRcvd}
	case len(p) == 1:
		return ErrCloseCode
	}
	code := websocket.StatusCode(binary.BigEndian.Uint16(p))
	switch {
	case !validCloseCode(code):
		return ErrCloseCode
	case !utf8.Valid(p[2:]):
		return ErrCloseReason
	}
	return &PeerClose{Code: code, Reason: string(p[2:])}
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

// Refusal is what the first refused read failed with, or nil.
func (c *Conn) Refusal() error {
	if err := c.refused.Load(); err != nil {
		return *err
	}
	return nil
}

// Write holds p during a burst, and writes it at once otherwise.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hold {
		if c.buf == nil && c.spare != nil {
			if b, ok := c.spare.Get().(*[]byte); ok {
				c.buf = *b
			}
		}
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	if !c.deadline.IsZero() { // a burst's, which need not bind a pong written later
		if err := c.Conn.SetWriteDeadline(time.Time{}); err != nil {
			return 0, fmt.Errorf("held: write deadline: %w", err)
		}
		c.deadline = time.Time{}
	}
	return c.Conn.Write(p)
}

// Hold starts a burst.
func (c *Conn) Hold() {
	c.mu.Lock()
	c.hold = true
	c.mu.Unlock()
}

// Flush ends a burst, writing what it held by deadline.
func (c *Conn) Flush(deadline time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hold = false
	if len(c.buf) == 0 {
		return nil
	}
	// The deadline set for an earlier burst serves while it leaves this one
	// at least half the time asked for: setting it costs as much as a
	// tenth of a small write.
	if now := time.Now(); deadline.Before(c.deadline) || c.deadline.Sub(now) < deadline.Sub(now)/2 {
		if err := c.Conn.SetWriteDeadline(deadline); err != nil {
			return fmt.Errorf("held: write deadline: %w", err)
		}
		c.deadline = deadline
	}
	_, err := c.Conn.Write(c.buf)
	if c.spare != nil && cap(c.buf) <= maxSpare { // one huge burst should not pin its buffer for good
		b := c.buf[:0]
		c.spare.Put(&b)
	}
	c.buf = nil // an idle connection holds no buffer
	if err != nil {
		return fmt.Errorf("held: write: %w", err)
	}
	return nil
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

// Writer hands the WebSocket library a Conn when it hijacks the HTTP
// connection; Conn is set once it has.
type Writer struct {
	http.ResponseWriter
	Conn   *Conn
	Frames *rate.Limiter // the client's frame budget
	Spare  *sync.Pool    // burst buffers, shared by every connection of a server
}

// Hijack takes over the connection as a Conn, with the library's
// buffered writer writing through it and its reader reading through it,
// from the first byte after the HTTP request on, so every frame is counted.
func (w *Writer) Hijack() (stdnet.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("held: %T cannot be hijacked", w.ResponseWriter)
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("held: flush before hijack: %w", err)
	}
	pre, _ := brw.Reader.Peek(brw.Reader.Buffered())
	w.Conn = &Conn{Conn: conn, pre: append([]byte(nil), pre...), frames: w.Frames, spare: w.Spare}
	return w.Conn, bufio.NewReadWriter(bufio.NewReaderSize(w.Conn, readBuffer), bufio.NewWriterSize(w.Conn, writeBuffer)), nil
}
