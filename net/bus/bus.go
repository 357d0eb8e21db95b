// Package bus carries the tick's facts to the views that watch each cell.
// The tick publishes each cell's facts of a tick; a view subscribes to the
// cells around its player and hears, for each, a snapshot of the actors in
// it and then every later batch, in order, with no gap and no repeat.
// Local is the in-process bus; the same contract can be carried between
// processes, as every fact and snapshot is a plain value.
package bus

import (
	"sync"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net/wire"
)

// Bus is what the session side needs of the bus.
type Bus interface {
	// Subscribe starts delivering cell's messages to s: first a snapshot,
	// then each batch published after it.
	Subscribe(cell ecs.CellKey, s Subscriber)
	// Unsubscribe stops delivering cell's messages to s.
	Unsubscribe(cell ecs.CellKey, s Subscriber)
	// Now is the last tick whose messages have all been delivered.
	Now() uint64
}

// Subscriber hears messages of the cells it subscribed to. Deliver is
// called from the bus's goroutine and must not block.
type Subscriber interface {
	// Deliver hands over every message of one tick for the subscriber, at
	// once, in order per cell. msgs is the bus's: copy what is kept.
	Deliver(tick uint64, msgs []Message)
}

// Message is one snapshot or one batch of a cell.
type Message struct {
	Cell ecs.CellKey
	// Tick is the tick the message was delivered with: a subscriber reads
	// the messages of a tick once it has been woken for it.
	Tick     uint64
	Batch    *Batch
	Snapshot *ecs.Snapshot
}

// Batch is a cell's facts of one tick as every subscriber in this process
// shares it: the facts, and each protocol's packets of them, encoded once.
type Batch struct {
	ecs.CellFacts
	memo [wire.MemoSlots]struct {
		once sync.Once
		v    any
	}
}

var _ wire.Shared = (*Batch)(nil)

// Memo returns the value built for slot, building it the first time.
func (b *Batch) Memo(slot int, build func(*ecs.CellFacts) any) any {
	m := &b.memo[slot]
	m.once.Do(func() { m.v = build(&b.CellFacts) })
	return m.v
}
