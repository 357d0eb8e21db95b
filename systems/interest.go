package systems

import (
	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Interest decides who sees whom and keeps each observer's Known set. For now
// every player sees every actor; it is the one place that rule lives.
//
// Observers learn of at most FullPerTick new actors each tick, so a player
// who logs into a crowded world gets the crowd over a few ticks rather than
// in one burst larger than the client reads at once.
type Interest struct {
	Enc         ecs.Encoder
	FullPerTick int

	observers *generic.Filter1[ecs.Known]
	actors    *generic.Filter1[ecs.ActorID]
	sessions  generic.Map[ecs.Session]
	wires     generic.Map[ecs.Wire]
	all       []ecs.Entity
	ids       []int64
	bye       [][]byte
}

// Initialize builds the filters and mappers once.
func (s *Interest) Initialize(w *ecs.World) {
	s.observers = generic.NewFilter1[ecs.Known]().With(generic.T[ecs.Session]())
	s.actors = generic.NewFilter1[ecs.ActorID]()
	s.sessions = generic.NewMap[ecs.Session](w.ECS)
	s.wires = generic.NewMap[ecs.Wire](w.ECS)
}

// Update reports departures, then shows each observer the actors it does not know yet.
func (s *Interest) Update(w *ecs.World) {
	s.forgetDeparted(w)

	s.all, s.ids = s.all[:0], s.ids[:0]
	q := s.actors.Query(w.ECS)
	for q.Next() {
		s.all = append(s.all, q.Entity())
		s.ids = append(s.ids, q.Get().ID)
	}

	o := s.observers.Query(w.ECS)
	for o.Next() {
		k := o.Get()
		k.Fresh = k.Fresh[:0]
		if len(k.Set) >= len(s.all) {
			continue // knows everyone already
		}
		for i, e := range s.all {
			if len(k.Fresh) == s.FullPerTick {
				break
			}
			if _, ok := k.Set[e]; !ok {
				k.Set[e] = s.ids[i]
				k.Fresh = append(k.Fresh, e)
				s.wires.Get(e).WantFull = true
			}
		}
	}
}

// forgetDeparted removes actors that left from every Known set, telling each
// observer that knew one. Observers that never saw it hear nothing: the
// original client fails on a Disconnect of an actor it does not know.
func (s *Interest) forgetDeparted(w *ecs.World) {
	if len(w.Departed) == 0 {
		return
	}
	s.bye = s.bye[:0]
	for _, d := range w.Departed {
		s.bye = append(s.bye, s.Enc.Disconnect(d.ID))
	}
	o := s.observers.Query(w.ECS)
	for o.Next() {
		k := o.Get()
		c := s.sessions.Get(o.Entity()).Client
		for i, d := range w.Departed {
			if _, ok := k.Set[d.Entity]; ok {
				delete(k.Set, d.Entity)
				c.Send(s.bye[i])
			}
		}
	}
	w.Departed = w.Departed[:0]
}
