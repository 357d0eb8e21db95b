package guard

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	stdnet "net"
	"net/http"
	"sync"
	"time"
)

// Listener wraps the game port's listener so that every TCP connection
// counts against the connection caps (Limits.MaxConns, MaxConnsPerAddr)
// from its accept to its close, whatever it turns out to be: a WebSocket,
// a page of the web client, an idle keep-alive or nothing at all. A
// connection over a cap is refused at once, as nats-server refuses a
// client over max_connections, before it costs a request's work: with
// answer set (plain HTTP) it gets an HTTP 503 or 429 saying why, without
// (TLS, where plain text would be noise) it is only closed. The Server
// alone, without this listener, counts no connections.
func (g *Guard) Listener(ln stdnet.Listener, answer bool) stdnet.Listener {
	return &countedListener{Listener: ln, g: g, answer: answer}
}

type countedListener struct {
	stdnet.Listener
	g       *Guard
	answer  bool
	refusal sync.WaitGroup // answers to refused connections, a second each at most
}

// Close stops accepting and waits for the answers to refused connections.
func (l *countedListener) Close() error {
	err := l.Listener.Close()
	l.refusal.Wait()
	return err
}

// Accept returns the next connection within the caps, refusing those over
// them on the way.
func (l *countedListener) Accept() (stdnet.Conn, error) {
	g := l.g
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := remoteIP(c.RemoteAddr().String())
		key := limitKey(addr)
		over := g.conns.open(key, g.limited(addr))
		if over == "" {
			return &countedConn{Conn: c, release: func() { g.conns.close(key) }}, nil
		}
		log := g.log.With("remote", c.RemoteAddr().String())
		status, text := http.StatusServiceUnavailable, "The server is full, please try again later"
		if over == "total" {
			g.Refuse(log, slog.LevelInfo, "conns_total", "connection refused: server full", "max_conns", g.lim.MaxConns)
		} else {
			status, text = http.StatusTooManyRequests, "Too many connections from your address"
			g.Refuse(log, slog.LevelInfo, "conns_addr", "connection refused: too many from one address", "max_conns_per_addr", g.lim.MaxConnsPerAddr)
		}
		if !l.answer {
			c.Close()
			continue
		}
		l.refusal.Go(func() { refuseConn(c, status, text) })
	}
}

// refuseConn answers a refused connection's request with status and text
// and closes it, within a second. It reads the request's head first: an
// HTTP client that gets an answer before it has sent its request takes it
// for a broken connection, not a refusal. Then it writes the answer, ends
// its side, and reads what the client still sends until the client closes
// too, so that the kernel does not reset the connection (losing the
// answer) over unread bytes.
func refuseConn(c stdnet.Conn, status int, text string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second)) //nolint:errcheck // a failing connection ends below anyway
	head := bufio.NewReader(io.LimitReader(c, 16<<10))
	for {
		line, err := head.ReadSlice('\n')
		if err != nil || len(bytes.TrimSpace(line)) == 0 {
			break // the head's end, or none coming
		}
	}
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 30\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s\n",
		status, http.StatusText(status), len(text)+1, text)
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite() //nolint:errcheck // as above
	}
	io.Copy(io.Discard, io.LimitReader(c, 64<<10)) //nolint:errcheck // only draining
}

// countedConn uncounts its connection when it is closed, once.
type countedConn struct {
	stdnet.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
