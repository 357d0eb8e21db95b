package systems

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/godmmo/godmmo/ecs"
	gnet "github.com/godmmo/godmmo/net"
	"github.com/mlange-42/arche/generic"
)

// counter is an observer's client that only counts what it is sent.
type counter struct{ msgs, bytes int }

func (c *counter) Send(p ecs.Packet) bool { c.msgs++; c.bytes += len(p.Bytes); return true }

// benchWorld builds the production pipeline over a 20,000-unit world with
// actors walking to random targets and observers among them.
func benchWorld(b *testing.B, actors, observers int, protos ...ecs.Protocol) *Tick {
	b.Helper()
	cfg := DefaultConfig()
	cfg.CommandsPerTick = actors + observers
	q := ecs.NewQueue(actors + observers)
	tk, err := New(cfg, q, gnet.Encoders(gnet.Codecs(cfg.Speed)), &memStore{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	coord := func() float64 { return rng.Float64()*20000 - 10000 }
	for i := range actors {
		id := int64(i + 1)
		e := tk.World.SpawnActor(ecs.Actor{ID: id, Name: fmt.Sprint(id), X: coord(), Y: coord()})
		setTarget(tk.World, e, ecs.Target{X: coord(), Y: coord(), Moving: true, Seq: 1})
	}
	for i := range observers {
		if len(protos) == 0 {
			protos = []ecs.Protocol{ecs.V1, ecs.V2}
		}
		e := tk.World.SpawnPlayer(ecs.Actor{ID: int64(actors + i + 1), Name: "o", X: coord(), Y: coord()}, &counter{}, protos[i%len(protos)])
		setTarget(tk.World, e, ecs.Target{X: coord(), Y: coord(), Moving: true, Seq: 1})
	}
	// Let views fill and lead points spread out.
	players := generic.NewFilter1[ecs.Observer]()
	for range 200 {
		tk.Step()
		filling := false
		q := players.Query(tk.World.ECS)
		for q.Next() {
			filling = filling || tk.World.Extra(q.Entity()).Known.Recheck
		}
		if !filling {
			break
		}
	}
	for range 30 {
		tk.Step()
	}
	return tk
}

// BenchmarkSystems times each system alone within the running pipeline, at
// 1k and 10k walking actors of which 10% are observers (half v1, half v2);
// ns/actor is per tick.
func BenchmarkSystems(b *testing.B) {
	for _, actors := range []int{1000, 10000} {
		tk := benchWorld(b, actors-actors/10, actors/10)
		for _, st := range tk.Stages {
			b.Run(fmt.Sprintf("%s/actors=%d", st.Name, actors), func(b *testing.B) {
				b.ReportAllocs()
				b.StopTimer()
				for range b.N {
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

// BenchmarkTick times the whole tick.
func BenchmarkTick(b *testing.B) {
	for _, actors := range []int{1000, 10000} {
		tk := benchWorld(b, actors-actors/10, actors/10)
		b.Run(fmt.Sprintf("actors=%d", actors), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tk.Step()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(actors), "ns/actor")
		})
	}
}

// BenchmarkTickEveryoneObserves is the large world with every actor a
// walking v2 player observing its neighbourhood, at 10,000 players (the
// target of 100,000 is cmd/tickbench's: its setup alone takes a minute).
func BenchmarkTickEveryoneObserves(b *testing.B) {
	const players = 10000
	tk := benchWorld(b, 0, players, ecs.V2)
	b.ReportAllocs()
	for b.Loop() {
		tk.Step()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/players, "ns/actor")
}
