package server

import (
	"fmt"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	netclient "github.com/godmmo/godmmo/net/client"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
)

var tokenShape = regexp.MustCompile(`^[0-9a-f]{32}$`)

// loginV2 registers and logs in a v2 player, returning the client, its
// actor id and its resume token.
func loginV2(t *testing.T, addr, name string) (*v2client, int64, string) {
	t.Helper()
	c := dialV2(t, addr)
	c.send("Register", name, "pw", 1)
	c.await("registered", v2is(netclient.Ok, 0))
	c.send("Login", name, "pw")
	ok := c.await("login", v2is(netclient.Ok, 0))
	if ok.elements() != 2 || !tokenShape.MatchString(ok.Token) {
		t.Fatalf("login answered %v, want [\"ok\", a 128-bit token]", ok)
	}
	own := c.await("own actor", v2is(netclient.Enter, 0))
	return c, own.ID, ok.Token
}

// resumeV2 presents token on a new connection and returns the answer.
func resumeV2(t *testing.T, addr, token string) (*v2client, v2packet) {
	t.Helper()
	c := dialV2(t, addr)
	c.send("Resume", token)
	return c, c.await("answer to Resume", isAnswer)
}

// isAnswer matches an ok or a deny.
func isAnswer(p v2packet) bool { return p.Kind == netclient.Ok || p.Kind == netclient.Deny }

// TestResume: a v2 player whose connection drops gets its actor back on a
// new connection with its token, without a password; others see it neither
// leave nor come back; each token works once.
func TestResume(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	watcher, _ := join(t, app.Addr(), "watcher", 0)
	player, id, token := loginV2(t, app.Addr(), "roamer")
	watcher.await("the player", isModelOf(id))

	player.conn.CloseNow() //nolint:errcheck // the connection drops: no close frame
	again, ok := resumeV2(t, app.Addr(), token)
	if ok.Kind != netclient.Ok || !tokenShape.MatchString(ok.Token) || ok.Token == token {
		t.Fatalf("resume answered %v, want a new token", ok)
	}
	if own := again.await("own actor", v2is(netclient.Enter, 0)); own.ID != id {
		t.Fatalf("resumed as %v, want actor %d", own, id)
	}
	again.await("the watcher, shown again", func(p v2packet) bool { return p.Kind == netclient.Enter && p.Name == "watcher" })

	// The watcher sees the resumed player walk on, and never saw it go.
	again.send("Target", 30, 0)
	for {
		p := watcher.await("the player walking", isModelOf(id))
		if p.full() {
			t.Fatalf("the watcher was shown the player anew: %s", p.Raw)
		}
		if x, _, _ := p.pos(); x > 0 {
			break
		}
	}
	if n := len(watcher.in); n > 0 {
		for range n {
			if p := <-watcher.in; p.A == "Disconnect" && p.actorID() == id {
				t.Fatalf("the watcher saw the player leave: %s", p.Raw)
			}
		}
	}

	_, spent := resumeV2(t, app.Addr(), token)
	if spent.Kind != netclient.Deny || spent.Text != denial(wire.Resumed) {
		t.Errorf("a spent token answered %v", spent)
	}
}

// TestResumeEnds: a clean close ends the token at once; a dropped
// connection's actor leaves once the grace period is over.
func TestResumeEnds(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-resume-grace", "300ms"))
	watcher, _ := join(t, app.Addr(), "watcher", 0)

	leaver, id, token := loginV2(t, app.Addr(), "leaver")
	watcher.await("the leaver", isModelOf(id))
	leaver.conn.Close(websocket.StatusNormalClosure, "bye") //nolint:errcheck // leaving on purpose
	watcher.await("the leaver's Disconnect", func(p packet) bool { return p.A == "Disconnect" && p.actorID() == id })
	if _, ans := resumeV2(t, app.Addr(), token); ans.Kind != netclient.Deny {
		t.Errorf("resume after a clean close answered %v", ans)
	}

	dropped, id, token := loginV2(t, app.Addr(), "dropped")
	watcher.await("the dropped player", isModelOf(id))
	dropped.conn.CloseNow() //nolint:errcheck // no close frame
	start := time.Now()
	watcher.await("the dropped player's Disconnect after the grace", func(p packet) bool { return p.A == "Disconnect" && p.actorID() == id })
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("the dropped player left after %v, before the grace period", d)
	}
	if _, ans := resumeV2(t, app.Addr(), token); ans.Kind != netclient.Deny {
		t.Errorf("resume after the grace answered %v", ans)
	}
}

