// Package view is a player's view of the world, on the session side: it
// subscribes to the grid cells around the player, keeps whom the client has
// been shown, and turns the facts of those cells into that client's
// messages through its protocol's renderer. Views run on the sessions'
// goroutines, so the work of telling each player what it sees is spread
// over every core, and a slow client only slows its own view.
package view

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net/bus"
	"github.com/godmmo/godmmo/net/wire"
)

// Config is the shape of every player's view.
type Config struct {
	// Radius is how far a player sees in each axis (a square of grid cells,
	// the radius rounded up to whole cells); 0 means everyone sees everyone.
	Radius float64
	// Margin is how much further an actor must go before it leaves a view
	// (rounded up to whole cells), so one on the edge does not flicker.
	Margin float64
	// CellSize is the side of the world's grid cells, as the tick files them.
	CellSize float64
	// Bounds is the world: views subscribe to no cell outside it.
	Bounds ecs.Bounds
	// TickPeriod is the tick's period: how often a view with time-driven
	// work (newcomers waiting, v1 lead points) renders.
	TickPeriod time.Duration
	// MaxLag is how many ticks of messages may wait for a view's writer
	// before its client is given up as too slow.
	MaxLag uint64
	// Near and Far are how long others' walks, arrivals and lines may wait
	// to go out together, to a client whose protocol lets them (v2, whose
	// client walks others itself): Near for what happens within a cell of
	// the player's, Far for the rest of its view. What the player needs at
	// once (answers, its own moves and lines, the cells it comes to) goes
	// out on the next tick. 0: everything goes out on the next tick.
	Near, Far time.Duration
}

// shape is a Config in cells: actors within in cells (both axes) of the
// player's cell are in view, those more than out cells away are not, and
// in between (the margin) an actor keeps whatever it had. lo and hi are
// the world's corner cells.
type shape struct {
	grid    ecs.Grid
	in, out int32
	lo, hi  ecs.CellKey
	all     bool // the square covers the world from any cell in it
}

func newShape(c Config) shape {
	g := ecs.NewGrid(c.CellSize)
	s := shape{grid: g, lo: g.Key(c.Bounds.MinX, c.Bounds.MinY), hi: g.Key(c.Bounds.MaxX, c.Bounds.MaxY)}
	if c.Radius <= 0 {
		// Everyone sees everyone: a square that covers the world from any cell in it.
		s.in = max(s.hi.X-s.lo.X, s.hi.Y-s.lo.Y)
		s.out, s.all = s.in, true
		return s
	}
	s.in = int32(math.Ceil(c.Radius / g.Size()))
	s.out = s.in + int32(math.Ceil(c.Margin/g.Size()))
	return s
}

// square calls fn for every cell of the world at most r cells from c.
func (s shape) square(c ecs.CellKey, r int32, fn func(ecs.CellKey)) {
	for y := max(c.Y-r, s.lo.Y); y <= min(c.Y+r, s.hi.Y); y++ {
		for x := max(c.X-r, s.lo.X); x <= min(c.X+r, s.hi.X); x++ {
			fn(ecs.CellKey{X: x, Y: y})
		}
	}
}

// Views is what the views of one process share: the bus they hear the
// world from, their shape, and one clock that wakes each view when what it
// put off falls due (and every tick while it has time-driven work), so
// that thousands of writers need no timer each.
type Views struct {
	bus       bus.Bus
	cfg       Config
	shape     shape
	near, far uint64 // Config.Near and Far in ticks

	mu    sync.Mutex
	due   map[uint64][]*View // the views to wake at each tick
	spare [][]*View
}

// NewViews makes the views of one process, which hear the world from b.
// Run drives their clock.
func NewViews(b bus.Bus, cfg Config) *Views {
	ticks := func(d time.Duration) uint64 {
		if d <= 0 || cfg.TickPeriod <= 0 {
			return 0
		}
		return uint64(max(1, (d+cfg.TickPeriod/2)/cfg.TickPeriod))
	}
	vs := &Views{bus: b, cfg: cfg, shape: newShape(cfg), near: ticks(cfg.Near), far: ticks(cfg.Far), due: make(map[uint64][]*View)}
	vs.far = max(vs.far, vs.near)
	return vs
}

// Run wakes the views whose work is due, once a tick period, until ctx ends.
func (vs *Views) Run(ctx context.Context) {
	t := time.NewTicker(vs.cfg.TickPeriod)
	defer t.Stop()
	var woken []*View
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		woken = vs.Wake(vs.bus.Now(), woken[:0])
	}
}

