package systems

import (
	"testing"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
)

// TestFactsOfATick follows two players through spawn, chat, a walk across a
// cell edge and a logout, and checks the facts each tick publishes, per
// cell and in order.
func TestFactsOfATick(t *testing.T) {
	t.Parallel()
	tk, q, pub, _ := newTick(t, testConfig())
	adm := join(t, tk, q, 1, 98, 50)
	if adm.Actor.ID != 1 || adm.Actor.Name != "p1" || adm.Tick != 1 || adm.Actor.Intent.FromX != 98 {
		t.Errorf("admission %+v", adm)
	}
	equal(t, "spawn", pub.take(), []string{"0,0 entered 1"})

	push(t, q, tutorial.Say(1, 1, "hi"))
	walk(t, q, 1, 200, 50)
	join(t, tk, q, 2, 250, 50) // same tick: the walk's first step crosses into cell 1,0
	equal(t, "say, walk across, spawn", pub.take(), []string{
		"0,0 said 1 p1: hi", "0,0 exited 1 1,0",
		"2,0 entered 2",
		"1,0 entered 1 0,0", "1,0 moved 1",
	})
	if got := tk.World.Position(tk.World.Actors[1]); got.X != 101.5 {
		t.Errorf("after one step at %v", got)
	}

	walk(t, q, 1, 120, 60)
	tk.Advance()
	moved := pub.find(ecs.Moved)
	if len(moved) != 1 {
		t.Fatalf("moved facts %+v", moved)
	}
	i := moved[0].Actor.Intent
	at := tk.World.Position(tk.World.Actors[1])
	if i.FromX != at.X || i.FromY != at.Y || i.ToX != 120 || i.ToY != 60 || i.Tick != tk.World.Tick || i.Step != 3.5 || i.Seq != 2 {
		t.Errorf("intent %+v, actor at %v at tick %d", i, at, tk.World.Tick)
	}
	pub.take()

	push(t, q, ecs.Command{Kind: ecs.Despawn, Login: 1, Actor: ecs.Actor{ID: 1}})
	tk.Advance()
	equal(t, "logout", pub.take(), []string{"1,0 quit 1"})
	if n := len(pub.ended); n != int(tk.World.Tick) {
		t.Errorf("%d ticks ended, %d run", n, tk.World.Tick)
	}
}

// TestCommandsOfAnotherLoginAreIgnored: a login that lost its actor to
// a newer login cannot move it, make it talk or log it out.
func TestCommandsOfAnotherLoginAreIgnored(t *testing.T) {
	t.Parallel()
	tk, q, pub, _ := newTick(t, testConfig())
	join(t, tk, q, 1, 0, 0)
	pub.take()
	other := ecs.Actor{ID: 1}
	push(t, q, tutorial.Target(99, other.ID, 50, 0))
	push(t, q, tutorial.Say(99, other.ID, "not me"))
	push(t, q, ecs.Command{Kind: ecs.Despawn, Login: 99, Actor: other})
	tk.Advance()
	equal(t, "facts", pub.take(), nil)
	if _, ok := tk.World.Actors[1]; !ok {
		t.Fatal("the actor was logged out by another session")
	}
	r := ecs.NewReply()
	push(t, q, ecs.Command{Kind: ecs.Spawn, Login: 100, Reply: r, Actor: ecs.Actor{ID: 1, Name: "p1"}})
	tk.Advance()
	if a := <-r.C(); a.OK {
		t.Error("a second login of a playing actor was admitted")
	}
}

func TestInputDrainsAtMostMaxPerTick(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.CommandsPerTick = 3
	tk, q, _, _ := newTick(t, cfg)
	for range 7 {
		push(t, q, tutorial.Target(0, 42, 0, 0))
	}
	for _, want := range []int{4, 1, 0} {
		tk.Advance()
		if q.Len() != want {
			t.Fatalf("%d left, want %d", q.Len(), want)
		}
	}
}

// TestLoginAfterLogoutGetsTheNewestPosition: a login loaded before the
// previous session's logout still starts where that logout left the actor.
func TestLoginAfterLogoutGetsTheNewestPosition(t *testing.T) {
	t.Parallel()
	tk, q, _, st := newTick(t, testConfig())
	join(t, tk, q, 1, 0, 0)
	walk(t, q, 1, 35, 0)
	for range 10 {
		tk.Advance()
	}
	push(t, q, ecs.Command{Kind: ecs.Despawn, Login: 1, Actor: ecs.Actor{ID: 1}})
	tk.Advance()
	if len(st.saved) == 0 || st.saved[len(st.saved)-1] != (ecs.SavedPosition{ID: 1, X: 35, Y: 0}) {
		t.Fatalf("saved %+v", st.saved)
	}
	adm := join(t, tk, q, 1, 0, 0) // loaded with the old position
	if x, y := adm.Actor.Intent.At(adm.Tick); x != 35 || y != 0 {
		t.Errorf("re-login at %v,%v", x, y)
	}
}

// TestHaltStopsEveryWalk: a halted tick publishes every walk's end where
// the actor stands, and nobody moves after that.
func TestHaltStopsEveryWalk(t *testing.T) {
	t.Parallel()
	tk, q, pub, _ := newTick(t, testConfig())
	join(t, tk, q, 1, 0, 0)
	walk(t, q, 1, 500, 0)
	for range 5 {
		tk.Advance()
	}
	pub.take()
	tk.movement.stopAll(tk.World)
	tk.halted = true
	tk.Advance()
	at := tk.World.Position(tk.World.Actors[1])
	stops := pub.find(ecs.Moved)
	if len(stops) != 1 || stops[0].Actor.Intent.ToX != at.X || stops[0].Actor.Intent.FromX != at.X {
		t.Fatalf("stops %+v, actor at %v", stops, at)
	}
	for range 5 {
		tk.Advance()
	}
	if got := tk.World.Position(tk.World.Actors[1]); got != at {
		t.Errorf("walked on to %v after the halt at %v", got, at)
	}
}

func TestStopAppliesQueuedLogouts(t *testing.T) {
	t.Parallel()
	tk, q, _, st := newTick(t, testConfig())
	join(t, tk, q, 1, 10, 20)
	push(t, q, ecs.Command{Kind: ecs.Despawn, Login: 1, Actor: ecs.Actor{ID: 1}})
	tk.stop()
	if len(tk.World.Actors) != 0 {
		t.Error("logout not applied at stop")
	}
	if len(st.saved) != 1 || st.saved[0] != (ecs.SavedPosition{ID: 1, X: 10, Y: 20}) {
		t.Errorf("saved %+v", st.saved)
	}
	if err := q.Push(t.Context(), ecs.Command{}); err != ecs.ErrStopped {
		t.Errorf("push after stop: %v", err)
	}
}
