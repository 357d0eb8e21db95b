package systems

import (
	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Delta diffs each actor against what observers were last sent and encodes
// the change once per tick; broadcast shares those bytes among observers. It
// also encodes the full model of actors someone sees for the first time.
type Delta struct {
	Enc ecs.Encoder

	filter *generic.Filter6[ecs.ActorID, ecs.Position, ecs.LastSent, ecs.Wire, ecs.Name, ecs.Avatar]
}

// Initialize builds the filter once.
func (s *Delta) Initialize(*ecs.World) {
	s.filter = generic.NewFilter6[ecs.ActorID, ecs.Position, ecs.LastSent, ecs.Wire, ecs.Name, ecs.Avatar]()
}

// Update encodes this tick's deltas and requested full models, and lists the
// changed actors in w.Changed.
func (s *Delta) Update(w *ecs.World) {
	w.Changed = w.Changed[:0]
	q := s.filter.Query(w.ECS)
	for q.Next() {
		id, p, last, wire, name, avatar := q.Get()
		wire.Delta, wire.Full = nil, nil
		if p.X != last.X || p.Y != last.Y {
			wire.Delta = s.Enc.Move(id.ID, p.X, p.Y)
			last.X, last.Y = p.X, p.Y
			w.Changed = append(w.Changed, q.Entity())
		}
		if wire.WantFull {
			wire.Full = s.Enc.Full(ecs.Actor{ID: id.ID, Name: name.Name, Avatar: avatar.ID, X: p.X, Y: p.Y})
			wire.WantFull = false
		}
	}
}