// Wake wakes every view whose put-off work is due by tick now. Run calls
// it; a program that runs ticks itself (tickbench) calls it after each.
// woken is scratch space, returned for reuse.
func (vs *Views) Wake(now uint64, woken []*View) []*View {
	vs.mu.Lock()
	for tick, views := range vs.due {
		if tick <= now {
			woken = append(woken, views...)
			delete(vs.due, tick)
			clear(views)
			vs.spare = append(vs.spare, views[:0])
		}
	}
	vs.mu.Unlock()
	for _, v := range woken {
		v.fire(now)
	}
	clear(woken)
	return woken[:0]
}

// at asks for v to be woken at tick.
func (vs *Views) at(v *View, tick uint64) {
	vs.mu.Lock()
	views, ok := vs.due[tick]
	if !ok && len(vs.spare) > 0 {
		views, vs.spare = vs.spare[len(vs.spare)-1], vs.spare[:len(vs.spare)-1]
	}
	vs.due[tick] = append(views, v)
	vs.mu.Unlock()
}

// View is one playing client's view. The bus delivers into it from its own
// goroutines; everything else runs on the session's writer, which calls
// Render when Ready fires.
type View struct {
	views     *Views
	bus       bus.Bus
	shape     shape
	r         wire.Renderer
	maxLag    uint64
	near, far uint64 // how many ticks others' news may wait; 0: none
	onEnd     func(End)

	mu     sync.Mutex
	inbox  []bus.Message
	due    uint64 // the tick by which the inbox must be rendered; 0: none asked
	slow   bool
	ready  chan struct{}
	ownX   atomic.Uint64 // float64 bits, for readers on other goroutines
	ownY   atomic.Uint64
	middle atomic.Uint64 // center, for the bus's goroutine (see packCell)

	// The writer's state.
	own     int64
	since   uint64 // the tick the own actor was admitted in
	center  ecs.CellKey
	cells   map[ecs.CellKey]bool // subscribed cells: true once their snapshot arrived
	actors  map[int64]seen       // every actor in a subscribed cell, as far as this view knows
	states  []ecs.ActorState     // the actors' names, looks and walks, by seen.slot
	free    []int32              // unused slots of states
	pending []newcomer           // actors to be shown, oldest first
	work    []bus.Message
	closed  bool
}

// seen is what a view must check of an actor for every fact about it:
// kept by value and small, so that the look-up touches little memory. The
// rest (name, looks, walk) is in the view's states until the client has
// been shown the actor (slot -1 after), as only the facts matter then.
type seen struct {
	cell   ecs.CellKey
	slot   int32
	shown  bool
	queued bool
}

// track starts knowing actor a, in cell k.
func (v *View) track(a ecs.ActorState, k ecs.CellKey) seen {
	s := seen{cell: k}
	if n := len(v.free); n > 0 {
		s.slot, v.free = v.free[n-1], v.free[:n-1]
		v.states[s.slot] = a
	} else {
		s.slot = int32(len(v.states))
		v.states = append(v.states, a)
	}
	return s
}

// untrack forgets an actor altogether.
func (v *View) untrack(id int64, s seen) {
	v.release(&s)
	delete(v.actors, id)
}

// release frees s's slot of states.
func (v *View) release(s *seen) {
	if s.slot >= 0 {
		v.states[s.slot] = ecs.ActorState{}
		v.free = append(v.free, s.slot)
		s.slot = -1
	}
}

// compact gives back the memory of states once most of it is free, as
// after a crowd was first shown: the actors left keep their states in
// new slots.
func (v *View) compact() {
	if len(v.free) < 64 || len(v.free) < len(v.states)/2 {
		return
	}
	states := make([]ecs.ActorState, 0, len(v.states)-len(v.free))
	for id, s := range v.actors {
		if s.slot >= 0 {
			states = append(states, v.states[s.slot])
			s.slot = int32(len(states) - 1)
			v.actors[id] = s
		}
	}
	v.states, v.free = states, v.free[:0]
}

// newcomer is an actor waiting to be shown, with the fact that brought it
// into view and that fact's tick: its shared bytes serve while current.
type newcomer struct {
	id   int64
	src  wire.Source
	tick uint64
}

// End says why a view can go on no more.
type End uint8

const (
	// Slow: the client fell more than MaxLag ticks behind.
	Slow End = iota + 1
	// Gone: the player's own actor left the world without the session
	// asking, as when the region that simulated it went down.
	Gone
)

