//go:build linux

package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
)

// TestGodot tests the Godot client in client/ headless (godot3-server)
// against the real server: every script and scene loads, and players play
// through the real screens, in protocol v2 and in v1. It skips when Godot is
// not installed.
func TestGodot(t *testing.T) {
	t.Parallel()
	bin := needGodot(t)
	t.Run("Harness", func(t *testing.T) { testGodotHarness(t, bin) })
	t.Run("MinimalDoc", testMinimalDoc)
	proj := importGodotProject(t, bin)
	t.Run("Check", func(t *testing.T) { testGodotScene(t, proj, "res://tests/Check.tscn") })
	t.Run("Unit", func(t *testing.T) { testGodotScene(t, proj, "res://tests/Unit.tscn") })
	for _, proto := range []string{"v2", "v1"} {
		t.Run("Play/"+proto, func(t *testing.T) {
			t.Parallel()
			testGodotPlay(t, proj, proto)
		})
		t.Run("View/"+proto, func(t *testing.T) {
			t.Parallel()
			testGodotView(t, proj, proto)
		})
	}
	t.Run("Resume", func(t *testing.T) {
		t.Parallel()
		testGodotResume(t, proj)
	})
	t.Run("ResumeRefused", func(t *testing.T) {
		t.Parallel()
		testGodotResumeRefused(t, proj)
	})
	t.Run("Cut/v1", func(t *testing.T) {
		t.Parallel()
		testGodotCutV1(t, proj)
	})
	for name, run := range map[string]func(*testing.T, *godotProject){
		"NPCs": testGodotNPCs, "Items": testGodotItems, "Emote": testGodotEmote, "Minimal": testGodotMinimal,
		"MinimalResume": testGodotMinimalResume,
	} {
		t.Run("Mods/"+name, func(t *testing.T) {
			t.Parallel()
			run(t, proj)
		})
	}
	t.Run("Pictures", func(t *testing.T) {
		t.Parallel()
		testGodotPictures(t, proj)
	})
}

// testGodotScene runs a test scene that needs no server: Check loads every
// script and scene of the client, Unit tests the codecs, the movement rules
// and the world.
func testGodotScene(t *testing.T, proj *godotProject, scene string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	startGodot(ctx, t, scene, proj.godotArgs(scene), nil).mustWait(t)
}

var (
	positionLine = regexp.MustCompile(`(?m)^E2E position (\S+) (\S+)$`)
	longLine     = regexp.MustCompile(`(?m)^E2E long line (\d+)$`)
)

// mutedLine is what the walker says once muted (tests/E2E.gd MUTED_LINE).
const mutedLine = "can anyone hear me"

