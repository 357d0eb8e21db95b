// Package cluster carries one world over several processes, on NATS. Each
// process is a Node: it holds client connections, mirrors the cells its
// players' views watch (whichever region owns them) and routes its
// players' commands to the region that holds each actor. A process that
// also simulates a region runs a Region beside its Node: it publishes the
// region's facts per cell, answers snapshot requests, takes commands and
// hands actors to its neighbours as they walk over a border.
//
// Subjects, under "godmmo.<world>":
//
//	cell.<x>.<y>          a cell's batches of facts, from the region that owns it
//	region.<name>.cmd     commands and hand-offs for a region, in order
//	region.<name>.snap    snapshot requests for a region's cells
//	alive.<name>          a region's heartbeat
//	procs                 every process's heartbeat (regions evict the actors of silent ones)
//	ops                   operators' actions, asked of every process
//
// Core NATS delivers at most once: what must not be lost (a hand-off, a
// login) is a request with an answer, retried; facts are numbered per cell,
// so a subscriber that misses one notices and asks for a fresh snapshot.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net/bus"
	"github.com/nats-io/nats.go"
)

// Config is what every process of a world must agree on, and how this one
// reaches the others.
type Config struct {
	// URL is the NATS server's.
	URL string
	// World names the world: its subjects are under godmmo.<World>.
	World string
	// Regions splits the world's cells between regions.
	Regions *Split
	// Period is the tick's period: a Node delivers its mirrored cells'
	// batches to views once a period.
	Period time.Duration
	// Name names this process's NATS connection, for the NATS server's
	// monitoring.
	Name string
	// DeadAfter is how long a region may stay silent before its actors are
	// taken out of every view (default 3 s).
	DeadAfter time.Duration
	// Timeout bounds a login's or a hand-off's request (default 2 s).
	Timeout time.Duration
}

// heartbeat is how often a region says it is alive when its tick does not
// (it says so after every tick's facts).
const heartbeat = 250 * time.Millisecond

// subjects names a world's subjects.
type subjects string

func (s subjects) cell(k ecs.CellKey) string {
	return string(s) + ".cell." + strconv.Itoa(int(k.X)) + "." + strconv.Itoa(int(k.Y))
}
func (s subjects) cmd(region string) string  { return string(s) + ".region." + region + ".cmd" }
func (s subjects) snap(region string) string { return string(s) + ".region." + region + ".snap" }
func (s subjects) alive(region string) string {
	return string(s) + ".alive." + region
}
func (s subjects) procs() string { return string(s) + ".procs" }
func (s subjects) ops() string   { return string(s) + ".ops" }

// Node is one process's place in a world split over processes. It is the
// session side's bus (views subscribe to cells through it) and its
// commands' router. Connect makes one, Run delivers, Close ends it.
type Node struct {
	cfg  Config
	nc   *nats.Conn
	subj subjects
	log  *slog.Logger

	ctx    context.Context // ends at Close; requests in flight end with it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	fan   *bus.Fanout
	in    chan *nats.Msg // mirrored cells' batches, snapshot answers, heartbeats
	inbox string         // prefix of this node's snapshot answers' subjects, with its dot
	inc   uint64         // this process's incarnation, in its heartbeats and logins
	peers *peers         // the processes heard from
	now   atomic.Uint64
	resub chan struct{} // the connection came back: every cell starts over

	mu       sync.Mutex
	requests []viewRequest
	owners   map[int64]string // the region that holds each actor, as far as this node heard
	up       map[string]bool  // regions heard from lately
	stats    Stats

	// The delivering goroutine's state.
	cells   map[ecs.CellKey]*mirror
	bySub   map[*nats.Subscription]*mirror
	byAsk   map[uint64]*mirror
	asks    uint64
	life    map[string]*life
	batches []*bus.Batch
}

// viewRequest is a view's subscription or unsubscription, applied by Run.
type viewRequest struct {
	cell      ecs.CellKey
	sub       bus.Subscriber
	subscribe bool
}

// life is what a node knows of one region's heartbeat.
type life struct {
	inc  uint64
	tick uint64 // the last tick it said it published
	last time.Time
	dead bool
}

// mirror is a node's copy of one cell that some local view watches.
type mirror struct {
	key    ecs.CellKey
	region string
	sub    *nats.Subscription
	views  int
	held   []bus.Subscriber // views waiting for the first snapshot
	synced bool
	inc    uint64
	seq    uint64
	actors map[int64]ecs.ActorState // as handed to the fanout
	early  []batchMsg               // batches that came before the snapshot
	ask    uint64                   // the snapshot request in flight, 0: none
	asked  time.Time
}

