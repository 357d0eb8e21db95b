package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/coder/websocket"
)

// v2client is a test client speaking protocol v2.
type v2client struct {
	tb   testing.TB
	conn *websocket.Conn
	in   chan []any // packets, unbatched
	done chan struct{}
	err  error // why reading stopped; valid after done is closed
}

func dialV2(tb testing.TB, addr string) *v2client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+addr+"/", &websocket.DialOptions{Subprotocols: []string{"godmmo.v2"}})
	if err != nil {
		tb.Fatal(err)
	}
	if conn.Subprotocol() != "godmmo.v2" {
		tb.Fatalf("server chose subprotocol %q", conn.Subprotocol())
	}
	c := &v2client{tb: tb, conn: conn, in: make(chan []any, 4096), done: make(chan struct{})}
	tb.Cleanup(func() { conn.CloseNow() }) //nolint:errcheck // test cleanup
	go func() {
		defer close(c.done)
		for {
			_, msg, err := conn.Read(context.Background())
			if err != nil {
				c.err = err
				return
			}
			var batch [][]any
			if err := json.Unmarshal(msg, &batch); err != nil || len(batch) == 0 {
				c.err = fmt.Errorf("v2 message %s is not a non-empty array of packets: %v", msg, err)
				return
			}
			for _, p := range batch {
				c.in <- p
			}
		}
	}()
	return c
}

func (c *v2client) send(packet ...any) {
	c.tb.Helper()
	b, err := json.Marshal(packet)
	if err != nil {
		c.tb.Fatal(err)
	}
	if err := c.conn.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.tb.Fatal(err)
	}
}

// await skips packets until one matches.
func (c *v2client) await(what string, match func([]any) bool) []any {
	c.tb.Helper()
	return awaitOn(c.tb, c.in, c.done, func() error { return c.err }, 2*wait, what, match)
}

func v2is(kind string, id int64) func([]any) bool {
	return func(p []any) bool { return p[0] == kind && (id == 0 || p[1] == float64(id)) }
}

// TestAreaOfInterestV1AndV2 puts a v1 and a v2 player in one world with a
// small view: they see each other, lose sight when one walks away (v2:
// Leave, v1: Disconnect), see each other again at the view's edge when it
// walks back, and both end up knowing the right positions.
func TestAreaOfInterestV1AndV2(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, t.TempDir(), "-view-radius", "100", "-view-margin", "20", "-spawn-spread", "0")
	app, _ := startApp(t, cfg)

	v1, v1ID := join(t, app.Addr(), "oldclient", 1)
	v2 := dialV2(t, app.Addr())
	v2.send("Register", "newclient", "pw", 2)
	v2.await("ok", v2is("ok", 0))
	v2.send("Login", "newclient", "pw")
	v2.await("ok", v2is("ok", 0))
	own := v2.await("own model", v2is("E", 0))
	v2ID := int64(own[1].(float64))
	if own[2] != "newclient" || own[4] != 0.0 || own[5] != 0.0 {
		t.Fatalf("own model %v", own)
	}
	if p := v1.await("the v2 player", isModelOf(v2ID)); !p.full() {
		t.Fatalf("first model of the v2 player is a delta: %s", p.Raw)
	}
	v2.await("the v1 player", v2is("E", v1ID))

	// The v1 player walks 200 east: out of the 100+20 view.
	v1.send("Target", 200, 0)
	v2.await("leave", v2is("L", v1ID))
	if got := v1.await("Disconnect", func(p packet) bool { return p.A == "Disconnect" }).actorID(); got != v2ID {
		t.Errorf("v1 player got Disconnect(%d), want %d", got, v2ID)
	}
	for {
		if x, _, _ := v1.await("own walk", isModelOf(v1ID)).pos(); x == 200 {
			break
		}
	}

	// And back to 30: both see the other again, at about the view's edge.
	v1.send("Target", 30, 0)
	e := v2.await("enter", v2is("E", v1ID))
	if x := e[4].(float64); x > 134 || x < 95 {
		t.Errorf("v2 player saw the v1 player come in at x=%v, want near the 100 edge (rounded up to cells)", x)
	}
	if e[6] != 30.0 || e[7] != 0.0 || e[8] != 70.0 {
		t.Errorf("enter %v does not say it walks to 30,0 at 70", e)
	}
	full := v1.await("the v2 player again", isModelOf(v2ID))
	if x, y, _ := full.pos(); !full.full() || x != 0 || y != 0 {
		t.Errorf("v1 player saw the v2 player again as %s", full.Raw)
	}

	// The v2 player walks too; the v1 player is led there.
	v2.send("Target", 0, 90)
	m := v2.await("own intent", v2is("M", v2ID))
	if m[4] != 0.0 || m[5] != 90.0 {
		t.Errorf("own intent %v, want a walk to 0,90", m)
	}
	for {
		p := v1.await("the v2 player's walk", isModelOf(v2ID))
		if x, y, _ := p.pos(); math.Abs(x) < 0.01 && y == 90 {
			break
		}
	}
}

// next returns the next packet.
func (c *v2client) next() []any {
	c.tb.Helper()
	return c.await("a packet", func([]any) bool { return true })
}
