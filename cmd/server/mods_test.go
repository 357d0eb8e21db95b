package server

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// loginV2As logs an existing account in on a new v2 connection and returns
// the client and its own actor's id.
func loginV2As(t *testing.T, addr, name string) (*v2client, int64) {
	t.Helper()
	c := dialV2(t, addr)
	c.send("Login", name, "pw")
	c.await("login", v2is("ok", 0))
	own := c.await("own actor", v2is("E", 0))
	return c, int64(own[1].(float64))
}

// isEntity matches the E of an entity of kind.
func isEntity(kind string) func([]any) bool {
	return func(p []any) bool { return p[0] == "E" && len(p) >= 11 && p[9] == kind }
}

// isMessage matches a mod's message name about id.
func isMessage(name string, id int64) func([]any) bool {
	return func(p []any) bool { return p[0] == "m" && len(p) == 4 && p[1] == name && p[2] == float64(id) }
}

// inventoryOf asks for the player's count of items and returns it.
func inventoryOf(t *testing.T, c *v2client, id int64) float64 {
	t.Helper()
	c.send("inventory")
	m := c.await("the inventory", isMessage("inventory", id))
	return m[3].(map[string]any)["count"].(float64)
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

	var npc, item []any
	awaitV2(t, alice, 10*time.Second, "an NPC walking and an item", func(p []any) bool {
		switch {
		case npc == nil && isEntity("npc")(p):
			npc = p
		case isEntity("item")(p):
			// the nearest to alice (at 0,0): no other item lies on the way
			if item == nil || math.Hypot(p[4].(float64), p[5].(float64)) < math.Hypot(item[4].(float64), item[5].(float64)) {
				item = p
			}
		case npc != nil && v2is("M", int64(npc[1].(float64)))(p):
			return item != nil
		}
		return false
	})
	npcID, itemID := int64(npc[1].(float64)), int64(item[1].(float64))
	if npcID >= 0 || itemID >= 0 {
		t.Fatalf("NPC %v or item %v has an account's kind of id", npc, item)
	}
	seen := old.await("the NPC, as an actor, by the original client", isModelOf(npcID))
	if !seen.full() {
		t.Errorf("the original client's first model of the NPC is not full: %s", seen.Raw)
	}

	if st, _ := item[10].(map[string]any); st["item"] != "gem" {
		t.Errorf("item %v has no state", item)
	}
	alice.send("Target", item[4], item[5])
	awaitV2(t, bob, 60*time.Second, "the item vanishing", v2is("Q", itemID))
	// Its count comes right after the item goes (it may have picked up
	// others on the way, shown late to it).
	awaitV2(t, alice, wait, "the item vanishing", v2is("Q", itemID))
	got := awaitV2(t, alice, wait, "the new count", isMessage("inventory", aliceID))
	count := got[3].(map[string]any)["count"].(float64)
	if count < 1 {
		t.Fatalf("count %v after a pickup", got)
	}
	old.quiet(200*time.Millisecond, "an item or a mod's message", func(p packet) bool { return p.actorID() == itemID })

	bob.send("emote", "wave")
	awaitV2(t, alice, wait, "bob's emote", func(p []any) bool {
		return p[0] == "m" && p[1] == "emote" && fmt.Sprint(p[3]) == "map[emote:wave]"
	})
	bob.send("emote", "moonwalk")
	awaitV2(t, bob, wait, "the refusal", func(p []any) bool {
		return p[0] == "deny" && p[1] == "Emote must be one of: wave, laugh, dance, cheer, shrug, heart"
	})
	old.send("emote", "wave") // the original client may send a mod's command too
	awaitV2(t, alice, wait, "the original client's emote", func(p []any) bool { return p[0] == "m" && p[1] == "emote" })

	alice.conn.Close(websocket.StatusNormalClosure, "bye") //nolint:errcheck // logging out
	awaitV2(t, bob, wait, "alice leaving", v2is("Q", aliceID))
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
	slow := func(p []any) bool { return p[0] == "deny" && p[1] == "Slow down: too many emote" }
	for range 4 { // a burst of three, then one too many
		c.send("emote", "wave")
	}
	awaitV2(t, c, wait, "the limit", slow)
	c.conn.CloseNow() //nolint:errcheck // dropped on purpose
	c, ok := resumeV2(t, app.Addr(), token)
	if ok[0] != "ok" {
		t.Fatalf("resume answered %v", ok)
	}
	c.send("emote", "cheer")
	p := awaitV2(t, c, wait, "the answer to the emote", func(p []any) bool {
		return slow(p) || p[0] == "m" && fmt.Sprint(p[3]) == "map[emote:cheer]"
	})
	if !slow(p) {
		t.Fatalf("an emote after a resume answered %v, want the limit", p)
	}
}
