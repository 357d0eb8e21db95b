//go:build linux

package server

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/net/wire"
)

// webTemplateEnv names a Godot 3.2.3 web template (webassembly_*.zip, or a
// directory holding webassembly_release.zip) other than the default,
// ../shared/godot-web beside the repository.
const webTemplateEnv = "GODMMO_WEB_TEMPLATE"

// exportWeb exports the client to HTML5 with client/build.sh web, from a
// copy of client/ (the import rewrites files in the project) and with a
// HOME of its own (the template is installed there), into a directory
// removed when t ends. It skips t saying what is missing.
func exportWeb(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("godot3-server"); err != nil {
		t.Skip("godot3-server is not installed, so there is no web export: " + godotInstall)
	}
	template := os.Getenv(webTemplateEnv)
	if template == "" {
		template = filepath.Join("..", "..", "..", "shared", "godot-web")
	}
	if st, err := os.Stat(template); err == nil && st.IsDir() {
		template = filepath.Join(template, "webassembly_release.zip")
	}
	if _, err := os.Stat(template); err != nil {
		t.Skipf("no Godot 3.2.3 web template at %s (%v): set %s to a webassembly_release.zip "+
			"(Godot 3.2.3's export templates, or ../shared/godot-web beside the repository)", template, err, webTemplateEnv)
	}
	template, err := filepath.Abs(template)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	client := filepath.Join(root, "client")
	if err := copyTree(filepath.Join("..", "..", "client"), client, false); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(client, "build.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "web")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, filepath.Join(client, "build.sh"), "web", template, out)
	cmd.Env = godotEnv(filepath.Join(root, "home"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("client/build.sh web: %v\n%s", err, b)
	}
	t.Logf("client/build.sh web took %v", time.Since(start).Round(10*time.Millisecond))
	return out
}

// skipWithoutChromium skips a test before it prepares anything for a
// browser (an export) when there is none; newBrowser would skip later.
func skipWithoutChromium(t *testing.T) {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if _, err := exec.LookPath(name); err == nil {
			return
		}
	}
	t.Skip("chromium is not installed, so nothing is tested in a browser: apt-get update && apt-get install -y chromium")
}

// browserScreen is a browser window the client is played in.
type browserScreen struct {
	w, h  int64   // CSS pixels
	dpr   float64 // device pixels per CSS pixel
	touch bool    // a phone: touch events, not the mouse
	shot  string  // docs/ picture of the world, with -update-shots
	login string  // docs/ picture of the login screen, with -update-shots
}

// TestBrowser plays the real HTML5 export of the client in headless
// Chromium against the real server, with real mouse, touch and key events
// on the canvas: on a desktop window and on a phone in both orientations,
// it drops the connection from the page, and it plays the example mods on
// a phone (an emote and a pickup). The client publishes what it
// shows to the page (client/web/PageState.gd), which tells the test where
// the controls are and what the player sees; what the server saw is
// checked by a second player over a real WebSocket and in the store.
func TestBrowser(t *testing.T) {
	skipWithoutChromium(t) // skip before exporting
	web := exportWeb(t)
	for _, tc := range []struct {
		name   string
		screen browserScreen
	}{
		{"Desktop", browserScreen{w: 1280, h: 800, dpr: 1, shot: "client-web.png"}},
		{"Phone/portrait", browserScreen{w: 390, h: 844, dpr: 3, touch: true, shot: "client-phone-portrait.png", login: "client-phone-login.png"}},
		{"Phone/landscape", browserScreen{w: 844, h: 390, dpr: 3, touch: true, shot: "client-phone-landscape.png"}},
	} {
		t.Run(tc.name, func(t *testing.T) { testBrowserPlay(t, web, tc.screen) })
	}
	t.Run("Dropped", func(t *testing.T) { testBrowserDropped(t, web) })
	t.Run("Phone/mods", func(t *testing.T) { testBrowserMods(t, web) })
}

// testBrowserPlay registers through the login screen, walks by a click or
// tap on the ground (the server's player arrives there), chats with Enter
// and with Send (the other player hears both; taps on the chat do not
// walk), sees the other player come, walk, talk and leave.
func testBrowserPlay(t *testing.T, web string, scr browserScreen) {
	dir := t.TempDir()
	app, _ := startApp(t, testConfig(t, dir, "-web", web))
	opened := time.Now()
	p := openPage(t, scr, "http://"+app.Addr()+"/?state")

	s := p.wait("the login screen, connected over v2", time.Minute, func(s pageState) bool {
		return s.Screen == "login" && s.Online && s.Proto == "v2"
	})
	// The fields take the server's limits, from its hello.
	s = p.wait("the login fields taking the server's limits", 10*time.Second, func(s pageState) bool {
		return s.MaxLength["username"] == wire.MaxUsername && s.MaxLength["password"] == wire.MaxPassword
	})
	t.Logf("%dx%d: the login screen was up and connected %v after the browser started", scr.w, scr.h, time.Since(opened).Round(100*time.Millisecond))
	if want := "ws://" + app.Addr() + "/"; s.Server != want {
		t.Errorf("the server field says %q, want the page's own host %q", s.Server, want)
	}
	p.checkReadable(s, "username", "password", "register", "login", "server", "avatar0", "avatar5")
	if scr.touch {
		// The login form fills the phone's short side, not two-fifths of it.
		panel := s.Rects["panel"]
		across, short := panel[2]/s.DPR, float64(scr.w)
		if scr.h < scr.w {
			across, short = panel[3]/s.DPR, float64(scr.h)
		}
		if across < 0.8*short {
			t.Errorf("%dx%d: the login panel spans %.0f of the %.0f CSS pixels across the short side", scr.w, scr.h, across, short)
		}
	}
	p.fill(s, "username", "Username", "alice")
	p.fill(s, "password", "Password", "pw-alice")
	p.press(s, "avatar3")
	s = p.wait("avatar 3 picked", 10*time.Second, func(s pageState) bool { return s.Avatar == 3 })
	if scr.login != "" {
		p.shot(scr.login, nil)
	}
	p.press(s, "register")
	s = p.wait("the world after Register (which logs in)", 20*time.Second, func(s pageState) bool {
		return s.Screen == "world" && s.own() != nil
	})
	own := s.own()
	if own.Name != "alice" {
		t.Fatalf("own actor is %q, want alice", own.Name)
	}
	p.checkReadable(s, "chat_input", "chat_send")
	if n := s.MaxLength["chat_input"]; n != wire.MaxChatRunes {
		t.Errorf("the chat input takes %d characters, want the server's %d", n, wire.MaxChatRunes)
	}

	// A second player comes and walks a little way off.
	bob, _ := join(t, app.Addr(), "bob", 4)
	aliceID := awaitWithin(t, bob, 10*time.Second, "alice's model", func(q packet) bool {
		return q.A == "ModelDelta" && q.Name == "alice"
	}).actorID()
	p.wait("bob in view", 20*time.Second, func(s pageState) bool { return s.actor("bob") != nil })
	bobAt := [2]float64{-60, -40}
	bob.send("Target", bobAt[0], bobAt[1])
	p.wait("bob walking to where he clicked", 20*time.Second, func(s pageState) bool {
		b := s.actor("bob")
		return b != nil && math.Hypot(b.X-bobAt[0], b.Y-bobAt[1]) < 1
	})

	// A click or tap on the ground walks; the server's player gets there.
	s = p.state()
	own = s.own()
	cssPerUnit := s.Scale / s.DPR
	dx, dy := 0.25*float64(scr.w), -0.15*float64(scr.h) // up and to the right: open ground
	want := [2]float64{own.X + dx/cssPerUnit, own.Y + dy/cssPerUnit}
	p.pressAt(own.SX/s.DPR+dx, own.SY/s.DPR+dy)
	s = p.wait("the walk to the click", 10*time.Second, func(s pageState) bool { return s.Walks == 1 })
	store := openStore(t, filepath.Join(dir, "game.db"))
	storeNear(t, store, aliceID, want, 20*time.Second)
	p.wait("alice drawn at the click", 10*time.Second, func(s pageState) bool {
		o := s.own()
		return o != nil && math.Hypot(o.X-want[0], o.Y-want[1]) < 1
	})

	var said []string
	if !scr.touch {
		// Chat with Enter: Enter opens the chat input, Enter sends.
		p.enter()
		p.wait("Enter focusing the chat input", 10*time.Second, func(s pageState) bool { return s.Focus == "chat_input" })
		line := "hello from the browser"
		p.typeText(line)
		p.enter()
		heard(t, bob, "alice", line)
		said = append(said, line)
	}

	// Chat with Send, after a tap on the history (neither walks).
	s = p.state()
	p.press(s, "chat_history")
	line := "and this one with Send"
	p.fill(s, "chat_input", "Say something", line)
	p.press(s, "chat_send")
	heard(t, bob, "alice", line)
	said = append(said, line)
	if scr.touch {
		// A line longer than the input takes: the prompt's answer is cut
		// to the server's limit, and all of that is said.
		long := strings.Repeat("0123456789", wire.MaxChatRunes/10+2)
		s = p.state()
		p.fill(s, "chat_input", "Say something", long)
		p.press(s, "chat_send")
		heard(t, bob, "alice", long[:wire.MaxChatRunes])
		said = append(said, long[:wire.MaxChatRunes])
	}
	s = p.wait("alice's lines in her chat", 10*time.Second, func(s pageState) bool {
		for _, l := range said {
			if !s.hasLine("alice: " + l) {
				return false
			}
		}
		return true
	})
	if s.Walks != 1 {
		t.Errorf("%d walks after taps on the chat, want 1: a tap on the chat walked", s.Walks)
	}

	// The other player talks, and leaves.
	bob.send("Chat", "bob", "hi alice!")
	p.wait("bob's line", 10*time.Second, func(s pageState) bool { return s.hasLine("bob: hi alice!") })
	p.shot(scr.shot, func(img []byte) {
		// Both avatars on the screen: alice's yellow, bob's purple.
		decoded, err := png.Decode(bytes.NewReader(img))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		checkNotBlank(t, scr.shot, decoded)
		for _, c := range []struct {
			who     string
			r, g, b int
		}{{"alice", 250, 204, 51}, {"bob", 158, 92, 217}} {
			if n := countNear(decoded, c.r, c.g, c.b, 12); n < 50 {
				t.Errorf("%s: %d pixels of %s's avatar colour, want at least 50", scr.shot, n, c.who)
			}
		}
	})
	bob.conn.Close(websocket.StatusNormalClosure, "bye") //nolint:errcheck // the page tells
	p.wait("bob leaving", 10*time.Second, func(s pageState) bool {
		return s.actor("bob") == nil && s.hasLine("* bob left")
	})
}

// testBrowserDropped drops the game's connection twice. First the network
// goes: a proxy between the page and the server resets both TCP
// connections (no close frame) and refuses the next connection; the page
// keeps the world, says it is reconnecting, resumes the same actor through
// the proxy and plays on, and the other player sees it neither leave nor
// come back. Then the page closes its WebSocket itself, a clean close that
// ends the session: the client says so and goes back to the login screen,
// the server sees the player leave, and Retry and a Login let it back in.
func testBrowserDropped(t *testing.T, web string) {
	dir := t.TempDir()
	app, _ := startApp(t, testConfig(t, dir, "-web", web))
	proxy := newCutProxy(t, app.Addr())
	p := openPage(t, browserScreen{w: 1024, h: 640, dpr: 1}, "http://"+proxy.Addr()+"/?state")
	s := p.wait("the login screen, connected", time.Minute, func(s pageState) bool { return s.Screen == "login" && s.Online })
	loginPanel := s.Rects["panel"]
	p.fill(s, "username", "Username", "carol")
	p.fill(s, "password", "Password", "pw-carol")
	p.enter() // Enter in the password field logs in; there is no account yet
	s = p.wait("the Deny of an unknown account", 20*time.Second, func(s pageState) bool {
		return strings.Contains(s.Status, "incorrect")
	})
	p.press(s, "register")
	p.wait("the world", 20*time.Second, func(s pageState) bool { return s.Screen == "world" && s.own() != nil })
	dave, _ := join(t, app.Addr(), "dave", 1)
	carolID := awaitWithin(t, dave, 10*time.Second, "carol's model", func(q packet) bool {
		return q.A == "ModelDelta" && q.Name == "carol"
	}).actorID()
	daveAt := [2]float64{-90, 50}
	dave.send("Target", daveAt[0], daveAt[1])
	p.wait("dave in view, where he walked", 20*time.Second, func(s pageState) bool {
		d := s.actor("dave")
		return d != nil && math.Hypot(d.X-daveAt[0], d.Y-daveAt[1]) < 1
	})

	// The network goes away, and comes back.
	// The page's HTTP connections (the export's files) go through the
	// proxy too: at least the game's WebSocket is cut.
	if n := proxy.cut(); n < 1 {
		t.Errorf("the cut ended %d connections from the page, want the WebSocket's", n)
	}
	s = p.wait("the world saying it is reconnecting", 10*time.Second, func(s pageState) bool {
		return s.Screen == "world" && s.Notice == "Connection lost, reconnecting..."
	})
	if s.actor("dave") == nil || s.own() == nil || s.own().ID != carolID {
		t.Errorf("while reconnecting the page shows %+v, want carol (%d) and dave still drawn", s.Actors, carolID)
	}
	p.shot("client-reconnecting.png", nil)
	proxy.awaitRefused(1, 20*time.Second, nil)
	proxy.up()
	s = p.wait("the session resumed", 30*time.Second, func(s pageState) bool {
		return s.Screen == "world" && s.Resumes == 1 && s.Notice == "" && s.actor("dave") != nil
	})
	if own := s.own(); own == nil || own.ID != carolID {
		t.Fatalf("after the resume the page's own actor is %+v, want carol's actor %d", own, carolID)
	}
	// Carol plays on: she walks, and dave hears her.
	own := s.own()
	want := [2]float64{own.X + 150/s.Scale*s.DPR, own.Y - 100/s.Scale*s.DPR}
	p.pressAt(own.SX/s.DPR+150, own.SY/s.DPR-100)
	store := openStore(t, filepath.Join(dir, "game.db"))
	storeNear(t, store, carolID, want, 20*time.Second)
	s = p.state()
	p.fill(s, "chat_input", "Say something", "still here")
	p.press(s, "chat_send")
	// Dave saw carol walk and talk, and never leave or come in again.
	walked := false
	awaitWithin(t, dave, 10*time.Second, "carol's line after the resume", func(q packet) bool {
		if q.A == "Disconnect" && q.actorID() == carolID {
			t.Fatalf("dave saw carol leave: %s", q.Raw)
		}
		if q.A == "ModelDelta" && q.actorID() == carolID {
			if q.full() {
				t.Fatalf("dave saw carol come into view again: %s", q.Raw)
			}
			walked = true
		}
		return q.A == "Chat" && q.From == "carol" && q.Text == "still here"
	})
	if !walked {
		t.Error("dave did not see carol walk after the resume")
	}

	// The page closes its socket: a clean close, which ends the session.
	closed, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`window.__godmmoSockets.filter(s => s.readyState === 1).map(s => (s.close(), 1)).length`))
	if err != nil {
		t.Fatal(err)
	}
	if closed != 1 {
		t.Fatalf("closed %d open WebSockets in the page, want 1", closed)
	}
	s = p.wait("the login screen with a reason", 10*time.Second, func(s pageState) bool {
		return s.Screen == "login" && !s.Online && strings.Contains(s.Status, "Disconnected. The connection was lost") && s.Rects["retry"] != [4]float64{}
	})
	t.Logf("the client says: %q", s.Status)
	if s.Rects["panel"] != loginPanel {
		t.Errorf("the login panel moved from %v to %v when Retry appeared", loginPanel, s.Rects["panel"])
	}
	awaitWithin(t, dave, 10*time.Second, "carol's Disconnect", func(q packet) bool {
		return q.A == "Disconnect" && q.actorID() == carolID
	})
	p.press(s, "retry")
	s = p.wait("connected again", 20*time.Second, func(s pageState) bool { return s.Screen == "login" && s.Online })
	p.press(s, "password")
	p.enter() // the username and password are still there
	p.wait("back in the world", 20*time.Second, func(s pageState) bool { return s.Screen == "world" && s.own() != nil })
	awaitWithin(t, dave, 10*time.Second, "carol back", func(q packet) bool {
		return q.A == "ModelDelta" && q.actorID() == carolID && q.full()
	})
}

