package systems

import (
	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Facts turns what the tick changed into facts per cell and publishes them:
// new walks (Moved), cell crossings (Exited from one cell, Entered in full
// into the other) and, noted earlier by the input system, spawns and
// hand-offs taken in, chat lines and quits. Its cost grows with what
// changed, never with who watches: it knows no observers at all.
type Facts struct {
	Bus ecs.Publisher

	targets generic.Map[ecs.Target]
	pos     generic.Map[ecs.Position]
	told    map[ecs.Entity]struct{} // actors whose Moved this tick is noted
}

// Initialize builds the mappers once.
func (s *Facts) Initialize(w *ecs.World) {
	s.targets = generic.NewMap[ecs.Target](w.ECS)
	s.pos = generic.NewMap[ecs.Position](w.ECS)
	s.told = make(map[ecs.Entity]struct{})
}

// Update notes this tick's walks and crossings and publishes every fact.
func (s *Facts) Update(w *ecs.World) {
	// A new walk starts where the actor stands at the end of this tick, so
	// anyone replaying it step by step lands on the tick's own positions.
	for _, e := range w.Retargeted {
		if !w.ECS.Alive(e) {
			continue
		}
		t, p := s.targets.Get(e), s.pos.Get(e)
		t.FromX, t.FromY, t.Since = p.X, p.Y, w.Tick
	}
	for _, c := range w.Crossed {
		st := w.State(c.Entity)
		w.Note(c.From, ecs.Fact{Kind: ecs.Exited, Actor: ecs.ActorState{ID: st.ID}, Cell: c.To})
		w.Note(c.To, ecs.Fact{Kind: ecs.Entered, Actor: st, Cell: c.From, Crossed: true})
	}
	// Every new walk is a Moved of its own, after any crossing, so a view
	// that knows the actor learns of walks from Moved alone.
	for _, e := range w.Retargeted {
		if _, told := s.told[e]; told || !w.ECS.Alive(e) {
			continue // retargeted twice in one tick: one Moved says the last
		}
		s.told[e] = struct{}{}
		st := w.State(e)
		st.Name = ""
		w.Note(w.CellOf(e), ecs.Fact{Kind: ecs.Moved, Actor: st})
	}
	clear(s.told)
	w.Crossed, w.Retargeted = w.Crossed[:0], w.Retargeted[:0]
	w.Publish(s.Bus)
}
