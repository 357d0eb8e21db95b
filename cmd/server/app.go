package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	stdnet "net"
	"net/http"
	"sync"
	"time"

	"github.com/godmmo/godmmo/cmd/server/game"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/net"
	"github.com/godmmo/godmmo/persist"
)

// App is the whole server: store, tick and WebSocket endpoint, wired together.
// main runs one; tests start the very same thing on a loopback port.
type App struct {
	cfg   Config
	log   *slog.Logger
	store *persist.Store
	game  *game.Game
	ln    stdnet.Listener
	http  *http.Server
	// metrics hears the edge, the tick and the store; admin serves them (nil when -admin is empty).
	metrics *Metrics
	admin   *admin
}

// NewApp opens the database and starts listening, so Addr is known before Run.
func NewApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	store, err := persist.Open(ctx, cfg.DB, log)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, store: store}
	// Claims are renewed and, after a restart, freed under the process's
	// name: its region's in a world split over processes.
	store.SetNode(cmp.Or(cfg.World.Cluster.Name, "godmmo"))
	if err := a.wire(); err != nil {
		store.Close()
		return nil, err
	}
	ln, err := stdnet.Listen("tcp", cfg.Addr)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	a.ln = a.game.Server.Listener(ln, cfg.TLSCert == "") // every connection counts against the caps

	if err := a.game.Server.Prepare(ctx); err != nil {
		a.ln.Close()
		store.Close()
		return nil, err
	}
	if cfg.Admin != "" {
		period := cfg.World.Sim.Period()
		lastTick := a.metrics.LastTick
		if a.game.Tick == nil { // a process that only holds connections: its bus delivers each tick
			lastTick = func() time.Time { return time.Unix(0, int64(a.game.Node.Now())*int64(period)) }
		}
		ready := readiness{ping: store.Ping, lastTick: lastTick, now: time.Now,
			maxAge: max(2*time.Second, 10*period), pingFailed: a.metrics.dbErrors.WithLabelValues("ping").Inc,
			lastWrite: store.LastWriteError}
		if node := a.game.Node; node != nil {
			region := cfg.World.Cluster.Region
			ready.bus = func() error {
				switch {
				case region != "" && !node.Up(region):
					return fmt.Errorf("bus: own region %s not heard from", region)
				case node.RegionsUp() == 0:
					return errors.New("bus: no region heard from")
				}
				return nil
			}
		}
		con := &console{ops: a.game.Server.Operators(), metrics: a.metrics, token: cfg.AdminToken, log: log, hosts: ownHosts(cfg.Admin)}
		if a.admin, err = newAdmin(cfg.Admin, a.metrics, ready, con, log); err != nil {
			a.ln.Close()
			store.Close()
			return nil, err
		}
	}
	return a, nil
}

func (a *App) wire() error {
	opts := net.DefaultOptions()
	opts.BcryptCost = a.cfg.BcryptCost
	opts.SpawnX, opts.SpawnY, opts.SpawnSpread = a.cfg.SpawnX, a.cfg.SpawnY, a.cfg.SpawnSpread
	opts.OriginPatterns = a.cfg.Origins
	opts.ResumeGrace = a.cfg.ResumeGrace
	if opts.ResumeGrace == 0 {
		opts.ResumeGrace = -1 // none
	}
	a.metrics = newMetrics()
	opts.Metrics = a.metrics
	opts.Limits = &a.cfg.Limits
	a.cfg.World.Mods = mod.NewRegistry()
	if err := a.cfg.World.Mods.Add(a.cfg.Mods...); err != nil {
		return err
	}
	a.metrics.knowCommands(a.cfg.World.Mods.CommandNames())
	var err error
	a.game, err = game.New(a.cfg.World, a.store, a.log, opts)
	if err != nil {
		return err
	}
	if t := a.game.Tick; t != nil {
		a.metrics.watchStages(t.Stages)
		t.Timer = a.metrics
	}
	a.store.OnFlush(a.metrics.flushed)
	queued := func() int { return 0 }
	if q := a.game.Queue; q != nil {
		queued = q.Len
	}
	a.metrics.watchQueues(a.game.Server.HashWaiting, queued)
	a.metrics.watchMods(a.game.ModPanics.Load)
	if a.game.Bus != nil {
		a.metrics.watchBus(a.game.Bus.Stats)
	}
	if a.game.Node != nil {
		a.metrics.watchCluster(a.game.Node, a.game.Region)
	}
	mux := http.NewServeMux()
	root, err := newWebHandler(a.game.Server, a.cfg.Web)
	if err != nil {
		return err
	}
	mux.Handle("/", root)
	// No ReadTimeout or WriteTimeout: they would stay on the WebSockets
	// the server hijacks. Idle keep-alives end after IdleTimeout.
	a.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second,
		MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	return nil
}

// Addr is the address the game is served on.
func (a *App) Addr() string { return a.ln.Addr().String() }

// AdminAddr is the address of the admin endpoints, or "" when disabled.
func (a *App) AdminAddr() string {
	if a.admin == nil {
		return ""
	}
	return a.admin.Addr()
}

// Run serves until ctx ends, then shuts down in order: stop accepting, stop
// every walk and let every client hear it, close every connection (1001),
// let the tick apply the logouts and stop, write every position, close the
// database.
func (a *App) Run(ctx context.Context) error {
	a.logAddresses()
	var wg sync.WaitGroup
	if a.admin != nil {
		wg.Go(func() {
			if err := a.admin.serve(); err != nil {
				a.log.Error("admin stopped", "err", err)
			}
		})
	}
	storeCtx, stopStore := context.WithCancel(context.Background())
	wg.Go(func() { a.store.Run(storeCtx) }) //nolint:errcheck // Run only returns nil
	a.game.Start()

	serveErr := make(chan error, 1)
	go func() {
		var err error
		if a.cfg.TLSCert != "" {
			err = a.http.ServeTLS(a.ln, a.cfg.TLSCert, a.cfg.TLSKey)
		} else {
			err = a.http.Serve(a.ln)
		}
		serveErr <- err
	}()

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = fmt.Errorf("serve: %w", err)
	case err := <-a.game.Failed():
		runErr = err
	}
	a.log.Info("shutting down")

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.http.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Warn("http shutdown", "err", err)
	}
	if err := a.game.Stop(shutdownCtx); err != nil {
		a.log.Warn("stopping the world", "err", err)
	}
	stopStore()
	if a.admin != nil {
		if err := a.admin.shutdown(shutdownCtx); err != nil {
			a.log.Warn("admin shutdown", "err", err)
		}
	}
	wg.Wait()
	if err := a.store.Flush(context.Background()); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("final flush: %w", err))
	}
	if err := a.store.Close(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	a.log.Info("stopped")
	return runErr
}
