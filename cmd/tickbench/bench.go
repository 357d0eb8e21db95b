package main

import (
	"context"
	"fmt"
	"math"
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
	// session speaking Proto. They join knowing only themselves, and the
	// interest system introduces the world to them during the warm-up.
	Observers int
	Proto     ecs.Protocol
	// Warmup ticks run before measuring (negative: enough for the walkers to
	// set off and every observer to be shown everything in its view); Ticks
	// are measured.
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
	Proto      int     `json:"protocol"`
	World      float64 `json:"world_side"`
	ViewRadius float64 `json:"view_radius"` // 0: everyone sees everyone
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

	// Encoded is what the encoders produced per tick, facts only (models,
	// moves, chat, leaving): each once per protocol, however many observe it.
	EncodedMsgs  float64 `json:"encoded_msgs_per_tick"`
	EncodedBytes float64 `json:"encoded_bytes_per_tick"`
	// Batches are the per-observer v2 messages that wrap a tick's packets.
	BatchMsgs  float64 `json:"batch_msgs_per_tick"`
	BatchBytes float64 `json:"batch_bytes_per_tick"`
	// Delivered is what the observers' outboxes received per tick, all
	// observers together: the shared bytes counted once per observer.
	DeliveredMsgs  float64 `json:"delivered_msgs_per_tick"`
	DeliveredBytes float64 `json:"delivered_bytes_per_tick"`
	// MaxObserverMsgs is the most messages one observer got in one tick.
	MaxObserverMsgs int   `json:"max_observer_msgs_per_tick"`
	Dropped         int64 `json:"dropped"`

	// HeapBytes is the live heap after building the world, before ticking.
	HeapBytes uint64 `json:"heap_bytes"`
	// Setup is how long building the world and the warm-up took.
	Setup time.Duration `json:"setup_ns"`
}

// tally counts messages and bytes.
type tally struct{ msgs, bytes int64 }

func (t *tally) add(n int) {
	t.msgs++
	t.bytes += int64(n)
}

// take returns the tally and starts a new one.
func (t *tally) take() tally {
	v := *t
	*t = tally{}
	return v
}

// countingEncoder is a production encoder with a tally of what it made, so
// the run can show that each fact is encoded once however many observe it.
type countingEncoder struct {
	enc            ecs.Encoder
	facts, batches *tally
}

var _ ecs.Encoder = countingEncoder{}

func (c countingEncoder) count(b []byte) []byte { c.facts.add(len(b)); return b }

// Ok acknowledges a request.
func (c countingEncoder) Ok() []byte { return c.count(c.enc.Ok()) }

// AppendEnter appends an actor's whole model.
func (c countingEncoder) AppendEnter(dst []byte, a ecs.Actor, tx, ty float64) []byte {
	b := c.enc.AppendEnter(dst, a, tx, ty)
	c.facts.add(len(b) - len(dst))
	return b
}

// AppendMove appends a movement update.
func (c countingEncoder) AppendMove(dst []byte, id int64, x, y, tx, ty float64) []byte {
	b := c.enc.AppendMove(dst, id, x, y, tx, ty)
	c.facts.add(len(b) - len(dst))
	return b
}

// Chat relays a line.
func (c countingEncoder) Chat(from, text string) []byte { return c.count(c.enc.Chat(from, text)) }

// Leave says an actor went out of view.
func (c countingEncoder) Leave(id int64) []byte { return c.count(c.enc.Leave(id)) }

// Quit says an actor left the game.
func (c countingEncoder) Quit(id int64) []byte { return c.count(c.enc.Quit(id)) }

// Batched reports the protocol's framing.
func (c countingEncoder) Batched() bool { return c.enc.Batched() }

// AppendBatch wraps one observer's packets; counted apart from the facts.
func (c countingEncoder) AppendBatch(dst []byte, packets []ecs.Packet) []byte {
	b := c.enc.AppendBatch(dst, packets)
	c.batches.add(len(b) - len(dst))
	return b
}

