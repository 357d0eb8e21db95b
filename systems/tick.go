package systems

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
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
	// FlushEvery is how often positions are handed to the store.
	FlushEvery time.Duration
	// CommandsPerTick caps the commands applied in one tick.
	CommandsPerTick int
	// CellSize is the side of a cell of the world's grid: facts are
	// published per cell.
	CellSize float64
	// Mods are the game's mods: their systems run in the tick, their
	// commands in input, their components travel with their entities.
	Mods *mod.Registry
	// Panicked hears of a mod command's handler that panicked (see Input).
	Panicked func(command string, v any, stack []byte)
}

// Step is how far an actor walks in one tick.
func (c Config) Step() float64 { return c.Speed / float64(c.Rate) }

// Period is the wall time of one tick.
func (c Config) Period() time.Duration { return time.Second / time.Duration(c.Rate) }

// ticks is how many ticks last at least d.
func (c Config) ticks(d time.Duration) int {
	return max(1, int((d+c.Period()-1)/c.Period()))
}

// rememberDepartures is how long a departed actor's position is kept for a
// login already in flight: far longer than a login takes to reach the tick.
const rememberDepartures = time.Minute

// Timer hears how long each stage and each whole tick took. Its methods
// run on the tick goroutine and must be quick.
type Timer interface {
	StageDone(name string, d time.Duration)
	TickDone(d time.Duration, overrun bool)
}

// Tick runs the systems in their fixed order over one world: input,
// movement, facts, persist. Its goroutine, started by Run, is the only one
// that touches the world.
type Tick struct {
	World  *ecs.World
	Stages []Stage
	Timer  Timer

	cfg      Config
	queue    *ecs.Queue
	input    *Input
	movement *Movement
	persist  *Persist
	halt     chan chan uint64
	halted   bool
	exited   chan struct{} // closed when Run returns
}

// Borders are what the tick of one region of a world split into regions
// needs: which cells are its own, where actors that walk out of them go,
// and who takes the commands about actors it no longer holds.
type Borders struct {
	Owns   func(ecs.CellKey) bool
	Out    ecs.Departures
	Strays ecs.Strays
	// Index numbers the region among the world's, so the ids it issues to
	// entities no player plays are its own.
	Index int
}

// New builds the production pipeline over an empty world, publishing its
// facts to bus and its positions to store.
func New(cfg Config, q *ecs.Queue, bus ecs.Publisher, store ecs.PositionStore) (*Tick, error) {
	return NewRegion(cfg, q, bus, store, Borders{})
}

// NewRegion builds the pipeline of one region of a world split into
// regions (r.Owns set), with a hand-off stage between movement and facts.
func NewRegion(cfg Config, q *ecs.Queue, bus ecs.Publisher, store ecs.PositionStore, r Borders) (*Tick, error) {
	if cfg.Rate <= 0 || cfg.Speed <= 0 || cfg.FlushEvery <= 0 || cfg.CommandsPerTick <= 0 || cfg.CellSize <= 0 ||
		cfg.Bounds.MinX >= cfg.Bounds.MaxX || cfg.Bounds.MinY >= cfg.Bounds.MaxY {
		return nil, fmt.Errorf("systems: invalid config %+v", cfg)
	}
	w := ecs.NewWorld(cfg.CellSize, cfg.Step())
	w.IDs = ecs.NewIDs(r.Index, time.Now())
	w.Rate, w.Bounds, w.Region = cfg.Rate, cfg.Bounds, r.Owns
	for _, c := range cfg.Mods.Carriers(w) {
		w.Carry(c)
	}
	t := &Tick{
		World: w,
		cfg:   cfg,
		queue: q,
		input: &Input{Queue: q, Store: store, Bounds: cfg.Bounds, Max: cfg.CommandsPerTick, Remember: uint64(cfg.ticks(rememberDepartures)),
			Strays: r.Strays, Commands: cfg.Mods.Commands(), Panicked: cfg.Panicked},
		movement: &Movement{},
		persist:  &Persist{Store: store, Every: cfg.ticks(cfg.FlushEvery)},
		halt:     make(chan chan uint64),
		exited:   make(chan struct{}),
	}
	t.Stages = append([]Stage{{"input", t.input}}, t.after(mod.AfterInput)...)
	t.Stages = append(append(t.Stages, Stage{"movement", t.movement}), t.after(mod.AfterMovement)...)
	if r.Owns != nil {
		t.Stages = append(t.Stages, Stage{"handoff", &Handoff{Owns: r.Owns, Out: r.Out}})
	}
	t.Stages = append(t.Stages, Stage{"facts", &Facts{Bus: bus}}, Stage{"persist", t.persist})
	for _, s := range t.Stages {
		s.System.Initialize(w)
	}
	return t, nil
}

