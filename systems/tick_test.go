package systems

import (
	"context"
	"fmt"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

// TestTickOrdering runs the whole pipeline on a bare world in the one-room
// configuration and checks the ordering rules the original client relies on.
func TestTickOrdering(t *testing.T) {
	t.Parallel()
	cfg := RoomConfig()
	cfg.Bounds = ecs.Bounds{MinX: -100, MinY: -100, MaxX: 100, MaxY: 100}
	cfg.InterestEvery = 1
	tk, q, st := newTick(t, cfg)

	alice := join(t, tk, q, ecs.V1, 1, 10, 0)
	// Rule 1: Ok, then her own actor in full, first.
	equal(t, "alice after login", alice.take(), []string{"ok", "enter 1 p1 1 10,0>10,0"})

	bob := join(t, tk, q, ecs.V1, 2, -5, 5)
	// Rule 3: each is shown the other without anyone moving.
	equal(t, "bob after login", bob.take(), []string{"ok", "enter 2 p2 2 -5,5>-5,5", "enter 1 p1 1 10,0>10,0"})
	equal(t, "alice sees bob", alice.take(), []string{"enter 2 p2 2 -5,5>-5,5"})

	// The same account again is refused and nobody hears of it.
	intruder := &recorder{}
	c, reply := spawnCmd(intruder, ecs.V1, 1, 0, 0)
	push(t, q, c)
	tk.Step()
	if <-reply {
		t.Error("second login of a playing actor admitted")
	}
	equal(t, "intruder", intruder.take(), nil)

	// A click (clamped to the world): alice gets her true position, bob
	// the lead point, here the target itself as it is under 120 away.
	walk(t, q, alice, 1, 1e6, 0)
	tk.Step()
	equal(t, "alice walking", alice.take(), []string{"move 1 13.5,0>13.5,0"})
	equal(t, "bob watching", bob.take(), []string{"move 1 100,0>100,0"})

	// A command naming alice from another connection does nothing. Chat
	// reaches the others, not the sender, with the sender's real name.
	push(t, q, ecs.Command{Kind: ecs.Say, Client: intruder, Actor: ecs.Actor{ID: 1}, Text: "spoof"})
	push(t, q, ecs.Command{Kind: ecs.Say, Client: bob, Actor: ecs.Actor{ID: 2}, Text: "hi"})
	tk.Step()
	equal(t, "alice hears", alice.take(), []string{"chat p2: hi", "move 1 17,0>17,0"})
	equal(t, "bob hears", bob.take(), nil)

	// Rule 4: leaving tells those who knew; the position is saved at once.
	push(t, q, ecs.Command{Kind: ecs.Despawn, Client: alice, Actor: ecs.Actor{ID: 1}})
	tk.Step()
	equal(t, "bob hears alice leave", bob.take(), []string{"quit 1"})
	if n := len(st.saved); n == 0 || st.saved[n-1] != (ecs.SavedPosition{ID: 1, X: 17, Y: 0}) {
		t.Errorf("saved %v, want alice at 17,0 last", st.saved)
	}

	// She comes back where she stopped, even though her login was loaded
	// (at 10,0) before she left.
	again := join(t, tk, q, ecs.V1, 1, 10, 0)
	equal(t, "alice back", again.take(), []string{"ok", "enter 1 p1 1 17,0>17,0", "enter 2 p2 2 -5,5>-5,5"})
	equal(t, "bob sees her", bob.take(), []string{"enter 1 p1 1 17,0>17,0"})
}

// TestV2Batches checks that a v2 client gets one message per tick with
// everything in it, movement as intent, and no message when nothing happened.
func TestV2Batches(t *testing.T) {
	t.Parallel()
	cfg := RoomConfig()
	cfg.InterestEvery = 1
	tk, q, _ := newTick(t, cfg)
	v1 := join(t, tk, q, ecs.V1, 1, 0, 0)
	walk(t, q, v1, 1, 500, 0)
	tk.Step()
	v2 := join(t, tk, q, ecs.V2, 2, 0, 100)
	equal(t, "v2 login", v2.take(), []string{"ok | enter 2 p2 2 0,100>0,100 | enter 1 p1 1 7,0>500,0"})
	tk.Step()
	equal(t, "v2, nothing new", v2.take(), nil)

	walk(t, q, v2, 2, 0, 50)
	push(t, q, ecs.Command{Kind: ecs.Say, Client: v1, Actor: ecs.Actor{ID: 1}, Text: "hello"})
	tk.Step()
	equal(t, "v2 after a click and a chat", v2.take(), []string{"chat p1: hello | move 2 0,96.5>0,50"})
	v1.take()
	push(t, q, ecs.Command{Kind: ecs.Despawn, Client: v1, Actor: ecs.Actor{ID: 1}})
	tk.Step()
	equal(t, "v2 when v1 quits", v2.take(), []string{"quit 1"})
}

// TestAreaOfInterestEndToEnd walks two players together and apart through
// the whole pipeline: they meet at the view's edge and leave beyond its margin.
func TestAreaOfInterestEndToEnd(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.ViewRadius, cfg.ViewMargin, cfg.CellSize = 100, 20, 50 // in view within 2 cells, out beyond 3
	tk, q, _ := newTick(t, cfg)
	a := join(t, tk, q, ecs.V2, 1, 0, 0)
	b := join(t, tk, q, ecs.V1, 2, 300, 0)
	tk.Step()
	equal(t, "a far from b", a.take(), []string{"ok | enter 1 p1 1 0,0>0,0"})
	equal(t, "b far from a", b.take(), []string{"ok", "enter 2 p2 2 300,0>300,0"})

	walk(t, q, b, 2, 0, 0) // b walks to a
	var metAt float64
	for range 100 {
		tk.Step()
		if got := a.take(); len(got) > 0 {
			metAt = tk.World.Position(tk.World.Actors[2]).X
			equal(t, "a sees b come", got, []string{"enter 2 p2 2 " + ftoa(metAt) + ",0>0,0"})
			break
		}
	}
	if metAt >= 150 || metAt < 146.5 {
		t.Errorf("a saw b at x=%v, want as it entered the cell two from a's", metAt)
	}
	b.take()
	walk(t, q, b, 2, 500, 0) // and away again
	for range 200 {
		tk.Step()
		for _, m := range a.take() {
			if m == "leave 2" {
				x := tk.World.Position(tk.World.Actors[2]).X
				if x < 200 || x >= 203.5 {
					t.Errorf("b left a's view at x=%v, want as it entered the cell four from a's", x)
				}
				return
			}
		}
	}
	t.Fatal("b never left a's view")
}

func ftoa(f float64) string { return fmt.Sprint(f) }

func TestInputDrainsAtMostMaxPerTick(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.CommandsPerTick = 2
	tk, q, _ := newTick(t, cfg)
	for id := range int64(5) {
		c, _ := spawnCmd(&recorder{}, ecs.V1, id+1, 0, 0)
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
	r := join(t, tk, q, ecs.V1, 3, 1, 2)
	walk(t, q, r, 3, 50, 2)
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
