package systems

import (
	"fmt"
	"math"
	"testing"

	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

func TestWalk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		from       ecs.Position
		tx, ty     float64
		want       ecs.Position
		stillGoing bool
	}{
		{"one step right", ecs.Position{X: 0, Y: 0}, 10, 0, ecs.Position{X: 3.5, Y: 0}, true},
		{"diagonal keeps speed", ecs.Position{}, 30, 40, ecs.Position{X: 2.1, Y: 2.8}, true},
		{"arrives exactly within a step", ecs.Position{X: 1, Y: 1}, 3, 2, ecs.Position{X: 3, Y: 2}, false},
		{"already there", ecs.Position{X: 5, Y: 5}, 5, 5, ecs.Position{X: 5, Y: 5}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.from
			going := Walk(&p, tc.tx, tc.ty, 3.5)
			if math.Abs(p.X-tc.want.X) > 1e-9 || math.Abs(p.Y-tc.want.Y) > 1e-9 || going != tc.stillGoing {
				t.Errorf("Walk = %v going=%v, want %v going=%v", p, going, tc.want, tc.stillGoing)
			}
		})
	}
}

func TestMovementReachesTargetAtSpeed(t *testing.T) {
	t.Parallel()
	w := ecs.NewWorld()
	e := w.SpawnActor(ecs.Actor{ID: 1})
	idle := w.SpawnActor(ecs.Actor{ID: 2, X: 9, Y: 9})
	m := &Movement{Speed: 70, DT: 0.05}
	m.Initialize(w)
	setTarget(w, e, ecs.Target{X: 70, Y: 0, Moving: true})
	ticks := 0
	for w.Position(e) != (ecs.Position{X: 70, Y: 0}) {
		m.Update(w)
		ticks++
		if ticks > 100 {
			t.Fatalf("not arrived after %d ticks: %v", ticks, w.Position(e))
		}
	}
	if ticks != 20 {
		t.Errorf("70 units at 70/s and 20 Hz took %d ticks, want 20", ticks)
	}
	if w.Position(idle) != (ecs.Position{X: 9, Y: 9}) {
		t.Errorf("idle actor moved to %v", w.Position(idle))
	}
}

func setTarget(w *ecs.World, e ecs.Entity, t ecs.Target) { *get[ecs.Target](w, e) = t }

// get returns e's component T.
func get[T any](w *ecs.World, e ecs.Entity) *T {
	m := generic.NewMap[T](w.ECS)
	return m.Get(e)
}

func TestDeltaEncodesOncePerChange(t *testing.T) {
	t.Parallel()
	w := ecs.NewWorld()
	moved := w.SpawnActor(ecs.Actor{ID: 1, Name: "a"})
	still := w.SpawnActor(ecs.Actor{ID: 2, Name: "b", Avatar: 3, X: 4, Y: 5})
	d := &Delta{Enc: textEnc{}}
	d.Initialize(w)
	get[ecs.Position](w, moved).X = 1.5
	get[ecs.Wire](w, still).WantFull = true

	d.Update(w)
	if got := string(get[ecs.Wire](w, moved).Delta); got != "move 1 1.5,0" {
		t.Errorf("delta of moved actor = %q", got)
	}
	if get[ecs.Wire](w, still).Delta != nil {
		t.Errorf("still actor has a delta %q", get[ecs.Wire](w, still).Delta)
	}
	if got := string(get[ecs.Wire](w, still).Full); got != "full 2 b 3 4,5" {
		t.Errorf("full model = %q", got)
	}
	if len(w.Changed) != 1 || w.Changed[0] != moved {
		t.Errorf("Changed = %v, want just the moved actor", w.Changed)
	}

	d.Update(w) // nothing changed since
	if get[ecs.Wire](w, moved).Delta != nil || get[ecs.Wire](w, still).Full != nil || len(w.Changed) != 0 {
		t.Errorf("second tick without changes encoded something")
	}
}

func TestPersistBatchesChangedPositions(t *testing.T) {
	t.Parallel()
	w := ecs.NewWorld()
	a := w.SpawnActor(ecs.Actor{ID: 1})
	w.SpawnActor(ecs.Actor{ID: 2})
	st := &memStore{}
	p := &Persist{Store: st, Every: 3}
	p.Initialize(w)
	get[ecs.Position](w, a).Y = 8
	p.Update(w)
	p.Update(w)
	if len(st.saved) != 0 {
		t.Fatalf("saved before the interval: %v", st.saved)
	}
	p.Update(w)
	if want := []ecs.SavedPosition{{ID: 1, X: 0, Y: 8}}; len(st.saved) != 1 || st.saved[0] != want[0] {
		t.Fatalf("saved %v, want %v", st.saved, want)
	}
	for range 3 {
		p.Update(w)
	}
	if len(st.saved) != 1 {
		t.Errorf("saved an unchanged position again: %v", st.saved)
	}
}

func TestInterestShowsEveryoneInBudget(t *testing.T) {
	t.Parallel()
	w := ecs.NewWorld()
	in := &Interest{Enc: textEnc{}, FullPerTick: 2}
	in.Initialize(w)
	for id := range int64(5) {
		w.SpawnActor(ecs.Actor{ID: id + 10})
	}
	r := &recorder{}
	me := w.SpawnPlayer(ecs.Actor{ID: 1}, r)

	var fresh []int
	for range 4 {
		in.Update(w)
		fresh = append(fresh, len(get[ecs.Known](w, me).Fresh))
	}
	if len(get[ecs.Known](w, me).Set) != 6 {
		t.Errorf("knows %d actors, want all 6", len(get[ecs.Known](w, me).Set))
	}
	if want := []int{2, 2, 1, 0}; fmt.Sprint(fresh) != fmt.Sprint(want) {
		t.Errorf("new sightings per tick = %v, want %v", fresh, want)
	}
	if _, ok := get[ecs.Known](w, me).Set[me]; !ok {
		t.Error("a player does not know itself")
	}
}

func TestInterestReportsDeparturesToThoseWhoKnew(t *testing.T) {
	t.Parallel()
	w := ecs.NewWorld()
	in := &Interest{Enc: textEnc{}, FullPerTick: 10}
	in.Initialize(w)
	r1, r2 := &recorder{}, &recorder{}
	w.SpawnPlayer(ecs.Actor{ID: 1}, r1)
	in.Update(w)
	leaver := w.SpawnActor(ecs.Actor{ID: 7})
	in.Update(w) // player 1 learns of 7
	w.Remove(leaver)
	w.SpawnPlayer(ecs.Actor{ID: 2}, r2) // never saw 7
	in.Update(w)
	equal(t, "player who knew", r1.take(), []string{"bye 7"})
	equal(t, "player who never knew", r2.take(), nil)
	if len(w.Departed) != 0 {
		t.Errorf("departures not cleared: %v", w.Departed)
	}
}
