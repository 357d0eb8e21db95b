package systems

import (
	"slices"

	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Broadcast hands each observer the packets of the actors it knows: the full
// model of those it sees for the first time, then the deltas of those that
// changed. It only queues shared bytes; sessions do the writing.
type Broadcast struct {
	observers *generic.Filter2[ecs.Session, ecs.Known]
	wires     generic.Map[ecs.Wire]
}

// Initialize builds the filter and mapper once.
func (s *Broadcast) Initialize(w *ecs.World) {
	s.observers = generic.NewFilter2[ecs.Session, ecs.Known]()
	s.wires = generic.NewMap[ecs.Wire](w.ECS)
}

// Update queues this tick's packets to every observer.
func (s *Broadcast) Update(w *ecs.World) {
	q := s.observers.Query(w.ECS)
	for q.Next() {
		sess, k := q.Get()
		for _, e := range k.Fresh {
			sess.Client.Send(s.wires.Get(e).Full)
		}
		for _, e := range w.Changed {
			if _, ok := k.Set[e]; ok && !slices.Contains(k.Fresh, e) {
				sess.Client.Send(s.wires.Get(e).Delta)
			}
		}
	}
}
