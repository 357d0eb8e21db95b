package server

import (
	"testing"
	"time"

	"github.com/coder/websocket"
	netclient "github.com/godmmo/godmmo/net/client"
)

// TestClusterMods plays the example mods on a world split at x = 0 between
// two processes, the play area across the border: NPCs cross it, handed
// over with their state and seen as one walk by a player on each side
// (never shown twice, never gone); an emote crosses it; a player on the
// west walks over the border onto an item in the east, and its count
// lives on when it logs in again through the other process.
func TestClusterMods(t *testing.T) {
	c := newTestCluster(t)
	mods := []string{"-npcs", "200", "-items", "60"}
	west, _ := startApp(t, testConfig(t, t.TempDir(), append(c.args("west", "-60,0"), mods...)...))
	east, _ := startApp(t, testConfig(t, t.TempDir(), append(c.args("east", "60,0"), mods...)...))
	up(t, west, east)

	ow, owID, _ := loginV2(t, west.Addr(), "westerner") // at -60,0
	oe, _, _ := loginV2(t, east.Addr(), "easterner")    // at 60,0

	// Each observer's NPCs: shown once until they leave its view, never quit.
	type watch struct {
		c     *v2client
		shown map[int64]bool
	}
	check := func(w watch, p v2packet) {
		switch {
		case isEntity("npc")(p):
			if w.shown[p.ID] {
				t.Errorf("NPC %d shown twice", p.ID)
			}
			w.shown[p.ID] = true
		case p.Kind == netclient.Leave:
			delete(w.shown, p.ID)
		case p.Kind == netclient.Quit && w.shown[p.ID]:
			t.Errorf("NPC %d quit", p.ID)
		}
	}
	watches := []watch{{ow, map[int64]bool{}}, {oe, map[int64]bool{}}}
	handoffs := func() uint64 { return west.game.Region.Stats().Handoffs + east.game.Region.Stats().Handoffs }
	deadline := time.Now().Add(60 * time.Second)
	for handoffs() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d NPCs crossed the border in a minute", handoffs())
		}
		for _, w := range watches {
			select {
			case p := <-w.c.in:
				check(w, p)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	for _, w := range watches {
		if len(w.shown) == 0 {
			t.Fatal("an observer saw no NPC")
		}
	}

	oe.send("emote", "cheer")
	awaitV2(t, ow, wait, "the emote from over the border", func(p v2packet) bool { return p.Kind == netclient.Message && p.Name == "emote" })

	// The westerner, logged in again to be shown its view afresh, walks
	// over the border onto an item in the east.
	ow.conn.Close(websocket.StatusNormalClosure, "") //nolint:errcheck // logging out
	awaitV2(t, oe, wait, "the westerner leaving", v2is(netclient.Quit, owID))
	again, _ := loginV2As(t, west.Addr(), "westerner")
	item := awaitV2(t, again, 10*time.Second, "an item east of the border", func(p v2packet) bool { return isEntity("item")(p) && p.X > 0 })
	again.send("Target", item.X, item.Y)
	awaitV2(t, again, 60*time.Second, "the item vanishing", v2is(netclient.Quit, item.ID))
	count := countOf(t, awaitV2(t, again, wait, "the count", isMessage("inventory", owID)))
	if east.game.Region.Stats().Handoffs == 0 && west.game.Region.Stats().Handoffs == 0 {
		t.Error("nobody was handed over")
	}
	again.conn.Close(websocket.StatusNormalClosure, "") //nolint:errcheck // logging out
	deadline = time.Now().Add(10 * time.Second)
	for {
		c := dialV2(t, east.Addr())
		c.send("Login", "westerner", "pw")
		if p := awaitV2(t, c, wait, "login", isAnswer); p.Kind == netclient.Ok {
			if n := inventoryOf(t, c, owID); n != count {
				t.Fatalf("count %v through the other process, want %v", n, count)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("could not log in again")
		}
		time.Sleep(50 * time.Millisecond) // the logout is still on its way
	}
}
