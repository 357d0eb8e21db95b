package main

import (
	"math"
	"time"

	"github.com/godmmo/godmmo/net/client"
)

// reader is what a bot's read goroutine keeps: the bot's own actor, and
// the actors it is shown with their last walks, to find the view errors.
// Only that goroutine touches it.
type reader struct {
	b         *bot
	seen      sightings // nil: this bot does not check its view
	own       int64     // the bot's actor id, 0 until known
	expectOwn bool      // the login's Ok came: the next Enter is the bot's own
	// rate is the server's ticks per second (the v2 hello's), to place walks by their ticks.
	rate float64
}

// defaultRate is the ticks per second of a server whose hello does not say.
const defaultRate = 20

func newReader(b *bot) *reader {
	r := &reader{b: b, rate: defaultRate}
	if b.index%b.sw.cfg.checkEvery == 0 {
		r.seen = sightings{}
	}
	return r
}

// positions is whose positions the bot decodes: v2 bots that check their
// view read every walk; v1 bots, and v2 bots that do not check, only their
// own, and count the rest of a crowd's packets.
func (r *reader) positions() func(int64) bool {
	if r.b.sw.cfg.v2() && r.seen != nil {
		return nil
	}
	return func(id int64) bool { return id == r.own || (r.expectOwn && r.own == 0) }
}

// packet handles one server packet, in order.
func (r *reader) packet(p client.Event) {
	b := r.b
	switch p.Kind {
	case client.Hello:
		if p.Hello.Rate > 0 {
			r.rate = float64(p.Hello.Rate)
		}
	case client.Ok, client.Deny:
		b.answer(p, &r.expectOwn)
	case client.Enter:
		if r.seen != nil {
			b.viewErrors(r.seen.enter(p))
		}
		if r.expectOwn && r.own == 0 {
			r.expectOwn, r.own = false, p.ID
			b.mu.Lock()
			if p.HasTarget { // v2: the bot walks on from where its walk goes
				b.pos, b.home = [2]float64{p.TX, p.TY}, [2]float64{p.X, p.Y}
			} else {
				b.pos, b.home = [2]float64{p.X, p.Y}, [2]float64{p.X, p.Y}
			}
			b.mu.Unlock()
			b.forward(p)
		}
	case client.Move:
		if r.seen != nil {
			if errs, known := r.seen.move(p, r.rate); !known {
				b.fail("protocol: a move of an actor not shown")
			} else {
				b.viewErrors(errs)
			}
		}
		if p.ID == r.own && r.own != 0 {
			b.ownMove(p)
		} else if r.expectOwn && r.own == 0 {
			b.fail("protocol: first model after Ok is a delta")
		}
	case client.Leave, client.Quit:
		if r.seen != nil {
			b.viewErrors(r.seen.leave(p.ID))
		}
		if p.ID == r.own {
			b.fail("protocol: the bot's own actor left its view")
		}
	case client.Chat:
		b.heard(p)
	}
}

// ownMove measures a click by the first own move that answers it: in v2
// the first M whose target is the one clicked (the server sends an M when
// the target changes, not each step), in v1 the first position that steps
// toward it.
func (b *bot) ownMove(p client.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var moved bool
	switch {
	case p.HasTarget:
		b.pos = [2]float64{p.TX, p.TY}
		moved = math.Abs(p.TX-b.pending.x) <= 0.051 && math.Abs(p.TY-b.pending.y) <= 0.051
	case p.HasPos:
		prev := b.pos
		b.pos = [2]float64{p.X, p.Y}
		moved = movedToward(prev, b.pos, [2]float64{b.pending.x, b.pending.y})
	}
	if b.pending.active && moved {
		b.pending.active = false
		b.stats.moved++
		b.stats.move.add(time.Since(b.pending.sent))
	}
}

// gapSlack is how far a new walk may start from where the last one puts
// the actor: the wire's decimals and a step of rounding, far below a jump.
const gapSlack = 4

// walk is an actor's last walk as a v2 bot heard it. Only what the check
// needs is kept, so that a bot's map of hundreds of actors stays small in
// the cache.
type walk struct {
	x, y, tx, ty, speed float64
	tick                uint64
	hasTick, hasTarget  bool
}

func walkOf(p client.Event) walk {
	return walk{p.X, p.Y, p.TX, p.TY, p.Speed, p.Tick, p.HasTick, p.HasTarget}
}

// gap reports whether walk p, which follows w, jumps. With ticks on both,
// w is placed where it had got to at p's tick (the lateness rule of
// docs/protocol-v2.md, client.Event.At), so a walk sent late is not a
// jump: p must start there, give or take a tick's step. Without, p must
// start on w's path, the segment from where w started to its target (a
// walk is straight, so wherever the actor has got to, it is on it).
func (w walk) gap(p client.Event, rate float64) bool {
	if !w.hasTarget || !p.HasTarget {
		return false // v1: others' walks are not read
	}
	if w.hasTick && p.HasTick {
		last := client.Event{X: w.x, Y: w.y, TX: w.tx, TY: w.ty, Speed: w.speed, Tick: w.tick, HasTick: true, HasTarget: true}
		x, y := last.At(p.Tick, rate)
		return math.Hypot(p.X-x, p.Y-y) > gapSlack+w.speed/rate
	}
	ax, ay, bx, by := w.x, w.y, w.tx, w.ty
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = max(0, min(1, ((p.X-ax)*dx+(p.Y-ay)*dy)/l))
	}
	return math.Hypot(p.X-(ax+t*dx), p.Y-(ay+t*dy)) > gapSlack
}

// sightings are the actors a bot shows, with their last walks: what the
// view errors are found against. They depend on what arrives, never on
// when, so a loaded machine's delays are not taken for errors.
type sightings map[int64]walk

// enter shows an actor; a second Enter without a Leave or Quit between is
// a duplicate.
func (s sightings) enter(p client.Event) (errs ViewErrors) {
	if _, ok := s[p.ID]; ok {
		errs.Duplicates++
	}
	s[p.ID] = walkOf(p)
	return errs
}

// move takes a new walk of a shown actor, a gap if it jumps; known is
// false for an actor not shown.
func (s sightings) move(p client.Event, rate float64) (errs ViewErrors, known bool) {
	last, known := s[p.ID]
	if !known {
		return errs, false
	}
	if last.gap(p, rate) {
		errs.Gaps++
	}
	s[p.ID] = walkOf(p)
	return errs, true
}

// leave stops showing an actor (Leave or Quit); one not shown is an
// unknown leave.
func (s sightings) leave(id int64) (errs ViewErrors) {
	if _, ok := s[id]; !ok {
		errs.UnknownLeaves++
	}
	delete(s, id)
	return errs
}
