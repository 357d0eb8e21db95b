package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	netclient "github.com/godmmo/godmmo/net/client"
	"github.com/godmmo/godmmo/net/wire"
)

// TestDeny checks every refusal: each gets a Deny with a reason, the
// connection stays open, and the server and a logged-in observer carry on.
func TestDeny(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	watcher, watcherID := join(t, app.Addr(), "watcher", 2)
	dial(t, app.Addr()).register("taken", "secret", 0)

	long := strings.Repeat("x", 257)
	tests := []struct {
		name   string
		login  bool // log in as a fresh player first
		send   func(c *client)
		reason string
	}{
		{"not json", false, func(c *client) { c.sendRaw([]byte("hello")) }, "Packets must be JSON objects with a string \"a\""},
		{"json array", false, func(c *client) { c.sendRaw([]byte(`[1,2]`)) }, "Packets must be JSON objects with a string \"a\""},
		{"action not a string", false, func(c *client) { c.sendRaw([]byte(`{"a":5}`)) }, "Packets must be JSON objects with a string \"a\""},
		{"unknown action", false, func(c *client) { c.send("Fly", 1, 2) }, `Unknown action "Fly"`},
		{"missing payloads", false, func(c *client) { c.send("Login", "a") }, "Login needs 2 payloads (p0 to p1)"},
		{"empty username", false, func(c *client) { c.send("Register", "", "pw", 0) }, "Username or password must not be empty"},
		{"empty password", false, func(c *client) { c.send("Login", "taken", "") }, "Username or password must not be empty"},
		{"empty before taken", false, func(c *client) { c.send("Register", "taken", "", 0) }, "Username or password must not be empty"},
		{"taken", false, func(c *client) { c.send("Register", "taken", "pw", 0) }, "This username is already taken"},
		{"taken ignoring case", false, func(c *client) { c.send("Register", "TAKEN", "pw", 0) }, "This username is already taken"},
		{"bad username", false, func(c *client) { c.send("Register", "a b", "pw", 0) }, "Username must be at most 32 letters, digits, _ or -"},
		{"long username", false, func(c *client) { c.send("Register", strings.Repeat("a", 33), "pw", 0) }, "Username must be at most 32 letters, digits, _ or -"},
		{"long password", false, func(c *client) { c.send("Register", "newname", strings.Repeat("p", 73), 0) }, "Password must be at most 72 bytes"},
		{"avatar too big", false, func(c *client) { c.send("Register", "newname", "pw", 6) }, "Avatar must be a whole number from 0 to 5"},
		{"avatar fraction", false, func(c *client) { c.send("Register", "newname", "pw", 1.5) }, "Avatar must be a whole number from 0 to 5"},
		{"avatar text", false, func(c *client) { c.send("Register", "newname", "pw", "3") }, "Avatar must be a whole number from 0 to 5"},
		{"password not text", false, func(c *client) { c.send("Login", "taken", 1234) }, "Login needs a text username and password"},
		{"wrong password", false, func(c *client) { c.send("Login", "taken", "nope") }, "Username or password incorrect"},
		{"unknown user", false, func(c *client) { c.send("Login", "nobody", "nope") }, "Username or password incorrect"},
		{"chat before login", false, func(c *client) { c.send("Chat", "x", "hi") }, "Log in first"},
		{"target before login", false, func(c *client) { c.send("Target", 1, 2) }, "Log in first"},
		{"login twice", true, func(c *client) { c.send("Login", "taken", "secret") }, "You are already logged in"},
		{"register while playing", true, func(c *client) { c.send("Register", "other", "pw", 1) }, "You are already logged in"},
		{"long chat", true, func(c *client) { c.send("Chat", "x", long) }, "Message must be at most 256 characters"},
		{"control chars", true, func(c *client) { c.send("Chat", "x", "bell\a") }, "Message must not contain control characters"},
		{"target not numbers", true, func(c *client) { c.send("Target", "1", 2) }, "Target must be two numbers within the world"},
		{"target huge", true, func(c *client) { c.sendRaw([]byte(`{"a":"Target","p0":1e300,"p1":0}`)) }, "Target must be two numbers within the world"},
		{"target overflow", true, func(c *client) { c.sendRaw([]byte(`{"a":"Target","p0":1e999,"p1":0}`)) }, "Target must be two numbers within the world"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, app.Addr())
			if tc.login {
				name := fmt.Sprintf("player%d", i)
				c.register(name, "pw", 3)
				c.login(name, "pw")
			}
			tc.send(c)
			c.await("Deny", func(p packet) bool {
				if p.A != "Deny" {
					return false
				}
				if p.Text != tc.reason {
					t.Errorf("Deny %q, want %q", p.Text, tc.reason)
				}
				return true
			})
			// Still open and served (the world may be telling it things meanwhile).
			c.send("Login", "", "")
			c.await("the next Deny", func(p packet) bool {
				if p.A != "Deny" {
					return false
				}
				if p.Text != "Username or password must not be empty" {
					t.Errorf("Deny %q after %q", p.Text, tc.reason)
				}
				return true
			})
		})
	}

	// The observer kept playing through all of it.
	watcher.send("Target", 3.5, 0)
	for {
		x, _, _ := watcher.await("watcher's walk", isModelOf(watcherID)).pos()
		if x == 3.5 {
			break
		}
	}
}