// New starts the view of the player admitted as own at tick now: the
// client is told Ok (with token, the session's resume token, if any) and
// its own actor first, then the view subscribes to the cells around it.
// onEnd is called (from any goroutine, Slow at most once) when the view
// can go on no more.
func (vs *Views) New(r wire.Renderer, own ecs.ActorState, now uint64, token string, onEnd func(End)) *View {
	v := &View{views: vs, bus: vs.bus, shape: vs.shape, r: r, maxLag: max(1, vs.cfg.MaxLag), onEnd: onEnd,
		ready: make(chan struct{}, 1), own: own.ID, since: now,
		cells: make(map[ecs.CellKey]bool), actors: make(map[int64]seen)}
	if r.Coalesces() {
		v.near, v.far = vs.near, vs.far
	}
	x, y := own.Intent.At(now)
	v.setOwn(x, y)
	v.setCenter(v.shape.grid.Key(x, y))
	me := v.track(own, v.center)
	me.shown = true
	v.actors[own.ID] = me
	r.Admitted(own, now, token)
	v.shape.square(v.center, v.shape.out, v.subscribe)
	v.wake() // the Ok and the own actor go out at once
	return v
}

func (v *View) subscribe(k ecs.CellKey) {
	v.cells[k] = false
	v.bus.Subscribe(k, v)
}

// Deliver queues a tick's messages for the writer, and wakes it when they
// are due now, or asks the clock to wake it when they are; a view whose
// oldest message waiting is more than MaxLag ticks overdue stops taking
// them and reports its client slow.
func (v *View) Deliver(tick uint64, msgs []bus.Message) {
	v.mu.Lock()
	if v.slow {
		v.mu.Unlock()
		return
	}
	if len(v.inbox) > 0 && tick > v.inbox[0].Tick+v.far+v.maxLag {
		v.slow = true
		clear(v.inbox)
		v.inbox = nil
		v.mu.Unlock()
		v.onEnd(Slow)
		return
	}
	v.inbox = append(v.inbox, msgs...)
	due := v.dueAt(tick, msgs)
	now := due <= tick || v.due != 0 && v.due <= tick
	if !now {
		v.putOff(due)
	}
	v.mu.Unlock()
	if now {
		v.wake()
	}
}

// dueAt is the tick by which msgs must reach the client: this one for what
// concerns the player itself and for the snapshots of cells it comes to;
// otherwise Near or Far ticks on, by how close to the player's cell they
// happened.
func (v *View) dueAt(tick uint64, msgs []bus.Message) uint64 {
	if v.far == 0 {
		return tick
	}
	center := unpackCell(v.middle.Load())
	due := tick + v.far
	for i := range msgs {
		m := &msgs[i]
		if m.Snapshot != nil {
			return tick
		}
		for j := range m.Batch.Facts {
			if f := &m.Batch.Facts[j]; f.Actor.ID == v.own || f.Msg != nil && f.Msg.To == v.own {
				return tick
			}
		}
		if ecs.Within(m.Cell, center, 1) {
			due = min(due, tick+v.near)
		}
	}
	return due
}

// putOff notes that the inbox must be rendered by tick, asking the clock
// to wake the writer then unless it will sooner. v.mu is held.
func (v *View) putOff(tick uint64) {
	if v.due == 0 || tick < v.due {
		v.due = tick
		v.views.at(v, tick)
	}
}

// fire wakes the writer if what the view put off is due by now.
func (v *View) fire(now uint64) {
	v.mu.Lock()
	due := v.due != 0 && v.due <= now
	v.mu.Unlock()
	if due {
		v.wake()
	}
}

// packCell and unpackCell keep a cell key in one atomic word.
func packCell(k ecs.CellKey) uint64 { return uint64(uint32(k.X))<<32 | uint64(uint32(k.Y)) }
func unpackCell(p uint64) ecs.CellKey {
	return ecs.CellKey{X: int32(uint32(p >> 32)), Y: int32(uint32(p))}
}

func (v *View) setCenter(k ecs.CellKey) {
	v.center = k
	v.middle.Store(packCell(k))
}

// wake tells the writer there is something to render.
func (v *View) wake() {
	select {
	case v.ready <- struct{}{}:
	default:
	}
}

// Ready fires when Render has work.
func (v *View) Ready() <-chan struct{} { return v.ready }

// Position is where the player's actor stood when last rendered; safe from
// any goroutine.
func (v *View) Position() (x, y float64) {
	return math.Float64frombits(v.ownX.Load()), math.Float64frombits(v.ownY.Load())
}

