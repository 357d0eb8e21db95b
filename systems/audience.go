package systems

import (
	"math"

	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// audience finds the observers that may know an actor, without asking every
// observer: only those filed near the actor can have it in view (the
// interest system drops actors beyond the view radius plus margin, and
// rechecks each view every few ticks). With unlimited views it is everyone.
type audience struct {
	reach float64 // how far an observer that knows an actor can be from it

	near      []ecs.Entity
	observers *generic.Filter2[ecs.Session, ecs.Known]
	sessions  generic.Map[ecs.Session]
	known     generic.Map[ecs.Known]
}

// newAudience sizes the search for cfg's views: radius, margin, and how far
// two actors can walk apart between two rechecks of a view.
func newAudience(w *ecs.World, cfg Config) *audience {
	a := &audience{reach: math.Inf(1)}
	if cfg.ViewRadius > 0 {
		drift := 2 * cfg.Speed * float64(cfg.InterestEvery+1) / float64(cfg.Rate)
		a.reach = cfg.ViewRadius + cfg.ViewMargin + drift
	}
	a.observers = generic.NewFilter2[ecs.Session, ecs.Known]()
	a.sessions = generic.NewMap[ecs.Session](w.ECS)
	a.known = generic.NewMap[ecs.Known](w.ECS)
	return a
}

// each calls fn for every observer that may know an actor at x, y; fn checks
// the observer's Known set itself.
func (a *audience) each(w *ecs.World, x, y float64, fn func(o ecs.Entity, s *ecs.Session, k *ecs.Known)) {
	if math.IsInf(a.reach, 1) {
		q := a.observers.Query(w.ECS)
		for q.Next() {
			s, k := q.Get()
			fn(q.Entity(), s, k)
		}
		return
	}
	a.near = w.Grid.AppendNear(a.near[:0], x, y, a.reach)
	for _, o := range a.near {
		if a.known.HasUnchecked(o) {
			fn(o, a.sessions.GetUnchecked(o), a.known.GetUnchecked(o))
		}
	}
}