// TestChatRules checks that empty chat is dropped, not relayed, and that a
// Deny in play changes nothing for others.
func TestChatRules(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	a, _ := join(t, app.Addr(), "speaker", 0)
	b, _ := join(t, app.Addr(), "listener", 0)
	a.send("Chat", "", "")
	a.send("Chat", "", "   ")
	a.send("Chat", "", "real line")
	p := b.await("chat", func(p packet) bool { return p.A == "Chat" })
	if p.Text != "real line" {
		t.Errorf("first chat relayed is %s, want the real line", p.Raw)
	}
}

// TestChatRightAfterLogin: a line sent the moment the login is answered
// reaches everyone whose view covers the speaker, in v1 and v2, though they
// may not have been shown the speaker yet.
func TestChatRightAfterLogin(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	v1, _ := join(t, app.Addr(), "hearer", 0)
	v2 := dialV2(t, app.Addr())
	v2.send("Register", "hearer2", "pw", 1)
	v2.await("ok", v2is(netclient.Ok, 0))
	v2.send("Login", "hearer2", "pw")
	v2.await("own actor", v2is(netclient.Enter, 0))
	for i := range 8 {
		name := fmt.Sprintf("hasty%d", i)
		c := dial(t, app.Addr())
		c.register(name, "pw", i%6)
		// Login and Chat in one go: the read loop handles the Chat right
		// after the login is admitted, within the same tick or the next.
		c.send("Login", name, "pw")
		c.send("Chat", "", "first words "+name)
		c.expectAction("Ok")
		v1.await("v1 hears "+name, func(p packet) bool { return p.A == "Chat" && p.From == name && p.Text == "first words "+name })
		v2.await("v2 hears "+name, func(p v2packet) bool { return p.Kind == netclient.Chat && p.From == name })
	}
}

// TestDoubleLogin checks that a second login of a playing account is refused
// while the first session plays on, and allowed once it has left.
func TestDoubleLogin(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	first, id := join(t, app.Addr(), "twin", 5)

	second := dial(t, app.Addr())
	second.send("Login", "twin", "pw-twin")
	second.expectDeny("You are already logged in")

	first.send("Target", 7, 7)
	for {
		if x, y, _ := first.await("own walk", isModelOf(id)).pos(); x == 7 && y == 7 {
			break
		}
	}
	witness, _ := join(t, app.Addr(), "witness", 1)
	witness.await("the twin", isModelOf(id))
	first.conn.Close(websocket.StatusNormalClosure, "bye") //nolint:errcheck // leaving on purpose

	// Once others hear the twin quit, the tick has applied the logout.
	witness.await("the twin's Disconnect", func(p packet) bool { return p.A == "Disconnect" && p.actorID() == id })
	second.send("Login", "twin", "pw-twin")
	second.expectAction("Ok")
	own := second.expectAction("ModelDelta")
	if x, y, _ := own.pos(); own.actorID() != id || x != 7 || y != 7 {
		t.Errorf("second login got %s, want actor %d at 7,7", own.Raw, id)
	}
}