// observer is a session without a socket: an outbox of up to limit
// messages a tick (a send beyond it is dropped, as a session would drop the
// client), which the bench empties between ticks, counting what arrived. It
// counts instead of keeping the messages, so a hundred thousand of them fit
// in memory.
type observer struct {
	limit      int
	tickMsgs   int
	tickBytes  int64
	msgs       int64
	bytes      int64
	dropped    int64
	maxPerTick int
	actor      int64
}

// Send queues p like a session does, without ever blocking the tick.
func (o *observer) Send(p ecs.Packet) bool {
	if o.tickMsgs >= o.limit {
		o.dropped++
		return false
	}
	o.tickMsgs++
	o.tickBytes += int64(len(p.Bytes))
	return true
}

// drain empties the outbox, as a write loop would, and counts it.
func (o *observer) drain() (msgs, bytes int64) {
	msgs, bytes = int64(o.tickMsgs), o.tickBytes
	o.maxPerTick = max(o.maxPerTick, o.tickMsgs)
	o.tickMsgs, o.tickBytes = 0, 0
	o.msgs += msgs
	o.bytes += bytes
	return msgs, bytes
}

// nopStore takes position batches and forgets them: the bench measures the
// tick, not SQLite (persist has its own benchmarks).
type nopStore struct{}

func (nopStore) SavePositions([]ecs.SavedPosition) {}

// bench is one built world, ready to tick.
type bench struct {
	sc             Scenario
	cfg            systems.Config
	rng            *rand.Rand
	queue          *ecs.Queue
	tick           *systems.Tick
	facts, batches tally
	observers      []*observer
	walkers        []ecs.Entity // NPC walkers, retargeted directly
	walkObs        []*observer  // observer walkers, retargeted by SetTarget commands
	targets        generic.Map[ecs.Target]
	// Walkers set off at random ticks over the first stagger ticks, as
	// players do: started at once, they would all reach their v1 lead
	// points in the same tick, every few ticks, for ever.
	stagger  int
	ticks    int
	startNPC []int
	startObs []int
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
	if sc.Proto >= ecs.Protocols {
		return nil, fmt.Errorf("no protocol v%d", sc.Proto+1)
	}
	b := &bench{sc: sc, cfg: cfg, rng: rand.New(rand.NewPCG(sc.Seed, 0x71cb)), queue: ecs.NewQueue(cfg.CommandsPerTick)}
	var codecs ecs.Codecs
	for p, enc := range net.Encoders(net.Codecs(cfg.Speed)) {
		codecs[p] = countingEncoder{enc: enc, facts: &b.facts, batches: &b.batches}
	}
	var err error
	b.tick, err = systems.New(cfg, b.queue, codecs, nopStore{})
	if err != nil {
		return nil, err
	}
	w := b.tick.World
	b.targets = generic.NewMap[ecs.Target](w.ECS)

	// One tick's worth of messages fits every outbox, so nothing is dropped
	// for lack of a write loop; MaxObserverMsgs tells how much a real
	// outbox would have to hold.
	outbox := sc.Actors + cfg.FullPerTick + 64
	walking := int(float64(sc.Actors)*sc.Moving + 0.5)
	walks := make([]bool, sc.Actors)
	for _, i := range b.rng.Perm(sc.Actors)[:walking] {
		walks[i] = true
	}
	for i := range sc.Actors {
		a := ecs.Actor{ID: int64(i + 1), Name: fmt.Sprintf("actor%d", i+1), Avatar: i % (ecs.MaxAvatar + 1)}
		a.X, a.Y = b.randomPoint()
		if i < sc.Observers {
			o := &observer{limit: outbox, actor: a.ID}
			b.observers = append(b.observers, o)
			w.SpawnPlayer(a, o, sc.Proto)
			if walks[i] {
				b.walkObs = append(b.walkObs, o)
			}
			continue
		}
		e := w.SpawnActor(a)
		if walks[i] {
			b.walkers = append(b.walkers, e)
		}
	}
	b.stagger = max(20, int(math.Ceil(2*cfg.LeadAhead*float64(cfg.Rate)/cfg.Speed)))
	for range b.walkers {
		b.startNPC = append(b.startNPC, b.rng.IntN(b.stagger))
	}
	for range b.walkObs {
		b.startObs = append(b.startObs, b.rng.IntN(b.stagger))
	}
	b.between()
	return b, nil
}

