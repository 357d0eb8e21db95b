package systems

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
)

// benchWorld builds the production pipeline over a 20,000-unit world with
// actors walking to random targets, a twentieth of them given a new target
// each tick (every actor clicks about once a second).
func benchWorld(b *testing.B, actors int) (*Tick, func()) {
	b.Helper()
	cfg := testConfig()
	cfg.Bounds = ecs.Bounds{MinX: -10000, MinY: -10000, MaxX: 10000, MaxY: 10000}
	cfg.CellSize = 200
	cfg.CommandsPerTick = actors
	q := ecs.NewQueue(actors)
	tk, err := New(cfg, q, &discard{}, &memStore{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	coord := func() float64 { return rng.Float64()*20000 - 10000 }
	for i := range actors {
		tk.World.Spawn(ecs.Actor{ID: int64(i + 1), Name: fmt.Sprint(i + 1), X: coord(), Y: coord()}, uint64(i+1))
	}
	// The clicks are made up front, two targets an actor in turn: their
	// connections check and encode them, off the tick.
	clicks := make([]ecs.Command, 2*actors)
	for i := range clicks {
		id := i%actors + 1
		clicks[i] = tutorial.Target(uint64(id), int64(id), coord(), coord())
	}
	next := 0
	click := func() {
		for range max(1, actors/cfg.Rate) {
			q.Push(b.Context(), clicks[next]) //nolint:errcheck // sized to fit
			next = (next + 1) % len(clicks)
		}
	}
	for range 40 {
		click()
		tk.Advance()
	}
	return tk, click
}

// discard is a bus that drops what it is given.
type discard struct{}

func (discard) Publish(ecs.CellFacts) {}
func (discard) EndTick(uint64)        {}

// BenchmarkSystems times each system alone within the running pipeline, at
// 1k, 10k and 100k walking actors; ns/actor is per tick.
func BenchmarkSystems(b *testing.B) {
	for _, actors := range []int{1000, 10000, 100000} {
		tk, click := benchWorld(b, actors)
		for _, st := range tk.Stages {
			b.Run(fmt.Sprintf("%s/actors=%d", st.Name, actors), func(b *testing.B) {
				b.ReportAllocs()
				b.StopTimer()
				for range b.N {
					click()
					tk.World.Tick++
					for _, s := range tk.Stages {
						if s.Name == st.Name {
							b.StartTimer()
							s.System.Update(tk.World)
							b.StopTimer()
						} else {
							s.System.Update(tk.World)
						}
					}
				}
				b.StartTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(actors), "ns/actor")
			})
		}
	}
}

// BenchmarkTick times the whole tick, which knows nothing of observers: its
// cost is the same however many players watch.
func BenchmarkTick(b *testing.B) {
	for _, actors := range []int{1000, 10000, 100000} {
		tk, click := benchWorld(b, actors)
		b.Run(fmt.Sprintf("actors=%d", actors), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				click()
				tk.Advance()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(actors), "ns/actor")
		})
	}
}
