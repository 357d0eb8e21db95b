package systems

import "github.com/godmmo/godmmo/ecs"

// Handoff hands the actors that walked into a cell this region does not
// own out of its world, for the region that owns it to take over: the
// world notes that they exited, and Out carries them there. Crossings
// within the region are left for the facts system. It runs between
// movement and facts, and only in a world split into regions.
type Handoff struct {
	// Owns reports whether this region owns a cell.
	Owns func(ecs.CellKey) bool
	Out  ecs.Departures
}

// Initialize has nothing to build.
func (s *Handoff) Initialize(*ecs.World) {}

// Update hands out this tick's crossings into foreign cells.
func (s *Handoff) Update(w *ecs.World) {
	kept := w.Crossed[:0]
	for _, c := range w.Crossed {
		if s.Owns(c.To) {
			kept = append(kept, c)
			continue
		}
		s.Out.Depart(w.Depart(c))
	}
	clear(w.Crossed[len(kept):])
	w.Crossed = kept
}
