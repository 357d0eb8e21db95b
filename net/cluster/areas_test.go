package cluster

import (
	"github.com/godmmo/godmmo/ecs"
	"strings"
	"testing"
)

func TestParseRegions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		want       int    // regions, when it parses
		err        string // part of the error, when it does not
	}{
		{"two", "# west and east\nwest -1000,-1000,0,1000\n\neast 0,-1000,1000,1000 # the rest\n", 2, ""},
		{"spaces in numbers", "a 0, 0, 10, 10", 0, "want NAME"},
		{"three numbers", "a 0,0,10", 0, "four numbers"},
		{"not a number", "a 0,0,x,10", 0, "not a number"},
		{"infinite", "a 0,0,inf,10", 0, "not a number"},
		{"empty", "a 0,0,0,10", 0, "empty"},
		{"twice", "a 0,0,1,1\na 1,1,2,2", 0, "named twice"},
		{"bad name", "a.b 0,0,1,1", 0, "name"},
		{"none", "# nothing\n", 0, "no region"},
	} {
		list, err := ParseAreas(strings.NewReader(tc.file))
		switch {
		case tc.err == "" && (err != nil || len(list) != tc.want):
			t.Errorf("%s: %v, %d regions", tc.name, err, len(list))
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
}

// TestRegionsOwnEveryCell: each cell has one owner, the edge cells
// included, and a world with a hole is refused.
func TestRegionsOwnEveryCell(t *testing.T) {
	t.Parallel()
	world := ecs.Bounds{MinX: -1000, MinY: -1000, MaxX: 1000, MaxY: 1000}
	split := []Area{{"west", ecs.Bounds{MinX: -1000, MinY: -1000, MaxX: 0, MaxY: 1000}}, {"east", ecs.Bounds{MinX: 0, MinY: -1000, MaxX: 1000, MaxY: 1000}}}
	r, err := NewSplit(split, ecs.NewGrid(200), world)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		x, y float64
		want string
	}{{-1, 0, "west"}, {0, 0, "east"}, {-1000, -1000, "west"}, {1000, 1000, "east"}, {5000, 0, "east"}, {-199.9, 5, "west"}} {
		if got := r.At(tc.x, tc.y); got != tc.want {
			t.Errorf("%v,%v is in %q, want %q", tc.x, tc.y, got, tc.want)
		}
	}
	if _, err := NewSplit(split[:1], ecs.NewGrid(200), world); err == nil || !strings.Contains(err.Error(), "in no region") {
		t.Errorf("a world half covered: %v", err)
	}
}