func (v *View) setOwn(x, y float64) {
	v.ownX.Store(math.Float64bits(x))
	v.ownY.Store(math.Float64bits(y))
}

// busy reports whether the view has work at a later tick even if nothing
// arrives (actors waiting to be shown, v1 lead points to send): the clock
// then wakes the writer every tick.
func (v *View) busy(now uint64) bool { return len(v.pending) > 0 || v.r.Busy(now) }

// Render applies every whole tick delivered so far and appends the client's
// messages to dst.
func (v *View) Render(dst [][]byte) [][]byte {
	now := v.bus.Now()
	v.mu.Lock()
	n := 0
	for n < len(v.inbox) && v.inbox[n].Tick <= now {
		n++
	}
	// The two buffers trade places: the whole ticks become the work, the
	// rest (rarely any) the inbox.
	rest := append(v.work[:0], v.inbox[n:]...)
	clear(v.inbox[n:])
	v.work, v.inbox = v.inbox[:n], rest
	if len(v.inbox) == 0 {
		v.due = 0
	}
	v.mu.Unlock()

	for i := range v.work {
		m := &v.work[i]
		if m.Snapshot != nil {
			v.snapshot(m.Snapshot, m.Tick)
		} else {
			v.batch(m.Batch, m.Tick)
		}
	}
	clear(v.work)
	v.showPending(now)
	v.r.Tick(now)
	v.setOwn(v.states[v.actors[v.own].slot].Intent.At(now))
	if v.busy(now) {
		v.mu.Lock()
		v.putOff(now + 1)
		v.mu.Unlock()
	}
	return v.r.Flush(dst)
}

// Close unsubscribes from every cell; the writer calls it once, last.
func (v *View) Close() {
	if v.closed {
		return
	}
	v.closed = true
	for k := range v.cells {
		v.bus.Unsubscribe(k, v)
	}
}

func (v *View) snapshot(s *ecs.Snapshot, tick uint64) {
	if got, subscribed := v.cells[s.Cell]; !subscribed || got {
		return // left again, or a resubscription's stale copy
	}
	v.cells[s.Cell] = true
	for _, a := range s.Actors {
		v.entered(a, s.Cell, wire.Source{}, tick)
	}
}

func (v *View) batch(b *bus.Batch, tick uint64) {
	if !v.cells[b.Cell] {
		return // not subscribed (any more), or its snapshot is still to come
	}
	for i := range b.Facts {
		f := &b.Facts[i]
		src := wire.Source{Batch: b, Index: i}
		switch f.Kind {
		case ecs.Entered:
			if f.Crossed && v.shape.all {
				continue // known since it arrived, and every cell is alike
			}
			v.entered(f.Actor, b.Cell, src, b.Tick)
		case ecs.Exited:
			v.exited(f.Actor.ID, b.Cell, f.Cell)
		case ecs.Moved:
			s, ok := v.actors[f.Actor.ID]
			if !ok {
				continue
			}
			own := f.Actor.ID == v.own
			if !s.shown || own {
				v.states[s.slot].Intent = f.Actor.Intent // for showing it later, and Position
			}
			if s.shown {
				v.r.Move(f.Actor, own, src)
			}
		case ecs.Quit:
			if f.Actor.ID == v.own {
				// A Quit up to the admission's tick is the previous
				// login's, heard late: subscriptions start with the
				// next tick the bus delivers, which may be behind.
				if tick > v.since {
					v.onEnd(Gone)
				}
				continue
			}
			if s, ok := v.actors[f.Actor.ID]; ok {
				if s.shown {
					v.r.Quit(f.Actor.ID, src)
				}
				v.untrack(f.Actor.ID, s)
			}
		case ecs.Said:
			// Whoever's view covers the speaker hears it, shown the
			// speaker yet or not; the speaker itself where its protocol
			// says that its line was taken.
			if f.Actor.ID == v.own {
				if v.r.EchoesOwnChat() {
					v.r.Chat(f.Actor.Name, f.Text, src)
				}
				continue
			}
			if v.hears(f.Actor.ID, b.Cell) {
				v.r.Chat(f.Actor.Name, f.Text, src)
			}
		case ecs.ModMessage:
			// For one player, or like chat for whoever's view covers
			// the entity it is about.
			if m := f.Msg; m.To == v.own || m.To == 0 && (f.Actor.ID == v.own || v.hears(f.Actor.ID, b.Cell)) {
				v.r.Message(m.Name, f.Actor.ID, m.Data, src)
			}
		case ecs.Denied:
			if f.Actor.ID == v.own {
				v.r.Deny(f.Text)
			}
		}
	}
}