// testGodotPlay runs two client processes that register, log in, see each
// other, walk, chat and leave, then restarts one and finds it where it
// stopped, then stops the server under it. A v1 test client watches too.
// The walker says a line as long as the client lets it (v2: the hello's
// limit, which the server takes), and one after the test muted it through
// the admin API, which nobody hears. The other says one line more than the
// server's chat burst at once: at least one is refused (Slow down).
//
// With proto "v2" the clients ask for v2 and get it. With "v1", alice asks
// for v2 from a server that speaks only v1 (a proxy hides the request for a
// subprotocol from the real server) and falls back to v1; bob and the
// returning alice are started with --proto=v1 and ask for nothing.
func testGodotPlay(t *testing.T, proj *godotProject, proto string) {
	app, stop := startApp(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0"))
	watcher := dial(t, app.Addr())
	watcher.register("watcher", "pw-watcher", 0)
	watcher.login("watcher", "pw-watcher")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	direct := []string{"--server=ws://" + app.Addr()}
	viaProxy := direct
	if proto == "v1" {
		direct = append(direct, "--proto=v1")
		viaProxy = []string{"--server=ws://" + v1OnlyProxy(t, app.Addr())}
	}
	common := []string{"--timeout=60", "--want-proto=" + proto}
	if proto == "v2" {
		common = append(common, fmt.Sprintf("--want-limits=%d,%d,%d", wire.MaxUsername, wire.MaxPassword, wire.MaxChatRunes))
	}
	e2e := func(server []string, args ...string) []string {
		args = append(append(append([]string{}, common...), server...), args...)
		return proj.godotArgs("res://tests/E2E.tscn", args...)
	}
	sync := t.TempDir()
	muteMe, muteReady := lineSignal("E2E mute me")
	alice := startGodot(ctx, t, "alice", e2e(viaProxy, "--role=walker", "--user=alice", "--peer=bob", "--avatar=2", "--sync="+sync), muteMe)
	burst := fmt.Sprintf("--burst=%d", tutorial.DefaultConfig().ChatBurst+1)
	bob := startGodot(ctx, t, "bob", e2e(direct, "--role=stayer", "--user=bob", "--peer=alice", "--avatar=4", burst), nil)
	select {
	case <-muteReady:
		base := "http://" + app.AdminAddr()
		if code, v := apiCall(t, base, "", http.MethodPost, "/api/mute", map[string]string{"name": "alice"}); code != http.StatusOK {
			t.Errorf("POST /api/mute: %d %v", code, v)
		} else if err := os.WriteFile(filepath.Join(sync, "muted"), []byte("muted\n"), 0o644); err != nil {
			t.Error(err)
		}
	case <-alice.done:
	}
	aliceLog := alice.mustWait(t)
	bob.mustWait(t)
	if t.Failed() {
		return
	}
	long := longLine.FindStringSubmatch(aliceLog)
	if long == nil {
		t.Fatal("alice's driver did not print how long a line it said")
	}
	longLen, _ := strconv.Atoi(long[1])
	m := positionLine.FindStringSubmatch(aliceLog)
	if m == nil {
		t.Fatal("alice's driver did not print where it stopped")
	}
	x, errX := strconv.ParseFloat(m[1], 64)
	y, errY := strconv.ParseFloat(m[2], 64)
	if errX != nil || errY != nil {
		t.Fatalf("bad position line %q", m[0])
	}

	// The Go client saw the Godot player walk there (led by lead points),
	// and leave. v2 positions are rounded to a tenth, v1's to a hundredth.
	aliceID := int64(-1)
	var path [][2]float64
	var heard []string
	watcher.await("alice's Disconnect", func(p packet) bool {
		if p.A == "Chat" && p.From == "alice" {
			heard = append(heard, p.Text)
		}
		if p.A == "ModelDelta" {
			if p.Name == "alice" {
				aliceID = p.actorID()
			}
			if px, py, ok := p.pos(); ok && p.actorID() == aliceID {
				path = append(path, [2]float64{px, py})
			}
		}
		return p.A == "Disconnect" && p.actorID() == aliceID
	})
	if len(path) < 2 {
		t.Errorf("the watcher saw alice at %d positions, want a walk: %v", len(path), path)
	} else if last := path[len(path)-1]; math.Hypot(last[0]-x, last[1]-y) > 0.1 {
		t.Errorf("the watcher saw alice stop at %v, the client says (%g, %g)", last, x, y)
	} else if first := path[0]; math.Hypot(first[0]-x, first[1]-y) < 100 {
		t.Errorf("alice walked from %v to %v, want over 100 units", first, last)
	}

	// The watcher heard alice's long line whole, and not the one said muted.
	gotLong := false
	for _, text := range heard {
		if text == mutedLine {
			t.Errorf("the watcher heard alice's line said while muted")
		}
		if utf8.RuneCountInString(text) == longLen && strings.HasPrefix(text, "abcdefghij") {
			gotLong = true
		}
	}
	if !gotLong {
		t.Errorf("the watcher did not hear alice's line of %d characters; heard %q", longLen, heard)
	}
	if proto == "v2" && longLen != wire.MaxChatRunes {
		t.Errorf("alice's longest line was %d characters, want the server's %d", longLen, wire.MaxChatRunes)
	}

	// A restarted client finds alice where she stopped; then the server goes away.
	hook, ready := lineSignal("E2E ready for shutdown")
	again := startGodot(ctx, t, "alice again", e2e(direct, "--role=return", "--user=alice", fmt.Sprintf("--expect=%g,%g", x, y)), hook)
	select {
	case <-ready:
		stop()
	case <-again.done:
	}
	again.mustWait(t)
}

// testGodotView plays two clients in a world with a small view, both
// starting at the same point: one walks away by clicks until the other
// loses sight of it (v2: Leave, quietly; v1: Disconnect), and back until
// they see each other again; then it chats and leaves. With proto "v1" both
// are started with --proto=v1.
func testGodotView(t *testing.T, proj *godotProject, proto string) {
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-view-radius", "150", "-view-margin", "50", "-spawn-spread", "0"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	common := []string{"--server=ws://" + app.Addr(), "--timeout=90", "--want-proto=" + proto, "--sync=" + t.TempDir()}
	if proto == "v1" {
		common = append(common, "--proto=v1")
	}
	e2e := func(args ...string) []string {
		return proj.godotArgs("res://tests/E2E.tscn", append(common, args...)...)
	}
	roam := startGodot(ctx, t, "rover", e2e("--role=roam", "--user=rover", "--peer=homer", "--avatar=1"), nil)
	watch := startGodot(ctx, t, "homer", e2e("--role=watch", "--user=homer", "--peer=rover", "--avatar=5"), nil)
	roam.mustWait(t)
	watch.mustWait(t)
}

// v1OnlyProxy serves a v1-only server at the address it returns: it passes
// everything to the real server at addr except a request for a WebSocket
// subprotocol, so the handshake's answer names none.
func v1OnlyProxy(tb testing.TB, addr string) string {
	tb.Helper()
	target := &url.URL{Scheme: "http", Host: addr}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Header.Del("Sec-WebSocket-Protocol")
	}}
	srv := httptest.NewServer(proxy)
	tb.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// awaitWithin is await with a longer wait, for packets that follow a
// Godot process starting up.
func awaitWithin(tb testing.TB, c *client, d time.Duration, what string, match func(packet) bool) packet {
	tb.Helper()
	deadline := time.After(d)
	for {
		select {
		case p := <-c.in:
			if match(p) {
				return p
			}
		case <-c.done:
			tb.Fatalf("waiting for %s: connection ended: %v", what, c.err)
		case <-deadline:
			tb.Fatalf("no %s within %v", what, d)
		}
	}
}
