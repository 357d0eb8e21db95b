package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/net/wire"
)

// peer is a WebSocket server on a loopback port that accepts the
// subprotocols given, answers each request with reply in a frame of type
// typ, and reports the requests it read.
func peer(t *testing.T, subprotocols []string, typ websocket.MessageType, reply string) (url string, requests <-chan string) {
	t.Helper()
	got := make(chan string, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: subprotocols})
		if err != nil {
			return
		}
		defer c.CloseNow() //nolint:errcheck // the test ends it
		for {
			_, msg, err := c.Read(context.Background())
			if err != nil {
				return
			}
			got <- string(msg)
			if c.Write(context.Background(), typ, []byte(reply)) != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), got
}

// TestConn dials real WebSocket servers: a request goes out in the
// protocol's form and the answer comes back decoded; a v1 answer in a
// binary frame is malformed, and a server that does not accept v2 is a
// dial error.
func TestConn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		proto        wire.Protocol
		subprotocols []string
		typ          websocket.MessageType
		reply        string
		wantSent     string
		want         []Event
		malformed    bool
	}{
		{"v1", wire.V1, nil, websocket.MessageText, `{"a":"Chat","p0":"ann","p1":"hi"}`, `{"a":"Chat","p0":"bot","p1":"hi"}`,
			[]Event{{Kind: Chat, From: "ann", Text: "hi"}}, false},
		{"v1 in a binary frame", wire.V1, nil, websocket.MessageBinary, `{"a":"Ok"}`, `{"a":"Chat","p0":"bot","p1":"hi"}`, nil, true},
		{"v2", wire.V2, []string{wire.SubprotocolV2}, websocket.MessageText, `[["T",5],["C","ann","hi"]]`, `["Chat","hi"]`,
			[]Event{{Kind: Tick, Tick: 5, HasTick: true}, {Kind: Chat, From: "ann", Text: "hi"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, requests := peer(t, tc.subprotocols, tc.typ, tc.reply)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, _, err := Dial(ctx, url, tc.proto, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow() //nolint:errcheck // the test ends it
			if err := c.Chat(ctx, "bot", "hi"); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-requests:
				if got != tc.wantSent {
					t.Errorf("sent %s, want %s", got, tc.wantSent)
				}
			case <-ctx.Done():
				t.Fatal("the server read no request")
			}
			var got []Event
			size, n, err := c.Read(ctx, func(e Event) { got = append(got, e) })
			if tc.malformed {
				if !errors.Is(err, ErrMalformed) || len(got) != 0 {
					t.Errorf("read %+v, %v; want ErrMalformed", got, err)
				}
				return
			}
			if err != nil || size != len(tc.reply) || n != len(tc.want) || len(got) != len(tc.want) {
				t.Fatalf("read %d bytes, %d packets %+v, %v", size, n, got, err)
			}
			for i := range got {
				if got[i].Kind != tc.want[i].Kind || got[i].From != tc.want[i].From || got[i].Text != tc.want[i].Text || got[i].Tick != tc.want[i].Tick {
					t.Errorf("packet %d: %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}

	// A server that speaks only v1 is not taken for a v2 one.
	url, _ := peer(t, nil, websocket.MessageText, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, _, err := Dial(ctx, url, wire.V2, nil); err == nil || !strings.Contains(err.Error(), "did not accept v2") {
		t.Errorf("v2 against a v1-only server: %v", err)
		if c != nil {
			c.CloseNow() //nolint:errcheck // the test ends it
		}
	}
}
