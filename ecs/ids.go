package ecs

import "time"

// IDs issues the ids of entities no player plays (NPCs, objects). They are
// negative, so they never collide with account ids, which are positive, and
// an entity keeps its id wherever it is handed. Each id holds the second its
// block was started (since 2026), the region that issued it and a count, so
// the regions of a world, and a region after a restart, never issue the same
// one; and it stays within ±2⁵³, which JSON clients read exactly.
type IDs struct {
	next, end int64
	block     int64 // seconds since idEpoch of the current block
	region    int64
}

const (
	idCountBits  = 18
	idRegionBits = 5
	// MaxRegions is how many regions can issue ids apart.
	MaxRegions = 1 << idRegionBits
)

var idEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// NewIDs starts issuing ids for region (0 to MaxRegions-1, taken modulo
// MaxRegions) at now.
func NewIDs(region int, now time.Time) *IDs {
	g := &IDs{region: int64(region % MaxRegions), block: max(1, int64(now.Sub(idEpoch)/time.Second))}
	g.start()
	return g
}

func (g *IDs) start() {
	g.next = g.block<<(idCountBits+idRegionBits) | g.region<<idCountBits
	g.end = g.next + 1<<idCountBits
}

// Next returns a new id. A region that issues more than 2¹⁸ ids in a second
// starts the next second's block early; a restart within the seconds it ran
// ahead could then repeat one.
func (g *IDs) Next() int64 {
	if g.next == g.end {
		g.block++
		g.start()
	}
	id := g.next
	g.next++
	return -id
}
