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
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/net"
	"github.com/godmmo/godmmo/net/bus"
	"github.com/godmmo/godmmo/net/cluster"
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
	// SendNear and SendFar are how long others' news may wait to go out
	// together to a v2 client (see view.Config's Near and Far).
	SendNear, SendFar time.Duration
	// Wire is the protocols' policy.
	Wire wire.Config
	// Cluster, when its NATS URL is set, splits the world between the
	// processes that share that NATS server.
	Cluster Cluster
	// Mods are the game's mods; nil: none.
	Mods *mod.Registry
}

// Cluster is how a process takes part in a world split over processes.
type Cluster struct {
	// NATS is the NATS server's URL; empty: the whole world in this process.
	NATS string
	// World names the world on the bus.
	World string
	// Regions splits the world's cells between regions.
	Regions []cluster.Area
	// Region is the region this process simulates; empty: it only holds
	// connections.
	Region string
	// Name names the process on the bus.
	Name string
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
		SendNear:   100 * time.Millisecond,
		SendFar:    250 * time.Millisecond,
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
		TickPeriod: c.Sim.Period(), MaxLag: uint64(max(1, c.MaxLag/c.Sim.Period())), Near: c.SendNear, Far: c.SendFar}
}

// Sim is the simulation half of a world: queue, tick and the bus. In one
// process the bus is Local; in a world split over processes the bus is the
// cluster's Node, and Queue, Tick and Region are those of this process's
// region (all nil in a process that only holds connections).
type Sim struct {
	Queue  *ecs.Queue
	Tick   *systems.Tick
	Bus    *bus.Local
	Node   *cluster.Node
	Region *cluster.Region
}

// NewSim builds a world's simulation, saving positions to store.
func NewSim(cfg Config, store ecs.PositionStore) (*Sim, error) {
	q := ecs.NewQueue(cfg.Sim.CommandsPerTick)
	b := bus.NewLocal()
	cfg.Sim.Mods = cfg.Mods
	t, err := systems.New(cfg.Sim, q, b, store)
	if err != nil {
		return nil, err
	}
	return &Sim{Queue: q, Tick: t, Bus: b}, nil
}

// newClusterSim joins a world split over processes, simulating its region
// if it has one.
func newClusterSim(cfg Config, store ecs.PositionStore, log *slog.Logger) (*Sim, error) {
	c := cfg.Cluster
	regions, err := cluster.NewSplit(c.Regions, ecs.NewGrid(cfg.Sim.CellSize), cfg.Sim.Bounds)
	if err != nil {
		return nil, err
	}
	if c.Region != "" && !regions.Has(c.Region) {
		return nil, fmt.Errorf("game: region %q is not in the regions file", c.Region)
	}
	node, err := cluster.Connect(cluster.Config{URL: c.NATS, World: c.World, Regions: regions, Period: cfg.Sim.Period(), Name: c.Name}, log)
	if err != nil {
		return nil, err
	}
	sim := &Sim{Node: node}
	if c.Region == "" {
		return sim, nil
	}
	sim.Queue = ecs.NewQueue(cfg.Sim.CommandsPerTick)
	sim.Region = cluster.NewRegion(node, c.Region, sim.Queue)
	cfg.Sim.Mods = cfg.Mods
	sim.Tick, err = systems.NewRegion(cfg.Sim, sim.Queue, sim.Region, store,
		systems.Borders{Owns: sim.Region.Owns, Out: sim.Region, Strays: sim.Region, Index: slices.Index(regions.Names(), c.Region)})
	if err != nil {
		node.Close()
		return nil, err
	}
	return sim, nil
}

// Game is a whole world: the simulation and the server its players connect to.
type Game struct {
	*Sim
	Server *net.Server

	// ModPanics counts the mods' command handlers that panicked.
	ModPanics atomic.Uint64

	log      *slog.Logger
	mods     *mod.Registry
	store    *persist.Store
	wg       sync.WaitGroup // the bus's goroutines
	ticking  sync.WaitGroup // the tick's
	serving  sync.WaitGroup // the mods' services
	stopTick context.CancelFunc
	stopBus  context.CancelFunc
	stopMods context.CancelFunc
	failed   chan error
}

