package bus

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/godmmo/godmmo/ecs"
)

// Local is the in-process bus, the default: one binary, nothing to set up.
//
// Each tick the tick hands its batches over at EndTick; Run then applies
// them to its copy of the cells (what snapshots are made from), gathers
// each subscriber's messages of the tick, and hands each subscriber its
// tick in one call, so a subscriber always reads whole ticks and pays for
// one hand-over a tick, however many cells it watches. Subscriptions are applied at the start of a
// tick, before its batches: the snapshot is as of the tick before, and the
// stream goes on from there.
//
// Delivery is cheap (a pointer appended per subscriber) and runs on Run's
// goroutine alone, one tick start to finish without handing work to other
// goroutines: with thousands of sessions' writers woken each tick, any
// goroutine the bus waited for would queue behind them. The costly part,
// rendering, runs on the subscribers' own goroutines, on every core.
type Local struct {
	sh      *Fanout
	pending []*Batch // this tick's; touched by the tick goroutine only
	ticks   chan tickWork
	now     atomic.Uint64
	done    chan struct{}

	mu      sync.Mutex
	advance chan struct{} // closed and replaced whenever now advances

	published, delivered, facts, stalls atomic.Uint64
}

// tickWork is one tick's batches.
type tickWork struct {
	tick    uint64
	batches []*Batch
}

// backlog is how many ticks may wait for delivery before EndTick waits too:
// a bus that far behind slows the tick down rather than grow without bound.
const backlog = 256

// NewLocal makes a bus. Run delivers.
func NewLocal() *Local {
	return &Local{sh: NewFanout(),
		ticks: make(chan tickWork, backlog), done: make(chan struct{}), advance: make(chan struct{})}
}

// Publish queues a cell's facts for delivery at EndTick. Tick goroutine only.
func (l *Local) Publish(f ecs.CellFacts) {
	l.pending = append(l.pending, &Batch{CellFacts: f})
}

// EndTick hands the tick's batches to Run. It waits only when deliveries
// are a whole backlog of ticks behind, and not at all once Run has ended.
func (l *Local) EndTick(tick uint64) {
	w := tickWork{tick: tick, batches: l.pending}
	l.pending = nil
	select {
	case l.ticks <- w:
		return
	case <-l.done:
		return
	default:
	}
	l.stalls.Add(1)
	select {
	case l.ticks <- w:
	case <-l.done:
	}
}

// Subscribe starts delivering cell's messages to s (from the next tick on).
func (l *Local) Subscribe(cell ecs.CellKey, s Subscriber) { l.request(cell, s, true) }

// Unsubscribe stops delivering cell's messages to s (from the next tick on;
// a subscriber ignores what still arrives for a cell it left).
func (l *Local) Unsubscribe(cell ecs.CellKey, s Subscriber) { l.request(cell, s, false) }

func (l *Local) request(cell ecs.CellKey, s Subscriber, sub bool) { l.sh.Request(cell, s, sub) }

// Now is the last tick whose messages have all been delivered.
func (l *Local) Now() uint64 { return l.now.Load() }