// pageState is window.godmmoState, what client/web/PageState.gd publishes.
// Rectangles ([x, y, w, h]) and screen positions are in canvas pixels.
type pageState struct {
	Msec    float64
	DPR     float64
	Scale   float64 // canvas pixels per logical unit
	Window  [2]float64
	Screen  string // "login" or "world"
	Online  bool
	Proto   string
	Server  string
	Status  string
	Notice  string // the world's notice (reconnecting), "" for none
	Focus   string
	Rects   map[string][4]float64
	Avatar  int
	Chat    []string
	Walks   int
	Resumes int // sessions resumed on a new connection
	Actors  []pageActor
	Items   []pageItem

	Inventory  int // the count shown, -1 until the server said
	EmotesSent int `json:"emotes_sent"`

	// MaxLength is how many characters each text field takes, by key.
	MaxLength map[string]int `json:"max_length"`
}

type pageActor struct {
	ID     int64
	Name   string
	Self   bool
	Kind   string  // "player" or "npc"
	Emote  string  // in the bubble over its head, "" for none
	X, Y   float64 // world units
	SX, SY float64 // canvas pixels
}

func (s pageState) own() *pageActor {
	for i := range s.Actors {
		if s.Actors[i].Self {
			return &s.Actors[i]
		}
	}
	return nil
}

