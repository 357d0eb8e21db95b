package ecs

import "math"

// CellKey names one square cell of the world's grid.
type CellKey struct{ X, Y int32 }

// Grid cuts the world into square cells. Facts are published per cell, and
// a view subscribes to the cells around its player, so "who can see this"
// costs the cells nearby rather than every player in the world.
type Grid struct {
	size float64
	inv  float64 // 1/size: a multiply is cheaper than a divide per step
}

// DefaultCellSize suits views a few hundred units wide.
const DefaultCellSize = 256

// NewGrid makes a grid of size×size cells.
func NewGrid(size float64) Grid {
	if !(size > 0) {
		size = DefaultCellSize
	}
	return Grid{size: size, inv: 1 / size}
}

// Size is the side of one cell.
func (g Grid) Size() float64 { return g.size }

// Key returns the cell holding x, y, clamped to the cells an int32 can name
// (positions are clamped to the world's bounds long before that).
func (g Grid) Key(x, y float64) CellKey {
	c := func(v float64) int32 { return int32(max(min(math.Floor(v*g.inv), math.MaxInt32-1), math.MinInt32+1)) }
	return CellKey{c(x), c(y)}
}

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
