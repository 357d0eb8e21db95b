package server

import (
	"context"
	"fmt"
	"math"
	stdnet "net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godmmo/godmmo/net/operate"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/net"
	"github.com/godmmo/godmmo/net/cluster/natstest"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist"
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
	b.expectDeny(denial(wire.Taken))
	a.login("carol", "pw")
	b.send("Login", "carol", "pw")
	b.expectDeny(denial(wire.LoggedIn))
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
		if p := o.await("chat", func(p packet) bool { return p.A == "Chat" }); p.Text != "hello from the east" {
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
	late.expectDeny(denial(wire.Unreachable))

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
	late.expectDeny(denial(wire.Unavailable))
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

// loginUntilOk logs name in through addr, again and again while the world
// says it is still playing, and returns the client and its own full model.
func loginUntilOk(tb testing.TB, addr, name, password string) (*client, packet) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	c := dial(tb, addr)
	for {
		c.send("Login", name, password)
		p := c.next()
		if p.A == "Ok" {
			return c, c.expectAction("ModelDelta")
		}
		if p.A != "Deny" || p.Text != denial(wire.LoggedIn) || time.Now().After(deadline) {
			tb.Fatalf("login of %s: %s", name, p.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClusterConnectionProcessDies: a player connects to the west's
// process but spawns in the east, so the east simulates it. The west's
// process is killed (-9): the east evicts the player's actor within
// seconds, its observers see it quit, its position is kept, and the player
// logs in again through the east.
func TestClusterConnectionProcessDies(t *testing.T) {
	c := newTestCluster(t)
	westCmd, westAddr, _ := startBinary(t, append(c.args("west", "8.7,0"), "-spawn-spread", "0", "-exempt", "127.0.0.0/8")...)
	east, _ := c.start("east", "300,0")
	awaitRegions(t, east, "west", "east")

	observer, _ := join(t, east.Addr(), "observer", 1)
	ghost, id := join(t, westAddr, "ghost", 2)
	walkTo(t, ghost, id, 20, 0)
	observer.await("the ghost", isModelOf(id))

	if err := westCmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	westCmd.Wait() //nolint:errcheck // killed
	killed := time.Now()
	observer.await("the ghost leaving", func(p packet) bool { return p.A == "Disconnect" && p.actorID() == id })
	t.Logf("the ghost left its observers %v after the kill", time.Since(killed).Round(time.Millisecond))
	_, own := loginUntilOk(t, east.Addr(), "ghost", "pw-ghost")
	t.Logf("the ghost logged in again %v after the kill", time.Since(killed).Round(time.Millisecond))
	if x, y, _ := own.pos(); x != 20 || y != 0 {
		t.Errorf("the ghost is back at %v,%v, want 20,0", x, y)
	}
	if n := east.game.Region.Stats().Evicted; n != 1 {
		t.Errorf("the east evicted %d actors, want 1", n)
	}
}

// TestClusterOperators: operators' actions through one process's admin
// API reach players connected to another: the player list is the world's,
// with the process holding each player; kicks, bans, mutes and messages to
// everyone act wherever the player is; bans hold at every process's login.
func TestClusterOperators(t *testing.T) {
	c := newTestCluster(t)
	west, _ := startApp(t, testConfig(t, t.TempDir(), append(c.args("west", "-300,0"), "-admin", "127.0.0.1:0")...))
	east, _ := startApp(t, testConfig(t, t.TempDir(), append(c.args("east", "300,0"), "-admin", "127.0.0.1:0")...))
	up(t, west, east)
	wbase, ebase := "http://"+west.AdminAddr(), "http://"+east.AdminAddr()
	ann, _ := join(t, west.Addr(), "ann", 1)
	bob, _ := join(t, east.Addr(), "bob", 2)

	code, v := apiCall(t, wbase, "", http.MethodGet, "/api/players", nil)
	if got := mustJSON(t, v); code != http.StatusOK || !strings.Contains(got, `"name":"ann"`) || !strings.Contains(got, `"process":"west"`) ||
		!strings.Contains(got, `"name":"bob"`) || !strings.Contains(got, `"process":"east"`) {
		t.Fatalf("the west's /api/players: %d %s, want ann on the west and bob on the east", code, got)
	}

	if code, v := apiCall(t, wbase, "", http.MethodPost, "/api/kick", map[string]string{"name": "bob", "reason": "cool off"}); code != http.StatusOK {
		t.Fatalf("kick bob through the west: %d %v", code, v)
	}
	if code, reason := closedWith(t, bob); code != operate.StatusKicked || reason != "cool off" {
		t.Errorf("bob closed with %v %q", code, reason)
	}
	bob, _ = loginUntilOk(t, east.Addr(), "bob", "pw-bob")

	code, v = apiCall(t, wbase, "", http.MethodPost, "/api/ban", map[string]string{"name": "bob", "reason": "spam"})
	if code != http.StatusOK || mustJSON(t, v) != `{"closed":1,"ok":true}` {
		t.Fatalf("ban bob through the west: %d %s", code, mustJSON(t, v))
	}
	if code, reason := closedWith(t, bob); code != operate.StatusBanned || reason != "banned: spam" {
		t.Errorf("bob closed with %v %q", code, reason)
	}
	if code, v := apiCall(t, ebase, "", http.MethodGet, "/api/bans", nil); code != http.StatusOK || !strings.Contains(mustJSON(t, v), `"value":"bob"`) {
		t.Errorf("the east's bans: %d %s", code, mustJSON(t, v))
	}
	for _, addr := range []string{east.Addr(), west.Addr()} {
		again := dial(t, addr)
		again.send("Login", "bob", "pw-bob")
		if p := again.next(); p.A != "Deny" || !strings.HasPrefix(p.Text, denial(wire.Banned)) {
			t.Errorf("bob's login through %s after the ban: %s", addr, p.Raw)
		}
	}
	if code, _ := apiCall(t, wbase, "", http.MethodPost, "/api/ban", map[string]string{"name": "nobody"}); code != http.StatusNotFound {
		t.Errorf("ban of an unknown account answered %d, want 404", code)
	}

	if code, v := apiCall(t, ebase, "", http.MethodPost, "/api/mute", map[string]string{"name": "ann"}); code != http.StatusOK {
		t.Fatalf("mute ann through the east: %d %v", code, v)
	}
	ann.send("Chat", "", "hello?")
	ann.await("Deny", func(p packet) bool { return p.A == "Deny" && p.Text == denial(wire.Muted) })

	for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) { // bob's banned session ends
		if _, v := apiCall(t, ebase, "", http.MethodGet, "/api/players", nil); !strings.Contains(mustJSON(t, v), `"name":"bob"`) {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("bob still listed after his ban: %s", mustJSON(t, v))
		}
	}
	code, v = apiCall(t, ebase, "", http.MethodPost, "/api/broadcast", map[string]string{"text": "restart soon"})
	if code != http.StatusOK || mustJSON(t, v) != `{"ok":true,"players":1}` {
		t.Errorf("message to everyone through the east: %d %s", code, mustJSON(t, v))
	}
	if p := ann.await("server message", func(p packet) bool { return p.A == "Chat" }); p.From != wire.ServerName || p.Text != "restart soon" {
		t.Errorf("ann heard %s", p.Raw)
	}

	// A ban a process did not hear of (as when it was cut off from the
	// bus; here stored without telling anyone) holds there within seconds.
	dial(t, east.Addr()).register("carol", "pw", 0)
	if err := west.store.SaveBan(t.Context(), persist.Ban{Kind: persist.BanAccount, Value: "carol", Reason: "missed"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !slices.ContainsFunc(east.game.Server.Operators().Bans(), func(b persist.Ban) bool { return b.Value == "carol" }) {
		if time.Now().After(deadline) {
			t.Fatal("the east never learnt of carol's ban")
		}
		time.Sleep(100 * time.Millisecond)
	}
	late := dial(t, east.Addr())
	late.send("Login", "carol", "pw")
	if p := late.next(); p.A != "Deny" || !strings.HasPrefix(p.Text, denial(wire.Banned)) {
		t.Errorf("carol's login after the ban: %s", p.Raw)
	}
}

// freePorts returns n free loopback ports, n apart from one another's
// neighbours: each is the first of three in a row that are free.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for port := 20000 + os.Getpid()%20000; len(ports) < n && port < 65000; port += 3 {
		free := true
		for i := range 3 {
			ln, err := stdnet.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+i))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			ports = append(ports, port)
		}
	}
	if len(ports) < n {
		t.Fatal("no free ports")
	}
	return ports
}

// TestClusterScript runs cmd/cluster/cluster.sh as an operator would: a
// start whose process cannot listen fails loudly and leaves nothing
// running; a start that works says up; a second start is refused and
// changes nothing; status tells what runs; stop stops it all, NATS too.
func TestClusterScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and starts NATS, Postgres and three processes")
	}
	dir := t.TempDir()
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755) //nolint:errcheck // Postgres's user only needs to pass through
	}
	p := freePorts(t, 4)
	run := func(args ...string) (string, error) {
		cmd := exec.Command("../cluster/cluster.sh", args...)
		cmd.Env = append(os.Environ(), "CLUSTER_DIR="+dir, fmt.Sprintf("NATS_PORT=%d", p[0]), fmt.Sprintf("PG_PORT=%d", p[1]),
			fmt.Sprintf("GAME_PORT=%d", p[2]), fmt.Sprintf("ADMIN_PORT=%d", p[3]))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { run("stop") }) //nolint:errcheck // best effort

	taken, err := stdnet.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p[2]+1)) // middle's game port
	if err != nil {
		t.Fatal(err)
	}
	out, err := run("start", "-bcrypt-cost", "4")
	taken.Close()
	if err == nil || !strings.Contains(out, "middle exited") || !strings.Contains(out, "address already in use") || strings.Contains(out, "== up") {
		t.Fatalf("start with a taken port: %v\n%s", err, out)
	}
	if out, _ := run("status"); strings.Contains(out, "running") {
		t.Fatalf("after a failed start:\n%s", out)
	}

	if out, err := run("start", "-bcrypt-cost", "4"); err != nil || !strings.Contains(out, "== up") {
		t.Fatalf("start: %v\n%s", err, out)
	}
	pid, err := os.ReadFile(filepath.Join(dir, "nats.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run("start"); err == nil || !strings.Contains(out, "already runs") {
		t.Fatalf("second start: %v\n%s", err, out)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "nats.pid")); string(again) != string(pid) {
		t.Errorf("the second start changed nats.pid from %s to %s", pid, again)
	}
	if out, _ := run("status"); strings.Count(out, ": running") != 4 {
		t.Errorf("status of a running cluster:\n%s", out)
	}
	if out, err := run("stop"); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if out, _ := run("status"); strings.Contains(out, "running") {
		t.Errorf("status after stop:\n%s", out)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err != nil || syscall.Kill(n, 0) == nil {
		t.Errorf("nats (pid %s) runs after stop", pid)
	}
}
