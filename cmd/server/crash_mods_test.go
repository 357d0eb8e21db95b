package server

import (
	"database/sql"
	"math"
	"syscall"
	"testing"
	"time"

	netclient "github.com/godmmo/godmmo/net/client"
)

// TestCrashKeepsPickedItems: the items mod writes a count as it changes, so
// a kill -9 right after a pickup loses at most that one (its write was in
// flight), and the count comes back at the next login.
func TestCrashKeepsPickedItems(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server binary")
	}
	t.Parallel()
	cmd, addr, db := startBinary(t, "-spawn-spread", "0", "-items", "300", "-npcs", "0", "-exempt", "127.0.0.0/8")
	c, id, _ := loginV2(t, addr, "picker")
	item := awaitV2(t, c, 10*time.Second, "an item", isEntity("item"))
	for len(c.in) > 0 { // the nearest of those shown with it: a short walk
		if p := <-c.in; isEntity("item")(p) && math.Hypot(p.X, p.Y) < math.Hypot(item.X, item.Y) {
			item = p
		}
	}
	c.send("Target", item.X, item.Y)
	awaitV2(t, c, 60*time.Second, "the item going", v2is(netclient.Quit, item.ID))
	count := int(countOf(t, awaitV2(t, c, wait, "the count", isMessage("inventory", id))))
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() //nolint:errcheck // killed on purpose

	store, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	var saved int
	err = store.QueryRow(`SELECT count FROM item_inventory WHERE account_id = ?`, id).Scan(&saved)
	store.Close()
	if err != nil && count > 1 || saved < count-1 || saved > count {
		t.Fatalf("count %d in the table after the kill (%v); the player had %d", saved, err, count)
	}

	_, addr, _ = startBinaryOn(t, db, "-spawn-spread", "0", "-items", "300", "-npcs", "0")
	again, id2 := loginV2As(t, addr, "picker")
	if n := inventoryOf(t, again, id2); int(n) != saved {
		t.Errorf("count %v after the restart, want the saved %d", n, saved)
	}
}