// Await waits until every message of tick has been delivered, or ctx ends.
func (l *Local) Await(ctx context.Context, tick uint64) error {
	for {
		l.mu.Lock()
		ch := l.advance
		l.mu.Unlock()
		if l.now.Load() >= tick {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stats are the bus's counters since it started.
type Stats struct {
	// Published counts cell batches, Delivered messages handed to
	// subscribers, Facts the facts and snapshot entries in them.
	Published, Delivered, Facts uint64
	// Backlog is how many ticks wait for delivery; Stalls counts ticks
	// that had to wait for room.
	Backlog int
	Stalls  uint64
}

// Stats reads the counters.
func (l *Local) Stats() Stats {
	return Stats{Published: l.published.Load(), Delivered: l.delivered.Load(), Facts: l.facts.Load(), Backlog: len(l.ticks), Stalls: l.stalls.Load()}
}

// Run delivers ticks until ctx ends.
func (l *Local) Run(ctx context.Context) error {
	defer close(l.done)
	for {
		var w tickWork
		select {
		case <-ctx.Done():
			return nil
		case w = <-l.ticks:
		}
		sent, facts := l.sh.Deliver(w.tick, l.now.Load(), w.batches, func() { l.now.Store(w.tick) })
		l.published.Add(uint64(len(w.batches)))
		l.delivered.Add(sent)
		l.facts.Add(facts)
		l.mu.Lock()
		close(l.advance)
		l.advance = make(chan struct{})
		l.mu.Unlock()
	}
}

// Fanout is a bus's state in one process: every watched cell's actors,
// sequence number and subscribers, from which it hands each subscriber a
// snapshot and then its cells' batches. Only one goroutine may Deliver;
// Request is safe from any.
type Fanout struct {
	mu       sync.Mutex
	requests []request

	cells map[ecs.CellKey]*cell
	dirty map[Subscriber][]Message // this tick's messages, by subscriber
	spare [][]Message              // emptied message lists, for reuse
	todo  []request
	sent  uint64
	facts uint64
}

type request struct {
	cell      ecs.CellKey
	sub       Subscriber
	subscribe bool
}

// cell is the bus's copy of one cell, kept up to date from its facts.
type cell struct {
	seq    uint64
	actors map[int64]ecs.ActorState
	subs   []Subscriber
}

// NewFanout makes an empty fanout.
func NewFanout() *Fanout {
	return &Fanout{cells: make(map[ecs.CellKey]*cell), dirty: make(map[Subscriber][]Message)}
}

// Request asks for s to be subscribed to (or unsubscribed from) cell at
// the next Deliver.
func (sh *Fanout) Request(cell ecs.CellKey, s Subscriber, subscribe bool) {
	sh.mu.Lock()
	sh.requests = append(sh.requests, request{cell: cell, sub: s, subscribe: subscribe})
	sh.mu.Unlock()
}

// Deliver applies the subscriptions asked for since the last call, each
// with a snapshot as of tick last, then tick's batches (numbering each per
// cell); calls delivered, then hands every subscriber its messages of the
// tick. It returns how many messages, and facts in them, it handed over.
func (sh *Fanout) Deliver(tick, last uint64, batches []*Batch, delivered func()) (sent, facts uint64) {
	sh.deliver(tick, last, batches)
	delivered()
	sh.wake(tick)
	sent, facts = sh.sent, sh.facts
	sh.sent, sh.facts = 0, 0
	return sent, facts
}

func (sh *Fanout) cell(k ecs.CellKey) *cell {
	c := sh.cells[k]
	if c == nil {
		c = &cell{actors: make(map[int64]ecs.ActorState)}
		sh.cells[k] = c
	}
	return c
}

// deliver applies the subscriptions asked for since the last tick, with a
// snapshot as of tick last for each new one, then tick's batches.
func (sh *Fanout) deliver(tick, last uint64, batches []*Batch) {
	sh.mu.Lock()
	sh.todo, sh.requests = sh.requests, sh.todo[:0]
	sh.mu.Unlock()
	for _, r := range sh.todo {
		c := sh.cell(r.cell)
		if !r.subscribe {
			for i, s := range c.subs {
				if s == r.sub {
					c.subs[i] = c.subs[len(c.subs)-1]
					c.subs = c.subs[:len(c.subs)-1]
					break
				}
			}
			sh.prune(r.cell, c)
			continue
		}
		c.subs = append(c.subs, r.sub)
		snap := &ecs.Snapshot{Cell: r.cell, Tick: last, Seq: c.seq, Actors: make([]ecs.ActorState, 0, len(c.actors))}
		for _, a := range c.actors {
			snap.Actors = append(snap.Actors, a)
		}
		sh.send(r.sub, Message{Cell: r.cell, Tick: tick, Snapshot: snap})
	}
	clear(sh.todo)
	for _, b := range batches {
		c := sh.cell(b.Cell)
		c.seq++
		b.Seq = c.seq
		for i := range b.Facts {
			ApplyFact(c.actors, &b.Facts[i])
		}
		for _, s := range c.subs {
			sh.send(s, Message{Cell: b.Cell, Tick: tick, Batch: b})
		}
		sh.prune(b.Cell, c)
	}
}

func (sh *Fanout) send(s Subscriber, m Message) {
	msgs, ok := sh.dirty[s]
	if !ok && len(sh.spare) > 0 {
		msgs, sh.spare = sh.spare[len(sh.spare)-1], sh.spare[:len(sh.spare)-1]
	}
	sh.dirty[s] = append(msgs, m)
	sh.sent++
	if m.Batch != nil {
		sh.facts += uint64(len(m.Batch.Facts))
	} else {
		sh.facts += uint64(len(m.Snapshot.Actors))
	}
}

// prune forgets a cell that nobody is in or watches.
func (sh *Fanout) prune(k ecs.CellKey, c *cell) {
	if len(c.actors) == 0 && len(c.subs) == 0 {
		delete(sh.cells, k)
	}
}

// wake hands every subscriber that got something this tick its messages.
func (sh *Fanout) wake(tick uint64) {
	for s, msgs := range sh.dirty {
		s.Deliver(tick, msgs)
		clear(msgs)
		sh.spare = append(sh.spare, msgs[:0])
	}
	clear(sh.dirty)
}

// ApplyFact keeps a copy of a cell's actors up to date with one of its facts.
func ApplyFact(actors map[int64]ecs.ActorState, f *ecs.Fact) {
	switch f.Kind {
	case ecs.Entered:
		actors[f.Actor.ID] = f.Actor
	case ecs.Exited, ecs.Quit:
		delete(actors, f.Actor.ID)
	case ecs.Moved:
		if a, ok := actors[f.Actor.ID]; ok {
			a.Intent = f.Actor.Intent
			actors[f.Actor.ID] = a
		}
	}
}
