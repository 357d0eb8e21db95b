package systems

import (
	"testing"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net/wire"
)

// departures keeps what a region hands out, and the commands it strays.
type departures struct {
	out    []ecs.Departure
	strays []ecs.Command
}

func (d *departures) Depart(x ecs.Departure) { d.out = append(d.out, x) }
func (d *departures) Stray(c ecs.Command)    { d.strays = append(d.strays, c) }

// region builds a tick that owns the cells with x < 1 (west) or x >= 1 (east).
func region(t *testing.T, west bool) (*Tick, *ecs.Queue, *published, *departures) {
	t.Helper()
	q := ecs.NewQueue(256)
	pub, d := &published{}, &departures{}
	owns := func(k ecs.CellKey) bool { return (k.X < 1) == west }
	tk, err := NewRegion(testConfig(), q, pub, &memStore{}, Borders{Owns: owns, Out: d, Strays: d})
	if err != nil {
		t.Fatal(err)
	}
	return tk, q, pub, d
}

// arrive hands d to a region's tick as cmd (Arrive or Return) and returns its answer.
func arrive(t *testing.T, tk *Tick, q *ecs.Queue, kind ecs.CommandKind, d ecs.Departure) ecs.Admission {
	t.Helper()
	r := ecs.NewReply()
	push(t, q, ecs.Command{Kind: kind, Arrival: &d, Reply: r})
	tk.Advance()
	select {
	case a := <-r.C():
		return a
	default:
		t.Fatal("no answer after a tick")
	}
	return ecs.Admission{}
}

// TestHandoffKeepsTheWalk walks an actor from the west region into the east
// one: the west hands it out with an Exited, the east takes it in with an
// Entered and walks it on to the very positions one world would have, a
// repeated hand-off changes nothing, and the west strays the commands that
// still reach it.
func TestHandoffKeepsTheWalk(t *testing.T) {
	t.Parallel()
	west, wq, wpub, wout := region(t, true)
	east, eq, epub, _ := region(t, false)
	one, oq, _, _ := newTick(t, testConfig()) // the same walk in an undivided world
	for _, r := range []struct {
		tk *Tick
		q  *ecs.Queue
	}{{west, wq}, {one, oq}} {
		join(t, r.tk, r.q, 1, 97, 50)
		walk(t, r.q, 1, 200, 50)
		r.tk.Advance()
	}
	east.World.Tick = west.World.Tick // the regions share a clock
	equal(t, "west, crossing", wpub.take(), []string{"0,0 entered 1", "0,0 exited 1 1,0"})
	if len(wout.out) != 1 || len(west.World.Actors) != 0 {
		t.Fatalf("west handed out %+v and holds %d actors", wout.out, len(west.World.Actors))
	}
	d := wout.out[0]
	if d.From != (ecs.CellKey{X: 0, Y: 0}) || d.To != (ecs.CellKey{X: 1, Y: 0}) || !d.Moving || d.Login != 1 ||
		d.Pos.X != 100.5 || d.Back.X != 97 || d.Actor.Name != "p1" || d.Actor.Intent.ToX != 200 {
		t.Fatalf("departure %+v", d)
	}

	if a := arrive(t, east, eq, ecs.Arrive, d); !a.OK || a.Actor.ID != 1 {
		t.Fatalf("arrival answered %+v", a)
	}
	one.Advance()
	// The click's first step crossed: nobody was told of the walk yet.
	equal(t, "east, arrival", epub.take(), []string{"1,0 entered 1 0,0", "1,0 moved 1"})
	for range 10 {
		east.Advance()
		one.Advance()
	}
	got, want := east.World.Position(east.World.Actors[1]), one.World.Position(one.World.Actors[1])
	if got != want {
		t.Errorf("east walked it to %v, one world to %v", got, want)
	}
	if a := arrive(t, east, eq, ecs.Arrive, d); !a.OK || len(east.World.Actors) != 1 {
		t.Errorf("a repeated hand-off: %+v, %d actors", a, len(east.World.Actors))
	}
	equal(t, "east, repeat", epub.take(), nil)

	walk(t, wq, 1, 0, 0)
	west.Advance()
	if len(wout.strays) != 1 || wout.strays[0].Name != wire.ActTarget {
		t.Errorf("west strays %+v", wout.strays)
	}
}

// TestHandoffReturns: a hand-off nobody took brings the actor back to where
// it stood before the border, its walk ended and published.
func TestHandoffReturns(t *testing.T) {
	t.Parallel()
	west, wq, wpub, wout := region(t, true)
	join(t, west, wq, 1, 97, 50)
	walk(t, wq, 1, 200, 50)
	west.Advance()
	wpub.take()
	if a := arrive(t, west, wq, ecs.Return, wout.out[0]); !a.OK {
		t.Fatalf("return answered %+v", a)
	}
	equal(t, "return", wpub.take(), []string{"0,0 entered 1 1,0", "0,0 moved 1"})
	e := west.World.Actors[1]
	if p := west.World.Position(e); p.X != 97 || p.Y != 50 {
		t.Errorf("back at %v", p)
	}
	west.Advance()
	if p := west.World.Position(e); p.X != 97 {
		t.Errorf("still walking: at %v", p)
	}
}

// TestLateArrivalWalksOnFromWhereItStood: a hand-off taken in after its
// tick has passed does not jump the actor ahead; its walk is published
// afresh from where it stands after this tick's step.
func TestLateArrivalWalksOnFromWhereItStood(t *testing.T) {
	t.Parallel()
	west, wq, _, wout := region(t, true)
	east, eq, epub, _ := region(t, false)
	join(t, west, wq, 1, 97, 50)
	walk(t, wq, 1, 200, 50)
	west.Advance()
	east.World.Tick = west.World.Tick + 5
	arrive(t, east, eq, ecs.Arrive, wout.out[0])
	moved := epub.find(ecs.Moved)
	if len(moved) != 1 || moved[0].Actor.Intent.FromX != 104 || moved[0].Actor.Intent.Tick != east.World.Tick {
		t.Errorf("moved facts %+v at tick %d", moved, east.World.Tick)
	}
}

// TestWalkThatSetsOffOverTheBorder: a click whose very first step crosses
// the border is a walk nobody was told of; the region that takes the actor
// in publishes it as it set off, one step from where it stood.
func TestWalkThatSetsOffOverTheBorder(t *testing.T) {
	t.Parallel()
	west, wq, wpub, wout := region(t, true)
	east, eq, epub, _ := region(t, false)
	join(t, west, wq, 1, 99, 50)
	wpub.take()
	walk(t, wq, 1, 200, 50)
	west.Advance()
	if moved := wpub.find(ecs.Moved); len(moved) != 0 {
		t.Errorf("the west published %+v", moved)
	}
	d := wout.out[0]
	if !d.NewWalk || d.Actor.Intent.FromX != 102.5 || d.Actor.Intent.Tick != west.World.Tick {
		t.Fatalf("departure %+v", d)
	}
	east.World.Tick = west.World.Tick
	arrive(t, east, eq, ecs.Arrive, d)
	moved := epub.find(ecs.Moved)
	if len(moved) != 1 || moved[0].Actor.Intent != d.Actor.Intent {
		t.Errorf("the east published %+v, want the walk as the west set it off: %+v", moved, d.Actor.Intent)
	}
}