// Connect connects to NATS. The connection reconnects by itself, forever;
// Run resubscribes every mirrored cell when it comes back.
func Connect(cfg Config, log *slog.Logger) (*Node, error) {
	if cfg.DeadAfter <= 0 {
		cfg.DeadAfter = 3 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Regions == nil || cfg.Period <= 0 || cfg.World == "" || strings.ContainsAny(cfg.World, ".*> \t") {
		return nil, fmt.Errorf("cluster: invalid config: world %q, period %v", cfg.World, cfg.Period)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{cfg: cfg, subj: subjects("godmmo." + cfg.World), log: log, ctx: ctx, cancel: cancel,
		fan: bus.NewFanout(), in: make(chan *nats.Msg, 1<<16), resub: make(chan struct{}, 1),
		owners: make(map[int64]string), up: make(map[string]bool),
		cells: make(map[ecs.CellKey]*mirror), bySub: make(map[*nats.Subscription]*mirror),
		byAsk: make(map[uint64]*mirror), life: make(map[string]*life), inc: rand.Uint64() | 1, peers: newPeers()}
	nc, err := dial(cfg, log, func() {
		select {
		case n.resub <- struct{}{}:
		default:
		}
	}, n.slowConsumer)
	if err != nil {
		cancel()
		return nil, err
	}
	n.nc = nc
	n.inbox = nats.NewInbox() + "."
	for _, s := range []string{n.inbox + "*", string(n.subj) + ".alive.*", n.subj.procs()} {
		if _, err := nc.ChanSubscribe(s, n.in); err != nil {
			n.Close()
			return nil, fmt.Errorf("cluster: subscribe %s: %w", s, err)
		}
	}
	return n, nil
}

// dial opens a NATS connection that never gives up reconnecting.
func dial(cfg Config, log *slog.Logger, reconnected func(), slow func()) (*nats.Conn, error) {
	nc, err := nats.Connect(cfg.URL, nats.Name(cfg.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("bus disconnected", "err", err) }),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("bus reconnected"); reconnected() }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrSlowConsumer) {
				slow()
				return
			}
			log.Warn("bus error", "err", err)
		}))
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to %s: %w", cfg.URL, err)
	}
	return nc, nil
}

func (n *Node) slowConsumer() {
	n.mu.Lock()
	n.stats.SlowConsumer++
	n.mu.Unlock()
}

// Close ends the node's requests and closes its connection, once what was
// published (the last logouts) has gone out. Call it after Run has returned.
func (n *Node) Close() {
	n.cancel()
	n.wg.Wait()
	if n.nc != nil {
		if err := n.nc.FlushTimeout(time.Second); err != nil && n.nc.IsConnected() {
			n.log.Warn("bus: last messages not flushed", "err", err)
		}
		n.nc.Close()
	}
}

// Subscribe starts delivering cell's messages to s, once this node has the
// cell's snapshot from its region.
func (n *Node) Subscribe(cell ecs.CellKey, s bus.Subscriber) { n.request(cell, s, true) }

// Unsubscribe stops delivering cell's messages to s.
func (n *Node) Unsubscribe(cell ecs.CellKey, s bus.Subscriber) { n.request(cell, s, false) }

func (n *Node) request(cell ecs.CellKey, s bus.Subscriber, subscribe bool) {
	n.mu.Lock()
	n.requests = append(n.requests, viewRequest{cell, s, subscribe})
	n.mu.Unlock()
}

// Now is the last tick this node delivered.
func (n *Node) Now() uint64 { return n.now.Load() }

// Up reports whether the bus is connected and region was heard from lately.
func (n *Node) Up(region string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nc.IsConnected() && n.up[region]
}

// RegionsUp counts the regions heard from lately, over a connected bus.
func (n *Node) RegionsUp() int {
	up := 0
	for _, r := range n.cfg.Regions.Names() {
		if n.Up(r) {
			up++
		}
	}
	return up
}