// New builds a world over store. opts configures the sessions; its Wire
// and View come from cfg.
func New(cfg Config, store *persist.Store, log *slog.Logger, opts net.Options) (*Game, error) {
	var (
		sim *Sim
		err error
	)
	g := &Game{log: log, mods: cfg.Mods, store: store, failed: make(chan error, 1)}
	cfg.Sim.Panicked = g.modPanicked
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	err = store.MigrateMods(ctx, cfg.Mods.Migrations())
	cancel()
	if err != nil {
		return nil, err
	}
	if cfg.Cluster.NATS != "" {
		sim, err = newClusterSim(cfg, store, log)
	} else {
		sim, err = NewSim(cfg, store)
	}
	if err != nil {
		return nil, err
	}
	opts.Wire, opts.View = cfg.Wire, cfg.View()
	opts.Wire.Rate, opts.Wire.Mods = cfg.Sim.Rate, cfg.Mods
	var (
		cmds  net.Commands = sim.Queue
		views bus.Bus      = sim.Bus
	)
	if sim.Node != nil {
		cmds, views = sim.Node, sim.Node
		opts.World, opts.Process = sim.Node, cfg.Cluster.Name
	}
	srv, err := net.NewServer(cmds, views, store, log, opts)
	if err == nil && sim.Node != nil {
		err = sim.Node.Operate(srv.Operators().Operate)
	}
	if err != nil {
		if sim.Node != nil {
			sim.Node.Close()
		}
		return nil, err
	}
	if sim.Region != nil {
		// An actor evicted because the process holding its connection fell
		// silent frees its account at once, not when the claim's lease ends.
		sim.Region.OnEvict = func(id int64, login uint64) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := store.Release(ctx, id, login); err != nil {
				log.Warn("evicted actor's claim not released; it expires by itself", "actor", id, "err", err)
			}
		}
	}
	g.Sim, g.Server = sim, srv
	return g, nil
}

// modPanicked reports a mod command's handler that panicked; the tick
// went on, and the player was denied.
func (g *Game) modPanicked(command string, v any, stack []byte) {
	g.ModPanics.Add(1)
	g.log.Error("mod command panicked", "command", command, "panic", fmt.Sprint(v), "stack", string(stack))
}

// Failed hears why the world stopped by itself: a system panicked, so the
// tick stopped (positions handed to the store) rather than run on a
// half-updated world. The process should then stop.
func (g *Game) Failed() <-chan error { return g.failed }

// Start runs the tick and the bus until Stop.
func (g *Game) Start() {
	tickCtx, stopTick := context.WithCancel(context.Background())
	busCtx, stopBus := context.WithCancel(context.Background())
	g.stopTick, g.stopBus = stopTick, stopBus
	if g.Bus != nil {
		g.wg.Go(func() { g.Bus.Run(busCtx) }) //nolint:errcheck // Run only returns nil
	}
	if g.Node != nil {
		g.wg.Go(func() { g.Node.Run(busCtx) }) //nolint:errcheck // Run only returns nil
		g.wg.Go(func() { g.Server.FollowBans(busCtx, 10*time.Second) })
	}
	if g.Region != nil {
		g.wg.Go(func() {
			if err := g.Region.Run(busCtx); err != nil {
				g.log.Error("region stopped", "err", err)
			}
		})
	}
	modCtx, stopMods := context.WithCancel(context.Background())
	g.stopMods = stopMods
	names, services := g.mods.Services()
	for i, run := range services {
		g.serving.Go(func() {
			if err := run(modCtx, g.store); err != nil {
				g.log.Error("mod service stopped", "mod", names[i], "err", err)
			}
		})
	}
	if g.Tick != nil {
		g.ticking.Go(func() {
			if err := g.Tick.Run(tickCtx); err != nil {
				var p *systems.SystemPanic
				if errors.As(err, &p) {
					g.log.Error("a system panicked: the world stops", "panic", fmt.Sprint(p.Value), "stack", string(p.Stack))
				}
				g.failed <- err
			}
		})
	}
}

// Stop ends the world in order: nobody walks any more, every client hears
// the final positions and is closed with 1001, the tick applies the
// logouts and hands every position to the store, and the bus stops. It
// returns once all that is done or ctx ends.
func (g *Game) Stop(ctx context.Context) error {
	var errs []error
	if g.Tick != nil {
		last, err := g.Tick.Halt(ctx)
		switch {
		case err != nil:
			errs = append(errs, err)
		case g.Bus != nil:
			if err := g.Bus.Await(ctx, last); err != nil {
				errs = append(errs, fmt.Errorf("game: final positions not delivered: %w", err))
			}
		}
	}
	if err := g.Server.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	g.stopTick()
	g.ticking.Wait() // its last facts still go out on the bus, its systems' last rows to the mods' services
	g.stopMods()
	g.serving.Wait()
	g.stopBus()
	g.wg.Wait()
	if g.Node != nil {
		g.Node.Close()
	}
	return errors.Join(errs...)
}
