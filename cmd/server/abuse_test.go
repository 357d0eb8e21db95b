package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	stdnet "net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/net"
	"github.com/godmmo/godmmo/net/operate"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
)

// TestOriginAndHost sends upgrade requests as browsers would, from pages
// of this server, of allowed and foreign sites, sandboxed frames and DNS
// rebinding (a foreign name pointed at this server: Host and Origin both
// that name), and checks which are accepted.
func TestOriginAndHost(t *testing.T) {
	t.Parallel()
	strict, _ := startApp(t, testConfig(t, t.TempDir(), "-origins", "*.friends.example"))
	open, _ := startApp(t, testConfig(t, t.TempDir(), "-allow-null-origin", "-hosts", "*"))
	tests := []struct {
		name         string
		app          *App
		host, origin string // host "" is the server's own address
		want         int
	}{
		{"native client, no origin", strict, "", "", http.StatusSwitchingProtocols},
		{"page of this server", strict, "", "http://SELF", http.StatusSwitchingProtocols},
		{"page by localhost", strict, "localhost:PORT", "http://localhost:PORT", http.StatusSwitchingProtocols},
		{"allowed site", strict, "", "https://play.friends.example", http.StatusSwitchingProtocols},
		{"foreign site", strict, "", "https://evil.example", http.StatusForbidden},
		{"origin null", strict, "", "null", http.StatusForbidden},
		{"dns rebinding", strict, "evil.example:PORT", "http://evil.example:PORT", http.StatusForbidden},
		{"null allowed by flag", open, "", "null", http.StatusSwitchingProtocols},
		{"any host by flag", open, "evil.example:PORT", "http://evil.example:PORT", http.StatusSwitchingProtocols},
		{"foreign site still refused", open, "", "https://evil.example", http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.app.Addr()
			port := addr[strings.LastIndex(addr, ":")+1:]
			fill := func(s string) string {
				return strings.NewReplacer("SELF", addr, "PORT", port).Replace(s)
			}
			if got := upgradeStatus(t, addr, fill(tc.host), fill(tc.origin)); got != tc.want {
				t.Errorf("HTTP %d, want %d", got, tc.want)
			}
		})
	}
}