// TestAbuseCloses checks that oversized messages and floods of bad packets
// close the connection with a reason, and nobody else notices.
func TestAbuseCloses(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	watcher, watcherID := join(t, app.Addr(), "calm", 1)

	tests := []struct {
		name string
		send func(c *client)
		code websocket.StatusCode
	}{
		{"oversized", func(c *client) { c.sendRaw([]byte(`{"a":"Chat","p0":"","p1":"` + strings.Repeat("x", 5000) + `"}`)) }, websocket.StatusMessageTooBig},
		{"bad flood", func(c *client) {
			for range 200 {
				if c.conn.Write(context.Background(), websocket.MessageText, []byte("nonsense")) != nil {
					return
				}
			}
		}, websocket.StatusPolicyViolation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, app.Addr())
			tc.send(c)
			select {
			case <-c.done:
			case <-time.After(wait):
				t.Fatal("connection not closed")
			}
			if got := websocket.CloseStatus(c.err); got != tc.code {
				t.Errorf("closed with %v (%v), want %v", got, c.err, tc.code)
			}
		})
	}
	watcher.send("Target", -4, 0)
	for {
		if x, _, _ := watcher.await("watcher's walk", isModelOf(watcherID)).pos(); x == -4 {
			break
		}
	}
}

// TestV2HelloAndChatEcho: a v2 connection first hears the limits; a v2
// player's own line comes back once the server took it, a refused one
// only as a Deny; v1 hears neither (the original client prints its own).
func TestV2HelloAndChatEcho(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	c := dialV2(t, app.Addr())
	first := c.next()
	if h := first.Hello; first.Kind != netclient.Hello || h.Username != wire.MaxUsername || h.Password != wire.MaxPassword || h.Chat != wire.MaxChatRunes {
		t.Fatalf("first packet %v, want the hello with the limits", first)
	}
	c.send("Register", "echoer", "pw", 1)
	c.await("registered", v2is(netclient.Ok, 0))
	c.send("Login", "echoer", "pw")
	c.await("own actor", v2is(netclient.Enter, 0))
	v1, _ := join(t, app.Addr(), "plain", 0)

	c.send("Chat", strings.Repeat("x", wire.MaxChatRunes+1))
	if p := c.await("the refusal", func(p v2packet) bool { return p.Kind == netclient.Deny || p.Kind == netclient.Chat }); p.Kind != netclient.Deny {
		t.Errorf("a refused line answered %v", p)
	}
	c.send("Chat", "taken")
	c.await("own line back", func(p v2packet) bool { return p.Kind == netclient.Chat && p.From == "echoer" && p.Text == "taken" })
	v1.await("the v2 line", func(p packet) bool { return p.A == "Chat" && p.Text == "taken" })

	v1.send("Chat", "", "from v1")
	c.await("the v1 line", func(p v2packet) bool { return p.Kind == netclient.Chat && p.From == "plain" && p.Text == "from v1" })
	v1.quiet(300*time.Millisecond, "its own line back", func(p packet) bool { return p.A == "Chat" && p.Text == "from v1" })
}

// TestLoginAgainAfterClose: a player that closes its connection and logs
// in again as soon as the close completes is let in at the first try, not
// told it is already logged in: its actor left before the close frame
// came back. (loadbot's second run of a name relies on it.)
func TestLoginAgainAfterClose(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	c, _ := join(t, app.Addr(), "again", 0)
	for i := range 20 {
		// Either Close or the client's reader hears the server's close
		// frame, whichever reads first; the other sees the end.
		err := c.conn.Close(websocket.StatusNormalClosure, "bye")
		<-c.done
		if err != nil && websocket.CloseStatus(c.err) != websocket.StatusNormalClosure {
			t.Fatalf("close %d: %v; the reader: %v; want the server's 1000", i, err, c.err)
		}
		c = dial(t, app.Addr())
		c.login("again", "pw-again")
	}
}
