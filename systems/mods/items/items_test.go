package items

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/systems"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
)

type facts struct{ told []ecs.Fact }

func (f *facts) Publish(c ecs.CellFacts) {
	for _, x := range c.Facts {
		if x.Kind == ecs.ModMessage || x.Kind == ecs.Quit {
			f.told = append(f.told, x)
		}
	}
}
func (*facts) EndTick(uint64) {}

type noStore struct{}

func (noStore) SavePositions([]ecs.SavedPosition) {}

// TestOnePlayerGetsAnItem: two players reach the same item in the same
// tick, from both sides; exactly one gets it.
func TestOnePlayerGetsAnItem(t *testing.T) {
	t.Parallel()
	reg := mod.NewRegistry()
	if err := reg.Add(tutorial.Mod(tutorial.DefaultConfig()), Mod(Config{Count: 1, Area: ecs.Bounds{MaxX: 0.01, MaxY: 0.01}, Reach: 24, Seed: 7})); err != nil {
		t.Fatal(err)
	}
	q := ecs.NewQueue(16)
	pub := &facts{}
	tk, err := systems.New(systems.Config{Rate: 20, Speed: 70, Bounds: ecs.Bounds{MinX: -100, MinY: -100, MaxX: 100, MaxY: 100},
		FlushEvery: time.Second, CommandsPerTick: 16, CellSize: 50, Mods: reg}, q, pub, noStore{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for id, x := range map[int64]float64{1: -10, 2: 10} {
		q.Push(ctx, ecs.Command{Kind: ecs.Spawn, Login: uint64(id), Actor: ecs.Actor{ID: id, Name: "p", X: x}, Reply: ecs.NewReply()}) //nolint:errcheck // room
	}
	tk.Advance()
	for id := range int64(2) {
		q.Push(ctx, tutorial.Target(uint64(id+1), id+1, 0, 0)) //nolint:errcheck // room
	}
	pub.told = nil
	tk.Advance()
	var quits, counts int
	for _, f := range pub.told {
		switch {
		case f.Kind == ecs.Quit:
			quits++
		case f.Msg != nil && f.Msg.Name == "inventory":
			var c Count
			if json.Unmarshal(f.Msg.Data, &c) != nil || c.Count != 1 || f.Msg.To != f.Actor.ID {
				t.Errorf("inventory message %+v", f)
			}
			counts++
		}
	}
	if quits != 1 || counts != 1 {
		t.Fatalf("%d items went and %d players got one, want exactly one each: %+v", quits, counts, pub.told)
	}
}