func (b *bench) randomPoint() (x, y float64) {
	bd := b.cfg.Bounds
	return bd.MinX + b.rng.Float64()*(bd.MaxX-bd.MinX), bd.MinY + b.rng.Float64()*(bd.MaxY-bd.MinY)
}

// walk gives an NPC a new target, as the input system would a player.
func (b *bench) walk(t *ecs.Target) {
	x, y := b.randomPoint()
	*t = ecs.Target{X: x, Y: y, Moving: true, Seq: t.Seq + 1}
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
	for i, e := range b.walkers {
		if t := b.targets.Get(e); !t.Moving && b.ticks >= b.startNPC[i] {
			b.walk(t)
		}
	}
	for i, o := range b.walkObs {
		if !b.targets.Get(b.tick.World.Actors[o.actor]).Moving && b.ticks >= b.startObs[i] {
			b.retarget(o)
		}
	}
	b.ticks++
	return msgs, bytes
}

// autoWarmup is enough ticks for the interest system to show every observer
// everything in its view, FullPerTick actors a tick, plus a few rechecks.
func (b *bench) autoWarmup() int {
	if b.sc.Observers == 0 {
		return b.stagger + 20
	}
	visible := float64(b.sc.Actors)
	if r := b.cfg.ViewRadius; r > 0 {
		bd := b.cfg.Bounds
		area := (bd.MaxX - bd.MinX) * (bd.MaxY - bd.MinY)
		visible = min(visible, float64(b.sc.Actors)*math.Pi*(r+b.cfg.ViewMargin)*(r+b.cfg.ViewMargin)/area)
	}
	return max(b.stagger+20, int(visible)/b.cfg.FullPerTick+3*b.cfg.InterestEvery+10)
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
	if sc.Warmup < 0 {
		sc.Warmup = b.autoWarmup()
	}
	r := Result{
		Actors: sc.Actors, Moving: sc.Moving, Walkers: len(b.walkers) + len(b.walkObs), Observers: sc.Observers,
		Proto: int(sc.Proto) + 1, World: b.cfg.Bounds.MaxX - b.cfg.Bounds.MinX, ViewRadius: b.cfg.ViewRadius,
		Ticks: sc.Ticks, Warmup: sc.Warmup, Rate: b.cfg.Rate,
		GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
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
	b.facts.take()
	b.batches.take()
	for _, o := range b.observers {
		o.maxPerTick, o.dropped = 0, 0
	}

	m.allocs = sc.Allocs
	per := make([]series, len(b.tick.Stages))
	var whole series
	var facts, batches, out tally
	for i := range sc.Ticks {
		d := m.step(b.tick, per)
		whole.durations = append(whole.durations, d)
		if d > b.tick.Period() {
			r.Overruns++
		}
		f, bt := b.facts.take(), b.batches.take()
		facts.msgs, facts.bytes = facts.msgs+f.msgs, facts.bytes+f.bytes
		batches.msgs, batches.bytes = batches.msgs+bt.msgs, batches.bytes+bt.bytes
		om, ob := b.between()
		out.msgs, out.bytes = out.msgs+om, out.bytes+ob
		report("tick", i+1, sc.Ticks, d)
	}

	for i, s := range b.tick.Stages {
		r.Stages = append(r.Stages, per[i].summarize(s.Name, sc.Actors))
		whole.allocs += per[i].allocs
		whole.bytes += per[i].bytes
	}
	r.Tick = whole.summarize("tick", sc.Actors)
	if n := float64(sc.Ticks); n > 0 {
		r.EncodedMsgs, r.EncodedBytes = float64(facts.msgs)/n, float64(facts.bytes)/n
		r.BatchMsgs, r.BatchBytes = float64(batches.msgs)/n, float64(batches.bytes)/n
		r.DeliveredMsgs, r.DeliveredBytes = float64(out.msgs)/n, float64(out.bytes)/n
	}
	for _, o := range b.observers {
		r.MaxObserverMsgs = max(r.MaxObserverMsgs, o.maxPerTick)
		r.Dropped += o.dropped
	}
	return r, nil
}
