package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godmmo/godmmo/cmd/server/game"
	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/net/view"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/systems"
	"github.com/godmmo/godmmo/systems/mods/npcs"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
	"github.com/mlange-42/arche/generic"
)

// Scenario is one benchmark run: the world to build and how long to tick it.
type Scenario struct {
	// Actors is how many actors the world holds, observers included.
	Actors int
	// Moving is the fraction of actors walking at any time, 0 to 1. A walker
	// that arrives is sent to a new random point between ticks, through
	// the command queue as a player's click would be.
	Moving float64
	// Observers is how many of the actors are players with a view (a
	// session without a socket) speaking Proto.
	Observers int
	Proto     wire.Protocol
	// Warmup ticks run before measuring (negative: enough for the walkers to
	// set off and every observer to be shown everything in its view); Ticks
	// are measured.
	Warmup, Ticks int
	// Allocs measures heap allocations per stage. It stops the world twice
	// per stage (outside the timed region), so turning it off shortens long runs.
	Allocs bool
	// Seed makes placement and targets repeatable.
	Seed uint64
	// Config is the world; zero means game.Large.
	Config game.Config
	// NPCs is how many of the npcs mod's wanderers share the world, spawned
	// in the first warm-up tick.
	NPCs int
}

// Result is what one run measured. Its JSON form is tickbench's -json line.
type Result struct {
	Actors     int     `json:"actors"`
	Moving     float64 `json:"moving"`
	Walkers    int     `json:"walkers"`
	NPCs       int     `json:"npcs"`
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

	// Published is the cell batches the tick published per tick, and
	// Facts the facts (and snapshot entries) the bus delivered to views per
	// tick: one per watching view.
	Published float64 `json:"batches_per_tick"`
	Facts     float64 `json:"facts_delivered_per_tick"`
	// Delivery is the bus handing a tick's facts to the views, Render the
	// views (in parallel, one worker per core) turning them into their
	// clients' messages; both off the tick, as in the server.
	Delivery Stats `json:"delivery"`
	Render   Stats `json:"render"`
	// NsPerFact is delivery plus rendering per delivered fact (p50 ticks).
	NsPerFact float64 `json:"fanout_ns_per_fact"`
	// Messages is what the views rendered per tick, all observers together.
	Messages     float64 `json:"msgs_per_tick"`
	MessageBytes float64 `json:"msg_bytes_per_tick"`
	// MaxObserverMsgs is the most messages one observer got in one tick.
	MaxObserverMsgs int   `json:"max_observer_msgs_per_tick"`
	Slow            int64 `json:"slow"`

	// HeapBytes is the live heap after building the world, before ticking.
	HeapBytes uint64 `json:"heap_bytes"`
	// Setup is how long building the world and the warm-up took.
	Setup time.Duration `json:"setup_ns"`
}

// nopStore takes position batches and forgets them: the bench measures the
// tick, not SQLite (persist has its own benchmarks).
type nopStore struct{}

func (nopStore) SavePositions([]ecs.SavedPosition) {}

// observer is a player's view without a socket: what it renders is counted
// and dropped.
type observer struct {
	view       *view.View
	msgs       [][]byte
	maxPerTick int
}

// bench is one built world, ready to tick.
type bench struct {
	sc        Scenario
	cfg       game.Config
	rng       *rand.Rand
	sim       *game.Sim
	observers []*observer
	views     *view.Views
	woken     []*view.View // scratch for views.Wake
	walkers   []int64      // actors kept walking, by id (= their session)
	targets   generic.Map[ecs.Target]
	slow      atomic.Int64
	stopBus   context.CancelFunc
	busDone   chan struct{}
	// Walkers set off at random ticks over the first stagger ticks, as
	// players do: started at once, they would all reach their v1 lead
	// points in the same tick, every few ticks, for ever.
	stagger int
	ticks   int
	start   []int
}

