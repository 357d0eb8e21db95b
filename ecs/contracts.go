package ecs

import "encoding/json"

// Actor is a player's actor as the store keeps it: who it is and where it
// stands, and what mods keep of it (loaded at login, by mod component name,
// each as its JSON).
type Actor struct {
	ID     int64
	Name   string
	Avatar int
	X, Y   float64
	Mods   map[string]json.RawMessage `json:",omitempty"`
}

// PositionStore takes the positions the store should keep. SavePositions
// must not block: the tick calls it.
type PositionStore interface {
	SavePositions(batch []SavedPosition)
}

// SavedPosition is one actor's position handed to the store.
type SavedPosition struct {
	ID   int64
	X, Y float64
}

// Bounds is the rectangle actors live in. Targets outside it are clamped to it.
type Bounds struct {
	MinX, MinY, MaxX, MaxY float64
}

// Clamp returns the point of b nearest to x, y.
func (b Bounds) Clamp(x, y float64) (float64, float64) {
	return min(max(x, b.MinX), b.MaxX), min(max(y, b.MinY), b.MaxY)
}

// Contains reports whether x, y lies inside b, edges included.
func (b Bounds) Contains(x, y float64) bool {
	return x >= b.MinX && x <= b.MaxX && y >= b.MinY && y <= b.MaxY
}

// Within returns the part of area inside b; all of b for a zero area or
// one that misses b.
func (b Bounds) Within(area Bounds) Bounds {
	in := Bounds{MinX: max(area.MinX, b.MinX), MinY: max(area.MinY, b.MinY), MaxX: min(area.MaxX, b.MaxX), MaxY: min(area.MaxY, b.MaxY)}
	if area == (Bounds{}) || in.MinX >= in.MaxX || in.MinY >= in.MaxY {
		return b
	}
	return in
}
