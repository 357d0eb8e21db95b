package auth

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/godmmo/godmmo/persist"
	"golang.org/x/crypto/bcrypt"
)

// TestDummyHashCost: an unknown name is checked against a hash of the
// highest cost in use, not of the cost most of the newest accounts use: a
// load test's many cheap accounts do not make unknown names cheaper than
// the real players' wrong passwords.
func TestDummyHashCost(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	store, err := persist.Open(t.Context(), filepath.Join(t.TempDir(), "game.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	real, err := bcrypt.GenerateFromPassword([]byte("pw"), 10)
	if err != nil {
		t.Fatal(err)
	}
	cheap, err := bcrypt.GenerateFromPassword([]byte("pw"), 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateAccount(t.Context(), "player", real, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if _, err := store.CreateAccount(t.Context(), fmt.Sprint("loadbot-", i), cheap, 0, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	h, err := New(4, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	costs, err := store.HashCosts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.CostsInUse(costs); err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost(h.dummy); err != nil || cost != 10 {
		t.Errorf("dummy hash of cost %d (%v), want 10, the highest in use", cost, err)
	}
}
