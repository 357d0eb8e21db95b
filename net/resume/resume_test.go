package resume

import (
	"log/slog"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs"
)

// conn is an Owner that records being told its login was resumed elsewhere.
type conn struct{ resumed chan struct{} }

func newConn() *conn       { return &conn{resumed: make(chan struct{}, 1)} }
func (c *conn) Resumed()   { c.resumed <- struct{}{} }
func (c *conn) told() bool { return len(c.resumed) == 1 }

// logouts records the logins Tickets logs out.
type logouts chan uint64

func (l logouts) logout(_ ecs.Actor, login uint64) { l <- login }

// next waits for the next logout.
func (l logouts) next(t *testing.T) uint64 {
	t.Helper()
	select {
	case login := <-l:
		return login
	case <-time.After(5 * time.Second):
		t.Fatal("no logout")
		return 0
	}
}

// TestTickets walks tickets through their lives: a token spent by a
// resume tells its connection to close, and works once; a clean close
// spends it; a dropped connection parks it, and the actor logs out when
// the grace ends, or a password login takes it over; an operator's end
// logs a parked actor out at once and keeps a played one from parking.
func TestTickets(t *testing.T) {
	t.Parallel()
	out := make(logouts, 8)
	r := New(time.Hour, out.logout, slog.New(slog.DiscardHandler))
	alice, bob := ecs.Actor{ID: 1, Name: "alice"}, ecs.Actor{ID: 2, Name: "bob"}

	a := newConn()
	token := r.Issue(a, "192.0.2.1", alice, 10)
	got, ok := r.Take(token)
	if !ok || got.Login != 10 || got.Actor.ID != 1 || !a.told() {
		t.Fatalf("Take: %+v, %v; connection told to close: %v", got, ok, a.told())
	}
	if _, ok := r.Take(token); ok {
		t.Error("a token worked twice")
	}
	if !r.Leave(a, token, true) {
		t.Error("the connection whose login was resumed elsewhere logs its actor out")
	}

	b := newConn()
	token = r.Issue(b, "192.0.2.2", bob, 20)
	if r.Leave(b, token, false) {
		t.Error("a clean close kept the actor")
	}
	if _, ok := r.Take(token); ok {
		t.Error("a token outlived a clean close")
	}

	token = r.Issue(b, "192.0.2.2", bob, 21)
	if !r.Leave(b, token, true) {
		t.Fatal("a dropped connection did not park its actor")
	}
	if got, ok := r.TakeParked(bob.ID); !ok || got.Login != 21 {
		t.Fatalf("TakeParked: %+v, %v", got, ok)
	}
	if _, ok := r.Take(token); ok {
		t.Error("a token outlived a password login's take-over")
	}

	token = r.Issue(b, "192.0.2.2", bob, 22)
	r.Leave(b, token, true)
	played := r.Issue(a, "192.0.2.1", alice, 11)
	byAddr := func(_ ecs.Actor, addr string) bool { return addr == "192.0.2.2" }
	if parked, playing := r.End(byAddr); parked != 1 || playing != 0 {
		t.Errorf("End by address: %d parked, %d playing; want 1, 0", parked, playing)
	}
	if login := out.next(t); login != 22 {
		t.Errorf("logged out login %d, want 22", login)
	}
	if parked, playing := r.End(func(a ecs.Actor, _ string) bool { return a.ID == alice.ID }); parked != 0 || playing != 1 {
		t.Errorf("End of a played ticket: %d parked, %d playing; want 0, 1", parked, playing)
	}
	if r.Leave(a, played, true) {
		t.Error("a ticket an operator ended parked its actor")
	}

	short := New(time.Millisecond, out.logout, slog.New(slog.DiscardHandler))
	short.Leave(b, short.Issue(b, "192.0.2.2", bob, 23), true)
	if login := out.next(t); login != 23 {
		t.Errorf("after the grace, logged out login %d, want 23", login)
	}
}
