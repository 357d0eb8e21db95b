package server

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// cutProxy passes TCP connections on to a server at its own loopback
// address, byte for byte (so a WebSocket, its handshake, its origin and
// the pages of -web all go through unchanged), until it is cut: down ends
// every connection it carries at once with a TCP reset and no close frame,
// as a network that goes away does, and resets each new connection on
// arrival until up is called.
type cutProxy struct {
	tb      testing.TB
	target  string
	ln      net.Listener
	refused chan struct{} // one value per connection reset on arrival
	wg      sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	down   bool
	closed bool
}

func newCutProxy(tb testing.TB, target string) *cutProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &cutProxy{tb: tb, target: target, ln: ln, refused: make(chan struct{}, 64), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	tb.Cleanup(p.close)
	return p
}

// Addr is the address to connect to instead of the server's.
func (p *cutProxy) Addr() string { return p.ln.Addr().String() }

// cut resets every connection the proxy carries, both sides, and keeps
// resetting new ones until up; it returns how many client connections it cut.
func (p *cutProxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for len(p.refused) > 0 {
		<-p.refused // awaitRefused counts from this cut on
	}
	n := 0
	for c := range p.conns {
		if c.LocalAddr().String() == p.Addr() {
			n++
		}
		resetConn(c)
	}
	return n
}

// up lets connections through again.
func (p *cutProxy) up() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// awaitRefused waits until n more connections were reset on arrival since
// the last cut, failing the test after d or when stop closes first.
func (p *cutProxy) awaitRefused(n int, d time.Duration, stop <-chan struct{}) {
	p.tb.Helper()
	deadline := time.After(d)
	for i := 0; i < n; i++ {
		select {
		case <-p.refused:
		case <-stop:
			p.tb.Fatalf("the client ended after %d of %d connections were refused", i, n)
		case <-deadline:
			p.tb.Fatalf("%d of %d connections refused within %v", i, n, d)
		}
	}
}

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		if p.down || p.closed {
			p.mu.Unlock()
			resetConn(c)
			select {
			case p.refused <- struct{}{}:
			default:
			}
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.pipe(c)
	}
}

// pipe carries one client connection to the server and back; when either
// side ends, both are closed (a close frame passes through first).
func (p *cutProxy) pipe(c net.Conn) {
	defer p.wg.Done()
	s, err := net.DialTimeout("tcp", p.target, wait)
	p.mu.Lock()
	if err != nil || p.down || p.closed {
		p.mu.Unlock()
		if s != nil {
			resetConn(s)
		}
		p.forget(c)
		resetConn(c)
		return
	}
	p.conns[s] = struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); done <- struct{}{} }() //nolint:errcheck // a cut ends it
	go func() { io.Copy(c, s); done <- struct{}{} }() //nolint:errcheck // a cut ends it
	<-done
	c.Close()
	s.Close()
	<-done
	p.forget(c)
	p.forget(s)
}

func (p *cutProxy) forget(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *cutProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		resetConn(c)
	}
	p.mu.Unlock()
	if err := p.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		p.tb.Errorf("close the proxy: %v", err)
	}
	p.wg.Wait()
}

// resetConn closes c with a TCP reset: no FIN, and no WebSocket close frame.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0) //nolint:errcheck // best effort: a plain close is still abrupt
	}
	c.Close()
}
