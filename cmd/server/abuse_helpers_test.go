package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	stdnet "net"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fromAddr is an HTTP client whose connections leave from local IP ip
// (any of 127.0.0.0/8 reaches the loopback server), so one test can play
// several remote addresses.
func fromAddr(ip string) *http.Client {
	d := &stdnet.Dialer{LocalAddr: &stdnet.TCPAddr{IP: stdnet.ParseIP(ip)}, Timeout: wait}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// dialFrom is dial from local IP ip.
func dialFrom(tb testing.TB, addr, ip string) *client {
	tb.Helper()
	c, resp, err := tryDial(addr, ip)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		tb.Fatalf("dial from %s: %v (HTTP %d)", ip, err, status)
	}
	c.tb = tb
	go c.read()
	tb.Cleanup(func() { c.conn.CloseNow() }) //nolint:errcheck // test cleanup
	return c
}

// tryDial opens a WebSocket from ip, returning the HTTP answer when refused.
func tryDial(addr, ip string) (*client, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws://"+addr+"/", &websocket.DialOptions{HTTPClient: fromAddr(ip)})
	if err != nil {
		return nil, resp, err
	}
	return &client{conn: conn, in: make(chan packet, 4096), done: make(chan struct{})}, resp, nil
}

// upgradeStatus sends a WebSocket upgrade request with the given Host and
// Origin and returns the HTTP status of the answer (101 when accepted).
func upgradeStatus(t *testing.T, addr, host, origin string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString([]byte(rand.Text()[:16])))
	res, err := (&http.Client{Timeout: wait}).Do(req)
	if err != nil {
		t.Fatalf("upgrade request: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

// rawConn is a WebSocket spoken by hand over TCP, for frames a proper
// client library would never send.
type rawConn struct {
	c  stdnet.Conn
	br *bufio.Reader
}

// dialRaw performs the opening handshake by hand.
func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := stdnet.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(3 * wait)) //nolint:errcheck // bounds the whole exchange
	key := base64.StdEncoding.EncodeToString([]byte(rand.Text()[:16]))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n", addr, key)
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake answered %s", res.Status)
	}
	return &rawConn{c: c, br: br}
}

// frame writes one final frame; masked says whether to mask it as a client must.
func (r *rawConn) frame(t *testing.T, opcode byte, payload []byte, masked bool) {
	t.Helper()
	r.write(t, encodeFrame(true, opcode, payload, masked))
}

// write writes bytes as they are.
func (r *rawConn) write(t *testing.T, b []byte) {
	t.Helper()
	if _, err := r.c.Write(b); err != nil {
		t.Fatalf("write frames: %v", err)
	}
}

// encodeFrame is a frame as the client would send it; fin false leaves
// its message to continuation frames.
func encodeFrame(fin bool, opcode byte, payload []byte, masked bool) []byte {
	b := []byte{opcode}
	if fin {
		b[0] |= 0x80
	}
	mbit := byte(0)
	if masked {
		mbit = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		b = append(b, mbit|byte(n))
	default:
		b = append(b, mbit|126, byte(n>>8), byte(n))
	}
	p := append([]byte(nil), payload...)
	if masked {
		key := []byte{0x12, 0x34, 0x56, 0x78}
		b = append(b, key...)
		for i := range p {
			p[i] ^= key[i%4]
		}
	}
	return append(b, p...)
}

// closeFrame reads frames until a close frame and returns its code and
// reason, or -1 when the connection ended without one.
func (r *rawConn) closeFrame() (websocket.StatusCode, string) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(r.br, h[:]); err != nil {
			return -1, err.Error()
		}
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			if _, err := io.ReadFull(r.br, l[:]); err != nil {
				return -1, err.Error()
			}
			n = int(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			if _, err := io.ReadFull(r.br, l[:]); err != nil {
				return -1, err.Error()
			}
			n = int(binary.BigEndian.Uint64(l[:]))
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(r.br, p); err != nil {
			return -1, err.Error()
		}
		if h[0]&0x0f == 0x8 {
			if n < 2 {
				return websocket.StatusNoStatusRcvd, ""
			}
			return websocket.StatusCode(binary.BigEndian.Uint16(p)), string(p[2:])
		}
	}
}

// discardLog is a logger that writes nothing.
func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
