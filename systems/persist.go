package systems

import (
	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Persist hands the positions that changed since they were last saved to the
// store, in one batch every Every ticks. The store writes them off the tick.
type Persist struct {
	Store ecs.PositionStore
	Every int

	filter *generic.Filter3[ecs.ActorID, ecs.Position, ecs.Saved]
	ticks  int
	batch  []ecs.SavedPosition
}

// Initialize builds the filter once.
func (s *Persist) Initialize(*ecs.World) {
	s.filter = generic.NewFilter3[ecs.ActorID, ecs.Position, ecs.Saved]()
}

// Update flushes every Every ticks.
func (s *Persist) Update(w *ecs.World) {
	s.ticks++
	if s.ticks < s.Every {
		return
	}
	s.ticks = 0
	s.Flush(w)
}

// Flush hands every unsaved position to the store now.
func (s *Persist) Flush(w *ecs.World) {
	s.batch = s.batch[:0]
	q := s.filter.Query(w.ECS)
	for q.Next() {
		id, p, saved := q.Get()
		if p.X != saved.X || p.Y != saved.Y {
			s.batch = append(s.batch, ecs.SavedPosition{ID: id.ID, X: p.X, Y: p.Y})
			saved.X, saved.Y = p.X, p.Y
		}
	}
	if len(s.batch) > 0 {
		s.Store.SavePositions(s.batch)
	}
}
