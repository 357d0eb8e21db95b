package npcs

import (
	"testing"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
)

// TestRegionsShareTheCount: every region spawns the NPCs of the seed that
// fall in its own cells, so two regions have Count between them; then they
// wander at their own pace, within the area.
func TestRegionsShareTheCount(t *testing.T) {
	t.Parallel()
	cfg := Config{Count: 100, Area: ecs.Bounds{MinX: -500, MinY: -500, MaxX: 500, MaxY: 500}, Speed: 40, Range: 100, Rest: 2, Seed: 3}
	total := 0
	for _, west := range []bool{true, false} {
		reg := mod.NewRegistry()
		if err := reg.Add(Mod(cfg)); err != nil {
			t.Fatal(err)
		}
		w := ecs.NewWorld(100, 3.5)
		w.Rate, w.Bounds = 20, ecs.Bounds{MinX: -1000, MinY: -1000, MaxX: 1000, MaxY: 1000}
		w.Region = func(k ecs.CellKey) bool { return (k.X < 0) == west }
		for _, c := range reg.Carriers(w) {
			w.Carry(c)
		}
		s := reg.Stages()[0].System
		s.Initialize(w)
		for range 10 {
			s.Update(w)
		}
		total += len(w.Actors)
		walking := 0
		for _, e := range w.Actors {
			p := w.Position(e)
			if !cfg.Area.Contains(p.X, p.Y) || w.Kind(e) != Kind || w.State(e).Intent.Step != 2 {
				t.Fatalf("NPC %+v at %v", w.State(e), p)
			}
			if w.Walking(e) {
				walking++
			}
		}
		if walking == 0 {
			t.Error("no NPC set off")
		}
	}
	if total != cfg.Count {
		t.Errorf("%d NPCs in two regions, want %d", total, cfg.Count)
	}
}
