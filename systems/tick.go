package systems

import (
	"context"
	"fmt"
	"time"

	"github.com/godmmo/godmmo/ecs"
)

// System is one step of the tick.
type System interface {
	Initialize(w *ecs.World)
	Update(w *ecs.World)
}

// Stage is a named system, so measurements can say which one took the time.
type Stage struct {
	Name   string
	System System
}

// Config is what the tick needs to know about the game's rules.
type Config struct {
	// Rate is ticks per second; each tick advances the world by 1/Rate seconds.
	Rate int
	// Speed is how fast actors walk, in units per second.
	Speed float64
	// Bounds is where actors may walk.
	Bounds ecs.Bounds
	// FlushEvery is how many ticks pass between position batches to the store.
	FlushEvery int
	// CommandsPerTick caps the commands applied in one tick.
	CommandsPerTick int
	// FullPerTick caps the new actors one observer is shown per tick.
	FullPerTick int
	// ViewRadius is how far a player sees, in each axis (views are squares
	// of grid cells, the radius rounded up to whole cells); 0 means everyone
	// sees everyone.
	ViewRadius float64
	// ViewMargin is how much further an actor must go before it leaves a
	// view (rounded up to whole cells), so one on the edge does not flicker
	// in and out.
	ViewMargin float64
	// InterestEvery is how many ticks pass between an unlimited view's looks
	// for actors it does not know yet.
	InterestEvery int
	// CellSize is the side of a cell of the world's grid.
	CellSize float64
	// LeadAhead is how far ahead on an actor's path the position sent to
	// v1 observers may be; it must stay below the client's 200-unit snap.
	LeadAhead float64
	// LeadNear is how close an actor gets to its lead point before the next
	// one is sent.
	LeadNear float64
}

// DefaultConfig is a large world: 20,000 units square, players seeing 600
// units around them (in 200-unit cells), 20 ticks a second, walking at 70 units a second as in
// the original game, positions handed to the store every 5 seconds.
func DefaultConfig() Config {
	return Config{
		Rate:            20,
		Speed:           70,
		Bounds:          ecs.Bounds{MinX: -10000, MinY: -10000, MaxX: 10000, MaxY: 10000},
		FlushEvery:      100,
		CommandsPerTick: 4096,
		FullPerTick:     32,
		ViewRadius:      600,
		ViewMargin:      100,
		InterestEvery:   4,
		CellSize:        200,
		LeadAhead:       120,
		LeadNear:        35,
	}
}

// RoomConfig is the tutorial's world: one room where everyone sees everyone.
func RoomConfig() Config {
	c := DefaultConfig()
	c.Bounds = ecs.Bounds{MinX: -1000, MinY: -1000, MaxX: 1000, MaxY: 1000}
	c.ViewRadius = 0
	return c
}

// Observer hears how long each stage and each whole tick took. Its methods
// run on the tick goroutine and must be quick.
type Observer interface {
	StageDone(name string, d time.Duration)
	TickDone(d time.Duration, overrun bool)
}

// Tick runs the systems in their fixed order over one world. Its goroutine,
// started by Run, is the only one that touches the world.
type Tick struct {
	World    *ecs.World
	Stages   []Stage
	Observer Observer

	cfg     Config
	queue   *ecs.Queue
	input   *Input
	persist *Persist
}

// New builds the production pipeline over an empty world: input, movement,
// interest, delta, broadcast, persist.
func New(cfg Config, q *ecs.Queue, codecs ecs.Codecs, store ecs.Mover) (*Tick, error) {
	if cfg.Rate <= 0 || cfg.FlushEvery <= 0 || cfg.CommandsPerTick <= 0 || cfg.FullPerTick <= 0 ||
		cfg.InterestEvery <= 0 || cfg.ViewRadius < 0 || cfg.ViewMargin < 0 || cfg.CellSize <= 0 ||
		cfg.LeadAhead <= cfg.LeadNear || cfg.LeadNear <= 0 {
		return nil, fmt.Errorf("systems: invalid config %+v", cfg)
	}
	w := ecs.NewWorld(cfg.CellSize)
	v := newView(cfg.ViewRadius, cfg.ViewMargin, cfg.CellSize)
	aud := newAudience(w, v)
	t := &Tick{
		World:   w,
		cfg:     cfg,
		queue:   q,
		input:   &Input{Queue: q, Codecs: codecs, Store: store, Bounds: cfg.Bounds, Max: cfg.CommandsPerTick, audience: aud},
		persist: &Persist{Store: store, Every: cfg.FlushEvery},
	}
	t.Stages = []Stage{
		{"input", t.input},
		{"movement", &Movement{Speed: cfg.Speed, DT: 1 / float64(cfg.Rate)}},
		{"interest", &Interest{Codecs: codecs, Every: cfg.InterestEvery, FullPerTick: cfg.FullPerTick, view: v, audience: aud}},
		{"delta", &Delta{Codecs: codecs, LeadAhead: cfg.LeadAhead, LeadNear: cfg.LeadNear}},
		{"broadcast", &Broadcast{Codecs: codecs, audience: aud}},
		{"persist", t.persist},
	}
	for _, s := range t.Stages {
		s.System.Initialize(w)
	}
	return t, nil
}

// Step runs every stage once, reporting durations to the Observer if set.
func (t *Tick) Step() {
	if t.Observer == nil {
		for _, s := range t.Stages {
			s.System.Update(t.World)
		}
		return
	}
	start := time.Now()
	for _, st := range t.Stages {
		began := time.Now() // after the last StageDone, so its time is no stage's
		st.System.Update(t.World)
		t.Observer.StageDone(st.Name, time.Since(began))
	}
	d := time.Since(start)
	t.Observer.TickDone(d, d > t.Period())
}

// Period is the wall time of one tick.
func (t *Tick) Period() time.Duration { return time.Second / time.Duration(t.cfg.Rate) }

// Run ticks at the configured rate until ctx ends. Then it stops the command
// queue, applies what was still queued (logouts above all) and hands every
// unsaved position to the store, so nothing walked is lost on shutdown.
func (t *Tick) Run(ctx context.Context) error {
	ticker := time.NewTicker(t.Period())
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			t.stop()
			return nil
		case <-ticker.C:
			t.Step()
		}
	}
}

func (t *Tick) stop() {
	t.queue.Stop()
	for t.queue.Len() > 0 {
		t.input.Update(t.World)
	}
	t.persist.Flush(t.World)
}
