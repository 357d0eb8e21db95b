package cluster

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net/bus"
	"github.com/nats-io/nats.go"
)

// Region is the bus side of the tick that simulates one region: the tick's
// publisher (each cell's facts, numbered, on the cell's subject), the
// answerer of snapshot requests, the intake of commands and hand-offs from
// every process, and the hand-off of actors that walk out of the region.
// Make it with NewRegion, give it to the tick (systems.NewRegion) and Run it.
type Region struct {
	name  string
	node  *Node
	nc    *nats.Conn
	queue *ecs.Queue
	inc   uint64 // this incarnation: subscribers start over when it changes
	// OnHandoff, if set before Run, hears how long each hand-off took to
	// be acknowledged.
	OnHandoff func(time.Duration)
	// OnEvict, if set before Run, hears each login whose actor the region
	// evicted because the process holding its connection fell silent: its
	// account's claim is to be freed. It is called on a goroutine of Run's.
	OnEvict func(actor int64, login uint64)

	pending []ecs.CellFacts // this tick's; the tick goroutine's
	ticks   chan regionTick
	done    chan struct{}

	// Run's.
	cells map[ecs.CellKey]*regionCell
	last  uint64
	hin   string // prefix of the hand-offs' answers' subjects, with its dot
	peers *peers // the processes heard from

	mu      sync.Mutex
	moved   map[int64]movedTo   // actors handed out lately, for their strays
	handing map[uint64]*handing // hand-offs awaiting their answer, by request
	logins  map[uint64]held     // the logins playing here, by login
	asks    uint64
	stats   RegionStats
}

type regionTick struct {
	tick  uint64
	cells []ecs.CellFacts
}

// regionCell is a cell as the region last published it.
type regionCell struct {
	seq    uint64
	actors map[int64]ecs.ActorState
}

// held is a login playing an actor of the region, and the process that
// holds its connection.
type held struct {
	actor int64
	from  uint64 // the process's incarnation
	since time.Time
}

type movedTo struct {
	region string
	at     time.Time
}

// handing is one hand-off on its way.
type handing struct {
	d     ecs.Departure
	to    string
	data  []byte
	first time.Time
	sent  time.Time
	tries int
	held  held // the login, back in the region if nobody takes the actor
}

// Hand-offs are sent again every handoffRetry until they have been tried
// handoffTries times; then the actor is taken back. Strays are forwarded
// for movedFor after their actor left.
const (
	handoffRetry = 500 * time.Millisecond
	handoffTries = 4
	movedFor     = 30 * time.Second
)

// NewRegion makes the bus side of region name, whose tick reads q.
func NewRegion(node *Node, name string, q *ecs.Queue) *Region {
	return &Region{name: name, node: node, nc: node.nc, queue: q, inc: rand.Uint64() | 1,
		ticks: make(chan regionTick, 256), done: make(chan struct{}),
		cells: make(map[ecs.CellKey]*regionCell), hin: nats.NewInbox() + ".",
		moved: make(map[int64]movedTo), handing: make(map[uint64]*handing), logins: make(map[uint64]held), peers: newPeers()}
}

// Owns reports whether the region owns cell k.
func (r *Region) Owns(k ecs.CellKey) bool { return r.node.cfg.Regions.Owner(k) == r.name }

// Name is the region's name.
func (r *Region) Name() string { return r.name }

// Stats reads the region's counters.
func (r *Region) Stats() RegionStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Publish queues a cell's facts for EndTick. Tick goroutine only.
func (r *Region) Publish(f ecs.CellFacts) { r.pending = append(r.pending, f) }

// EndTick hands the tick's facts to Run, waiting only when Run is a whole
// backlog of ticks behind, and not at all once it has ended.
func (r *Region) EndTick(tick uint64) {
	t := regionTick{tick, r.pending}
	r.pending = nil
	select {
	case r.ticks <- t:
	case <-r.done:
	}
}