// Run delivers, once a tick, what arrived for the mirrored cells, until
// ctx ends.
func (n *Node) Run(ctx context.Context) error {
	period := int64(n.cfg.Period)
	// A tick is delivered as soon as every live region has said it
	// published the tick, or half a period after it was due, whichever
	// comes first: a late region holds the others up by that much at most.
	deadline := func() time.Duration {
		now := time.Now().UnixNano()
		return time.Duration((now-period/2)/period*period + period + period/2 - now)
	}
	timer := time.NewTimer(deadline())
	defer timer.Stop()
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	n.beatProc()
	for {
		select {
		case <-beat.C:
			n.beatProc()
		case <-ctx.Done():
			for _, m := range n.cells {
				m.sub.Unsubscribe() //nolint:errcheck // closing anyway
			}
			return nil
		case <-n.resub:
			n.restart()
		case msg := <-n.in:
			n.handle(msg)
			if due := uint64(time.Now().UnixNano() / period); due > n.now.Load() && n.published(due) {
				n.deliver(due)
			}
		case now := <-timer.C:
			timer.Reset(deadline())
			n.deliver(max(n.now.Load(), uint64((now.UnixNano()-period/2)/period)))
		}
	}
}

// published reports whether every live region has published tick.
func (n *Node) published(tick uint64) bool {
	for _, l := range n.life {
		if !l.dead && l.tick < tick {
			return false
		}
	}
	return len(n.life) > 0
}

// deliver hands the views what arrived up to tick.
func (n *Node) deliver(tick uint64) {
	n.receive()
	n.apply()
	n.watch(time.Now())
	last := n.now.Load()
	sent, facts := n.fan.Deliver(tick, last, n.batches, func() { n.now.Store(tick) })
	n.mu.Lock()
	n.stats.Delivered += sent
	n.stats.Facts += facts
	n.stats.Subscriptions = len(n.cells)
	n.mu.Unlock()
	clear(n.batches)
	n.batches = n.batches[:0]
}

// receive handles everything that arrived since the last tick.
func (n *Node) receive() {
	for {
		select {
		case msg := <-n.in:
			n.handle(msg)
		default:
			return
		}
	}
}

func (n *Node) handle(msg *nats.Msg) {
	if m := n.bySub[msg.Sub]; m != nil {
		b, err := decodeBatch(msg.Data)
		// Tick n was due n periods after the epoch; its facts left right after.
		lag := time.Since(time.Unix(0, int64(b.Tick)*int64(n.cfg.Period)))
		n.count(func(s *Stats) {
			s.Received++
			s.ReceivedBytes += uint64(len(msg.Data))
			if err == nil {
				s.Lag = lag
			}
		})
		if err != nil || b.Cell != m.key {
			n.refused(msg.Subject, err)
			return
		}
		n.batch(m, b)
		return
	}
	if msg.Subject == n.subj.procs() {
		var p procMsg
		if err := jsonInto(msg.Data, &p); err != nil {
			n.refused(msg.Subject, err)
			return
		}
		n.peers.heard(p.Inc, time.Now())
		return
	}
	if region, ok := strings.CutPrefix(msg.Subject, string(n.subj)+".alive."); ok {
		var a aliveMsg
		if err := jsonInto(msg.Data, &a); err != nil {
			n.refused(msg.Subject, err)
			return
		}
		n.alive(region, a)
		return
	}
	if ask, ok := strings.CutPrefix(msg.Subject, n.inbox); ok {
		id, _ := strconv.ParseUint(ask, 10, 64)
		m := n.byAsk[id]
		delete(n.byAsk, id)
		if m == nil || m.ask != id {
			return // an answer to a request given up on
		}
		m.ask = 0
		if len(msg.Data) == 0 { // no responders: the region is not there
			return
		}
		s, err := decodeSnapshot(msg.Data)
		if err != nil || s.Cell != m.key {
			n.refused(msg.Subject, err)
			return
		}
		n.snapshot(m, s)
	}
}

// refused logs a message that could not be used.
func (n *Node) refused(subject string, err error) {
	n.count(func(s *Stats) { s.Refused++ })
	n.log.Warn("bus message refused", "subject", subject, "err", err)
}

func (n *Node) count(fn func(*Stats)) {
	n.mu.Lock()
	fn(&n.stats)
	n.mu.Unlock()
}

// batch takes a cell's batch: in order, it goes on to the views; a gap, or a
// region that started over, means asking for a fresh snapshot.
func (n *Node) batch(m *mirror, b batchMsg) {
	if !m.synced {
		if len(m.early) < 1024 {
			m.early = append(m.early, b)
		}
		return
	}
	switch {
	case b.Inc == m.inc && b.Seq <= m.seq:
		// seen already
	case b.Inc == m.inc && b.Seq == m.seq+1:
		n.emit(m, b)
	default:
		n.count(func(s *Stats) { s.Gaps++ })
		m.synced, m.early = false, append(m.early[:0], b)
		n.ask(m)
	}
}