// newBench builds the world: all actors placed at random in the bounds,
// observers among them with their views, a random Moving fraction walking.
func newBench(sc Scenario) (*bench, error) {
	cfg := sc.Config
	if cfg.Sim.Rate == 0 {
		cfg = game.Large()
	}
	if sc.Actors < 1 || sc.Observers < 0 || sc.Observers > sc.Actors {
		return nil, fmt.Errorf("want 1 or more actors and 0 to %d observers, not %d and %d", sc.Actors, sc.Actors, sc.Observers)
	}
	if sc.Moving < 0 || sc.Moving > 1 {
		return nil, fmt.Errorf("-moving must be 0 to 1, not %v", sc.Moving)
	}
	if sc.Proto >= wire.Count {
		return nil, fmt.Errorf("no protocol v%d", sc.Proto+1)
	}
	cfg.Sim.CommandsPerTick = max(cfg.Sim.CommandsPerTick, sc.Actors)
	mods := []mod.Mod{tutorial.Mod(tutorial.DefaultConfig())}
	if sc.NPCs > 0 {
		n := npcs.DefaultConfig()
		n.Count, n.Area, n.Seed = sc.NPCs, cfg.Sim.Bounds, sc.Seed
		mods = append(mods, npcs.Mod(n))
	}
	cfg.Mods = mod.NewRegistry()
	if err := cfg.Mods.Add(mods...); err != nil {
		return nil, err
	}
	sim, err := game.NewSim(cfg, nopStore{})
	if err != nil {
		return nil, err
	}
	b := &bench{sc: sc, cfg: cfg, rng: rand.New(rand.NewPCG(sc.Seed, 0x71cb)), sim: sim, busDone: make(chan struct{})}
	w := sim.Tick.World
	b.targets = generic.NewMap[ecs.Target](w.ECS)
	b.views = view.NewViews(sim.Bus, cfg.View())
	codec := wire.New(sc.Proto, cfg.Wire)
	walking := int(float64(sc.Actors)*sc.Moving + 0.5)
	walks := make([]bool, sc.Actors)
	for _, i := range b.rng.Perm(sc.Actors)[:walking] {
		walks[i] = true
	}
	for i := range sc.Actors {
		a := ecs.Actor{ID: int64(i + 1), Name: fmt.Sprintf("actor%d", i+1), Avatar: i % (ecs.MaxAvatar + 1)}
		a.X, a.Y = b.randomPoint()
		e := w.Spawn(a, uint64(a.ID))
		if i < sc.Observers {
			o := &observer{}
			o.view = b.views.New(codec.NewRenderer(), w.State(e), w.Tick, "", func(view.End) { b.slow.Add(1) })
			b.observers = append(b.observers, o)
		}
		if walks[i] {
			b.walkers = append(b.walkers, a.ID)
			b.start = append(b.start, 0)
		}
	}
	b.stagger = max(20, int(math.Ceil(2*cfg.Wire.LeadAhead*float64(cfg.Sim.Rate)/cfg.Sim.Speed)))
	for i := range b.start {
		b.start[i] = b.rng.IntN(b.stagger)
	}
	ctx, stop := context.WithCancel(context.Background())
	b.stopBus = stop
	go func() { defer close(b.busDone); sim.Bus.Run(ctx) }() //nolint:errcheck // Run only returns nil
	return b, nil
}

// close stops the bus.
func (b *bench) close() {
	b.stopBus()
	<-b.busDone
}

func (b *bench) randomPoint() (x, y float64) {
	bd := b.cfg.Sim.Bounds
	return bd.MinX + b.rng.Float64()*(bd.MaxX-bd.MinX), bd.MinY + b.rng.Float64()*(bd.MaxY-bd.MinY)
}

// between runs between ticks, outside the measurement: it keeps the walkers
// walking, with a click each as their connection would send it.
func (b *bench) between() {
	w := b.sim.Tick.World
	for i, id := range b.walkers {
		if b.ticks < b.start[i] || b.sim.Queue.Len() >= b.cfg.Sim.CommandsPerTick {
			continue
		}
		if t := b.targets.Get(w.Actors[id]); !t.Moving {
			x, y := b.randomPoint()
			//nolint:errcheck // the queue has room and is never stopped here
			b.sim.Queue.Push(context.Background(), tutorial.Target(uint64(id), id, x, y))
		}
	}
	b.ticks++
}

// fanOut waits for the bus to deliver tick, then renders every view that
// got something (or has time-driven work), one worker per core, as the
// sessions' write loops would. It returns both durations and what was
// rendered.
func (b *bench) fanOut(tick uint64) (deliver, render time.Duration, msgs, bytes int64) {
	start := time.Now()
	if err := b.sim.Bus.Await(context.Background(), tick); err != nil {
		panic(err) // cannot happen: the context never ends
	}
	b.woken = b.views.Wake(tick, b.woken)
	deliver = time.Since(start)
	start = time.Now()
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var total, size atomic.Int64
	for k := range workers {
		wg.Go(func() {
			var m, n int64
			for i := k; i < len(b.observers); i += workers {
				o := b.observers[i]
				select {
				case <-o.view.Ready():
				default:
					continue
				}
				o.msgs = o.view.Render(o.msgs[:0])
				o.maxPerTick = max(o.maxPerTick, len(o.msgs))
				for _, msg := range o.msgs {
					m++
					n += int64(len(msg))
				}
				clear(o.msgs)
			}
			total.Add(m)
			size.Add(n)
		})
	}
	wg.Wait()
	return deliver, time.Since(start), total.Load(), size.Load()
}