func (s pageState) actor(name string) *pageActor {
	for i := range s.Actors {
		if s.Actors[i].Name == name {
			return &s.Actors[i]
		}
	}
	return nil
}

func (s pageState) hasLine(line string) bool {
	for _, l := range s.Chat {
		if l == line {
			return true
		}
	}
	return false
}

// browserPage is the client's page in a browser tab.
type browserPage struct {
	t      *testing.T
	ctx    context.Context
	screen browserScreen

	mu      sync.Mutex
	log     []string          // the page's console and exceptions
	answers map[string]string // what to answer a prompt dialog, by its question
	asked   []string          // the questions of the prompt dialogs, in order
}

// socketRecorder keeps every WebSocket the page opens in
// window.__godmmoSockets, so a test can close one from inside the page.
const socketRecorder = `(() => {
	const Native = window.WebSocket;
	window.__godmmoSockets = [];
	function Recorded(url, protocols) {
		const s = protocols === undefined ? new Native(url) : new Native(url, protocols);
		window.__godmmoSockets.push(s);
		return s;
	}
	Recorded.prototype = Native.prototype;
	for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Recorded[k] = Native[k];
	window.WebSocket = Recorded;
})();`

// openPage opens url in a new headless Chromium the size of scr (a phone
// with touch emulation when scr.touch).
func openPage(t *testing.T, scr browserScreen, url string) *browserPage {
	t.Helper()
	ctx := newBrowser(t, chromedp.WindowSize(int(scr.w), int(scr.h)))
	p := &browserPage{t: t, ctx: ctx, screen: scr, answers: map[string]string{}}
	// Answer prompt dialogs (client/web/TouchText.gd asks with them on
	// touch screens) as a player would, with the text the test chose.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			p.mu.Lock()
			answer, ok := p.answers[ev.Message]
			p.asked = append(p.asked, ev.Message)
			p.mu.Unlock()
			if _, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: ok, PromptText: answer}); err != nil {
				return
			}
		}
	}()
	err := chromedp.Listen(ctx, func(ev any) {
		var line string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range ev.Args {
				var s string
				if json.Unmarshal([]byte(a.Value), &s) == nil {
					parts = append(parts, s)
				} else {
					parts = append(parts, string(a.Value))
				}
			}
			line = string(ev.Type) + ": " + strings.Join(parts, " ")
		case *runtime.EventExceptionThrown:
			line = "exception: " + ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				line += " " + ex.Description
			}
		default:
			return
		}
		p.mu.Lock()
		p.log = append(p.log, line)
		p.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("listen to the page: %v", err)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		for _, l := range p.log {
			if strings.HasPrefix(l, "exception: ") || strings.HasPrefix(l, "error: ") {
				t.Errorf("the page says %q", l)
				break
			}
		}
		p.mu.Unlock()
		if t.Failed() || testing.Verbose() {
			p.mu.Lock()
			t.Logf("--- page console ---\n%s", strings.Join(p.log, "\n"))
			p.mu.Unlock()
		}
	})
	_, err = chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: scr.w, Height: scr.h, DeviceScaleFactor: scr.dpr, Mobile: scr.touch,
	})
	if err == nil && scr.touch {
		_, err = chromedp.Call(ctx, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: true, MaxTouchPoints: 5})
	}
	if err == nil {
		_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: socketRecorder})
	}
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Navigate(url))
	}
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return p
}

