package systems

import (
	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Movement walks every moving actor one step toward its target and refiles
// it when it crosses into another grid cell, noting the crossing for the
// facts system. An actor within one step arrives exactly, so positions
// settle on the clicked point.
type Movement struct {
	filter *generic.Filter3[ecs.Position, ecs.Target, ecs.Cell]
}

// Initialize builds the filter once.
func (s *Movement) Initialize(*ecs.World) {
	s.filter = generic.NewFilter3[ecs.Position, ecs.Target, ecs.Cell]()
}

// Update advances every moving actor by one step of its own pace.
func (s *Movement) Update(w *ecs.World) {
	q := s.filter.Query(w.ECS)
	for q.Next() {
		p, t, c := q.Get()
		if !t.Moving {
			continue
		}
		back := *p
		t.Moving = ecs.Walk(p, t.X, t.Y, t.Step)
		if k := w.Grid.Key(p.X, p.Y); k != c.Key {
			w.Crossed = append(w.Crossed, ecs.Crossing{Entity: q.Entity(), From: c.Key, To: k, Back: back})
			c.Key = k
		}
	}
}

// stopAll ends every walk where the actor stands, as a new target the facts
// system publishes.
func (s *Movement) stopAll(w *ecs.World) {
	q := s.filter.Query(w.ECS)
	for q.Next() {
		p, t, _ := q.Get()
		if t.Moving {
			t.X, t.Y, t.Moving, t.Seq = p.X, p.Y, false, t.Seq+1
			w.Retargeted = append(w.Retargeted, q.Entity())
		}
	}
}

// rebase publishes every walk under way afresh from where its actor stands,
// after the tick's clock jumped ahead of the walks' starting ticks.
func (s *Movement) rebase(w *ecs.World) {
	q := s.filter.Query(w.ECS)
	for q.Next() {
		if _, t, _ := q.Get(); t.Moving {
			t.Seq++
			w.Retargeted = append(w.Retargeted, q.Entity())
		}
	}
}