// emit hands a batch to the fanout, keeping the mirror's copy of the cell.
func (n *Node) emit(m *mirror, b batchMsg) {
	m.seq = b.Seq
	for i := range b.Facts {
		f := &b.Facts[i]
		bus.ApplyFact(m.actors, f)
		switch f.Kind {
		case ecs.Entered:
			n.setOwner(f.Actor.ID, m.region)
		case ecs.Quit:
			n.setOwner(f.Actor.ID, "")
		case ecs.Exited:
			if n.cells[f.Cell] == nil { // gone where nobody here watches: not ours to route
				n.setOwner(f.Actor.ID, "")
			}
		}
	}
	if len(b.Facts) > 0 {
		n.batches = append(n.batches, &bus.Batch{CellFacts: ecs.CellFacts{Cell: m.key, Tick: b.Tick, Facts: b.Facts}})
	}
}

// snapshot joins a cell's snapshot with the batches that came after it.
// What the views were shown of the cell so far is brought up to the
// snapshot with facts of the differences, so a view never sees a second
// snapshot: actors gone quit, new ones enter, changed walks move.
func (n *Node) snapshot(m *mirror, s snapshotMsg) {
	var facts []ecs.Fact
	fresh := make(map[int64]ecs.ActorState, len(s.Actors))
	for _, a := range s.Actors {
		fresh[a.ID] = a
	}
	for id := range m.actors {
		if _, ok := fresh[id]; !ok {
			facts = append(facts, ecs.Fact{Kind: ecs.Quit, Actor: ecs.ActorState{ID: id}})
		}
	}
	for id, a := range fresh {
		old, ok := m.actors[id]
		switch {
		case !ok:
			facts = append(facts, ecs.Fact{Kind: ecs.Entered, Actor: a})
		case old.Intent != a.Intent:
			facts = append(facts, ecs.Fact{Kind: ecs.Moved, Actor: a})
		}
	}
	m.actors = make(map[int64]ecs.ActorState, len(fresh))
	m.inc, m.seq, m.synced = s.Inc, 0, true
	n.emit(m, batchMsg{Inc: s.Inc, Seq: s.Seq, Tick: s.Tick, Cell: m.key, Facts: facts})
	for id, a := range fresh { // emit applied the Quits and Enters; now the whole cell
		m.actors[id] = a
		n.setOwner(id, m.region)
	}
	early := m.early
	m.early = nil
	for _, b := range early {
		if b.Inc == m.inc { // a batch of the region's last life is no gap in this one
			n.batch(m, b)
		}
	}
	for _, v := range m.held {
		n.fan.Request(m.key, v, true)
	}
	m.held = nil
	n.count(func(st *Stats) { st.Snapshots++ })
}

// ask asks the cell's region for a snapshot, answered to this node's inbox.
func (n *Node) ask(m *mirror) {
	if m.ask != 0 {
		delete(n.byAsk, m.ask)
	}
	n.asks++
	m.ask, m.asked = n.asks, time.Now()
	n.byAsk[m.ask] = m
	data, err := encode(snapshotReq{Cell: m.key})
	if err == nil {
		err = n.nc.PublishRequest(n.subj.snap(m.region), n.inbox+strconv.FormatUint(m.ask, 10), data)
	}
	if err != nil {
		n.log.Warn("snapshot request not sent", "cell", m.key, "err", err)
	}
}

// apply applies the views' subscriptions and unsubscriptions.
func (n *Node) apply() {
	n.mu.Lock()
	reqs := n.requests
	n.requests = nil
	n.mu.Unlock()
	for _, r := range reqs {
		m := n.cells[r.cell]
		if r.subscribe {
			if m == nil {
				m = n.mirror(r.cell)
				if m == nil {
					continue
				}
			}
			m.views++
			if m.synced {
				n.fan.Request(r.cell, r.sub, true)
			} else {
				m.held = append(m.held, r.sub)
			}
			continue
		}
		if m == nil {
			continue
		}
		if i := indexOf(m.held, r.sub); i >= 0 {
			m.held = append(m.held[:i], m.held[i+1:]...)
		} else {
			n.fan.Request(r.cell, r.sub, false)
		}
		if m.views--; m.views == 0 {
			n.drop(m)
		}
	}
}

