package systems

import (
	"math"

	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Delta decides, once per actor per tick, whether observers must hear of its
// movement, and encodes that update once per protocol for all of them to
// share. It also encodes the whole model of actors someone sees for the
// first time.
//
// Observers are sent intent, not steps. v2 clients get the actor's position
// and target and walk it themselves. v1 clients walk another actor toward
// the last position they were sent and jump only when it is more than 200
// units off, so they are sent a lead point: where the actor will be up to
// LeadAhead units further along its path, never past its target. A new lead
// point goes out when the target changes or the actor comes within LeadNear
// of the last one, so a walk costs a v1 client a packet every second or so
// instead of one per tick, and the lead point is never further than
// LeadAhead from the actor's true position. v2 clients hear only of new
// targets: they walk the rest exactly.
type Delta struct {
	Codecs    ecs.Codecs
	LeadAhead float64
	LeadNear  float64

	arena  arena // this tick's Enter packets
	filter *generic.Filter5[ecs.ActorID, ecs.Position, ecs.Target, ecs.LastSent, ecs.Avatar]
}

// Initialize builds the filter once.
func (s *Delta) Initialize(*ecs.World) {
	s.filter = generic.NewFilter5[ecs.ActorID, ecs.Position, ecs.Target, ecs.LastSent, ecs.Avatar]()
}

// Update encodes this tick's movement updates and requested models, and
// lists the actors with a new target in w.Changed and those with only a new
// lead point in w.Led.
func (s *Delta) Update(w *ecs.World) {
	w.Changed, w.Led = w.Changed[:0], w.Led[:0]
	s.arena.reset()
	q := s.filter.Query(w.ECS)
	for q.Next() {
		id, p, t, last, avatar := q.Get()
		x := w.Extra(q.Entity())
		wire := &x.Wire
		tx, ty := p.X, p.Y
		if t.Moving {
			tx, ty = t.X, t.Y
		}
		retarget := t.Seq != last.Seq
		relead := !retarget && s.leadSpent(p, t, last)
		if retarget || relead || wire.Move[ecs.V1] == nil { // nil: a newcomer, whose first update is in its model
			last.Seq = t.Seq
			last.LeadX, last.LeadY = s.lead(p, tx, ty)
			// Not in the arena: these bytes live until the movement changes,
			// and would keep a whole old arena alive. One allocation for both.
			b := s.Codecs[ecs.V1].AppendMove(make([]byte, 0, 256), id.ID, last.LeadX, last.LeadY, tx, ty)
			wire.Move[ecs.V1] = b[:len(b):len(b)]
			b = s.Codecs[ecs.V2].AppendMove(b[len(b):], id.ID, p.X, p.Y, tx, ty)
			wire.Move[ecs.V2] = b[:len(b):len(b)]
		}
		switch {
		case retarget:
			w.Changed = append(w.Changed, q.Entity())
		case relead:
			w.Led = append(w.Led, q.Entity())
		}
		wire.Enter = [ecs.Protocols][]byte{}
		for proto := range ecs.Protocols {
			if wire.Want&(1<<proto) != 0 {
				a := ecs.Actor{ID: id.ID, Name: x.Name, Avatar: avatar.ID, X: p.X, Y: p.Y}
				wire.Enter[proto] = s.arena.keep(s.Codecs[proto].AppendEnter(s.arena.buf, a, tx, ty))
			}
		}
		wire.Want = 0
	}
}

// leadSpent reports whether a walking actor has come close enough to its
// last lead point that observers need the next one.
func (s *Delta) leadSpent(p *ecs.Position, t *ecs.Target, last *ecs.LastSent) bool {
	if !t.Moving {
		return last.LeadX != p.X || last.LeadY != p.Y
	}
	if last.LeadX == t.X && last.LeadY == t.Y {
		return false // the lead point is the target: nothing further to say
	}
	return math.Hypot(last.LeadX-p.X, last.LeadY-p.Y) <= s.LeadNear
}

// lead is the point LeadAhead further along the path from p to tx, ty, or
// the target itself when that is nearer.
func (s *Delta) lead(p *ecs.Position, tx, ty float64) (float64, float64) {
	dx, dy := tx-p.X, ty-p.Y
	d := math.Hypot(dx, dy)
	if d <= s.LeadAhead {
		return tx, ty
	}
	return p.X + dx/d*s.LeadAhead, p.Y + dy/d*s.LeadAhead
}
