package systems

import (
	"math"

	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// view is the shape of every player's view in grid cells: with a limited
// view, actors within In cells (in both axes) of a player's cell are in its
// view, and those more than Out cells away are not. Between the two is the
// margin, where an actor keeps whatever it had.
type view struct {
	limited bool
	in, out int32
}

// newView turns a radius and margin in world units into cells of size.
func newView(radius, margin, size float64) view {
	if radius <= 0 {
		return view{}
	}
	in := int32(math.Ceil(radius / size))
	return view{limited: true, in: in, out: in + int32(math.Ceil(margin/size))}
}

// audience finds the observers that may know an actor without asking every
// observer: only those filed (in the world's Watchers grid) within the view's
// outer square of the actor's cell can have it in view. With unlimited views
// it is everyone.
type audience struct {
	view view

	near      []ecs.Entity
	observers *generic.Filter1[ecs.Observer]
}

func newAudience(w *ecs.World, v view) *audience {
	return &audience{
		view:      v,
		observers: generic.NewFilter1[ecs.Observer](),
	}
}

// each calls fn for every observer that may know an actor filed in cell c;
// fn checks the observer's Known set itself.
func (a *audience) each(w *ecs.World, c ecs.CellKey, fn func(o ecs.Entity, k *ecs.Known)) {
	if !a.view.limited {
		q := a.observers.Query(w.ECS)
		for q.Next() {
			fn(q.Entity(), w.Extra(q.Entity()).Known)
		}
		return
	}
	a.near = w.Watchers.AppendSquare(a.near[:0], c, a.view.out, nil, 0)
	for _, o := range a.near {
		fn(o, w.Extra(o).Known)
	}
}
