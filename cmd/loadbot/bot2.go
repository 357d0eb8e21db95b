package main

import (
	"bytes"
	"math"
	"time"

	"github.com/coder/websocket"
)

// readLoopV2 reads v2 messages until the connection ends. It decodes its own
// actor, chat and the ids of the rest (to check E before M, L of a known
// actor), and passes over every other byte.
func (b *bot) readLoopV2(conn *websocket.Conn) {
	var buf bytes.Buffer
	known := make(map[int64]struct{})
	var own int64 // this goroutine's copy of b.own: it is the only one that sets it
	expectOwn := false
	wantPos := func(id int64) bool { return own != 0 && id == own || expectOwn && own == 0 }
	handle := func(p serverPacket) {
		switch p.kind {
		case kindOk, kindDeny:
			b.answer(p, &expectOwn)
		case kindModel:
			if p.full {
				if _, ok := known[p.id]; ok {
					b.fail("protocol: E of an actor already in view")
				}
				known[p.id] = struct{}{}
				if expectOwn && own == 0 {
					expectOwn, own = false, p.id
					b.mu.Lock()
					b.own, b.pos, b.home = p.id, [2]float64{p.tx, p.ty}, [2]float64{p.x, p.y}
					b.mu.Unlock()
					b.forward(p)
				}
				return
			}
			if _, ok := known[p.id]; !ok {
				b.fail("protocol: M before E")
			}
			if p.id == own && p.hasTarget {
				b.ownMoveV2(p)
			}
		case kindLeave, kindDisconnect:
			if _, ok := known[p.id]; !ok {
				b.fail("protocol: L or Q of an actor not in view")
			}
			if p.id == own {
				b.fail("protocol: L or Q of the bot's own actor")
			}
			delete(known, p.id)
		case kindChat:
			b.chat(p)
		}
	}
	for {
		_, msg, ok := b.readMessage(conn, &buf)
		if !ok {
			return
		}
		n, err := parseMessageV2(msg, wantPos, handle)
		b.packetsIn.Add(int64(n))
		if err != nil {
			b.fail("protocol: " + err.Error())
		}
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