// TestConnectionLimits checks the per-address and total caps, the login
// deadline and address bans, each refused with its reason.
func TestConnectionLimits(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-exempt", "", "-max-conns", "4", "-max-conns-per-addr", "2", "-login-timeout", "1s"))
	a1 := dialFrom(t, app.Addr(), "127.0.0.1")
	dialFrom(t, app.Addr(), "127.0.0.1")
	if _, resp, err := tryDial(app.Addr(), "127.0.0.1"); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third from one address: %v, want HTTP 429", err)
	}
	dialFrom(t, app.Addr(), "127.0.0.2")
	dialFrom(t, app.Addr(), "127.0.0.3")
	if _, resp, err := tryDial(app.Addr(), "127.0.0.4"); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("fifth in all: %v, want HTTP 503", err)
	}

	// None of them logged in: each is closed at the deadline.
	if code, reason := closedWith(t, a1); code != net.StatusLoginTimeout || !strings.Contains(reason, "no login") {
		t.Errorf("idle connection closed with %v %q, want %v", code, reason, net.StatusLoginTimeout)
	}

	// An address ban refuses that address only, and closes what it has open.
	for {
		c, resp, err := tryDial(app.Addr(), "127.0.0.5")
		if err == nil {
			c.tb = t
			go c.read()
			c.register("banme", "pw", 0)
			c.login("banme", "pw")
			if _, err := app.game.Server.Operators().Ban(t.Context(), persist.Ban{Kind: persist.BanAddress, Value: "127.0.0.5", Reason: "spam"}); err != nil {
				t.Fatal(err)
			}
			if code, reason := closedWith(t, c); code != operate.StatusBanned || reason != "banned: spam" {
				t.Errorf("banned address's player closed with %v %q", code, reason)
			}
			break
		}
		if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("dial: %v", err)
		}
		// Still full: the idle ones are closing at their deadline.
		time.Sleep(50 * time.Millisecond)
	}
	for {
		_, resp, err := tryDial(app.Addr(), "127.0.0.5")
		if err != nil && resp != nil && resp.StatusCode == http.StatusForbidden {
			break
		}
		if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("banned address dialled: %v, want HTTP 403", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIdleConnectionsCounted: every TCP connection to the game port counts
// against the per-address cap from its accept on, not only WebSockets: an
// idle keep-alive after a page load, or a connection that says nothing,
// holds a place, and one over the cap gets HTTP 429 at once. A place comes
// free when its connection closes.
func TestIdleConnectionsCounted(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-exempt", "", "-max-conns-per-addr", "3"))
	local := &stdnet.TCPAddr{IP: stdnet.ParseIP("127.0.0.6")}
	var idle []stdnet.Conn
	for i := range 3 {
		c, err := (&stdnet.Dialer{LocalAddr: local, Timeout: wait}).Dial("tcp", app.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if i == 0 { // a page load that keeps its connection
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", app.Addr())
			c.SetReadDeadline(time.Now().Add(wait)) //nolint:errcheck // bounds the read below
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
		}
		idle = append(idle, c)
	}
	_, resp, err := tryDial(app.Addr(), "127.0.0.6")
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a fourth connection beside three idle ones: %v, want HTTP 429", err)
	}
	dialFrom(t, app.Addr(), "127.0.0.7") // another address is not affected
	idle[1].Close()
	deadline := time.Now().Add(wait)
	for {
		c, _, err := tryDial(app.Addr(), "127.0.0.6")
		if err == nil {
			c.conn.CloseNow() //nolint:errcheck // only checking it opens
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a place never came free after an idle connection closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestChatLimits checks what happens to chat lines: the rate limit, mute,
// invisible lines and direction overrides. A listener hears exactly the
// lines that were let through.
func TestChatLimits(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-chat-rate", "0.01", "-chat-burst", "2"))
	listener, _ := join(t, app.Addr(), "listener", 0)
	tests := []struct {
		name  string
		mute  bool
		lines []string
		deny  string // the Deny after the lines, "" for none
		heard []string
	}{
		{"two then slow down", false, []string{"one", "two", "three"}, tutorial.ChatSlow, []string{"one", "two"}},
		{"invisible only", false, []string{"\u200b\u2060\u3164", "\u00a0\u200d", "ok"}, "", []string{"ok"}},
		{"direction override", false, []string{"abc\u202edcba"}, denial(wire.ChatDirection), nil},
		{"isolate", false, []string{"x\u2067y"}, denial(wire.ChatDirection), nil},
		{"muted", true, []string{"let me speak"}, denial(wire.Muted), nil},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("speaker%d", i)
			c, _ := join(t, app.Addr(), name, 0)
			if tc.mute {
				if err := app.game.Server.Operators().Mute(name, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			for _, l := range tc.lines {
				c.send("Chat", "", l)
			}
			// A marker line after the others, from a player never limited.
			end := fmt.Sprintf("end of %d", i)
			if tc.deny != "" {
				c.await("Deny", func(p packet) bool {
					if p.A == "Deny" && p.Text != tc.deny {
						t.Errorf("Deny %q, want %q", p.Text, tc.deny)
					}
					return p.A == "Deny"
				})
			}
			marker, _ := join(t, app.Addr(), fmt.Sprintf("marker%d", i), 0)
			marker.send("Chat", "", end)
			var heard []string
			for {
				p := listener.await("chat", func(p packet) bool { return p.A == "Chat" })
				if p.Text == end {
					break
				}
				if p.From == name {
					heard = append(heard, p.Text)
				}
			}
			if fmt.Sprint(heard) != fmt.Sprint(tc.heard) {
				t.Errorf("listener heard %q, want %q", heard, tc.heard)
			}
		})
	}
}

// TestLoginThrottle guesses passwords: an account locks after its limit of
// failures for the guessing address only (saying why), while its owner
// logs in from another; the owner's own wrong guesses, from an address it
// logged in from, are slowed down but never refused; an address locks
// after its own limit, and another address still logs in.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-exempt", "", "-login-fails-per-account", "4", "-login-fails-per-addr", "6"))
	setup := dialFrom(t, app.Addr(), "127.0.0.9")
	for _, n := range []string{"victim", "alice", "bob"} {
		setup.register(n, "pw-"+n, 0)
	}
	attacker := dialFrom(t, app.Addr(), "127.0.0.2")
	for range 4 {
		attacker.send("Login", "victim", "guess")
		attacker.expectDeny(denial(wire.Credentials))
	}
	attacker.send("Login", "victim", "pw-victim")
	attacker.expectDeny(wire.Refusal{Code: wire.AccountLocked, Wait: 5 * time.Minute}.Text())
	owner := dialFrom(t, app.Addr(), "127.0.0.3")
	owner.login("victim", "pw-victim")
	owner.conn.Close(websocket.StatusNormalClosure, "") //nolint:errcheck // logging out

	// The owner mistypes, many times, from its own address: slowed, not refused.
	owner = dialFrom(t, app.Addr(), "127.0.0.3")
	for range 5 { // past the account's limit, short of the address's
		owner.send("Login", "victim", "typo")
		owner.expectDeny(denial(wire.Credentials))
	}
	owner.login("victim", "pw-victim")

	// Two more failures on other accounts lock the attacker's address out.
	for _, n := range []string{"alice", "bob"} {
		attacker.send("Login", n, "guess")
		attacker.expectDeny(denial(wire.Credentials))
	}
	attacker.send("Login", "alice", "pw-alice")
	attacker.expectDeny(wire.Refusal{Code: wire.AddressLocked, Wait: 5 * time.Minute}.Text())
	dialFrom(t, app.Addr(), "127.0.0.4").login("alice", "pw-alice")

	// Guesses at bob from many addresses, one each: past the account's
	// limit they are refused until their turn, while bob, from an address
	// he logged in from, is not held up.
	b := dialFrom(t, app.Addr(), "127.0.0.5")
	b.login("bob", "pw-bob")
	b.conn.Close(websocket.StatusNormalClosure, "") //nolint:errcheck // logging out
	checked := 0                                    // with the attacker's one above
	for i := range 10 {
		c := dialFrom(t, app.Addr(), fmt.Sprintf("127.0.1.%d", i+1))
		c.send("Login", "bob", "guess")
		deny := c.expectAction("Deny").Text
		if deny == denial(wire.Credentials) {
			checked++
			continue
		}
		if !strings.HasPrefix(deny, "Too many failed logins for this account; try again in") {
			t.Fatalf("guess %d: %q", i, deny)
		}
		break
	}
	if checked == 0 || checked > 4 {
		t.Errorf("%d guesses from new addresses were checked before they had to wait their turn; want up to the limit, 4", checked)
	}
	dialFrom(t, app.Addr(), "127.0.0.5").login("bob", "pw-bob")
}

// TestLoginThrottleAtOnce guesses one account's password on many
// connections at once from one address: no more guesses reach the hash
// than the limit allows, as each attempt counts before its hash, not after.
func TestLoginThrottleAtOnce(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-exempt", "", "-login-fails-per-account", "4", "-login-fails-per-addr", "100"))
	dialFrom(t, app.Addr(), "127.0.0.9").register("target", "pw-target", 0)
	var guessers []*client
	for range 16 {
		guessers = append(guessers, dialFrom(t, app.Addr(), "127.0.0.2"))
	}
	for _, g := range guessers {
		g.send("Login", "target", "guess")
	}
	checked := 0
	for _, g := range guessers {
		switch deny := g.expectAction("Deny").Text; deny {
		case denial(wire.Credentials):
			checked++
		case wire.Refusal{Code: wire.AccountLocked, Wait: 5 * time.Minute}.Text():
		default:
			t.Errorf("Deny %q", deny)
		}
	}
	if checked != 4 {
		t.Errorf("%d of 16 guesses at once were checked, want the limit, 4", checked)
	}
}

// TestRegistrationLimit checks the per-address registration limit and the
// reserved sender name of operators' messages.
func TestRegistrationLimit(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-exempt", "", "-registrations-per-addr", "2"))
	c := dialFrom(t, app.Addr(), "127.0.0.2")
	c.send("Register", "Server", "pw", 0)
	c.expectDeny(denial(wire.Taken))
	c.register("first", "pw", 0)
	c.register("second", "pw", 0)
	c.send("Register", "third", "pw", 0)
	c.expectDeny(denial(wire.Registrations))
	dialFrom(t, app.Addr(), "127.0.0.3").register("third", "pw", 0)
}

// TestWebSocketFrames sends what the WebSocket rules forbid and checks the
// close codes: invalid UTF-8 in a text frame (1007), an unmasked client
// frame (1002), a flood of pings or of empty continuation frames (1008),
// a close frame whose reason is not UTF-8 (1007, not its own code echoed
// back); a binary frame with the same bytes
// is only a bad packet, as v1 clients send JSON in binary frames.
func TestWebSocketFrames(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	bad := []byte("{\"a\":\"Chat\",\"p0\":\"\",\"p1\":\"\xff\xfe\"}")
	tests := []struct {
		name string
		send func(t *testing.T, r *rawConn)
		code websocket.StatusCode
	}{
		{"invalid utf-8 text", func(t *testing.T, r *rawConn) { r.frame(t, 0x1, bad, true) }, websocket.StatusInvalidFramePayloadData},
		{"unmasked frame", func(t *testing.T, r *rawConn) { r.frame(t, 0x2, []byte(`{"a":"Login"}`), false) }, websocket.StatusProtocolError},
		{"ping flood", func(t *testing.T, r *rawConn) {
			var b []byte
			for range 400 {
				b = append(b, encodeFrame(true, 0x9, []byte("p"), true)...)
			}
			r.write(t, b)
		}, websocket.StatusPolicyViolation},
		{"close code no peer may send", func(t *testing.T, r *rawConn) {
			r.frame(t, 0x8, []byte{0x03, 0xee}, true) // 1006
		}, websocket.StatusProtocolError},
		{"close without a code", func(t *testing.T, r *rawConn) {
			r.frame(t, 0x8, nil, true)
		}, websocket.StatusNoStatusRcvd},
		{"close", func(t *testing.T, r *rawConn) {
			r.frame(t, 0x8, []byte{0x0f, 0xa0, 'o', 'k'}, true) // 4000
		}, 4000},
		{"empty continuation flood", func(t *testing.T, r *rawConn) {
			b := encodeFrame(false, 0x1, []byte(`["Chat","`), true)
			for range 1000 {
				b = append(b, encodeFrame(false, 0x0, nil, true)...)
			}
			r.write(t, b)
		}, websocket.StatusPolicyViolation},
		{"close reason not utf-8", func(t *testing.T, r *rawConn) {
			r.frame(t, 0x8, []byte{0x03, 0xe8, 0xff, 0xfe}, true)
		}, websocket.StatusInvalidFramePayloadData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := dialRaw(t, app.Addr())
			tc.send(t, r)
			if code, reason := r.closeFrame(); code != tc.code {
				t.Errorf("closed with %v %q, want %v", code, reason, tc.code)
			}
		})
	}
	t.Run("invalid utf-8 binary", func(t *testing.T) {
		t.Parallel()
		c := dial(t, app.Addr())
		c.sendRaw(bad)
		c.expectAction("Deny")
	})
}

// TestSecondServerRefused checks the database lock: a second server on the
// same file refuses to start and names the holder.
func TestSecondServerRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	startApp(t, testConfig(t, dir))
	_, err := NewApp(context.Background(), testConfig(t, dir), discardLog())
	if !errors.Is(err, persist.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
		t.Fatalf("second server on one file: %v, want ErrLocked naming pid %d", err, os.Getpid())
	}
}

// TestDatabaseFilesPrivate checks that the database, its WAL, shared
// memory and lock files are readable by their owner only.
func TestDatabaseFilesPrivate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	app, _ := startApp(t, testConfig(t, dir))
	join(t, app.Addr(), "someone", 0) // a write, so the WAL exists
	for _, name := range []string{"game.db", "game.db-wal", "game.db-shm", "game.db.lock"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, st.Mode().Perm())
		}
	}
}