// hears reports whether what entity id says in cell k reaches the client:
// when the client is shown id, or the cell is within the inner square,
// shown yet or not.
func (v *View) hears(id int64, k ecs.CellKey) bool {
	s, ok := v.actors[id]
	return ok && s.shown || ecs.Within(k, v.center, v.shape.in)
}

// entered notes that actor a is in cell k (from a snapshot or a fact).
func (v *View) entered(a ecs.ActorState, k ecs.CellKey, src wire.Source, tick uint64) {
	s, known := v.actors[a.ID]
	if !known {
		s = v.track(a, k)
	} else if !s.shown {
		v.states[s.slot].Intent = a.Intent
	} // a shown actor's new walk comes as a Moved of its own
	moved := s.cell != k
	s.cell = k
	if a.ID == v.own {
		v.actors[a.ID] = s
		v.recenter(k)
		return
	}
	if v.consider(&s, src, tick) || moved || !known {
		v.actors[a.ID] = s
	}
}

// exited follows actor id out of cell from into cell to.
func (v *View) exited(id int64, from, to ecs.CellKey) {
	if v.shape.all {
		return // every cell is watched, and alike
	}
	s, ok := v.actors[id]
	if !ok || s.cell != from || id == v.own {
		return // its Entered in the other cell came first, or it is unknown
	}
	if _, watched := v.cells[to]; watched {
		s.cell = to // its Entered there says the rest
		v.actors[id] = s
		return
	}
	v.forget(id, s)
}

// forget drops an actor that went out of view, telling the client if it knew.
func (v *View) forget(id int64, s seen) {
	if s.shown {
		v.r.Leave(id)
	}
	v.untrack(id, s)
}

// consider queues an actor to be shown once it is within the inner square,
// and reports whether it did; src and tick are the fact that says where it is.
func (v *View) consider(s *seen, src wire.Source, tick uint64) bool {
	if s.shown || s.queued || !ecs.Within(s.cell, v.center, v.shape.in) || !v.r.Shows(v.states[s.slot]) {
		return false
	}
	s.queued = true
	v.pending = append(v.pending, newcomer{id: v.states[s.slot].ID, src: src, tick: tick})
	return true
}

// showPending shows the client up to its protocol's number of newcomers per
// tick; the rest wait for the next tick.
func (v *View) showPending(now uint64) {
	n := 0
	budget := v.r.Newcomers()
	for n < len(v.pending) && budget > 0 {
		p := v.pending[n]
		n++
		s, ok := v.actors[p.id]
		if !ok || s.shown || !s.queued {
			continue
		}
		s.queued = false
		if ecs.Within(s.cell, v.center, v.shape.in) {
			src := p.src
			if p.tick != now {
				src = wire.Source{} // its shared bytes show where it was, not where it is
			}
			s.shown = true
			v.r.Enter(v.states[s.slot], now, src)
			budget--
			if p.id != v.own {
				v.release(&s)
			}
		}
		v.actors[p.id] = s
	}
	rest := copy(v.pending, v.pending[n:])
	clear(v.pending[rest:])
	v.pending = v.pending[:rest]
	if rest == 0 && cap(v.pending) > 64 {
		v.pending = nil // the room a crowd's arrival needed
	}
	v.compact()
}

// recenter moves the view with its player: it leaves the cells beyond the
// outer square (and forgets their actors), subscribes to the cells it now
// reaches, and queues the actors now within the inner square.
func (v *View) recenter(c ecs.CellKey) {
	if c == v.center {
		return
	}
	v.setCenter(c)
	if v.shape.all {
		return // the same world from any cell
	}
	for k := range v.cells {
		if !ecs.Within(k, c, v.shape.out) {
			delete(v.cells, k)
			v.bus.Unsubscribe(k, v)
		}
	}
	v.shape.square(c, v.shape.out, func(k ecs.CellKey) {
		if _, ok := v.cells[k]; !ok {
			v.subscribe(k)
		}
	})
	for id, s := range v.actors {
		switch {
		case id == v.own:
		case !ecs.Within(s.cell, c, v.shape.out):
			v.forget(id, s)
		case !s.shown && !s.queued:
			v.consider(&s, wire.Source{}, 0)
			v.actors[id] = s
		}
	}
}
