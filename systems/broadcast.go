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

	observers *generic.Filter2[ecs.Position, ecs.ActorID]
	pos       generic.Map[ecs.Position]
	last      generic.Map[ecs.LastSent]
	ids       generic.Map[ecs.ActorID]
	cells     generic.Map[ecs.Cell]
	arena     arena
}

// Initialize builds the filter and mappers once.
func (s *Broadcast) Initialize(w *ecs.World) {
	s.observers = generic.NewFilter2[ecs.Position, ecs.ActorID]().With(generic.T[ecs.Observer]())
	s.pos = generic.NewMap[ecs.Position](w.ECS)
	s.last = generic.NewMap[ecs.LastSent](w.ECS)
	s.ids = generic.NewMap[ecs.ActorID](w.ECS)
	s.cells = generic.NewMap[ecs.Cell](w.ECS)
}

// Update queues this tick's packets to every observer.
func (s *Broadcast) Update(w *ecs.World) {
	s.arena.reset()

	// First sightings: the whole model; for v1, then the lead point of a
	// walk under way (v2's model carries the intent).
	v1 := false
	q := s.observers.Query(w.ECS)
	for q.Next() {
		k := w.Extra(q.Entity()).Known
		v1 = v1 || k.Proto == ecs.V1
		for _, e := range k.Fresh {
			wire := &w.Extra(e).Wire
			k.Out = append(k.Out, ecs.Packet{Bytes: wire.Enter[k.Proto]})
			if k.Proto == ecs.V1 {
				if p, last := s.pos.Get(e), s.last.Get(e); p.X != last.LeadX || p.Y != last.LeadY {
					k.Out = append(k.Out, ecs.Packet{Bytes: wire.Move[ecs.V1], Move: s.ids.Get(e).ID})
				}
			}
		}
	}

	// Movement updates, to the observers that know the actor: new targets
	// to everyone, new lead points to v1 clients.
	for _, e := range w.Changed {
		s.queueMove(w, e, false)
	}
	for _, e := range w.Led {
		if !v1 {
			break // nobody to lead
		}
		s.queueMove(w, e, true)
	}

	q = s.observers.Query(w.ECS)
	for q.Next() {
		p, id := q.Get()
		x := w.Extra(q.Entity())
		k := x.Known
		if m, ok := x.Client.(interface{ Moved(x, y float64) }); ok {
			m.Moved(p.X, p.Y) // the operators' live map
		}
		enc := s.Codecs[k.Proto]
		if k.Proto == ecs.V1 && (p.X != k.OwnX || p.Y != k.OwnY) {
			k.OwnX, k.OwnY = p.X, p.Y
			k.Out = append(k.Out, ecs.Packet{Bytes: s.arena.keep(enc.AppendMove(s.arena.buf, id.ID, p.X, p.Y, p.X, p.Y)), Move: id.ID})
		}
		k.Fresh = k.Fresh[:0]
		if len(k.Out) == 0 {
			continue
		}
		if enc.Batched() {
			x.Client.Send(ecs.Packet{Bytes: s.arena.keep(enc.AppendBatch(s.arena.buf, k.Out))})
		} else {
			for _, p := range k.Out {
				x.Client.Send(p)
			}
		}
		clear(k.Out) // drop references so sent bytes can be freed
		k.Out = k.Out[:0]
	}
}

// queueMove queues actor e's movement update to the observers that know it,
// only to v1 ones when v1Only, and never to a v1 player about itself (it
// gets its true position instead).
func (s *Broadcast) queueMove(w *ecs.World, e ecs.Entity, v1Only bool) {
	move, id := &w.Extra(e).Wire.Move, s.ids.Get(e).ID
	s.audience.each(w, s.cells.Get(e).Key, func(o ecs.Entity, k *ecs.Known) {
		if k.Proto == ecs.V1 && o == e || v1Only && k.Proto != ecs.V1 {
			return
		}
		if _, ok := k.Set[e]; ok && !slices.Contains(k.Fresh, e) {
			k.Out = append(k.Out, ecs.Packet{Bytes: move[k.Proto], Move: id})
		}
	})
}
