// Package net is the server's edge: the WebSocket endpoint and one session
// per connection. Sessions turn packets into commands for the tick and, once
// their player is in the world, write what its view renders; they never
// touch the world. The protocols live in net/wire, views in net/view, the
// bus that carries the tick's facts to them in net/bus.
package net

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	stdnet "net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net/auth"
	"github.com/godmmo/godmmo/net/bus"
	"github.com/godmmo/godmmo/net/guard"
	"github.com/godmmo/godmmo/net/held"
	"github.com/godmmo/godmmo/net/operate"
	"github.com/godmmo/godmmo/net/resume"
	"github.com/godmmo/godmmo/net/view"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist"
	"golang.org/x/time/rate"
)

// Options configures a Server. Zero fields take the defaults in
// DefaultOptions.
type Options struct {
	// BcryptCost is the bcrypt work factor for new passwords.
	BcryptCost int
	// HashWorkers is how many password hashes run at once (default: cores).
	HashWorkers int
	// HashQueue is how many logins may wait for a hashing slot before new
	// ones are told the server is busy.
	HashQueue int
	// SpawnX, SpawnY is where new accounts' actors start, at random within
	// SpawnSpread of it so that they don't stack.
	SpawnX, SpawnY, SpawnSpread float64
	// Outbox and OutboxBytes bound the messages, and their bytes, that may
	// wait for one client before it is dropped as too slow.
	Outbox      int
	OutboxBytes int
	// ReadLimit is the largest message accepted, in bytes; larger ones close
	// the connection with 1009.
	ReadLimit int64
	// PacketsPerSecond and PacketBurst bound one client's packets; above
	// them it is closed for flooding.
	PacketsPerSecond float64
	PacketBurst      int
	// BadPerSecond and BadBurst bound one client's refused packets.
	BadPerSecond float64
	BadBurst     int
	// PingInterval and PingTimeout detect dead peers: a ping unanswered for
	// PingTimeout closes the connection.
	PingInterval, PingTimeout time.Duration
	// WriteTimeout bounds the writing of one burst of queued messages.
	WriteTimeout time.Duration
	// ResumeGrace is how long a v2 player's actor waits in the world after
	// its connection dropped, for a resume; negative: no resuming.
	ResumeGrace time.Duration
	// OriginPatterns are the browser origins (host patterns) allowed besides
	// the server's own host. Requests without an Origin header, or with a
	// non-web one, are native clients and always allowed.
	OriginPatterns []string
	// Wire is what the protocols' policies need (tick rate, lead points,
	// the mods' commands, messages and kinds).
	Wire wire.Config
	// View is the shape of every player's view.
	View view.Config
	// Metrics hears what happens at the edge; nil counts nothing. One that
	// is also a guard.OpsMetrics hears the limits' and operators' counts.
	Metrics Metrics
	// Limits bound connections, logins, registrations and chat; nil: guard.DefaultLimits.
	Limits *guard.Limits
	// World carries operators' actions to every process of a world split
	// over processes; nil: this process is the world.
	World operate.World
	// Process names this process to operators, in a world split over processes.
	Process string
}

// DefaultOptions are the settings the server runs with unless told otherwise.
func DefaultOptions() Options {
	return Options{
		BcryptCost:       10,
		HashWorkers:      runtime.GOMAXPROCS(0),
		HashQueue:        1024,
		Outbox:           4096,
		OutboxBytes:      1 << 20,
		ReadLimit:        4096,
		PacketsPerSecond: 60,
		PacketBurst:      120,
		BadPerSecond:     2,
		BadBurst:         20,
		PingInterval:     15 * time.Second,
		PingTimeout:      15 * time.Second,
		WriteTimeout:     10 * time.Second,
		ResumeGrace:      30 * time.Second,
		Wire:             wire.DefaultConfig(),
	}
}

// Server accepts WebSocket connections and runs one session for each. It is
// an http.Handler for the game endpoint.
type Server struct {
	opts    Options
	queue   Commands
	bus     bus.Bus
	views   *view.Views
	store   *persist.Store
	log     *slog.Logger
	codecs  [wire.Count]wire.Codec
	hash    *auth.Hasher
	resume  *resume.Tickets
	logins  atomic.Uint64 // numbers each login, for Command.Login
	metrics Metrics
	badLog  *rate.Limiter
	guard   *guard.Guard // limits, bans and mutes
	ops     *operate.Operators

	ctx    context.Context // the server's lifetime; sessions derive from it
	cancel context.CancelFunc
	mu     sync.Mutex
	live   map[*session]struct{}
	closed bool
	clock  chan struct{} // closed when the views' clock has stopped
	bursts sync.Pool     // write buffers, lent to a connection for one burst
	rand   *rand.Rand    // spawn points; guarded by mu
	wg     sync.WaitGroup
}

