package systems

import (
	"math"

	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Movement walks every moving actor toward its target at Speed units per
// second, for a fixed step of DT seconds, and refiles it in the world's grid
// when it crosses into another cell. An actor within one step arrives
// exactly, so positions settle on the clicked point.
type Movement struct {
	Speed float64
	DT    float64

	filter *generic.Filter3[ecs.Position, ecs.Target, ecs.Cell]
}

// Initialize builds the filter once.
func (s *Movement) Initialize(*ecs.World) {
	s.filter = generic.NewFilter3[ecs.Position, ecs.Target, ecs.Cell]()
}

// Update advances every moving actor by one step.
func (s *Movement) Update(w *ecs.World) {
	step := s.Speed * s.DT
	q := s.filter.Query(w.ECS)
	for q.Next() {
		p, t, c := q.Get()
		if !t.Moving {
			continue
		}
		t.Moving = Walk(p, t.X, t.Y, step)
		if k := w.Grid.Key(p.X, p.Y); k != c.Key {
			w.Refile(q.Entity(), c.Key, k)
			c.Key = k
		}
	}
}

// Walk moves p up to step units toward x, y and reports whether it is still
// on its way. It is the one definition of a step, shared with benchmarks.
func Walk(p *ecs.Position, x, y, step float64) bool {
	dx, dy := x-p.X, y-p.Y
	d := math.Hypot(dx, dy)
	if d <= step {
		p.X, p.Y = x, y
		return false
	}
	p.X += dx / d * step
	p.Y += dy / d * step
	return true
}
