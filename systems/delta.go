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

	// arena holds this tick's packets back to back: one allocation per tick
	// instead of one per packet. A new one is made each tick, because
	// sessions may still hold the last one's bytes.
	arena  []byte
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
	s.arena = make([]byte, 0, max(4096, len(s.arena)+len(s.arena)/8))
	q := s.filter.Query(w.ECS)
	for q.Next() {
		id, p, last, wire, name, avatar := q.Get()
		wire.Delta, wire.Full = nil, nil
		if p.X != last.X || p.Y != last.Y {
			start := len(s.arena)
			s.arena = s.Enc.AppendMove(s.arena, id.ID, p.X, p.Y)
			wire.Delta = s.arena[start:len(s.arena):len(s.arena)] // capped: later appends cannot reach it
			last.X, last.Y = p.X, p.Y
			w.Changed = append(w.Changed, q.Entity())
		}
		if wire.WantFull {
			start := len(s.arena)
			s.arena = s.Enc.AppendFull(s.arena, ecs.Actor{ID: id.ID, Name: name.Name, Avatar: avatar.ID, X: p.X, Y: p.Y})
			wire.Full = s.arena[start:len(s.arena):len(s.arena)]
			wire.WantFull = false
		}
	}
}