// after returns the mods' stages that follow the core stage core.
func (t *Tick) after(core string) []Stage {
	var stages []Stage
	for _, s := range t.cfg.Mods.Stages() {
		if s.After == core {
			stages = append(stages, Stage{Name: s.Name, System: s.System})
		}
	}
	return stages
}

// Advance runs one tick: every stage once, reporting durations to the
// Timer if set. A halted tick still applies commands and publishes
// their facts, but nobody walks.
func (t *Tick) Advance() {
	t.World.Tick++
	if t.Timer == nil {
		for _, s := range t.Stages {
			if !t.halted || s.System != t.movement {
				s.System.Update(t.World)
			}
		}
		return
	}
	start := time.Now()
	for _, st := range t.Stages {
		if t.halted && st.System == t.movement {
			continue
		}
		began := time.Now() // after the last StageDone, so its time is no stage's
		st.System.Update(t.World)
		t.Timer.StageDone(st.Name, time.Since(began))
	}
	d := time.Since(start)
	t.Timer.TickDone(d, d > t.Period())
}

// Period is the wall time of one tick.
func (t *Tick) Period() time.Duration { return t.cfg.Period() }

// Halt stops every walk where it stands, publishes the stops in one more
// tick and returns that tick, so a shutdown can let every client hear the
// final positions before the connections close. From then on nobody walks;
// logouts are still applied. It waits for the running tick goroutine, or
// until ctx ends.
func (t *Tick) Halt(ctx context.Context) (uint64, error) {
	reply := make(chan uint64, 1)
	select {
	case t.halt <- reply:
		return <-reply, nil
	case <-t.exited:
		return t.World.Tick, errors.New("systems: halt: the tick has stopped")
	case <-ctx.Done():
		return 0, fmt.Errorf("systems: halt: %w", ctx.Err())
	}
}

// SystemPanic is the error Run returns when a system panicked: the world
// may be half-updated, so the tick stops rather than run on it, after
// handing every position to the store.
type SystemPanic struct {
	Value any
	Stack []byte
}

func (p *SystemPanic) Error() string { return fmt.Sprintf("systems: a system panicked: %v", p.Value) }

// Run ticks on the world's clock until ctx ends: tick n is due n periods
// after the Unix epoch, in every process, so a walk published by one
// region means the same to every other. A tick that ran late is followed
// at once by the next; a tick more than a second behind the clock jumps
// ahead and publishes every walk under way afresh. When ctx ends it stops
// the command queue, applies what was still queued (logouts above all) and
// hands every unsaved position to the store, so nothing walked is lost on
// shutdown. A panic in a system ends it with a *SystemPanic, positions
// handed to the store all the same.
func (t *Tick) Run(ctx context.Context) (err error) {
	defer close(t.exited)
	defer func() {
		if v := recover(); v != nil {
			err = &SystemPanic{Value: v, Stack: debug.Stack()}
			t.queue.Stop()
			t.flush()
		}
	}()
	period := int64(t.Period())
	due := func() uint64 { return uint64(time.Now().UnixNano() / period) }
	t.World.Tick = max(t.World.Tick, due()-1)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			t.stop()
			return nil
		case reply := <-t.halt:
			t.movement.stopAll(t.World)
			t.halted = true
			t.Advance() // publishes the stops
			reply <- t.World.Tick
		case <-timer.C:
			now := due()
			if now > t.World.Tick+uint64(t.cfg.Rate) {
				t.World.Tick = now - 1
				t.movement.rebase(t.World)
			}
			if now > t.World.Tick {
				t.Advance()
			}
			timer.Reset(time.Until(time.Unix(0, int64(t.World.Tick+1)*period)))
		}
	}
}

func (t *Tick) stop() {
	t.queue.Stop()
	t.halted = true
	for t.queue.Len() > 0 {
		t.Advance()
	}
	t.flush()
}

// flush hands what the systems still hold to the store: positions, and
// whatever mods' systems keep for their own tables.
func (t *Tick) flush() {
	t.persist.Flush(t.World)
	for _, s := range t.Stages {
		if f, ok := s.System.(mod.Flusher); ok {
			f.Flush(t.World)
		}
	}
}
