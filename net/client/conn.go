package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/net/wire"
)

// Conn is one connection to a server in one protocol. One goroutine may
// read while another sends (the WebSocket library allows one of each).
type Conn struct {
	ws    *websocket.Conn
	proto wire.Protocol
	dec   *Decoder
	buf   bytes.Buffer // the message being read, reused
}

// Options are Dial's choices; nil is the defaults.
type Options struct {
	// HTTPClient dials the connection (for example from a chosen local
	// address); nil: http.DefaultClient.
	HTTPClient *http.Client
	// ReadLimit is the largest message read, in bytes; 0: 1 MiB.
	ReadLimit int64
	// Positions says whose positions to decode (NewDecoder); nil: everyone's.
	Positions func(id int64) bool
}

// Dial opens a connection to the server's WebSocket url speaking protocol
// p (v2 asks for its subprotocol and fails if the server does not accept
// it). The HTTP response is returned when there is one, so a refusal's
// status can be read.
func Dial(ctx context.Context, url string, p wire.Protocol, opts *Options) (*Conn, *http.Response, error) {
	if opts == nil {
		opts = &Options{}
	}
	dopts := &websocket.DialOptions{HTTPClient: opts.HTTPClient}
	if p == wire.V2 {
		dopts.Subprotocols = []string{wire.SubprotocolV2}
	}
	ws, resp, err := websocket.Dial(ctx, url, dopts)
	if err != nil {
		return nil, resp, fmt.Errorf("dial %s: %w", url, err)
	}
	if wire.Negotiated(ws.Subprotocol()) != p {
		ws.CloseNow() //nolint:errcheck // giving up on it
		return nil, resp, fmt.Errorf("dial %s: the server did not accept %s", url, p)
	}
	limit := opts.ReadLimit
	if limit == 0 {
		limit = 1 << 20
	}
	ws.SetReadLimit(limit)
	return &Conn{ws: ws, proto: p, dec: NewDecoder(p, opts.Positions)}, resp, nil
}

// Send writes a request: action and its arguments in the protocol's form,
// in a binary frame as the original client sends. The arguments are
// strings and numbers.
func (c *Conn) Send(ctx context.Context, action string, args ...any) error {
	msg, err := Request(c.proto, action, args...)
	if err != nil {
		return err
	}
	return c.SendRaw(ctx, msg)
}

// Chat says text; v1's Chat carries the sender's name first, v2's only the line.
func (c *Conn) Chat(ctx context.Context, name, text string) error {
	if c.proto == wire.V2 {
		return c.Send(ctx, "Chat", text)
	}
	return c.Send(ctx, "Chat", name, text)
}

// SendRaw writes msg as it is, in a binary frame.
func (c *Conn) SendRaw(ctx context.Context, msg []byte) error {
	return c.ws.Write(ctx, websocket.MessageBinary, msg)
}

// Request encodes a client request in protocol p: v1 {"a": action, "p0":
// …, "p1": …} with the arguments in order, v2 [action, arguments…].
func Request(p wire.Protocol, action string, args ...any) ([]byte, error) {
	if p == wire.V2 {
		b, err := json.Marshal(append([]any{action}, args...))
		if err != nil {
			return nil, fmt.Errorf("request %s: %w", action, err)
		}
		return b, nil
	}
	b := []byte(`{"a":`)
	b = strconv.AppendQuote(b, action)
	for i, a := range args {
		b = append(b, `,"p`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `":`...)
		v, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("request %s: %w", action, err)
		}
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

// ReadMessage reads the next whole message. The bytes are valid until the
// next read.
func (c *Conn) ReadMessage(ctx context.Context) (websocket.MessageType, []byte, error) {
	typ, r, err := c.ws.Reader(ctx)
	if err != nil {
		return 0, nil, err
	}
	c.buf.Reset()
	if _, err := c.buf.ReadFrom(r); err != nil {
		return 0, nil, err
	}
	return typ, c.buf.Bytes(), nil
}

// Read reads the next message and decodes it, calling handle with each
// packet in order. It returns the message's length and its packets; an
// error wrapping ErrMalformed is a message it could not decode (the
// connection is still open), any other the connection's end.
func (c *Conn) Read(ctx context.Context, handle func(Event)) (size, packets int, err error) {
	typ, msg, err := c.ReadMessage(ctx)
	if err != nil {
		return 0, 0, err
	}
	if c.proto == wire.V1 && typ != websocket.MessageText {
		return len(msg), 0, fmt.Errorf("%w: v1 in a %v frame, not text", ErrMalformed, typ)
	}
	packets, err = c.dec.Decode(msg, handle)
	return len(msg), packets, err
}

// Close closes the connection cleanly with code and reason.
func (c *Conn) Close(code websocket.StatusCode, reason string) error {
	return c.ws.Close(code, reason)
}

// CloseNow closes the connection without the closing handshake.
func (c *Conn) CloseNow() error { return c.ws.CloseNow() }
