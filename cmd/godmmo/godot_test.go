//go:build linux

package main

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestGodot tests the Godot client in client/ headless (godot3-server)
// against the real server: every script and scene loads, and players play
// through the real screens. It skips when Godot is not installed.
func TestGodot(t *testing.T) {
	t.Parallel()
	bin := needGodot(t)
	t.Run("Harness", func(t *testing.T) { testGodotHarness(t, bin) })
	proj := importGodotProject(t, bin)
	t.Run("Check", func(t *testing.T) { testGodotScene(t, proj, "res://tests/Check.tscn") })
	t.Run("Unit", func(t *testing.T) { testGodotScene(t, proj, "res://tests/Unit.tscn") })
	t.Run("Play", func(t *testing.T) {
		t.Parallel()
		testGodotPlay(t, proj)
	})
	t.Run("Pictures", func(t *testing.T) {
		t.Parallel()
		testGodotPictures(t, proj)
	})
}

// testGodotScene runs a test scene that needs no server: Check loads every
// script and scene of the client, Unit tests the codec and the address.
func testGodotScene(t *testing.T, proj *godotProject, scene string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	startGodot(ctx, t, scene, proj.godotArgs(scene), nil).mustWait(t)
}

var positionLine = regexp.MustCompile(`(?m)^E2E position (\S+) (\S+)$`)

// testGodotPlay runs two client processes that register, log in, see each
// other, walk, chat and leave, then restarts one and finds it where it
// stopped, then stops the server under it. A v1 test client watches too.
func testGodotPlay(t *testing.T, proj *godotProject) {
	app, stop := startApp(t, testConfig(t, t.TempDir()))
	server := "--server=ws://" + app.Addr()
	watcher := dial(t, app.Addr())
	watcher.register("watcher", "pw-watcher", 0)
	watcher.login("watcher", "pw-watcher")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e2e := func(args ...string) []string {
		return proj.godotArgs("res://tests/E2E.tscn", append([]string{server, "--timeout=60"}, args...)...)
	}
	alice := startGodot(ctx, t, "alice", e2e("--role=walker", "--user=alice", "--peer=bob", "--avatar=2"), nil)
	bob := startGodot(ctx, t, "bob", e2e("--role=stayer", "--user=bob", "--peer=alice", "--avatar=4"), nil)
	aliceLog := alice.mustWait(t)
	bob.mustWait(t)
	if t.Failed() {
		return
	}
	m := positionLine.FindStringSubmatch(aliceLog)
	if m == nil {
		t.Fatal("alice's driver did not print where it stopped")
	}
	x, errX := strconv.ParseFloat(m[1], 64)
	y, errY := strconv.ParseFloat(m[2], 64)
	if errX != nil || errY != nil {
		t.Fatalf("bad position line %q", m[0])
	}

	// The Go client saw the Godot player walk there, and leave.
	aliceID := int64(-1)
	var path [][2]float64
	watcher.await("alice's Disconnect", func(p packet) bool {
		if p.A == "ModelDelta" {
			if actorName(p) == "alice" {
				aliceID = p.actorID()
			}
			if px, py, ok := p.pos(); ok && p.actorID() == aliceID {
				path = append(path, [2]float64{px, py})
			}
		}
		return p.A == "Disconnect" && p.actorID() == aliceID
	})
	if len(path) < 3 {
		t.Errorf("the watcher saw alice at %d positions, want a walk: %v", len(path), path)
	} else if last := path[len(path)-1]; math.Hypot(last[0]-x, last[1]-y) > 0.01 {
		t.Errorf("the watcher saw alice stop at %v, the client says (%g, %g)", last, x, y)
	} else if first := path[0]; math.Hypot(first[0]-x, first[1]-y) < 100 {
		t.Errorf("alice walked from %v to %v, want over 100 units", first, last)
	}

	// A restarted client finds alice where she stopped; then the server goes away.
	hook, ready := lineSignal("E2E ready for shutdown")
	again := startGodot(ctx, t, "alice again", e2e("--role=return", "--user=alice", fmt.Sprintf("--expect=%g,%g", x, y)), hook)
	select {
	case <-ready:
		stop()
	case <-again.done:
	}
	again.mustWait(t)
}

// actorName is the name a full ModelDelta carries, or "".
func actorName(p packet) string {
	ie, _ := p.model()["instanced_entity"].(map[string]any)
	ent, _ := ie["entity"].(map[string]any)
	name, _ := ent["name"].(string)
	return name
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