// BenchmarkResume drops and resumes v2 players' connections, several at a
// time: dial, handshake, Resume, the new token and the own actor back. No
// password is hashed, so the rate is the edge's, not bcrypt's. Each resume
// waits for the tick to hand the actor over, so many overlap.
func BenchmarkResume(b *testing.B) {
	app, _ := startApp(b, testConfig(b, b.TempDir()))
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(128) // each resume waits up to a tick for the tick: overlap many
	b.RunParallel(func(pb *testing.PB) {
		name := fmt.Sprintf("resumer%d", n.Add(1))
		c := dialV2(b, app.Addr())
		c.send("Register", name, "pw", 1)
		c.await("registered", v2is(netclient.Ok, 0))
		c.send("Login", name, "pw")
		token := c.await("login", v2is(netclient.Ok, 0)).Token
		for pb.Next() {
			c.conn.CloseNow() //nolint:errcheck // dropped on purpose
			c = dialV2(b, app.Addr())
			c.send("Resume", token)
			ok := c.await("resumed", isAnswer)
			if ok.Kind != netclient.Ok {
				b.Fatalf("resume answered %v", ok)
			}
			token = ok.Token
			c.await("own actor", v2is(netclient.Enter, 0))
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "resumes/s")
}

// TestLoginTakesOverParked: a v2 client that died without a close frame
// (its token lost with it) logs in again with its password at once: it
// gets its actor back where it is, not a "You are already logged in"
// for the whole grace period; watchers never see it leave, and the lost
// token is spent.
func TestLoginTakesOverParked(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-resume-grace", "10m"))
	watcher, _ := join(t, app.Addr(), "watcher", 0)
	player, id, token := loginV2(t, app.Addr(), "crashed")
	watcher.await("the player", isModelOf(id))
	player.send("Target", 12, 3)
	player.await("the walk", v2is(netclient.Move, id))
	player.conn.CloseNow() //nolint:errcheck // the app was killed: no close frame

	again := dialV2(t, app.Addr())
	again.send("Login", "crashed", "pw")
	if ok := again.await("answer to Login", isAnswer); ok.Kind != netclient.Ok {
		t.Fatalf("password login after a drop answered %v, want ok", ok)
	}
	// The actor in the world, still on its walk: not one spawned anew
	// from the database, which would stand.
	own := again.await("own actor", v2is(netclient.Enter, 0))
	if own.ID != id || own.TX != 12 || own.TY != 3 {
		t.Errorf("taken over as %v, want actor %d walking to 12,3", own, id)
	}
	again.send("Target", 20, 3)
	for {
		p := watcher.await("the player walking on", isModelOf(id))
		if p.full() {
			t.Fatalf("the watcher was shown the player anew: %s", p.Raw)
		}
		if x, _, _ := p.pos(); x > 12 {
			break
		}
	}
	for range len(watcher.in) {
		if p := <-watcher.in; p.A == "Disconnect" && p.actorID() == id {
			t.Fatalf("the watcher saw the player leave: %s", p.Raw)
		}
	}
	if _, ans := resumeV2(t, app.Addr(), token); ans.Kind != netclient.Deny {
		t.Errorf("the lost token still resumes: %v", ans)
	}
}

// TestChatLimitFollowsAccount: the chat limit is the account's, so
// dropping the connection and resuming does not refill it.
func TestChatLimitFollowsAccount(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-chat-rate", "0.01", "-chat-burst", "2"))
	c, _, token := loginV2(t, app.Addr(), "chatty")
	for i := range 3 {
		c.send("Chat", fmt.Sprintf("line %d", i))
	}
	c.await("the limit", func(p v2packet) bool { return p.Kind == netclient.Deny && p.Text == tutorial.ChatSlow })
	for range 3 {
		c.conn.CloseNow() //nolint:errcheck // dropped on purpose
		var ok v2packet
		c, ok = resumeV2(t, app.Addr(), token)
		if ok.Kind != netclient.Ok {
			t.Fatalf("resume answered %v", ok)
		}
		token = ok.Token
		c.send("Chat", "after a resume")
		// The echoes of the lines before the drop may still come: the
		// resumed view hears what its cells said after it joined them.
		p := c.await("the answer to a chat line", func(p v2packet) bool {
			return p.Kind == netclient.Deny || p.Kind == netclient.Chat && p.Text == "after a resume"
		})
		if p.Kind != netclient.Deny || p.Text != tutorial.ChatSlow {
			t.Fatalf("a chat line after a resume answered %v, want deny %q", p, tutorial.ChatSlow)
		}
	}
}
