package systems

import (
	"context"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

// TestTickOrdering runs the whole pipeline on a bare world and checks the
// ordering rules the original client relies on.
func TestTickOrdering(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Bounds = ecs.Bounds{MinX: -100, MinY: -100, MaxX: 100, MaxY: 100}
	tk, q, st := newTick(t, cfg)
	alice, bob := &recorder{}, &recorder{}

	c, reply := spawnCmd(alice, 1, 10, 0)
	push(t, q, c)
	tk.Step()
	if !<-reply {
		t.Fatal("alice not admitted")
	}
	// Rule 1: Ok, then her own actor in full, first.
	equal(t, "alice after login", alice.take(), []string{"ok", "full 1 p1 1 10,0"})

	c, reply = spawnCmd(bob, 2, -5, 5)
	push(t, q, c)
	tk.Step()
	<-reply
	// Rule 3: each is shown the other without anyone moving.
	equal(t, "bob after login", bob.take(), []string{"ok", "full 2 p2 2 -5,5", "full 1 p1 1 10,0"})
	equal(t, "alice sees bob", alice.take(), []string{"full 2 p2 2 -5,5"})

	// The same account again is refused and nobody hears of it.
	intruder := &recorder{}
	c, reply = spawnCmd(intruder, 1, 0, 0)
	push(t, q, c)
	tk.Step()
	if <-reply {
		t.Error("second login of a playing actor admitted")
	}
	equal(t, "intruder", intruder.take(), nil)

	// Targets are clamped to the world; both see the step.
	push(t, q, ecs.Command{Kind: ecs.SetTarget, Client: alice, Actor: ecs.Actor{ID: 1}, X: 1e6, Y: 0})
	tk.Step()
	equal(t, "alice walking", alice.take(), []string{"move 1 13.5,0"})
	equal(t, "bob watching", bob.take(), []string{"move 1 13.5,0"})

	// A command naming alice but from another connection does nothing.
	push(t, q, ecs.Command{Kind: ecs.Say, Client: intruder, Actor: ecs.Actor{ID: 1}, Text: "spoof"})
	// Chat reaches the others, not the sender, with the sender's real name.
	push(t, q, ecs.Command{Kind: ecs.Say, Client: bob, Actor: ecs.Actor{ID: 2}, Text: "hi"})
	tk.Step()
	equal(t, "alice hears", alice.take(), []string{"chat p2: hi", "move 1 17,0"})
	equal(t, "bob hears", bob.take(), []string{"move 1 17,0"})

	// Rule 4: leaving tells those who knew; the position is saved at once.
	push(t, q, ecs.Command{Kind: ecs.Despawn, Client: alice, Actor: ecs.Actor{ID: 1}})
	tk.Step()
	equal(t, "bob hears alice leave", bob.take(), []string{"bye 1"})
	if n := len(st.saved); n == 0 || st.saved[n-1] != (ecs.SavedPosition{ID: 1, X: 17, Y: 0}) {
		t.Errorf("saved %v, want alice at 17,0 last", st.saved)
	}

	// Walking on after she left, bob is still served; she can come back
	// where she stopped even if her login was loaded before she left.
	again := &recorder{}
	c, reply = spawnCmd(again, 1, 10, 0)
	push(t, q, c)
	tk.Step()
	<-reply
	equal(t, "alice back", again.take(), []string{"ok", "full 1 p1 1 17,0", "full 2 p2 2 -5,5"})
}

func TestInputDrainsAtMostMaxPerTick(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.CommandsPerTick = 2
	tk, q, _ := newTick(t, cfg)
	for id := range int64(5) {
		c, _ := spawnCmd(&recorder{}, id+1, 0, 0)
		push(t, q, c)
	}
	tk.Step()
	if q.Len() != 3 {
		t.Errorf("%d commands left after one tick, want 3", q.Len())
	}
}

func TestStopAppliesQueuedLogouts(t *testing.T) {
	t.Parallel()
	tk, q, st := newTick(t, DefaultConfig())
	r := &recorder{}
	c, _ := spawnCmd(r, 3, 1, 2)
	push(t, q, c)
	tk.Step()
	push(t, q, ecs.Command{Kind: ecs.SetTarget, Client: r, Actor: ecs.Actor{ID: 3}, X: 50, Y: 2})
	tk.Step()
	push(t, q, ecs.Command{Kind: ecs.Despawn, Client: r, Actor: ecs.Actor{ID: 3}})

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tk.Run(ctx) //nolint:errcheck // returns nil
	if len(tk.World.Actors) != 0 {
		t.Errorf("actors left in the world after stop: %v", tk.World.Actors)
	}
	if n := len(st.saved); n == 0 || st.saved[n-1] != (ecs.SavedPosition{ID: 3, X: 4.5, Y: 2}) {
		t.Errorf("saved %v, want actor 3 at 4.5,2 last", st.saved)
	}
	if err := q.Push(t.Context(), ecs.Command{}); err != ecs.ErrStopped {
		t.Errorf("push after stop: %v, want ErrStopped", err)
	}
}