func indexOf(subs []bus.Subscriber, s bus.Subscriber) int {
	for i, x := range subs {
		if x == s {
			return i
		}
	}
	return -1
}

// mirror starts mirroring a cell: its subject, then its snapshot.
func (n *Node) mirror(k ecs.CellKey) *mirror {
	m := &mirror{key: k, region: n.cfg.Regions.Owner(k), actors: make(map[int64]ecs.ActorState)}
	sub, err := n.nc.ChanSubscribe(n.subj.cell(k), n.in)
	if err != nil {
		n.log.Error("cell not mirrored", "cell", k, "err", err)
		return nil
	}
	m.sub = sub
	n.cells[k], n.bySub[sub] = m, m
	n.ask(m)
	return m
}

// drop stops mirroring a cell nobody here watches; its copy in the fanout
// is emptied with it.
func (n *Node) drop(m *mirror) {
	m.sub.Unsubscribe() //nolint:errcheck // a connection that is gone has no subscription left
	delete(n.cells, m.key)
	delete(n.bySub, m.sub)
	if m.ask != 0 {
		delete(n.byAsk, m.ask)
	}
	n.empty(m)
}

// empty tells the views that every actor of a mirrored cell is gone.
func (n *Node) empty(m *mirror) {
	if len(m.actors) == 0 {
		return
	}
	facts := make([]ecs.Fact, 0, len(m.actors))
	for id := range m.actors {
		facts = append(facts, ecs.Fact{Kind: ecs.Quit, Actor: ecs.ActorState{ID: id}})
	}
	n.emit(m, batchMsg{Inc: m.inc, Seq: m.seq, Tick: n.now.Load(), Cell: m.key, Facts: facts})
}

// alive notes a region's heartbeat; a region that restarted (a new
// incarnation) or came back has every cell of it mirrored afresh.
func (n *Node) alive(region string, a aliveMsg) {
	l := n.life[region]
	if l == nil {
		l = &life{inc: a.Inc}
		n.life[region] = l
	}
	l.last = time.Now()
	l.tick = max(l.tick, a.Tick)
	if l.inc != a.Inc || l.dead {
		l.inc, l.dead, l.tick = a.Inc, false, a.Tick
		n.log.Info("region up", "region", region)
		for _, m := range n.cells {
			if m.region == region {
				m.synced = false
				n.ask(m)
			}
		}
	}
	n.mu.Lock()
	n.up[region] = true
	n.mu.Unlock()
}

// watch gives up on regions silent for DeadAfter (their actors leave every
// view: they are no longer simulated anywhere), and asks again for
// snapshots that went unanswered. While this node is cut off from the bus,
// nobody is declared dead: silence then says nothing about the regions.
func (n *Node) watch(now time.Time) {
	if !n.nc.IsConnected() {
		n.mu.Lock()
		clear(n.up)
		n.mu.Unlock()
		n.peers.excuse(now)
		for _, l := range n.life {
			l.last = now
		}
		return
	}
	for region, l := range n.life {
		if l.dead || now.Sub(l.last) < n.cfg.DeadAfter {
			continue
		}
		l.dead = true
		n.log.Warn("region down: its actors leave every view", "region", region, "silent", now.Sub(l.last).Round(time.Millisecond))
		n.mu.Lock()
		n.up[region] = false
		n.stats.RegionsLost++
		n.mu.Unlock()
		for _, m := range n.cells {
			if m.region == region {
				n.empty(m)
				m.actors = make(map[int64]ecs.ActorState)
			}
		}
	}
	for _, m := range n.cells {
		if !m.synced && (m.ask == 0 || now.Sub(m.asked) > time.Second) {
			if l := n.life[m.region]; l == nil || !l.dead {
				n.ask(m)
			}
		}
	}
}

// restart mirrors every cell afresh once the connection is back: what was
// published while it was down is lost.
func (n *Node) restart() {
	for _, m := range n.cells {
		m.synced = false
		n.ask(m)
	}
}

// setOwner notes which region holds an actor ("" for none).
func (n *Node) setOwner(id int64, region string) {
	n.mu.Lock()
	if region == "" {
		delete(n.owners, id)
	} else {
		n.owners[id] = region
	}
	n.mu.Unlock()
}

func (n *Node) owner(id int64) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.owners[id]
}
