package net

import (
	"sync"

	"github.com/godmmo/godmmo/ecs"
)

// outbox is a session's queue of messages waiting for its write loop,
// bounded in messages and in bytes. A movement update of an actor still
// waiting is replaced in place by a newer one, so a client that falls behind
// gets fewer, newer positions before it has to be given up on. Any other
// message ends that: updates queued before it are never replaced by ones
// queued after it, so the order of enter, move and leave holds.
type outbox struct {
	mu       sync.Mutex
	queue    []ecs.Packet
	pending  map[int64]int // actor id → index in queue of its replaceable update
	bytes    int
	maxMsgs  int
	maxBytes int
	ready    chan struct{} // holds a token while the queue is not empty
}

func newOutbox(maxMsgs, maxBytes int) *outbox {
	return &outbox{pending: make(map[int64]int), maxMsgs: maxMsgs, maxBytes: maxBytes, ready: make(chan struct{}, 1)}
}

// push queues p, or reports false when the outbox is full.
func (o *outbox) push(p ecs.Packet) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if p.Move != 0 {
		if i, ok := o.pending[p.Move]; ok {
			o.bytes += len(p.Bytes) - len(o.queue[i].Bytes)
			o.queue[i] = p
			return true
		}
	} else if len(o.pending) > 0 {
		clear(o.pending)
	}
	if len(o.queue) >= o.maxMsgs || o.bytes+len(p.Bytes) > o.maxBytes {
		return false
	}
	if p.Move != 0 {
		o.pending[p.Move] = len(o.queue)
	}
	o.queue = append(o.queue, p)
	o.bytes += len(p.Bytes)
	select {
	case o.ready <- struct{}{}:
	default:
	}
	return true
}

// take moves everything queued to dst, in order, and empties the outbox.
func (o *outbox) take(dst [][]byte) [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, p := range o.queue {
		dst = append(dst, p.Bytes)
		o.queue[i] = ecs.Packet{}
	}
	o.queue = o.queue[:0]
	clear(o.pending)
	o.bytes = 0
	return dst
}
