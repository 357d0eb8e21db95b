package cluster

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/godmmo/godmmo/ecs"
)

// Area is a region's rectangle of the world, as the regions file names it.
type Area struct {
	Name string
	Rect ecs.Bounds
}

// Split is how a world's grid cells are shared out between regions, so that every
// process of a world agrees on which one owns a cell. A cell belongs to the
// first region whose rectangle holds the cell's centre (pulled into the
// world's bounds, for the cells on its edge).
type Split struct {
	list  []Area
	grid  ecs.Grid
	world ecs.Bounds
}

// ParseAreas reads a regions file: one region a line, "NAME
// minX,minY,maxX,maxY" in world units; blank lines and '#' comments are
// skipped.
func ParseAreas(r io.Reader) ([]Area, error) {
	var list []Area
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("regions: line %d: want NAME minX,minY,maxX,maxY", n)
		}
		nums := strings.Split(fields[1], ",")
		var v [4]float64
		if len(nums) != 4 {
			return nil, fmt.Errorf("regions: line %d: want four numbers minX,minY,maxX,maxY", n)
		}
		for i, s := range nums {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("regions: line %d: %q is not a number", n, s)
			}
			v[i] = f
		}
		if !validName(fields[0]) {
			return nil, fmt.Errorf("regions: line %d: name %q: want 1 to 64 letters, digits, _ or -", n, fields[0])
		}
		reg := Area{Name: fields[0], Rect: ecs.Bounds{MinX: v[0], MinY: v[1], MaxX: v[2], MaxY: v[3]}}
		if reg.Rect.MinX >= reg.Rect.MaxX || reg.Rect.MinY >= reg.Rect.MaxY {
			return nil, fmt.Errorf("regions: line %d: region %s is empty", n, reg.Name)
		}
		for _, o := range list {
			if o.Name == reg.Name {
				return nil, fmt.Errorf("regions: line %d: region %s named twice", n, reg.Name)
			}
		}
		list = append(list, reg)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("regions: %w", err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("regions: no region")
	}
	return list, nil
}

// NewSplit checks that list leaves no cell of the world without an owner.
func NewSplit(list []Area, grid ecs.Grid, world ecs.Bounds) (*Split, error) {
	r := &Split{list: list, grid: grid, world: world}
	lo, hi := grid.Key(world.MinX, world.MinY), grid.Key(world.MaxX, world.MaxY)
	for y := lo.Y; y <= hi.Y; y++ {
		for x := lo.X; x <= hi.X; x++ {
			if r.Owner(ecs.CellKey{X: x, Y: y}) == "" {
				return nil, fmt.Errorf("regions: cell %d,%d of the world is in no region", x, y)
			}
		}
	}
	return r, nil
}

// Owner is the name of the region that owns cell k, "" for a cell outside
// every region.
func (r *Split) Owner(k ecs.CellKey) string {
	s := r.grid.Size()
	cx, cy := r.world.Clamp((float64(k.X)+0.5)*s, (float64(k.Y)+0.5)*s)
	for _, reg := range r.list {
		if reg.Rect.Contains(cx, cy) {
			return reg.Name
		}
	}
	return ""
}

// At is the name of the region that owns the point x, y.
func (r *Split) At(x, y float64) string { return r.Owner(r.grid.Key(r.world.Clamp(x, y))) }

// Has reports whether a region of that name exists.
func (r *Split) Has(name string) bool {
	for _, reg := range r.list {
		if reg.Name == name {
			return true
		}
	}
	return false
}

// Names lists the regions in file order.
func (r *Split) Names() []string {
	names := make([]string, len(r.list))
	for i, reg := range r.list {
		names[i] = reg.Name
	}
	return names
}

// validName: region names go into bus subjects, so they are plain tokens.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