// TestAdminNeedsToken checks that a non-loopback admin address needs a token.
func TestAdminNeedsToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		env  map[string]string
		ok   bool
	}{
		{[]string{"-admin", "127.0.0.1:0"}, nil, true},
		{[]string{"-admin", "localhost:0"}, nil, true},
		{[]string{"-admin", "[::1]:0"}, nil, true},
		{[]string{"-admin", "0.0.0.0:9081"}, nil, false},
		{[]string{"-admin", ":9081"}, nil, false},
		{[]string{"-admin", "10.0.0.5:9081"}, nil, false},
		{[]string{"-admin", "0.0.0.0:9081", "-admin-token", "s3cret"}, nil, true},
		{[]string{"-admin", "0.0.0.0:9081"}, map[string]string{"GODMMO_ADMIN_TOKEN": "s3cret"}, true},
		{[]string{"-admin", "0.0.0.0:9081", "-admin-token", " "}, nil, false},
		{[]string{"-admin", "0.0.0.0:9081"}, map[string]string{"GODMMO_ADMIN_TOKEN": "\t\n"}, false},
		{[]string{"-admin", "127.0.0.1:0", "-admin-token", "  "}, nil, false},
		{[]string{"-admin", "0.0.0.0:9081", "-admin-token", "s3cret\n"}, nil, false},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := parseExample(tc.args, env(tc.env))
			if (err == nil) != tc.ok {
				t.Errorf("parseConfig: %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// TestBackupAsDocumented runs the backup command docs/operations.md gives,
// against a running server's database, from a shell with the usual umask
// 022: the backup holds the accounts and is readable by its owner only.
func TestBackupAsDocumented(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sqlite3"); err != nil {
		t.Skip("no sqlite3 here (Debian package sqlite3)")
	}
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	var command string
	for _, line := range strings.Split(string(doc), "\n") {
		if l := strings.TrimSpace(line); strings.Contains(l, `sqlite3 godmmo.db ".backup`) {
			command = l
		}
	}
	if command == "" {
		t.Fatal("docs/operations.md gives no backup command")
	}
	dir := t.TempDir()
	app, _ := startApp(t, testConfig(t, dir, "-db", filepath.Join(dir, "godmmo.db")))
	dial(t, app.Addr()).register("saved", "pw", 0)
	sh := exec.Command("bash", "-c", "umask 022; "+command)
	sh.Dir = dir
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v %s", command, err, out)
	}
	backups, _ := filepath.Glob(filepath.Join(dir, "backup-*.db"))
	if len(backups) != 1 {
		t.Fatalf("backups made: %v", backups)
	}
	fi, err := os.Stat(backups[0])
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("the backup's mode is %#o, want 0600", mode)
	}
	out, err := exec.Command("sqlite3", backups[0], "SELECT username FROM accounts").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "saved" {
		t.Errorf("accounts in the backup: %q %v", out, err)
	}
}
