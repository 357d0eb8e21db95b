package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net"
	"github.com/godmmo/godmmo/systems"
	"github.com/mlange-42/arche/generic"
)

// Scenario is one benchmark run: the world to build and how long to tick it.
type Scenario struct {
	// Actors is how many actors the world holds, observers included.
	Actors int
	// Moving is the fraction of actors walking at any time, 0 to 1. A walker
	// that arrives is sent to a new random point between ticks.
	Moving float64
	// Observers is how many of the actors are players with a (simulated)
	// session; every observer sees every actor, as the interest system does today.
	Observers int
	// Join makes observers start knowing only themselves, so the measured
	// ticks include the interest system introducing the world to them.
	// Without it they know everyone already: the steady state of a long session.
	Join bool
	// Warmup ticks run before measuring; Ticks are measured.
	Warmup, Ticks int
	// Allocs measures heap allocations per stage. It stops the world twice
	// per stage (outside the timed region), so turning it off shortens long runs.
	Allocs bool
	// Seed makes placement and targets repeatable.
	Seed uint64
	// Config is the tick's configuration; zero means systems.DefaultConfig.
	Config systems.Config
}

// Result is what one run measured. Its JSON form is tickbench's -json line.
type Result struct {
	Actors     int     `json:"actors"`
	Moving     float64 `json:"moving"`
	Walkers    int     `json:"walkers"`
	Observers  int     `json:"observers"`
	Join       bool    `json:"join,omitempty"`
	Ticks      int     `json:"ticks"`
	Warmup     int     `json:"warmup"`
	Rate       int     `json:"tick_rate"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	GoVersion  string  `json:"go"`
	CPU        string  `json:"cpu,omitempty"`

	// Stages are the systems in the order the tick runs them; Tick is their sum.
	Stages []Stats `json:"stages"`
	Tick   Stats   `json:"tick"`
	// Overruns counts measured ticks longer than the tick period.
	Overruns int `json:"overruns"`

	// Encoded is what the encoder produced per tick: each fact once.
	EncodedMsgs  float64 `json:"encoded_msgs_per_tick"`
	EncodedBytes float64 `json:"encoded_bytes_per_tick"`
	// Delivered is what the observers' outboxes received per tick, all
	// observers together: the shared bytes counted once per observer.
	DeliveredMsgs  float64 `json:"delivered_msgs_per_tick"`
	DeliveredBytes float64 `json:"delivered_bytes_per_tick"`
	// MaxObserverMsgs is the most messages one observer got in one tick;
	// the server drops a client whose outbox (ServerOutbox) overflows.
	MaxObserverMsgs int   `json:"max_observer_msgs_per_tick"`
	ServerOutbox    int   `json:"server_outbox"`
	Dropped         int64 `json:"dropped"`

	// HeapBytes is the live heap after building the world, before ticking.
	HeapBytes uint64 `json:"heap_bytes"`
	// Setup is how long building the world (and Join's warm-up) took.
	Setup time.Duration `json:"setup_ns"`
}

// countingEncoder is the production v1 encoder with a tally of what it made,
// so the run can show that each fact is encoded once however many observe it.
type countingEncoder struct {
	enc   ecs.Encoder
	msgs  int64
	bytes int64
}

func (c *countingEncoder) count(b []byte) []byte {
	c.msgs++
	c.bytes += int64(len(b))
	return b
}

// counted tallies what an Append method added to dst.
func (c *countingEncoder) counted(before int, b []byte) []byte {
	c.msgs++
	c.bytes += int64(len(b) - before)
	return b
}

func (c *countingEncoder) Ok() []byte { return c.count(c.enc.Ok()) }
func (c *countingEncoder) AppendFull(dst []byte, a ecs.Actor) []byte {
	return c.counted(len(dst), c.enc.AppendFull(dst, a))
}
func (c *countingEncoder) AppendMove(dst []byte, id int64, x, y float64) []byte {
	return c.counted(len(dst), c.enc.AppendMove(dst, id, x, y))
}
func (c *countingEncoder) Chat(from, text string) []byte { return c.count(c.enc.Chat(from, text)) }
func (c *countingEncoder) Disconnect(id int64) []byte    { return c.count(c.enc.Disconnect(id)) }

// take returns the tally since the last take and starts a new one.
func (c *countingEncoder) take() (msgs, bytes int64) {
	msgs, bytes = c.msgs, c.bytes
	c.msgs, c.bytes = 0, 0
	return msgs, bytes
}

var _ ecs.Encoder = (*countingEncoder)(nil)

// observer is a session without a socket: a bounded outbox like the real
// one (a buffered channel, non-blocking send) that the bench drains between
// ticks, counting what arrived.
type observer struct {
	out         chan []byte
	msgs, bytes int64
	dropped     int64
	maxPerTick  int
	actor       int64
}

// Send queues msg like a session does, without ever blocking the tick.
func (o *observer) Send(msg []byte) bool {
	select {
	case o.out <- msg:
		return true
	default:
		o.dropped++
		return false
	}
}

// drain empties the outbox, as a write loop would, and counts it.
func (o *observer) drain() (msgs, bytes int64) {
	n := len(o.out)
	o.maxPerTick = max(o.maxPerTick, n)
	for range n {
		m := <-o.out
		bytes += int64(len(m))
	}
	o.msgs += int64(n)
	o.bytes += bytes
	return int64(n), bytes
}

// nopStore takes position batches and forgets them: the bench measures the
// tick, not SQLite (persist has its own benchmarks).
type nopStore struct{}

func (nopStore) SavePositions([]ecs.SavedPosition) {}

// bench is one built world, ready to tick.
type bench struct {
	sc        Scenario
	cfg       systems.Config
	rng       *rand.Rand
	world     *ecs.World
	queue     *ecs.Queue
	tick      *systems.Tick
	enc       *countingEncoder
	observers []*observer
	walkers   []ecs.Entity // NPC walkers, retargeted directly
	walkObs   []*observer  // observer walkers, retargeted by SetTarget commands
	targets   generic.Map[ecs.Target]
}

// newBench builds the world: observers first (players with sessions), then
// the other actors, all placed at random in the bounds; a random Moving
// fraction of them gets a target.
func newBench(sc Scenario) (*bench, error) {
	cfg := sc.Config
	if cfg.Rate == 0 {
		cfg = systems.DefaultConfig()
	}
	if sc.Actors < 1 || sc.Observers < 0 || sc.Observers > sc.Actors {
		return nil, fmt.Errorf("want 1 or more actors and 0 to %d observers, not %d and %d", sc.Actors, sc.Actors, sc.Observers)
	}
	if sc.Moving < 0 || sc.Moving > 1 {
		return nil, fmt.Errorf("-moving must be 0 to 1, not %v", sc.Moving)
	}
	b := &bench{sc: sc, cfg: cfg, rng: rand.New(rand.NewPCG(sc.Seed, 0x71cb)), world: ecs.NewWorld(),
		queue: ecs.NewQueue(cfg.CommandsPerTick), enc: &countingEncoder{enc: net.V1{}}}
	var err error
	b.tick, err = systems.New(cfg, b.world, b.queue, b.enc, nopStore{})
	if err != nil {
		return nil, err
	}
	b.targets = generic.NewMap[ecs.Target](b.world.ECS)
	known := generic.NewMap[ecs.Known](b.world.ECS)

	// One tick's worth of messages fits every outbox, so nothing is dropped
	// for lack of a write loop; MaxObserverMsgs tells how close the real
	// outbox would come to overflowing.
	outbox := sc.Actors + cfg.FullPerTick + 64
	walking := int(float64(sc.Actors)*sc.Moving + 0.5)
	walks := make([]bool, sc.Actors)
	for _, i := range b.rng.Perm(sc.Actors)[:walking] {
		walks[i] = true
	}
	all := make([]ecs.Entity, 0, sc.Actors)
	for i := range sc.Actors {
		a := ecs.Actor{ID: int64(i + 1), Name: fmt.Sprintf("actor%d", i+1), Avatar: i % (ecs.MaxAvatar + 1)}
		a.X, a.Y = b.randomPoint()
		if i < sc.Observers {
			o := &observer{out: make(chan []byte, outbox), actor: a.ID}
			b.observers = append(b.observers, o)
			all = append(all, b.world.SpawnPlayer(a, o))
			if walks[i] {
				b.walkObs = append(b.walkObs, o)
			}
			continue
		}
		e := b.world.SpawnActor(a)
		all = append(all, e)
		if walks[i] {
			b.walkers = append(b.walkers, e)
		}
	}
	if !sc.Join {
		// Observers that have played a while know everyone already.
		for i := range sc.Observers {
			k := known.Get(all[i])
			for j, e := range all {
				k.Set[e] = int64(j + 1)
			}
		}
	}
	for _, e := range b.walkers {
		x, y := b.randomPoint()
		*b.targets.Get(e) = ecs.Target{X: x, Y: y, Moving: true}
	}
	for _, o := range b.walkObs {
		b.retarget(o)
	}
	return b, nil
}

func (b *bench) randomPoint() (x, y float64) {
	bd := b.cfg.Bounds
	return bd.MinX + b.rng.Float64()*(bd.MaxX-bd.MinX), bd.MinY + b.rng.Float64()*(bd.MaxY-bd.MinY)
}

// retarget sends an observer's actor somewhere new through the command
// queue, as its connection would; the input system applies it next tick.
func (b *bench) retarget(o *observer) {
	if b.queue.Len() == b.queue.Cap() {
		return // full: try again after the next tick
	}
	x, y := b.randomPoint()
	//nolint:errcheck // the queue has room and is never stopped here
	b.queue.Push(context.Background(), ecs.Command{Kind: ecs.SetTarget, Client: o, Actor: ecs.Actor{ID: o.actor}, X: x, Y: y})
}

// between runs between ticks, outside the measurement: it drains the
// outboxes and keeps the walkers walking.
func (b *bench) between() (msgs, bytes int64) {
	for _, o := range b.observers {
		m, n := o.drain()
		msgs += m
		bytes += n
	}
	for _, e := range b.walkers {
		if t := b.targets.Get(e); !t.Moving {
			t.X, t.Y = b.randomPoint()
			t.Moving = true
		}
	}
	for _, o := range b.walkObs {
		if !b.targets.Get(b.world.Actors[o.actor]).Moving {
			b.retarget(o)
		}
	}
	return msgs, bytes
}

// measurer times each stage and, if asked, counts its allocations.
type measurer struct {
	allocs bool
	before runtime.MemStats
	after  runtime.MemStats
}

// step runs the tick's stages in their order, exactly as systems.Tick.Step
// does, timing each one; the allocation counting stays outside the timing.
func (m *measurer) step(t *systems.Tick, per []series) (total time.Duration) {
	for i, s := range t.Stages {
		if m.allocs {
			runtime.ReadMemStats(&m.before)
		}
		start := time.Now()
		s.System.Update(t.World)
		d := time.Since(start)
		if m.allocs {
			runtime.ReadMemStats(&m.after)
			per[i].allocs += m.after.Mallocs - m.before.Mallocs
			per[i].bytes += m.after.TotalAlloc - m.before.TotalAlloc
		}
		per[i].durations = append(per[i].durations, d)
		total += d
	}
	return total
}

// progress is told how far a run is; it may be nil.
type progress func(phase string, done, total int, last time.Duration)

// Run builds the scenario's world, ticks it and measures.
func Run(sc Scenario, report progress) (Result, error) {
	if report == nil {
		report = func(string, int, int, time.Duration) {}
	}
	start := time.Now()
	b, err := newBench(sc)
	if err != nil {
		return Result{}, err
	}
	r := Result{
		Actors: sc.Actors, Moving: sc.Moving, Walkers: len(b.walkers) + len(b.walkObs), Observers: sc.Observers,
		Join: sc.Join, Ticks: sc.Ticks, Warmup: sc.Warmup, Rate: b.cfg.Rate,
		GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), ServerOutbox: net.DefaultOptions().Outbox,
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapBytes = ms.HeapAlloc

	m := &measurer{}
	warm := make([]series, len(b.tick.Stages))
	for i := range sc.Warmup {
		last := m.step(b.tick, warm)
		b.between()
		report("warm-up", i+1, sc.Warmup, last)
	}
	r.Setup = time.Since(start)
	b.enc.take()
	for _, o := range b.observers {
		o.maxPerTick, o.dropped = 0, 0
	}

	m.allocs = sc.Allocs
	per := make([]series, len(b.tick.Stages))
	var whole series
	var encMsgs, encBytes, outMsgs, outBytes int64
	for i := range sc.Ticks {
		d := m.step(b.tick, per)
		whole.durations = append(whole.durations, d)
		if d > b.tick.Period() {
			r.Overruns++
		}
		em, eb := b.enc.take()
		encMsgs += em
		encBytes += eb
		om, ob := b.between()
		outMsgs += om
		outBytes += ob
		report("tick", i+1, sc.Ticks, d)
	}

	for i, s := range b.tick.Stages {
		st := per[i].summarize(s.Name, sc.Actors)
		r.Stages = append(r.Stages, st)
		whole.allocs += per[i].allocs
		whole.bytes += per[i].bytes
	}
	r.Tick = whole.summarize("tick", sc.Actors)
	if n := float64(sc.Ticks); n > 0 {
		r.EncodedMsgs, r.EncodedBytes = float64(encMsgs)/n, float64(encBytes)/n
		r.DeliveredMsgs, r.DeliveredBytes = float64(outMsgs)/n, float64(outBytes)/n
	}
	for _, o := range b.observers {
		r.MaxObserverMsgs = max(r.MaxObserverMsgs, o.maxPerTick)
		r.Dropped += o.dropped
	}
	return r, nil
}
