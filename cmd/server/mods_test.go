package server

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/coder/websocket"
	netclient "github.com/godmmo/godmmo/net/client"
)

// loginV2As logs an existing account in on a new v2 connection and returns
// the client and its own actor's id.
func loginV2As(t *testing.T, addr, name string) (*v2client, int64) {
	t.Helper()
	c := dialV2(t, addr)
	c.send("Login", name, "pw")
	c.await("login", v2is(netclient.Ok, 0))
	own := c.await("own actor", v2is(netclient.Enter, 0))
	return c, own.ID
}

// isEntity matches the E of an entity of kind.
func isEntity(kind string) func(v2packet) bool {
	return func(p v2packet) bool { return p.Kind == netclient.Enter && p.Entity == kind }
}

// isMessage matches a mod's message name about id: ["m", name, id, data].
func isMessage(name string, id int64) func(v2packet) bool {
	return func(p v2packet) bool {
		return p.Kind == netclient.Message && p.Name == name && p.ID == id && p.elements() == 4
	}
}

// isEmote matches the emote mod's message of emote, about anyone.
func isEmote(emote string) func(v2packet) bool {
	return func(p v2packet) bool {
		return p.Kind == netclient.Message && p.Name == "emote" && string(p.Data) == `{"emote":"`+emote+`"}`
	}
}

// inventoryOf asks for the player's count of items and returns it.
func inventoryOf(t *testing.T, c *v2client, id int64) float64 {
	t.Helper()
	c.send("inventory")
	return countOf(t, c.await("the inventory", isMessage("inventory", id)))
}

// countOf is the count an inventory message carries: {"count": n}.
func countOf(tb testing.TB, m v2packet) float64 {
	tb.Helper()
	var data map[string]any
	err := json.Unmarshal(m.Data, &data)
	count, ok := data["count"].(float64)
	if err != nil || !ok {
		tb.Fatalf("inventory %v carries no count (%v)", m, err)
	}
	return count
}

// TestExampleMods plays the three example mods in one process: NPCs walk
// and are seen (as actors by the original client too); a player who walks
// onto an item picks it up, everyone sees it vanish, and the count survives
// a logout and a restart; an emote reaches the players near, and a bad one
// is denied in the mod's words; the original client hears none of what it
// cannot parse.
func TestExampleMods(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := testConfig(t, dir, "-world", "room", "-npcs", "30", "-items", "40")
	app, stop := startApp(t, cfg)
	addr := app.Addr()

	old, _ := join(t, addr, "original", 0)
	alice, aliceID, _ := loginV2(t, addr, "alice")
	bob, _, _ := loginV2(t, addr, "bob")

	var npc, item *v2packet
	awaitV2(t, alice, 10*time.Second, "an NPC walking and an item", func(p v2packet) bool {
		switch {
		case npc == nil && isEntity("npc")(p):
			npc = &p
		case isEntity("item")(p):
			// the nearest to alice (at 0,0): no other item lies on the way
			if item == nil || math.Hypot(p.X, p.Y) < math.Hypot(item.X, item.Y) {
				item = &p
			}
		case npc != nil && v2is(netclient.Move, npc.ID)(p):
			return item != nil
		}
		return false
	})
	npcID, itemID := npc.ID, item.ID
	if npcID >= 0 || itemID >= 0 {
		t.Fatalf("NPC %v or item %v has an account's kind of id", npc, item)
	}
	seen := old.await("the NPC, as an actor, by the original client", isModelOf(npcID))
	if !seen.full() {
		t.Errorf("the original client's first model of the NPC is not full: %s", seen.Raw)
	}

	var st map[string]any
	if json.Unmarshal(item.State, &st) != nil || st["item"] != "gem" {
		t.Errorf("item %v has no state", item)
	}
	alice.send("Target", item.X, item.Y)
	awaitV2(t, bob, 60*time.Second, "the item vanishing", v2is(netclient.Quit, itemID))
	// Its count comes right after the item goes (it may have picked up
	// others on the way, shown late to it).
	awaitV2(t, alice, wait, "the item vanishing", v2is(netclient.Quit, itemID))
	got := awaitV2(t, alice, wait, "the new count", isMessage("inventory", aliceID))
	count := countOf(t, got)
	if count < 1 {
		t.Fatalf("count %v after a pickup", got)
	}
	old.quiet(200*time.Millisecond, "an item or a mod's message", func(p packet) bool { return p.actorID() == itemID })

	bob.send("emote", "wave")
	awaitV2(t, alice, wait, "bob's emote", isEmote("wave"))
	bob.send("emote", "moonwalk")
	awaitV2(t, bob, wait, "the refusal", func(p v2packet) bool {
		return p.Kind == netclient.Deny && p.Text == "Emote must be one of: wave, laugh, dance, cheer, shrug, heart"
	})
	old.send("emote", "wave") // the original client may send a mod's command too
	awaitV2(t, alice, wait, "the original client's emote", func(p v2packet) bool { return p.Kind == netclient.Message && p.Name == "emote" })

	alice.conn.Close(websocket.StatusNormalClosure, "bye") //nolint:errcheck // logging out
	awaitV2(t, bob, wait, "alice leaving", v2is(netclient.Quit, aliceID))
	again, id := loginV2As(t, addr, "alice")
	if n := inventoryOf(t, again, id); n != count {
		t.Fatalf("count %v after logging in again, want %v", n, count)
	}
	stop()

	app, _ = startApp(t, cfg)
	again, id = loginV2As(t, app.Addr(), "alice")
	if n := inventoryOf(t, again, id); n != count {
		t.Fatalf("count %v after a restart, want %v", n, count)
	}
	select {
	case <-old.done:
	default:
	}
	if old.err != nil && websocket.CloseStatus(old.err) == -1 {
		t.Errorf("the original client's connection failed: %v", old.err)
	}
}

// TestModLimitFollowsAccount: a mod command's rate limit is the account's,
// as chat's is, so dropping the connection and resuming does not refill it.
func TestModLimitFollowsAccount(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	c, _, token := loginV2(t, app.Addr(), "waver")
	slow := func(p v2packet) bool { return p.Kind == netclient.Deny && p.Text == "Slow down: too many emote" }
	for range 4 { // a burst of three, then one too many
		c.send("emote", "wave")
	}
	awaitV2(t, c, wait, "the limit", slow)
	c.conn.CloseNow() //nolint:errcheck // dropped on purpose
	c, ok := resumeV2(t, app.Addr(), token)
	if ok.Kind != netclient.Ok {
		t.Fatalf("resume answered %v", ok)
	}
	c.send("emote", "cheer")
	p := awaitV2(t, c, wait, "the answer to the emote", func(p v2packet) bool {
		return slow(p) || p.Kind == netclient.Message && string(p.Data) == `{"emote":"cheer"}`
	})
	if !slow(p) {
		t.Fatalf("an emote after a resume answered %v, want the limit", p)
	}
}
