package main

import (
	"bytes"
	"context"
	"math"
	"time"

	"github.com/coder/websocket"
)

// readLoopV2 reads v2 messages until the connection ends.
func (b *bot) readLoopV2(ctx context.Context, conn *websocket.Conn) {
	var buf bytes.Buffer
	r := newReaderV2(b)
	for {
		_, msg, ok := b.readMessage(ctx, conn, &buf)
		if !ok {
			return
		}
		r.message(msg)
	}
}

// readerV2 is what a v2 bot's read goroutine keeps: it decodes its own
// actor, chat and the walks of the rest (to check E before M, L of a known
// actor, walks that jump), and passes over every other byte.
type readerV2 struct {
	b         *bot
	seen      sightings
	own       int64 // this goroutine's copy of b.own: it is the only one that sets it
	expectOwn bool
}

func newReaderV2(b *bot) *readerV2 { return &readerV2{b: b, seen: sightings{}} }

func wantAll(int64) bool { return true }

// message handles one server message.
func (r *readerV2) message(msg []byte) {
	n, err := parseMessageV2(msg, wantAll, r.packet)
	r.b.packetsIn.Add(int64(n))
	if err != nil {
		r.b.fail("protocol: " + err.Error())
	}
}

// packet handles one packet of a message, in order.
func (r *readerV2) packet(p serverPacket) {
	b := r.b
	switch p.kind {
	case kindOk, kindDeny:
		b.answer(p, &r.expectOwn)
	case kindModel:
		if p.full {
			b.viewErrors(r.seen.enter(p))
			if r.expectOwn && r.own == 0 {
				r.expectOwn, r.own = false, p.id
				b.mu.Lock()
				b.own, b.pos, b.home = p.id, [2]float64{p.tx, p.ty}, [2]float64{p.x, p.y}
				b.mu.Unlock()
				b.forward(p)
			}
			return
		}
		if errs, known := r.seen.move(p); !known {
			b.fail("protocol: M before E")
		} else {
			b.viewErrors(errs)
		}
		if p.id == r.own && p.hasTarget {
			b.ownMoveV2(p)
		}
	case kindLeave, kindDisconnect:
		b.viewErrors(r.seen.leave(p.id))
		if p.id == r.own {
			b.fail("protocol: L or Q of the bot's own actor")
		}
	case kindChat:
		b.chat(p)
	}
}

// ownMoveV2 measures a click: the first own M whose target is the one
// clicked (the server sends an M when the target changes, not each step).
func (b *bot) ownMoveV2(p serverPacket) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pos = [2]float64{p.tx, p.ty}
	if b.pending.active && math.Abs(p.tx-b.pending.x) <= 0.051 && math.Abs(p.ty-b.pending.y) <= 0.051 {
		b.pending.active = false
		b.stats.moved++
		b.stats.move.add(time.Since(b.pending.sent))
	}
}

// gapSlack is how far a new intent may start from the path of the last
// one: the wire's two decimals and a step of rounding, far below a jump.
const gapSlack = 4

// walk is an actor's last intent as a v2 bot heard it: the segment from
// where it started to its target. Only that is kept, so that a bot's map of
// hundreds of actors stays small in the cache.
type walk struct{ x, y, tx, ty float64 }

func walkOf(p serverPacket) walk { return walk{p.x, p.y, p.tx, p.ty} }

// off is how far x, y is from the walk's path: a walk is straight, so
// wherever the actor has got to, it is on it.
func (w walk) off(x, y float64) float64 {
	ax, ay, bx, by := w.x, w.y, w.tx, w.ty
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = max(0, min(1, ((x-ax)*dx+(y-ay)*dy)/l))
	}
	return math.Hypot(x-(ax+t*dx), y-(ay+t*dy))
}

// sightings are the actors a v2 bot shows, with their last intents: what
// the view errors are found against. They depend on what arrives, never on
// when, so a loaded machine's delays are not taken for errors.
type sightings map[int64]walk

// enter shows an actor (E); a second E without an L between is a duplicate.
func (s sightings) enter(p serverPacket) (errs ViewErrors) {
	if _, ok := s[p.id]; ok {
		errs.Duplicates++
	}
	s[p.id] = walkOf(p)
	return errs
}

// move takes a new intent (M) of a shown actor: a gap if it does not start
// on the last one's path; known is false for an actor not shown.
func (s sightings) move(p serverPacket) (errs ViewErrors, known bool) {
	last, known := s[p.id]
	if !known {
		return errs, false
	}
	if last.off(p.x, p.y) > gapSlack {
		errs.Gaps++
	}
	s[p.id] = walkOf(p)
	return errs, true
}

// leave stops showing an actor (L or Q); one not shown is an unknown leave.
func (s sightings) leave(id int64) (errs ViewErrors) {
	if _, ok := s[id]; !ok {
		errs.UnknownLeaves++
	}
	delete(s, id)
	return errs
}
