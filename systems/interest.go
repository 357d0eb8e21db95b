package systems

import (
	"math"

	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Interest decides who sees whom and keeps each observer's Known set: an
// actor within ViewRadius of a player comes into its view, one beyond
// ViewRadius+ViewMargin goes out of it (the margin keeps an actor on the edge
// from flickering in and out), and a player always sees itself. A
// ViewRadius of 0 means unlimited: everyone sees everyone.
//
// Each view is recomputed every Every ticks, observers taking turns, and at
// once for a player who just arrived; candidates come from the world's grid,
// so the cost grows with actors and their neighbours, not with actors times
// players. Observers learn of at most FullPerTick new actors each tick, so a
// player arriving in a crowd gets it over a few ticks rather than in one
// burst larger than the client reads at once.
type Interest struct {
	Codecs      ecs.Codecs
	ViewRadius  float64
	ViewMargin  float64
	Every       int
	FullPerTick int
	audience    *audience

	observers *generic.Filter4[ecs.Session, ecs.Known, ecs.Position, ecs.ActorID]
	pos       generic.Map[ecs.Position]
	ids       generic.Map[ecs.ActorID]
	wires     generic.Map[ecs.Wire]
	near      []ecs.Entity
	tick      int
}

// Initialize builds the filters and mappers once.
func (s *Interest) Initialize(w *ecs.World) {
	s.observers = generic.NewFilter4[ecs.Session, ecs.Known, ecs.Position, ecs.ActorID]()
	s.pos = generic.NewMap[ecs.Position](w.ECS)
	s.ids = generic.NewMap[ecs.ActorID](w.ECS)
	s.wires = generic.NewMap[ecs.Wire](w.ECS)
	s.Every = max(1, s.Every)
}

// Update reports departures, then rechecks the views whose turn it is.
func (s *Interest) Update(w *ecs.World) {
	s.forgetDeparted(w)
	s.tick++
	unlimited := s.ViewRadius <= 0
	enter, leave := math.Inf(1), math.Inf(1)
	if !unlimited {
		enter, leave = s.ViewRadius, s.ViewRadius+s.ViewMargin
	}
	q := s.observers.Query(w.ECS)
	for q.Next() {
		sess, k, p, id := q.Get()
		k.Fresh = k.Fresh[:0]
		if !k.Recheck && (s.tick+int(id.ID))%s.Every != 0 {
			continue
		}
		k.Recheck = false
		self := q.Entity()
		if !unlimited {
			for e, aid := range k.Set {
				if e != self && s.dist2(e, p) > leave*leave {
					delete(k.Set, e)
					k.Out = append(k.Out, ecs.Packet{Bytes: s.Codecs[sess.Proto].Leave(aid)})
				}
			}
		} else if len(k.Set) >= len(w.Actors) {
			continue // knows everyone already
		}
		s.near = w.Grid.AppendNear(s.near[:0], p.X, p.Y, enter)
		for _, e := range s.near {
			if _, ok := k.Set[e]; ok || s.dist2(e, p) > enter*enter {
				continue
			}
			if len(k.Fresh) == s.FullPerTick {
				k.Recheck = true // more to show: carry on next tick
				break
			}
			k.Set[e] = s.ids.Get(e).ID
			k.Fresh = append(k.Fresh, e)
			s.wires.Get(e).Want |= 1 << sess.Proto
		}
	}
}

// dist2 is the squared distance from actor e to p.
func (s *Interest) dist2(e ecs.Entity, p *ecs.Position) float64 {
	o := s.pos.Get(e)
	dx, dy := o.X-p.X, o.Y-p.Y
	return dx*dx + dy*dy
}

// forgetDeparted removes actors that left the game from the Known sets that
// held them, telling each of those observers. Observers that never saw it
// hear nothing: the original client fails on a Disconnect of an actor it
// does not know.
func (s *Interest) forgetDeparted(w *ecs.World) {
	if len(w.Departed) == 0 {
		return
	}
	for _, d := range w.Departed {
		var bye [ecs.Protocols][]byte
		s.audience.each(w, d.X, d.Y, func(_ ecs.Entity, sess *ecs.Session, k *ecs.Known) {
			if _, ok := k.Set[d.Entity]; !ok {
				return
			}
			delete(k.Set, d.Entity)
			if bye[sess.Proto] == nil {
				bye[sess.Proto] = s.Codecs[sess.Proto].Quit(d.ID)
			}
			k.Out = append(k.Out, ecs.Packet{Bytes: bye[sess.Proto]})
		})
	}
	w.Departed = w.Departed[:0]
}
