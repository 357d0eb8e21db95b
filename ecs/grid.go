package ecs

import "math"

// CellKey names one square cell of a Grid.
type CellKey struct{ X, Y int32 }

// Cell is the grid cell an actor is filed under.
type Cell struct{ Key CellKey }

// Grid is a uniform spatial hash of actors, so that "who is near this point"
// costs the actors nearby rather than every actor in the world. The
// movement system refiles actors as they cross cell edges.
type Grid struct {
	size  float64
	inv   float64 // 1/size: a multiply is cheaper than a divide per step
	cells map[CellKey][]Entity
}

// DefaultCellSize suits views a few hundred units wide.
const DefaultCellSize = 256

// NewGrid makes an empty grid of size×size cells.
func NewGrid(size float64) *Grid {
	if !(size > 0) {
		size = DefaultCellSize
	}
	return &Grid{size: size, inv: 1 / size, cells: make(map[CellKey][]Entity)}
}

// Size is the side of one cell.
func (g *Grid) Size() float64 { return g.size }

// Key returns the cell holding x, y, which must lie within a few billion
// cells of the origin (positions are clamped to the world's bounds).
func (g *Grid) Key(x, y float64) CellKey {
	return CellKey{int32(math.Floor(x * g.inv)), int32(math.Floor(y * g.inv))}
}

// clampedKey is Key for any point, infinities included.
func (g *Grid) clampedKey(x, y float64) CellKey {
	c := func(v float64) int32 { return int32(max(min(math.Floor(v*g.inv), math.MaxInt32-1), math.MinInt32+1)) }
	return CellKey{c(x), c(y)}
}

// Add files e under k.
func (g *Grid) Add(e Entity, k CellKey) { g.cells[k] = append(g.cells[k], e) }

// Remove takes e out of k.
func (g *Grid) Remove(e Entity, k CellKey) {
	c := g.cells[k]
	for i, x := range c {
		if x == e {
			c[i] = c[len(c)-1]
			c = c[:len(c)-1]
			break
		}
	}
	if len(c) == 0 {
		delete(g.cells, k)
	} else {
		g.cells[k] = c
	}
}

// Move refiles e from one cell to another.
func (g *Grid) Move(e Entity, from, to CellKey) {
	if from != to {
		g.Remove(e, from)
		g.Add(e, to)
	}
}

// AppendNear appends to dst every entity filed in a cell that touches the
// square of half-side r around x, y: a superset of those within r, for the
// caller to check exactly.
func (g *Grid) AppendNear(dst []Entity, x, y, r float64) []Entity {
	lo, hi := g.clampedKey(x-r, y-r), g.clampedKey(x+r, y+r)
	if (float64(hi.X)-float64(lo.X)+1)*(float64(hi.Y)-float64(lo.Y)+1) > float64(len(g.cells)) {
		// The square spans more cells than are filled: walk the filled ones.
		for k, c := range g.cells {
			if k.X >= lo.X && k.X <= hi.X && k.Y >= lo.Y && k.Y <= hi.Y {
				dst = append(dst, c...)
			}
		}
		return dst
	}
	for cy := lo.Y; cy <= hi.Y; cy++ {
		for cx := lo.X; cx <= hi.X; cx++ {
			dst = append(dst, g.cells[CellKey{cx, cy}]...)
		}
	}
	return dst
}

// Len is the number of filled cells.
func (g *Grid) Len() int { return len(g.cells) }

// Within reports whether two cells are at most r cells apart in both axes.
func Within(a, b CellKey, r int32) bool {
	return abs32(a.X-b.X) <= r && abs32(a.Y-b.Y) <= r
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// AppendSquare appends the entities filed in the cells at most r cells from
// c, leaving out the cells at most er cells from *except when except is not
// nil: the strip a view gains or loses when its centre moves.
func (g *Grid) AppendSquare(dst []Entity, c CellKey, r int32, except *CellKey, er int32) []Entity {
	for y := c.Y - r; y <= c.Y+r; y++ {
		for x := c.X - r; x <= c.X+r; x++ {
			k := CellKey{x, y}
			if except != nil && Within(k, *except, er) {
				continue
			}
			dst = append(dst, g.cells[k]...)
		}
	}
	return dst
}
