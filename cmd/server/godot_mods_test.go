//go:build linux

package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	netclient "github.com/godmmo/godmmo/net/client"
)

// gatheredLine is what the gatherer prints with its count (tests/E2E.gd).
var gatheredLine = regexp.MustCompile(`(?m)^E2E gathered (\d+)$`)

// modsConfig is a test server with the example mods on: NPCs wandering and
// items lying in -1500..1500 (seeded), enough of both near the spawn point
// for a player there to see some.
func modsConfig(t *testing.T, npcs, items int) Config {
	return testConfig(t, t.TempDir(), "-npcs", fmt.Sprint(npcs), "-items", fmt.Sprint(items))
}

// testGodotNPCs: a client sees NPCs, named as such, and one drawn walking
// without jumps (over v2 at its own pace). Over v1, on a server with items
// and emotes too, it sees the NPCs as actors, no items, and no mods'
// controls (v1 has no hello to offer them).
func testGodotNPCs(t *testing.T, proj *godotProject) {
	for _, proto := range []string{"v2", "v1"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			items := 0
			args := []string{"--timeout=60", "--role=npcs", "--user=nina", "--want-proto=" + proto}
			if proto == "v1" {
				items = 400
				args = append(args, "--proto=v1", "--want-items=none")
			}
			app, _ := startApp(t, modsConfig(t, 80, items))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			args = append(args, "--server=ws://"+app.Addr())
			startGodot(ctx, t, "nina", proj.godotArgs("res://tests/E2E.tscn", args...), nil).mustWait(t)
		})
	}
}

// testGodotItems: a client hears its count (0), walks onto an item, which
// vanishes, and the count goes up; a new client process that logs in as
// the same player shows the same count (kept in the mod's table).
func testGodotItems(t *testing.T, proj *godotProject) {
	app, _ := startApp(t, modsConfig(t, 0, 400))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	common := []string{"--server=ws://" + app.Addr(), "--timeout=90", "--user=gale"}
	log := startGodot(ctx, t, "gale", proj.godotArgs("res://tests/E2E.tscn", append(common, "--role=gather")...), nil).mustWait(t)
	m := gatheredLine.FindStringSubmatch(log)
	if m == nil {
		t.Fatal("the gatherer did not say how many items it carries")
	}
	startGodot(ctx, t, "gale again", proj.godotArgs("res://tests/E2E.tscn", append(common, "--role=gather-again", "--want-count="+m[1])...), nil).mustWait(t)
}

// testGodotEmote: one client emotes with the key and with the button; the
// other sees both bubbles over its head.
func testGodotEmote(t *testing.T, proj *godotProject) {
	app, _ := startApp(t, modsConfig(t, 0, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	common := []string{"--server=ws://" + app.Addr(), "--timeout=60", "--sync=" + t.TempDir()}
	e2e := func(args ...string) []string {
		return proj.godotArgs("res://tests/E2E.tscn", append(common, args...)...)
	}
	emoter := startGodot(ctx, t, "emma", e2e("--role=emoter", "--user=emma", "--peer=walt", "--avatar=3"), nil)
	watcher := startGodot(ctx, t, "walt", e2e("--role=emote-watch", "--user=walt", "--peer=emma", "--avatar=1"), nil)
	emoter.mustWait(t)
	watcher.mustWait(t)
}

// testGodotMinimal runs the doc's minimal game (client/examples/minimal)
// against a server with NPCs: it logs in through the addon and draws its
// own square and the NPCs', walking.
func testGodotMinimal(t *testing.T, proj *godotProject) {
	app, _ := startApp(t, modsConfig(t, 80, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := proj.godotArgs("res://tests/Minimal.tscn", "--server=ws://"+app.Addr(), "--timeout=60", "--user=minnie")
	startGodot(ctx, t, "minnie", args, nil).mustWait(t)
}

// testGodotMinimalResume cuts the minimal game's connection (a proxy resets
// both TCP connections, no close frame) and refuses the next one: the addon
// says it is reconnecting, resumes the same player with backoff, and the
// game gets the NPCs again. A second player (a Go client over v2) never
// sees the player leave.
func testGodotMinimalResume(t *testing.T, proj *godotProject) {
	app, _ := startApp(t, modsConfig(t, 80, 0))
	proxy := newCutProxy(t, app.Addr())
	bob := joinV2(t, app.Addr(), "bob", 4)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hook, ready := lineValue("E2E ready for the cut, actor ")
	game := startGodot(ctx, t, "maxi", proj.godotArgs("res://tests/Minimal.tscn", "--server=ws://"+proxy.Addr(), "--timeout=60", "--user=maxi", "--cut=1"), hook)
	game.logIfFailed(t)
	id := awaitActorLine(t, game, ready)
	bob.await("maxi in view", v2is(netclient.Enter, id))
	if n := proxy.cut(); n != 1 {
		t.Errorf("the cut ended %d client connections, want 1", n)
	}
	proxy.awaitRefused(1, 20*time.Second, game.done)
	proxy.up()
	game.mustWait(t)
	// The game quit with a clean close: the first Q of its player is now.
	left := awaitV2(t, bob, 10*time.Second, "maxi's Q once the game quit", func(p v2packet) bool {
		return (p.Kind == netclient.Quit || p.Kind == netclient.Enter) && p.ID == id
	})
	if left.Kind != netclient.Quit {
		t.Errorf("bob saw maxi come into view again after the cut: %v", left)
	}
}

// testMinimalDoc checks that docs/client.md shows the minimal game exactly
// as the file that testGodotMinimal runs, so the doc cannot drift.
func testMinimalDoc(t *testing.T) {
	const path = "client/examples/minimal/Minimal.gd"
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "client.md"))
	if err != nil {
		t.Fatal(err)
	}
	code, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	open := "```gdscript\n# " + path + "\n"
	_, block, ok := strings.Cut(string(doc), open)
	if !ok {
		t.Fatalf("docs/client.md has no block opening %q", open)
	}
	block, _, ok = strings.Cut(block, "```\n")
	if !ok {
		t.Fatal("docs/client.md: the minimal game's block does not end")
	}
	if block != string(code) {
		t.Errorf("docs/client.md shows %s other than it is; the block:\n%s\nthe file:\n%s", path, block, code)
	}
}
