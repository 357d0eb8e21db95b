package systems

import (
	"testing"

	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

func TestMovementReachesTargetAtSpeed(t *testing.T) {
	t.Parallel()
	w := ecs.NewWorld(100, 3.5)
	e := w.Spawn(ecs.Actor{ID: 1}, 0)
	idle := w.Spawn(ecs.Actor{ID: 2, X: 9, Y: 9}, 0)
	m := &Movement{}
	m.Initialize(w)
	w.SetTarget(e, 70, 0)
	ticks := 0
	for w.Position(e) != (ecs.Position{X: 70, Y: 0}) {
		m.Update(w)
		ticks++
		if ticks > 100 {
			t.Fatalf("not arrived after %d ticks: %v", ticks, w.Position(e))
		}
	}
	if ticks != 20 {
		t.Errorf("70 units at 3.5 a tick took %d ticks, want 20", ticks)
	}
	if w.Position(idle) != (ecs.Position{X: 9, Y: 9}) {
		t.Errorf("idle actor moved to %v", w.Position(idle))
	}
	if len(w.Crossed) != 0 {
		t.Errorf("crossings within one cell: %+v", w.Crossed)
	}
	w.SetTarget(e, 110, 0)
	for range 20 {
		m.Update(w)
	}
	if len(w.Crossed) != 1 || w.Crossed[0].From != (ecs.CellKey{}) || w.Crossed[0].To != (ecs.CellKey{X: 1}) || w.CellOf(e) != (ecs.CellKey{X: 1}) {
		t.Errorf("crossings %+v, cell %v", w.Crossed, w.CellOf(e))
	}
}

// get returns an actor's component T, for tests to set.
func get[T any](w *ecs.World, e ecs.Entity) *T {
	m := generic.NewMap[T](w.ECS)
	return m.Get(e)
}

func TestPersistBatchesChangedPositions(t *testing.T) {
	t.Parallel()
	w := ecs.NewWorld(100, 3.5)
	moved := w.Spawn(ecs.Actor{ID: 1}, 0)
	w.Spawn(ecs.Actor{ID: 2}, 0)
	st := &memStore{}
	p := &Persist{Store: st, Every: 3}
	p.Initialize(w)
	*get[ecs.Position](w, moved) = ecs.Position{X: 5, Y: 6}
	for range 2 {
		p.Update(w)
	}
	if len(st.saved) != 0 {
		t.Fatalf("flushed early: %+v", st.saved)
	}
	p.Update(w)
	if len(st.saved) != 1 || st.saved[0] != (ecs.SavedPosition{ID: 1, X: 5, Y: 6}) {
		t.Fatalf("saved %+v", st.saved)
	}
	for range 3 {
		p.Update(w)
	}
	if len(st.saved) != 1 {
		t.Errorf("saved an unchanged position again: %+v", st.saved)
	}
}