// Depart sends an actor that walked out of the region to the region that
// owns the cell it walked into. Tick goroutine only; it does not wait.
func (r *Region) Depart(d ecs.Departure) {
	to := r.node.cfg.Regions.Owner(d.To)
	now := time.Now()
	r.mu.Lock()
	r.moved[d.Actor.ID] = movedTo{to, now}
	login := r.logins[d.Login]
	delete(r.logins, d.Login)
	r.mu.Unlock()
	data, err := encodeCommand(ecs.Command{Kind: ecs.Arrive, Arrival: &d}, login.from)
	h := &handing{d: d, to: to, data: data, first: now, held: login}
	if err != nil {
		r.node.log.Error("hand-off not encoded", "actor", d.Actor.ID, "err", err)
	}
	r.send(h)
}

// send (re)sends a hand-off as a request answered to the region's inbox.
func (r *Region) send(h *handing) {
	r.mu.Lock()
	r.asks++
	id := r.asks
	r.handing[id] = h
	h.tries++
	h.sent = time.Now()
	r.mu.Unlock()
	if h.data == nil {
		return // retried until given back
	}
	if err := r.nc.PublishRequest(r.node.subj.cmd(h.to), r.hin+strconv.FormatUint(id, 10), h.data); err != nil {
		r.node.log.Warn("hand-off not sent", "actor", h.d.Actor.ID, "to", h.to, "err", err)
	}
}

// Stray forwards a command about an actor the region handed out lately to
// the region it went to. Tick goroutine only; it does not wait.
func (r *Region) Stray(c ecs.Command) {
	r.mu.Lock()
	m, ok := r.moved[c.Actor.ID]
	r.mu.Unlock()
	switch {
	case !ok:
		c.Reply.Answer(ecs.Admission{})
	case c.Kind == ecs.Rejoin:
		// A resume that met its actor on the way: the player logs in again.
		c.Reply.Answer(ecs.Admission{})
	default:
		if data, err := encodeCommand(c, 0); err == nil {
			r.nc.Publish(r.node.subj.cmd(m.region), data) //nolint:errcheck // lost like a packet on a dropped connection
			r.mu.Lock()
			r.stats.Forwarded++
			r.mu.Unlock()
		}
	}
}