// autoWarmup is enough ticks for every observer to be shown everything in
// its view, its protocol's newcomers a tick, plus the walkers' stagger.
func (b *bench) autoWarmup() int {
	if b.sc.Observers == 0 {
		return b.stagger + 20
	}
	visible := float64(b.sc.Actors)
	if r := b.cfg.ViewRadius; r > 0 {
		bd := b.cfg.Sim.Bounds
		area := (bd.MaxX - bd.MinX) * (bd.MaxY - bd.MinY)
		side := 2 * (r + b.cfg.ViewMargin + b.cfg.Sim.CellSize)
		visible = min(visible, float64(b.sc.Actors)*side*side/area)
	}
	per := b.cfg.Wire.NewcomersPerTick
	if b.sc.Proto == wire.V2 {
		per *= 8
	}
	return max(b.stagger+20, int(visible)/per+10)
}

// measurer times each stage and, if asked, counts its allocations.
type measurer struct {
	allocs bool
	before runtime.MemStats
	after  runtime.MemStats
}

// step runs one tick as systems.Tick.Step does, timing each stage; the
// allocation counting stays outside the timing.
func (m *measurer) step(t *systems.Tick, per []series) (total time.Duration) {
	t.World.Tick++
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
	defer b.close()
	if sc.Warmup < 0 {
		sc.Warmup = b.autoWarmup()
	}
	tick := b.sim.Tick
	r := Result{
		Actors: sc.Actors, Moving: sc.Moving, Walkers: len(b.walkers), NPCs: sc.NPCs, Observers: sc.Observers,
		Proto: int(sc.Proto) + 1, World: b.cfg.Sim.Bounds.MaxX - b.cfg.Sim.Bounds.MinX, ViewRadius: b.cfg.ViewRadius,
		Ticks: sc.Ticks, Warmup: sc.Warmup, Rate: b.cfg.Sim.Rate,
		GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
	}

	m := &measurer{}
	warm := make([]series, len(tick.Stages))
	for i := range sc.Warmup {
		last := m.step(tick, warm)
		b.fanOut(tick.World.Tick)
		b.between()
		report("warm-up", i+1, sc.Warmup, last)
	}
	r.Setup = time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapBytes = ms.HeapAlloc
	for _, o := range b.observers {
		o.maxPerTick = 0
	}
	before := b.sim.Bus.Stats()

	m.allocs = sc.Allocs
	per := make([]series, len(tick.Stages))
	var whole, delivery, render series
	var msgs, bytes int64
	for i := range sc.Ticks {
		d := m.step(tick, per)
		whole.durations = append(whole.durations, d)
		if d > tick.Period() {
			r.Overruns++
		}
		dd, rd, n, sz := b.fanOut(tick.World.Tick)
		delivery.durations = append(delivery.durations, dd)
		render.durations = append(render.durations, rd)
		msgs, bytes = msgs+n, bytes+sz
		b.between()
		report("tick", i+1, sc.Ticks, d)
	}

	for i, s := range tick.Stages {
		r.Stages = append(r.Stages, per[i].summarize(s.Name, sc.Actors))
		whole.allocs += per[i].allocs
		whole.bytes += per[i].bytes
	}
	r.Tick = whole.summarize("tick", sc.Actors)
	r.Delivery = delivery.summarize("delivery", sc.Actors)
	r.Render = render.summarize("render", sc.Actors)
	after := b.sim.Bus.Stats()
	if n := float64(sc.Ticks); n > 0 {
		r.Published = float64(after.Published-before.Published) / n
		r.Facts = float64(after.Facts-before.Facts) / n
		r.Messages, r.MessageBytes = float64(msgs)/n, float64(bytes)/n
	}
	if r.Facts > 0 {
		r.NsPerFact = float64(r.Delivery.P50+r.Render.P50) / r.Facts
	}
	for _, o := range b.observers {
		r.MaxObserverMsgs = max(r.MaxObserverMsgs, o.maxPerTick)
	}
	r.Slow = b.slow.Load()
	return r, nil
}
