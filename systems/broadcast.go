package systems

import (
	"slices"

	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Broadcast hands every observer its packets for this tick: the whole model
// of actors it sees for the first time, the movement updates of actors it
// knows, its own position (v1), and whatever other systems queued for it.
// It only queues shared bytes; sessions do the writing. A v2 client gets all
// of them in one message, and none when there is nothing to say.
type Broadcast struct {
	Codecs   ecs.Codecs
	audience *audience

	observers *generic.Filter4[ecs.Session, ecs.Known, ecs.Position, ecs.ActorID]
	wires     generic.Map[ecs.Wire]
	pos       generic.Map[ecs.Position]
	last      generic.Map[ecs.LastSent]
	ids       generic.Map[ecs.ActorID]
	arena     arena
}

// Initialize builds the filter and mappers once.
func (s *Broadcast) Initialize(w *ecs.World) {
	s.observers = generic.NewFilter4[ecs.Session, ecs.Known, ecs.Position, ecs.ActorID]()
	s.wires = generic.NewMap[ecs.Wire](w.ECS)
	s.pos = generic.NewMap[ecs.Position](w.ECS)
	s.last = generic.NewMap[ecs.LastSent](w.ECS)
	s.ids = generic.NewMap[ecs.ActorID](w.ECS)
}

// Update queues this tick's packets to every observer.
func (s *Broadcast) Update(w *ecs.World) {
	s.arena.reset()

	// First sightings: the whole model; for v1, then the lead point of a
	// walk under way (v2's model carries the intent).
	q := s.observers.Query(w.ECS)
	for q.Next() {
		sess, k, _, _ := q.Get()
		for _, e := range k.Fresh {
			wire := s.wires.Get(e)
			k.Out = append(k.Out, ecs.Packet{Bytes: wire.Enter[sess.Proto]})
			if sess.Proto == ecs.V1 {
				if p, last := s.pos.Get(e), s.last.Get(e); p.X != last.LeadX || p.Y != last.LeadY {
					k.Out = append(k.Out, ecs.Packet{Bytes: wire.Move[ecs.V1], Move: s.ids.Get(e).ID})
				}
			}
		}
	}

	// Movement updates, to the observers that know the actor.
	for _, e := range w.Changed {
		p := s.pos.Get(e)
		move, id := &s.wires.Get(e).Move, s.ids.Get(e).ID
		s.audience.each(w, p.X, p.Y, func(o ecs.Entity, sess *ecs.Session, k *ecs.Known) {
			if o == e && sess.Proto == ecs.V1 {
				return // v1 players get their true position instead, below
			}
			if _, ok := k.Set[e]; ok && !slices.Contains(k.Fresh, e) {
				k.Out = append(k.Out, ecs.Packet{Bytes: move[sess.Proto], Move: id})
			}
		})
	}

	q = s.observers.Query(w.ECS)
	for q.Next() {
		sess, k, p, id := q.Get()
		enc := s.Codecs[sess.Proto]
		if sess.Proto == ecs.V1 && (p.X != k.OwnX || p.Y != k.OwnY) {
			k.OwnX, k.OwnY = p.X, p.Y
			k.Out = append(k.Out, ecs.Packet{Bytes: s.arena.keep(enc.AppendMove(s.arena.buf, id.ID, p.X, p.Y, p.X, p.Y)), Move: id.ID})
		}
		if len(k.Out) == 0 {
			continue
		}
		if enc.Batched() {
			sess.Client.Send(ecs.Packet{Bytes: s.arena.keep(enc.AppendBatch(s.arena.buf, k.Out))})
		} else {
			for _, p := range k.Out {
				sess.Client.Send(p)
			}
		}
		clear(k.Out) // drop references so sent bytes can be freed
		k.Out = k.Out[:0]
	}
}
