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

	retargeted map[ecs.Entity]struct{}
}

// Initialize builds the set it reuses.
func (s *Handoff) Initialize(*ecs.World) { s.retargeted = make(map[ecs.Entity]struct{}) }

// Update hands out this tick's crossings into foreign cells.
func (s *Handoff) Update(w *ecs.World) {
	if len(w.Crossed) == 0 {
		return
	}
	for _, e := range w.Retargeted {
		s.retargeted[e] = struct{}{}
	}
	kept := w.Crossed[:0]
	for _, c := range w.Crossed {
		if s.Owns(c.To) {
			kept = append(kept, c)
			continue
		}
		_, fresh := s.retargeted[c.Entity]
		s.Out.Depart(w.Depart(c, fresh))
	}
	clear(s.retargeted)
	clear(w.Crossed[len(kept):])
	w.Crossed = kept
}
