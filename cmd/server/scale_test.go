package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	netclient "github.com/godmmo/godmmo/net/client"
	"github.com/godmmo/godmmo/net/wire"
)

// v2packet is a received v2 packet as net/client decodes it, with the
// packet itself: for failures, and for what Event does not keep (how many
// elements the packet has).
type v2packet struct {
	netclient.Event
	Raw json.RawMessage
}

// String is the packet as the server sent it.
func (p v2packet) String() string { return string(p.Raw) }

// elements is how many elements the packet has (-1 if it is no array).
func (p v2packet) elements() int {
	var els []json.RawMessage
	if json.Unmarshal(p.Raw, &els) != nil {
		return -1
	}
	return len(els)
}

// v2client is a test client speaking protocol v2 through net/client.
type v2client struct {
	tb   testing.TB
	conn *netclient.Conn
	in   chan v2packet // packets, unbatched
	done chan struct{}
	err  error // why reading stopped; valid after done is closed
}

// dialV2 connects asking for v2, failing the test if the server does not
// accept it.
func dialV2(tb testing.TB, addr string) *v2client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, err := netclient.Dial(ctx, "ws://"+addr+"/", wire.V2, nil)
	if err != nil {
		tb.Fatal(err)
	}
	c := &v2client{tb: tb, conn: conn, in: make(chan v2packet, 4096), done: make(chan struct{})}
	tb.Cleanup(func() { conn.CloseNow() }) //nolint:errcheck // test cleanup
	go c.read()
	return c
}

// read passes on the packets of every message until the connection ends
// or a message is not v2.
func (c *v2client) read() {
	defer close(c.done)
	dec := netclient.NewDecoder(wire.V2, nil)
	for {
		_, msg, err := c.conn.ReadMessage(context.Background())
		if err != nil {
			c.err = err
			return
		}
		ps, err := v2Packets(dec, msg)
		if err != nil {
			c.err = err
			return
		}
		for _, p := range ps {
			c.in <- p
		}
	}
}

// v2Packets reads a v2 message, failing unless it is JSON, a non-empty
// array of packets, each one net/client reads.
func v2Packets(dec *netclient.Decoder, msg []byte) ([]v2packet, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(msg, &raw); err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("v2 message %s is not a non-empty array of packets: %v", msg, err)
	}
	ps := make([]v2packet, 0, len(raw))
	n, err := dec.Decode(msg, func(e netclient.Event) {
		if len(ps) < len(raw) {
			ps = append(ps, v2packet{Event: e, Raw: raw[len(ps)]})
		}
	})
	if err != nil || n != len(raw) {
		return nil, fmt.Errorf("v2 message %s: %d of %d packets read: %v", msg, n, len(raw), err)
	}
	return ps, nil
}

// send writes a request, [action, args…].
func (c *v2client) send(action string, args ...any) {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.conn.Send(ctx, action, args...); err != nil {
		c.tb.Fatalf("send %s: %v", action, err)
	}
}

// await skips packets until one matches.
func (c *v2client) await(what string, match func(v2packet) bool) v2packet {
	c.tb.Helper()
	return awaitV2(c.tb, c, 2*wait, what, match)
}

// awaitV2 is v2client.await with another wait.
func awaitV2(tb testing.TB, c *v2client, d time.Duration, what string, match func(v2packet) bool) v2packet {
	tb.Helper()
	return awaitOn(tb, c.in, c.done, func() error { return c.err }, d, what, match)
}

// next returns the next packet.
func (c *v2client) next() v2packet {
	c.tb.Helper()
	return c.await("a packet", func(v2packet) bool { return true })
}

// v2is matches a packet of kind about actor id (any, for 0).
func v2is(kind netclient.Kind, id int64) func(v2packet) bool {
	return func(p v2packet) bool { return p.Kind == kind && (id == 0 || p.ID == id) }
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
	v2.await("ok", v2is(netclient.Ok, 0))
	v2.send("Login", "newclient", "pw")
	v2.await("ok", v2is(netclient.Ok, 0))
	own := v2.await("own model", v2is(netclient.Enter, 0))
	v2ID := own.ID
	if own.Name != "newclient" || own.X != 0 || own.Y != 0 {
		t.Fatalf("own model %v", own)
	}
	if p := v1.await("the v2 player", isModelOf(v2ID)); !p.full() {
		t.Fatalf("first model of the v2 player is a delta: %s", p.Raw)
	}
	v2.await("the v1 player", v2is(netclient.Enter, v1ID))

	// The v1 player walks 200 east: out of the 100+20 view.
	v1.send("Target", 200, 0)
	v2.await("leave", v2is(netclient.Leave, v1ID))
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
	e := v2.await("enter", v2is(netclient.Enter, v1ID))
	if x := e.X; x > 134 || x < 95 {
		t.Errorf("v2 player saw the v1 player come in at x=%v, want near the 100 edge (rounded up to cells)", x)
	}
	if e.TX != 30 || e.TY != 0 || e.Speed != 70 {
		t.Errorf("enter %v does not say it walks to 30,0 at 70", e)
	}
	full := v1.await("the v2 player again", isModelOf(v2ID))
	if x, y, _ := full.pos(); !full.full() || x != 0 || y != 0 {
		t.Errorf("v1 player saw the v2 player again as %s", full.Raw)
	}

	// The v2 player walks too; the v1 player is led there.
	v2.send("Target", 0, 90)
	m := v2.await("own intent", v2is(netclient.Move, v2ID))
	if m.TX != 0 || m.TY != 90 {
		t.Errorf("own intent %v, want a walk to 0,90", m)
	}
	for {
		p := v1.await("the v2 player's walk", isModelOf(v2ID))
		if x, y, _ := p.pos(); math.Abs(x) < 0.01 && y == 90 {
			break
		}
	}
}
