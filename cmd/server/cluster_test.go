package server

import (
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/net"
	"github.com/godmmo/godmmo/net/cluster/natstest"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist/pgtest"
	"github.com/jackc/pgx/v5"
)

// testCluster is a world split at x = 0 into the regions west and east,
// served by processes that share an embedded NATS server and a real
// Postgres.
type testCluster struct {
	t       *testing.T
	nats    *natstest.Server
	pg      *pgtest.Server
	regions string // the regions file
}

func newTestCluster(t *testing.T) *testCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Postgres and several servers")
	}
	c := &testCluster{t: t, nats: natstest.Start(t), pg: pgtest.Start(t), regions: filepath.Join(t.TempDir(), "regions")}
	if err := os.WriteFile(c.regions, []byte("# split at x = 0\nwest -10000,-10000,0,10000\neast 0,-10000,10000,10000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return c
}

// args are the flags of one of the cluster's processes, simulating region
// (none: it only holds connections), whose new accounts start at spawn.
func (c *testCluster) args(region, spawn string) []string {
	return []string{"-db", c.pg.DSN(), "-nats", c.nats.URL(), "-regions", c.regions, "-region", region,
		"-spawn", spawn, "-world-name", "test", "-bounds", "-10000,-10000,10000,10000"}
}

// start runs one process of the cluster in this test process.
func (c *testCluster) start(region, spawn string) (*App, func()) {
	c.t.Helper()
	return startApp(c.t, testConfig(c.t, c.t.TempDir(), c.args(region, spawn)...))
}

// up waits until every app has heard from both regions.
func up(tb testing.TB, apps ...*App) {
	tb.Helper()
	for _, a := range apps {
		awaitRegions(tb, a, "west", "east")
	}
}

// awaitRegions waits until app's node has heard from the regions.
func awaitRegions(tb testing.TB, app *App, regions ...string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, r := range regions {
		for !app.game.Node.Up(r) {
			if time.Now().After(deadline) {
				tb.Fatalf("region %s not heard from", r)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// awaitClosed waits for the server to close c and checks the code.
func awaitClosed(tb testing.TB, c *client, code websocket.StatusCode) {
	tb.Helper()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		tb.Fatalf("not closed with %d", code)
	}
	if got := websocket.CloseStatus(c.err); got != code {
		tb.Errorf("closed with %v, want %d", c.err, code)
	}
}

// TestClusterPlay plays TestPlay's session on a world split over three
// processes: alice connects to one that simulates nothing, bob to the
// region his actor is not in (both spawn at 0,0, in the east), and bob's
// walk takes him over the border into the west, whose restart he survives.
// The original client's protocol holds whichever process a player is on.
func TestClusterPlay(t *testing.T) {
	c := newTestCluster(t)
	west, stopWest := c.start("west", "0,0")
	east, _ := c.start("east", "0,0")
	edge, _ := c.start("", "0,0")
	up(t, west, east, edge)
	play(t, edge.Addr(), west.Addr(), func(bob *client) string {
		stopWest() // bob's connection and (past x = 0) his actor go with it
		awaitClosed(t, bob, websocket.StatusGoingAway)
		app, _ := c.start("west", "0,0")
		up(t, app)
		return app.Addr()
	})
}

// TestClusterAccounts: a username is unique across the world, and one
// account plays on one process at a time.
func TestClusterAccounts(t *testing.T) {
	c := newTestCluster(t)
	west, _ := c.start("west", "-300,0")
	east, _ := c.start("east", "300,0")
	up(t, west, east)
	a := dial(t, west.Addr())
	a.register("carol", "pw", 1)
	b := dial(t, east.Addr())
	b.send("Register", "Carol", "other", 2)
	b.expectDeny(wire.DenyTaken)
	a.login("carol", "pw")
	b.send("Login", "carol", "pw")
	b.expectDeny(wire.DenyLoggedIn)
	a.conn.Close(websocket.StatusNormalClosure, "") //nolint:errcheck // the test's client
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.send("Login", "carol", "pw")
		if p := b.next(); p.A == "Ok" {
			break
		} else if p.A != "Deny" || time.Now().After(deadline) {
			t.Fatalf("login after the other logged out: %s", p.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// walkTo sends c's player to x, y and waits until its own position says it arrived.
func walkTo(tb testing.TB, c *client, id int64, x, y float64) {
	tb.Helper()
	c.send("Target", x, y)
	for {
		if px, py, ok := c.await("own walk", isModelOf(id)).pos(); ok && px == x && py == y {
			return
		}
	}
}

// watchWalk reads what a v1 observer is told of actor id until it arrives
// at x, y, and reports the view errors on the way: more than one full model
// (shown twice), a Disconnect (left on the way), or a gap: positions more
// than 5 s apart, or further apart than the walker covers in the time
// between them plus the lead a v1 position may have on the walker.
func watchWalk(tb testing.TB, o *client, name string, id int64, x, y float64) {
	tb.Helper()
	full := 0
	var lastX, lastY float64
	var lastAt time.Time
	for {
		p := o.await(name+" sees the walk", func(p packet) bool {
			return p.actorID() == id && (p.A == "ModelDelta" || p.A == "Disconnect")
		})
		if p.A == "Disconnect" {
			tb.Fatalf("%s: the walker left on the way", name)
		}
		if p.full() {
			if full++; full > 1 {
				tb.Errorf("%s: the walker was shown again: %s", name, p.Raw)
			}
		}
		px, py, ok := p.pos()
		if !ok {
			continue
		}
		now := time.Now()
		if !lastAt.IsZero() {
			dt := now.Sub(lastAt)
			lead := wire.DefaultConfig().LeadAhead
			if d := math.Hypot(px-lastX, py-lastY); d > 70*dt.Seconds()+lead+3.5*4 || dt > 5*time.Second {
				tb.Errorf("%s: the walker jumped %.1f units in %v", name, d, dt)
			}
		}
		lastX, lastY, lastAt = px, py, now
		if px == x && py == y {
			return
		}
	}
}

// TestClusterBorder: players on three processes see a fourth, connected to
// a process that simulates nothing, walk from the west region into the
// east one as one continuous walk, and hear it chat from the far side. Then
// the east region's process is killed (-9): the walker leaves the west's
// views within seconds and is told its part of the world went down, the
// west's players are not disturbed, logins into the east are refused as
// unavailable, and once the east restarts the walker logs in where it
// stood.
func TestClusterBorder(t *testing.T) {
	c := newTestCluster(t)
	west, _ := c.start("west", "-300,0")
	eastArgs := append(c.args("east", "300,0"), "-spawn-spread", "0", "-exempt", "127.0.0.0/8", "-flush-every", "200ms")
	eastCmd, eastAddr, _ := startBinary(t, eastArgs...)
	edge, _ := c.start("", "-300,0")
	up(t, west, edge)

	ow, owID := join(t, west.Addr(), "westerner", 1)
	oe, _ := join(t, eastAddr, "easterner", 2)
	reg := dial(t, west.Addr())
	reg.register("walker", "pw-walker", 3) // starts at -300,0, in the west
	w := dial(t, edge.Addr())
	wID := w.login("walker", "pw-walker").actorID()
	ow.await("the walker", isModelOf(wID))

	w.send("Target", 300, 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchWalk(t, oe, "the easterner", wID, 300, 0)
	}()
	watchWalk(t, ow, "the westerner", wID, 300, 0)
	<-done
	for { // v1 observers hear a lead point ahead of the walker; its own client hears where it is
		if x, _, _ := w.await("the walker's own walk", isModelOf(wID)).pos(); x == 300 {
			break
		}
	}
	w.send("Chat", "walker", "hello from the east")
	for _, o := range []*client{ow, oe} {
		if p := o.await("chat", func(p packet) bool { return p.A == "Chat" }); p.P[1] != "hello from the east" {
			t.Errorf("chat %s", p.Raw)
		}
	}
	if n := west.game.Region.Stats().Handoffs; n != 1 {
		t.Errorf("west handed over %d actors, want 1", n)
	}

	time.Sleep(3 * 200 * time.Millisecond) // the east's flushes take the walker's stop to Postgres
	if err := eastCmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	eastCmd.Wait() //nolint:errcheck // killed
	ow.await("the walker leaving", func(p packet) bool { return p.A == "Disconnect" && p.actorID() == wID })
	awaitClosed(t, w, net.StatusLost)
	select {
	case <-ow.done:
		t.Fatalf("the westerner's connection ended: %v", ow.err)
	default:
	}
	walkTo(t, ow, owID, -310, 0) // the west goes on
	late := dial(t, edge.Addr())
	late.send("Login", "walker", "pw-walker")
	late.expectDeny(wire.DenyUnreachable)

	startBinary(t, eastArgs...)
	awaitRegions(t, edge, "east")
	back := dial(t, edge.Addr())
	own := back.login("walker", "pw-walker")
	if x, y, _ := own.pos(); x != 300 || y != 0 {
		t.Errorf("the walker is back at %v,%v, want 300,0", x, y)
	}
	ow.quiet(300*time.Millisecond, "the westerner's own actor leaving", func(p packet) bool { return p.A == "Disconnect" && p.actorID() == owID })
}

// TestClusterPostgresOutage: while Postgres is down, logins are refused as
// unavailable and walking goes on; once it is back, the walked positions
// are written.
func TestClusterPostgresOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postgres")
	}
	pg := pgtest.Start(t)
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-db", pg.DSN()))
	c, id := join(t, app.Addr(), "walker", 1)
	dial(t, app.Addr()).register("other", "pw", 2)

	pg.Stop(t)
	late := dial(t, app.Addr())
	late.send("Login", "other", "pw")
	late.expectDeny(wire.DenyUnavailable)
	walkTo(t, c, id, 42, -7)

	pg.Start(t)
	conn, err := pgx.Connect(context.Background(), pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	deadline := time.Now().Add(15 * time.Second)
	for {
		var x, y float64
		err := conn.QueryRow(context.Background(), `SELECT x, y FROM accounts WHERE id = $1`, id).Scan(&x, &y)
		if err == nil && x == 42 && y == -7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("position in Postgres %v,%v (%v), want 42,-7", x, y, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClusterUnknownRegion: a process told to simulate a region the
// regions file does not name refuses to start, saying so.
func TestClusterUnknownRegion(t *testing.T) {
	t.Parallel()
	regions := filepath.Join(t.TempDir(), "regions")
	if err := os.WriteFile(regions, []byte("all -10000,-10000,10000,10000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, t.TempDir(), "-nats", "nats://127.0.0.1:1", "-regions", regions, "-region", "north")
	_, err := NewApp(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), `region "north" is not in the regions file`) {
		t.Fatalf("NewApp: %v", err)
	}
}