// Commands carries sessions' commands to the tick that holds their actors:
// the world's own queue in one process, the cluster's router across many.
type Commands interface {
	// Push queues c, waiting while the queue is full until ctx ends; it
	// fails with ecs.ErrStopped once the tick has stopped, and with
	// ecs.ErrUnreachable when the region that would take c cannot be reached.
	Push(ctx context.Context, c ecs.Command) error
}

// NewServer makes a server that sends commands to q, shows players the
// world through b and keeps accounts in store.
func NewServer(q Commands, b bus.Bus, store *persist.Store, log *slog.Logger, opts Options) (*Server, error) {
	def := DefaultOptions()
	fill := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	fill(&opts.BcryptCost, def.BcryptCost)
	fill(&opts.HashWorkers, def.HashWorkers)
	fill(&opts.HashQueue, def.HashQueue)
	fill(&opts.Outbox, def.Outbox)
	fill(&opts.OutboxBytes, def.OutboxBytes)
	fill(&opts.PacketBurst, def.PacketBurst)
	fill(&opts.BadBurst, def.BadBurst)
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = def.ReadLimit
	}
	if opts.PacketsPerSecond <= 0 {
		opts.PacketsPerSecond = def.PacketsPerSecond
	}
	if opts.Wire == (wire.Config{}) {
		opts.Wire = def.Wire
	}
	if opts.Wire.Rate <= 0 || opts.Wire.LeadAhead <= opts.Wire.LeadNear || opts.Wire.LeadNear <= 0 || opts.Wire.NewcomersPerTick <= 0 {
		return nil, fmt.Errorf("net: invalid wire config %+v", opts.Wire)
	}
	if opts.View.CellSize <= 0 || opts.View.Radius < 0 || opts.View.Margin < 0 || opts.View.MaxLag == 0 || opts.View.TickPeriod <= 0 {
		return nil, fmt.Errorf("net: invalid view config %+v", opts.View)
	}
	if opts.BadPerSecond <= 0 {
		opts.BadPerSecond = def.BadPerSecond
	}
	for _, d := range []struct{ v, def *time.Duration }{
		{&opts.PingInterval, &def.PingInterval}, {&opts.PingTimeout, &def.PingTimeout}, {&opts.WriteTimeout, &def.WriteTimeout},
	} {
		if *d.v <= 0 {
			*d.v = *d.def
		}
	}
	if opts.ResumeGrace == 0 {
		opts.ResumeGrace = def.ResumeGrace
	}
	if opts.Metrics == nil {
		opts.Metrics = nopMetrics{}
	}
	h, err := auth.New(opts.BcryptCost, opts.HashWorkers, opts.HashQueue)
	if err != nil {
		return nil, err
	}
	om, _ := opts.Metrics.(guard.OpsMetrics)
	ctx, cancel := context.WithCancel(context.Background())
	srv := &Server{
		opts: opts, queue: q, bus: b, views: view.NewViews(b, opts.View), clock: make(chan struct{}), store: store, log: log, hash: h, metrics: opts.Metrics,
		badLog: rate.NewLimiter(5, 20), ctx: ctx, cancel: cancel, live: make(map[*session]struct{}),
		rand:  rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		guard: guard.New(opts.Limits, opts.OriginPatterns, opts.Wire.Mods.Commands(), om, log),
	}
	for p := range wire.Count {
		srv.codecs[p] = wire.New(p, opts.Wire)
	}
	// Login numbers are unique across the processes of a world, whose
	// regions hear commands from all of them.
	srv.logins.Store(uint64(rand.Uint32()) << 32)
	srv.resume = resume.New(opts.ResumeGrace, srv.logout, log)
	srv.ops = operate.New(ctx, operate.Parts{Conns: localConns{srv}, Tickets: srv.resume, Guard: srv.guard, Hasher: h,
		Store: store, World: opts.World, Process: opts.Process, Log: log})
	go func() { defer close(srv.clock); srv.views.Run(ctx) }()
	return srv, nil
}

// logout takes a login's actor out of the world. The tick must hear of it
// even while the server stops: it applies queued commands before it exits.
func (s *Server) logout(actor ecs.Actor, login uint64) {
	if err := s.queue.Push(context.Background(), ecs.Command{Kind: ecs.Despawn, Login: login, Actor: actor}); err != nil {
		s.log.Error("logout not applied", "actor", actor.ID, "err", err)
	}
	s.release(actor.ID, login)
}

// release gives up a login's claim on its account; a database that does
// not answer in time leaves the claim to expire with its lease.
func (s *Server) release(id int64, login uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.Release(ctx, id, login); err != nil {
		s.log.Error("account claim not released; it expires by itself", "actor", id, "err", err)
	}
}

// Operators is the operators' API to this server and, in a world split
// over processes, to the others.
func (s *Server) Operators() *operate.Operators { return s.ops }

// HashWaiting is how many logins wait for a password-hashing slot.
func (s *Server) HashWaiting() int64 { return s.hash.Waiting() }

