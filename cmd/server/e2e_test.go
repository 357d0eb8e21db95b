package server

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestPlay walks through a session of the game with real clients on a real
// server and database: two players meet, walk, chat and leave, and the world
// remembers them across logins and a restart.
func TestPlay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	app, stop := startApp(t, cfg)
	play(t, app.Addr(), app.Addr(), func(*client) string {
		stop()
		app2, _ := startApp(t, cfg)
		return app2.Addr()
	})
}

// play is the session TestPlay walks through, with alice and bob connected
// to the servers at aliceAddr and bobAddr; restart stops the server that
// simulates bob's actor and starts it again, returning where bob connects
// to log in once more.
func play(t *testing.T, aliceAddr, bobAddr string, restart func(bob *client) string) {
	alice, aliceID := join(t, aliceAddr, "alice", 1)
	bob, bobID := join(t, bobAddr, "bob", 4)
	if aliceID == bobID {
		t.Fatalf("both players got actor id %d", aliceID)
	}

	// Both see the other without anyone moving, first in full.
	seen := bob.await("alice's model", isModelOf(aliceID))
	if !seen.full() {
		t.Fatalf("bob's first model of alice is a delta: %s", seen.Raw)
	}
	if seen.Avatar != 1 {
		t.Errorf("alice's avatar_id = %v, want 1", seen.Avatar)
	}
	if seen.Name != "alice" {
		t.Errorf("alice's name = %q", seen.Name)
	}
	if p := alice.await("bob's model", isModelOf(bobID)); !p.full() {
		t.Fatalf("alice's first model of bob is a delta: %s", p.Raw)
	}

	// Alice walks 70 units right, from 0,0: at 70 units/s and 20 ticks a
	// second, every position she is sent is a whole number of 3.5-unit steps.
	alice.send("Target", 70, 0)
	steps := 0
	for {
		p := alice.await("alice's own position", isModelOf(aliceID))
		x, y, ok := p.pos()
		if !ok {
			t.Fatalf("delta without both coordinates: %s", p.Raw)
		}
		if r := math.Mod(x, 3.5); y != 0 || math.Min(r, 3.5-r) > 0.006 {
			t.Errorf("own position %v,%v is not a whole number of steps from 0,0", x, y)
		}
		steps++
		if x == 70 && y == 0 {
			break
		}
	}
	if steps > 20 {
		t.Errorf("%d own positions for 20 steps", steps)
	}
	// Bob sees it end at the target.
	for {
		x, y, ok := bob.await("alice's walk", isModelOf(aliceID)).pos()
		if ok && x == 70 && y == 0 {
			break
		}
	}

	// Chat: relayed with the real name, not echoed.
	alice.send("Chat", "mallory", "hello [b]bob[/b]")
	p := bob.await("chat", func(p packet) bool { return p.A == "Chat" })
	if p.From != "alice" || p.Text != "hello [b]bob[/b]" {
		t.Errorf("bob got chat %s", p.Raw)
	}
	alice.quiet(300*time.Millisecond, "echoed chat", func(p packet) bool { return p.A == "Chat" })

	// Alice leaves: bob is told.
	alice.conn.CloseNow() //nolint:errcheck // leaving abruptly on purpose
	if got := bob.await("Disconnect", func(p packet) bool { return p.A == "Disconnect" }).actorID(); got != aliceID {
		t.Errorf("Disconnect names %d, want %d", got, aliceID)
	}

	// She comes back where she stopped, and bob sees her again.
	again := dial(t, aliceAddr)
	own := again.login("Alice", "pw-alice") // usernames ignore case
	if own.actorID() != aliceID {
		t.Errorf("actor id after relogin = %d, want %d", own.actorID(), aliceID)
	}
	if x, y, _ := own.pos(); x != 70 || y != 0 {
		t.Errorf("position after relogin = %v,%v, want 70,0", x, y)
	}
	bob.await("alice back", isModelOf(aliceID))

	// Bob walks, then the server restarts on the same file.
	bob.send("Target", -35.5, 12.25)
	for {
		x, y, _ := bob.await("bob's walk", isModelOf(bobID)).pos()
		if x == -35.5 && y == 12.25 {
			break
		}
	}
	c := dial(t, restart(bob))
	own = c.login("bob", "pw-bob")
	if own.actorID() != bobID {
		t.Errorf("bob's actor id after restart = %d, want %d", own.actorID(), bobID)
	}
	if x, y, _ := own.pos(); math.Abs(x+35.5) > 0.01 || math.Abs(y-12.25) > 0.01 {
		t.Errorf("bob's position after restart = %v,%v, want -35.5,12.25", x, y)
	}
	if !strings.Contains(own.Raw, `"name":"bob"`) {
		t.Errorf("bob's model after restart: %s", own.Raw)
	}
}