// state reads window.godmmoState (a zero state before the game runs).
func (p *browserPage) state() pageState {
	p.t.Helper()
	raw, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`JSON.stringify(window.godmmoState || {})`))
	if err != nil {
		p.t.Fatalf("read the page's state: %v", err)
	}
	var s pageState
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		p.t.Fatalf("page state %q: %v", raw, err)
	}
	return s
}

// wait polls the page's state until cond holds, failing the test with the
// last state when d passes first.
func (p *browserPage) wait(what string, d time.Duration, cond func(pageState) bool) pageState {
	p.t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		s := p.state()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no %s within %v; the page shows %+v", what, d, s)
		}
		<-tick.C
	}
}

// css is the centre of the control key in CSS pixels.
func (p *browserPage) css(s pageState, key string) (x, y float64) {
	p.t.Helper()
	r, ok := s.Rects[key]
	if !ok {
		p.t.Fatalf("no %s on the screen: %v", key, s.Rects)
	}
	return (r[0] + r[2]/2) / s.DPR, (r[1] + r[3]/2) / s.DPR
}

// press clicks or taps the middle of the control key.
func (p *browserPage) press(s pageState, key string) {
	p.t.Helper()
	p.pressAt(p.css(s, key))
}

// pressAt clicks (mouse) or taps (touch) at a point in CSS pixels.
func (p *browserPage) pressAt(x, y float64) {
	p.t.Helper()
	var err error
	if p.screen.touch {
		_, err = chromedp.Call(p.ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{
			Type: input.DispatchTouchEventTypeTouchStart, TouchPoints: []*input.TouchPoint{{X: x, Y: y}},
		})
		if err == nil {
			_, err = chromedp.Call(p.ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{
				Type: input.DispatchTouchEventTypeTouchEnd, TouchPoints: []*input.TouchPoint{},
			})
		}
	} else {
		err = chromedp.Do(p.ctx, chromedp.MouseClickXY(x, y))
	}
	if err != nil {
		p.t.Fatalf("press at %.0f,%.0f: %v", x, y, err)
	}
}