// Run serves the region until ctx ends: it publishes each tick's facts,
// answers snapshot requests, says it is alive, follows its hand-offs and,
// on a goroutine of its own, feeds commands to the tick.
func (r *Region) Run(ctx context.Context) error {
	defer close(r.done)
	cmds, snaps, answers, procs := make(chan *nats.Msg, 1<<14), make(chan *nats.Msg, 1<<12), make(chan *nats.Msg, 1<<12), make(chan *nats.Msg, 1<<10)
	var subs []*nats.Subscription
	for subject, ch := range map[string]chan *nats.Msg{r.node.subj.cmd(r.name): cmds, r.node.subj.snap(r.name): snaps, r.hin + "*": answers,
		r.node.subj.procs(): procs} {
		sub, err := r.nc.ChanSubscribe(subject, ch)
		if err != nil {
			return err
		}
		subs = append(subs, sub)
	}
	defer func() {
		for _, s := range subs {
			s.Unsubscribe() //nolint:errcheck // closing anyway
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { r.intake(ctx, cmds, &wg) })
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	retry := time.NewTicker(handoffRetry / 5)
	defer retry.Stop()
	r.beat()
	for {
		select {
		case <-ctx.Done():
			return nil
		case t := <-r.ticks:
			r.publish(t)
		case msg := <-snaps:
			r.answer(msg)
		case msg := <-answers:
			r.answered(msg)
		case msg := <-procs:
			var p procMsg
			if jsonInto(msg.Data, &p) == nil {
				r.peers.heard(p.Inc, time.Now())
			}
		case now := <-beat.C:
			r.beat()
			r.evict(ctx, now, &wg)
		case now := <-retry.C:
			r.retry(ctx, now)
		}
	}
}

func (r *Region) beat() {
	if data, err := encode(aliveMsg{Inc: r.inc, Tick: r.last}); err == nil {
		r.nc.Publish(r.node.subj.alive(r.name), data) //nolint:errcheck // a missed heartbeat is the message
	}
}

// publish numbers a tick's batches per cell and sends them.
func (r *Region) publish(t regionTick) {
	r.last = t.tick
	var sent, bytes uint64
	for _, f := range t.cells {
		c := r.cells[f.Cell]
		if c == nil {
			c = &regionCell{actors: make(map[int64]ecs.ActorState)}
			r.cells[f.Cell] = c // kept for good: its numbering must go on
		}
		c.seq++
		for i := range f.Facts {
			bus.ApplyFact(c.actors, &f.Facts[i])
		}
		data, err := encode(batchMsg{Inc: r.inc, Seq: c.seq, Tick: t.tick, Cell: f.Cell, Facts: f.Facts})
		if err != nil {
			r.node.log.Error("facts not encoded", "cell", f.Cell, "err", err)
			continue
		}
		if err := r.nc.Publish(r.node.subj.cell(f.Cell), data); err != nil {
			r.node.log.Warn("facts not published", "cell", f.Cell, "err", err)
			continue
		}
		sent++
		bytes += uint64(len(data))
	}
	r.mu.Lock()
	r.stats.Published += sent
	r.stats.PublishedBytes += bytes
	r.mu.Unlock()
	r.beat() // the tick is out: nodes need not wait for it any longer
}

// answer answers a snapshot request with the cell as of its last batch.
func (r *Region) answer(msg *nats.Msg) {
	var req snapshotReq
	var s snapshotMsg
	if err := jsonInto(msg.Data, &req); err != nil {
		s.Err = err.Error()
	} else if s.Cell = req.Cell; !r.Owns(req.Cell) {
		s.Err = "region " + r.name + " does not own that cell"
	} else {
		s.Inc, s.Tick = r.inc, r.last
		if c := r.cells[req.Cell]; c != nil {
			s.Seq = c.seq
			s.Actors = make([]ecs.ActorState, 0, len(c.actors))
			for _, a := range c.actors {
				s.Actors = append(s.Actors, a)
			}
		}
	}
	if data, err := encode(s); err == nil {
		msg.Respond(data) //nolint:errcheck // the asker asks again
	}
}

// answered takes a hand-off's answer: taken, or already there.
func (r *Region) answered(msg *nats.Msg) {
	id, _ := strconv.ParseUint(strings.TrimPrefix(msg.Subject, r.hin), 10, 64)
	if len(msg.Data) == 0 {
		return // nobody listens there (yet): retried
	}
	r.mu.Lock()
	h := r.handing[id]
	if h != nil {
		delete(r.handing, id)
		r.stats.Handoffs++
	}
	r.mu.Unlock()
	if h != nil && r.OnHandoff != nil {
		r.OnHandoff(time.Since(h.first))
	}
}

// retry sends again the hand-offs left unanswered, takes back those tried
// often enough, and forgets old departures.
func (r *Region) retry(ctx context.Context, now time.Time) {
	var again, back []*handing
	r.mu.Lock()
	for id, h := range r.handing {
		if now.Sub(h.sent) < handoffRetry {
			continue
		}
		delete(r.handing, id)
		if h.tries < handoffTries {
			again = append(again, h)
			r.stats.Retries++
		} else {
			back = append(back, h)
			delete(r.moved, h.d.Actor.ID)
			if h.held.from != 0 {
				h.held.since = now
				r.logins[h.d.Login] = h.held
			}
			r.stats.Returned++
		}
	}
	for id, m := range r.moved {
		if now.Sub(m.at) > movedFor {
			delete(r.moved, id)
		}
	}
	r.mu.Unlock()
	for _, h := range again {
		r.send(h)
	}
	for _, h := range back {
		r.node.log.Warn("hand-off not taken: actor returned", "actor", h.d.Actor.ID, "to", h.to)
		d := h.d
		if err := r.queue.Push(ctx, ecs.Command{Kind: ecs.Return, Arrival: &d}); err != nil {
			return
		}
	}
}

// intake feeds the commands sent to the region to its tick, in order; a
// command that expects an answer gets it from a goroutine that waits for
// the tick.
func (r *Region) intake(ctx context.Context, cmds <-chan *nats.Msg, wg *sync.WaitGroup) {
	for {
		var msg *nats.Msg
		select {
		case <-ctx.Done():
			return
		case msg = <-cmds:
		}
		c, m, err := decodeCommandMsg(msg.Data)
		if err != nil {
			r.mu.Lock()
			r.stats.Refused++
			r.mu.Unlock()
			r.node.log.Warn("command refused", "region", r.name, "err", err)
			continue
		}
		if c.Kind == ecs.Despawn {
			r.mu.Lock()
			delete(r.logins, c.Login)
			r.mu.Unlock()
		}
		answer := msg.Reply != "" && (c.Kind == ecs.Spawn || c.Kind == ecs.Rejoin || c.Kind == ecs.Arrive)
		if answer {
			c.Reply = ecs.NewReply()
		}
		if err := r.queue.Push(ctx, c); err != nil {
			return
		}
		if !answer {
			continue
		}
		wg.Go(func() {
			select {
			case adm := <-c.Reply.C():
				if c.Kind == ecs.Spawn && !adm.OK && !adm.Unreachable {
					if again, ok := r.takeOver(ctx, c); ok {
						adm = again
					}
				}
				if adm.OK {
					r.admitted(c, m.From)
				}
				if data, err := encode(adm); err == nil {
					msg.Respond(data) //nolint:errcheck // the asker times out and says so
				}
			case <-ctx.Done():
			}
		})
	}
}

// admitted notes the login that plays an actor just admitted (logged in,
// resumed or handed over), and the process that holds its connection.
func (r *Region) admitted(c ecs.Command, from uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	login, h := c.Login, held{actor: c.Actor.ID, from: from, since: time.Now()}
	switch c.Kind {
	case ecs.Rejoin:
		delete(r.logins, c.Login)
		login = c.NewLogin
	case ecs.Arrive:
		r.stats.Arrivals++
		login, h.actor = c.Arrival.Login, c.Arrival.Actor.ID
	}
	// An entity no player plays (login 0: an NPC handed over) has no
	// connection whose process could fall silent.
	if from != 0 && login != 0 {
		r.logins[login] = h
	}
}

// evict takes out of the world the actors whose connections a process held
// that has been silent for DeadAfter (killed, or cut off): their positions
// are saved and their observers told they quit, as at a logout. While this
// process is itself cut off from the bus, nobody is evicted.
func (r *Region) evict(ctx context.Context, now time.Time, wg *sync.WaitGroup) {
	after := r.node.cfg.DeadAfter
	if !r.nc.IsConnected() {
		r.peers.excuse(now)
		return
	}
	type gone struct {
		login uint64
		held
	}
	var out []gone
	r.mu.Lock()
	for login, h := range r.logins {
		if now.Sub(h.since) >= after && !r.peers.alive(h.from, now, after) {
			out = append(out, gone{login, h})
			delete(r.logins, login)
		}
	}
	r.stats.Evicted += uint64(len(out))
	r.mu.Unlock()
	for _, g := range out {
		r.node.log.Warn("actor evicted: the process holding its connection is silent", "region", r.name, "actor", g.actor)
		if err := r.queue.Push(ctx, ecs.Command{Kind: ecs.Despawn, Login: g.login, Actor: ecs.Actor{ID: g.actor}}); err != nil {
			return
		}
	}
	if len(out) > 0 && r.OnEvict != nil {
		wg.Go(func() {
			for _, g := range out {
				r.OnEvict(g.actor, g.login)
			}
		})
	}
}

// takeOver admits a login the tick refused because its actor still plays
// for another login, one this region was told of. The account's claim
// decides: a login is sent to a region only once it holds the claim, so
// the other login's is gone (its logout was lost on the bus, or its
// process stopped renewing it). That login's actor leaves, as at a
// logout, and this login's enters where it stood.
func (r *Region) takeOver(ctx context.Context, c ecs.Command) (ecs.Admission, bool) {
	r.mu.Lock()
	var stale uint64
	for login, h := range r.logins {
		if h.actor == c.Actor.ID && login != c.Login {
			stale = login
			delete(r.logins, login)
			break
		}
	}
	r.mu.Unlock()
	if stale == 0 {
		return ecs.Admission{}, false
	}
	r.node.log.Warn("actor taken over by a new login of its account: the old one's logout never came", "region", r.name, "actor", c.Actor.ID)
	c.Reply = ecs.NewReply()
	if r.queue.Push(ctx, ecs.Command{Kind: ecs.Despawn, Login: stale, Actor: ecs.Actor{ID: c.Actor.ID}}) != nil || r.queue.Push(ctx, c) != nil {
		return ecs.Admission{}, false
	}
	select {
	case adm := <-c.Reply.C():
		return adm, true
	case <-ctx.Done():
		return ecs.Admission{}, false
	}
}
