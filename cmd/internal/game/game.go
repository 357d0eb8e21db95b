// Package game wires one world together: the command queue, the tick, the
// bus and the sessions' server. The server process, its end-to-end tests
// and the benchmark programs all build their world with it, so what they
// measure and test is what runs.
package game

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net"
	"github.com/godmmo/godmmo/net/bus"
	"github.com/godmmo/godmmo/net/view"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist"
	"github.com/godmmo/godmmo/systems"
)

// Config is one world's rules and shape.
type Config struct {
	// Sim is the tick's: rate, speed, bounds, grid, flushing.
	Sim systems.Config
	// ViewRadius and ViewMargin shape every player's view (see view.Config).
	ViewRadius, ViewMargin float64
	// MaxLag is how far behind, in time, a client may fall before it is
	// dropped as too slow.
	MaxLag time.Duration
	// Wire is the protocols' policy.
	Wire wire.Config
}

// Large is a large world: 20,000 units square, players seeing 600 units
// around them (in 200-unit cells), 20 ticks a second, walking at 70 units a
// second as in the original game, positions handed to the store every 5 s.
func Large() Config {
	return Config{
		Sim: systems.Config{
			Rate:            20,
			Speed:           70,
			Bounds:          ecs.Bounds{MinX: -10000, MinY: -10000, MaxX: 10000, MaxY: 10000},
			FlushEvery:      5 * time.Second,
			CommandsPerTick: 4096,
			CellSize:        200,
		},
		ViewRadius: 600,
		ViewMargin: 100,
		MaxLag:     5 * time.Second,
		Wire:       wire.DefaultConfig(),
	}
}

// Room is the tutorial's world: one 2,000-unit room where everyone sees everyone.
func Room() Config {
	c := Large()
	c.Sim.Bounds = ecs.Bounds{MinX: -1000, MinY: -1000, MaxX: 1000, MaxY: 1000}
	c.ViewRadius = 0
	return c
}

// View is the view configuration the sessions get.
func (c Config) View() view.Config {
	return view.Config{Radius: c.ViewRadius, Margin: c.ViewMargin, CellSize: c.Sim.CellSize, Bounds: c.Sim.Bounds,
		TickPeriod: c.Sim.Period(), MaxLag: uint64(max(1, c.MaxLag/c.Sim.Period()))}
}

// Sim is the simulation half of a world: queue, tick and the in-process bus.
type Sim struct {
	Queue *ecs.Queue
	Tick  *systems.Tick
	Bus   *bus.Local
}

// NewSim builds a world's simulation, saving positions to store.
func NewSim(cfg Config, store ecs.PositionStore) (*Sim, error) {
	q := ecs.NewQueue(cfg.Sim.CommandsPerTick)
	b := bus.NewLocal()
	t, err := systems.New(cfg.Sim, q, b, store)
	if err != nil {
		return nil, err
	}
	return &Sim{Queue: q, Tick: t, Bus: b}, nil
}

// Game is a whole world: the simulation and the server its players connect to.
type Game struct {
	*Sim
	Server *net.Server

	wg       sync.WaitGroup
	stopTick context.CancelFunc
	stopBus  context.CancelFunc
}

// New builds a world over store. opts configures the sessions; its Wire
// and View come from cfg.
func New(cfg Config, store *persist.Store, log *slog.Logger, opts net.Options) (*Game, error) {
	sim, err := NewSim(cfg, store)
	if err != nil {
		return nil, err
	}
	opts.Wire, opts.View = cfg.Wire, cfg.View()
	srv, err := net.NewServer(sim.Queue, sim.Bus, store, log, opts)
	if err != nil {
		return nil, err
	}
	return &Game{Sim: sim, Server: srv}, nil
}

// Start runs the tick and the bus until Stop.
func (g *Game) Start() {
	tickCtx, stopTick := context.WithCancel(context.Background())
	busCtx, stopBus := context.WithCancel(context.Background())
	g.stopTick, g.stopBus = stopTick, stopBus
	g.wg.Go(func() { g.Bus.Run(busCtx) })   //nolint:errcheck // Run only returns nil
	g.wg.Go(func() { g.Tick.Run(tickCtx) }) //nolint:errcheck // Run only returns nil
}

// Stop ends the world in order: nobody walks any more, every client hears
// the final positions and is closed with 1001, the tick applies the
// logouts and hands every position to the store, and the bus stops. It
// returns once all that is done or ctx ends.
func (g *Game) Stop(ctx context.Context) error {
	var errs []error
	if last, err := g.Tick.Halt(ctx); err != nil {
		errs = append(errs, err)
	} else if err := g.Bus.Await(ctx, last); err != nil {
		errs = append(errs, fmt.Errorf("game: final positions not delivered: %w", err))
	}
	if err := g.Server.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	g.stopTick()
	g.stopBus()
	g.wg.Wait()
	return errors.Join(errs...)
}