// fill puts text into the field key as a player would: on a desktop a
// click on it and the keys; on a touch screen a tap, which asks with a
// prompt dialog (client/web/TouchText.gd), answered with text.
func (p *browserPage) fill(s pageState, key, question, text string) {
	p.t.Helper()
	if !p.screen.touch {
		p.press(s, key)
		p.typeText(text)
		return
	}
	p.mu.Lock()
	p.answers[question] = text
	n := len(p.asked)
	p.mu.Unlock()
	p.press(s, key)
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		asked := p.asked[n:]
		p.mu.Unlock()
		if len(asked) > 0 {
			if asked[0] != question {
				p.t.Fatalf("a tap on %s asked %q, want %q", key, asked[0], question)
			}
			break
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("a tap on %s asked nothing within 10s", key)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.wait("the answer in "+key, 10*time.Second, func(s pageState) bool { return s.Focus != key })
}

// typeText types text key by key into whatever has the focus. Each key is
// a keyDown that carries its text, then a keyUp: what a key press is in
// Chromium (the protocol's keyDown is rawKeyDown + char). A separate char
// event after a keyDown without text, as chromedp.KeyEvent sends, ends in
// "RuntimeError: null function" in the 3.2.3 template's key handler.
func (p *browserPage) typeText(text string) {
	p.t.Helper()
	for _, r := range text {
		p.keyPress(string(r), "", string(r), 0)
	}
}

// enter presses Enter.
func (p *browserPage) enter() {
	p.t.Helper()
	p.keyPress("Enter", "Enter", "\r", 13)
}

func (p *browserPage) keyPress(key, code, text string, vk int64) {
	p.t.Helper()
	for _, ev := range []input.DispatchKeyEventParams{
		{Type: input.DispatchKeyEventTypeKeyDown, Key: key, Code: code, Text: text, UnmodifiedText: text, WindowsVirtualKeyCode: vk, NativeVirtualKeyCode: vk},
		{Type: input.DispatchKeyEventTypeKeyUp, Key: key, Code: code, WindowsVirtualKeyCode: vk, NativeVirtualKeyCode: vk},
	} {
		if _, err := chromedp.Call(p.ctx, input.DispatchKeyEvent, ev); err != nil {
			p.t.Fatalf("key %q: %v", key, err)
		}
	}
}

// checkReadable checks that the controls named fit on the screen, their
// text is at least as large as on a 1024×600 desktop (14 CSS pixels) and
// they are at least 32 CSS pixels high, large enough to tap.
func (p *browserPage) checkReadable(s pageState, keys ...string) {
	p.t.Helper()
	if cssPerUnit := s.Scale / s.DPR; cssPerUnit < 1 {
		p.t.Errorf("%dx%d: the UI is drawn at %.2f CSS pixels per unit: text under 14 px", p.screen.w, p.screen.h, cssPerUnit)
	}
	for _, k := range keys {
		r, ok := s.Rects[k]
		if !ok {
			p.t.Errorf("no %s on the screen", k)
			continue
		}
		x, y, w, h := r[0]/s.DPR, r[1]/s.DPR, r[2]/s.DPR, r[3]/s.DPR
		if x < 0 || y < 0 || x+w > float64(p.screen.w)+0.5 || y+h > float64(p.screen.h)+0.5 {
			p.t.Errorf("%s at %.0f,%.0f %.0fx%.0f is off the %dx%d screen", k, x, y, w, h, p.screen.w, p.screen.h)
		}
		if h < 32 {
			p.t.Errorf("%s is %.0f CSS pixels high, too small to tap", k, h)
		}
	}
}

// shot takes a screenshot, hands it to check (if not nil) and, with
// -update-shots, writes it to docs/name.
func (p *browserPage) shot(name string, check func([]byte)) {
	p.t.Helper()
	img, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	if check != nil {
		check(img)
	}
	if *updateShots && !p.t.Failed() {
		dst := filepath.Join("..", "..", "docs", name)
		if err := os.WriteFile(dst, img, 0o644); err != nil {
			p.t.Fatal(err)
		}
		p.t.Logf("wrote %s (%d bytes)", dst, len(img))
	}
}

// heard waits until c gets a chat line from sender.
func heard(tb testing.TB, c *client, sender, text string) {
	tb.Helper()
	awaitWithin(tb, c, 10*time.Second, fmt.Sprintf("%s's line %q", sender, text), func(q packet) bool {
		return q.A == "Chat" && q.From == sender && q.Text == text
	})
}

// openStore opens the server's SQLite file read-only, beside the server.
func openStore(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// storeNear waits until the store has actor id within a unit of want: the
// server's own player got there (positions are written every -flush-every).
func storeNear(tb testing.TB, db *sql.DB, id int64, want [2]float64, d time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(d)
	var x, y float64
	for {
		if err := db.QueryRow(`SELECT x, y FROM accounts WHERE id = ?`, id).Scan(&x, &y); err != nil {
			tb.Fatal(err)
		}
		if math.Hypot(x-want[0], y-want[1]) < 1 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the store has actor %d at (%.1f, %.1f) after %v, want (%.1f, %.1f)", id, x, y, d, want[0], want[1])
		}
		time.Sleep(100 * time.Millisecond) // the next flush; the condition is what passes
	}
}