// ServeHTTP upgrades the request to a WebSocket and starts its session.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	release, ok := s.guard.Admit(w, r) // bans, origin and host checks
	if !ok {
		return
	}
	served := false // once the session runs, it releases the admission
	defer func() {
		if !served {
			release()
		}
	}()
	var sess *session
	opts := &websocket.AcceptOptions{OriginPatterns: s.opts.OriginPatterns, Subprotocols: wire.Subprotocols,
		OnPingReceived: func(context.Context, []byte) bool { return sess.pinged() }}
	if guard.NativeOrigin(r.Header.Get("Origin")) {
		opts.InsecureSkipVerify = true
	}
	// Every frame counts, pings and continuations too: twice the packet
	// budget leaves room for pongs and the close.
	hw := &held.Writer{ResponseWriter: w, Spare: &s.bursts, Frames: rate.NewLimiter(rate.Limit(2*s.opts.PacketsPerSecond), 2*s.opts.PacketBurst)}
	conn, err := websocket.Accept(hw, r, opts)
	if err != nil {
		s.log.Debug("websocket upgrade refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	conn.SetReadLimit(s.opts.ReadLimit)
	sess = s.newSession(conn, hw.Conn, r.RemoteAddr, wire.Negotiated(conn.Subprotocol()))
	if sess == nil {
		conn.Close(websocket.StatusGoingAway, "server stopping") //nolint:errcheck // best effort
		return
	}
	// The session runs on a goroutine of its own (the server's wg counts
	// it), so the HTTP server's goroutine and buffers for this connection,
	// which it no longer reads, are freed.
	served = true
	go func() {
		defer release()
		defer s.forget(sess)
		sess.serve()
	}()
}

// Listener wraps the game port's listener so that every connection counts
// against the connection caps (guard.Guard.Listener).
func (s *Server) Listener(ln stdnet.Listener, answer bool) stdnet.Listener {
	return s.guard.Listener(ln, answer)
}

// Prepare loads what the server needs from the store before it serves:
// the bans in force, and the password costs in use, so that an unknown
// name costs at least as long as a wrong password (auth.Hasher.CostsInUse).
func (s *Server) Prepare(ctx context.Context) error {
	if err := s.guard.LoadBans(ctx, s.store); err != nil {
		return err
	}
	costs, err := s.store.HashCosts(ctx)
	if err != nil {
		return fmt.Errorf("net: password costs in use: %w", err)
	}
	return s.hash.CostsInUse(costs)
}

// FollowBans reads the bans from the store every period until ctx ends
// (guard.Guard.FollowBans).
func (s *Server) FollowBans(ctx context.Context, every time.Duration) {
	s.guard.FollowBans(ctx, s.store, every)
}

func (s *Server) newSession(conn *websocket.Conn, hc *held.Conn, remote string, proto wire.Protocol) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	ctx, cancel := context.WithCancel(s.ctx)
	sess := &session{
		srv: s, conn: conn, held: hc, log: s.log.With("remote", remote, "proto", proto.String()), out: newOutbox(s.opts.Outbox, s.opts.OutboxBytes),
		codec: s.codecs[proto], play: make(chan *view.View, 1),
		ctx: ctx, cancel: cancel,
		packets: rate.NewLimiter(rate.Limit(s.opts.PacketsPerSecond), s.opts.PacketBurst),
		bad:     rate.NewLimiter(rate.Limit(s.opts.BadPerSecond), s.opts.BadBurst),
		ops:     newSessionOps(remote),
	}
	s.live[sess] = struct{}{}
	s.wg.Add(1)
	return sess
}

func (s *Server) forget(sess *session) {
	s.mu.Lock()
	delete(s.live, sess)
	s.mu.Unlock()
	sess.cancel()
	s.wg.Done()
}

// Shutdown closes every connection with 1001 (going away) and waits until
// each has ended and queued its logout, or until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.resume.Stop()
	s.mu.Lock()
	s.closed = true
	for sess := range s.live {
		sess.kick(websocket.StatusGoingAway, "server shutting down")
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("net: shutdown: %w", ctx.Err())
	}
	s.cancel()
	<-s.clock
	return err
}

// spawnPoint picks where a new account starts: uniformly at random in the
// disc of SpawnSpread around the spawn point.
func (s *Server) spawnPoint() (float64, float64) {
	s.mu.Lock()
	r := s.opts.SpawnSpread * math.Sqrt(s.rand.Float64())
	a := 2 * math.Pi * s.rand.Float64()
	s.mu.Unlock()
	return s.opts.SpawnX + r*math.Cos(a), s.opts.SpawnY + r*math.Sin(a)
}

// logBad logs a refused packet, at most a few lines a second server-wide so
// a flood cannot fill the disk.
func (s *Server) logBad(log *slog.Logger, reason string) {
	s.metrics.BadPacket()
	if s.badLog.Allow() {
		log.Warn("refused packet", "reason", reason)
	}
}
