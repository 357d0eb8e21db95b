package net

import "sync"

// outbox is a session's queue of replies from its read loop (Ok to a
// Register, Deny) waiting for its write loop, bounded in messages and bytes.
// What the player sees of the world comes from its view, not from here.
type outbox struct {
	mu       sync.Mutex
	queue    [][]byte
	bytes    int
	maxMsgs  int
	maxBytes int
	ready    chan struct{} // holds a token while the queue is not empty
}

func newOutbox(maxMsgs, maxBytes int) *outbox {
	return &outbox{maxMsgs: maxMsgs, maxBytes: maxBytes, ready: make(chan struct{}, 1)}
}

// push queues msg, or reports false when the outbox is full.
func (o *outbox) push(msg []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.queue) >= o.maxMsgs || o.bytes+len(msg) > o.maxBytes {
		return false
	}
	o.queue = append(o.queue, msg)
	o.bytes += len(msg)
	select {
	case o.ready <- struct{}{}:
	default:
	}
	return true
}

// take appends everything queued to dst, in order, and empties the outbox.
func (o *outbox) take(dst [][]byte) [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	dst = append(dst, o.queue...)
	clear(o.queue)
	o.queue = o.queue[:0]
	o.bytes = 0
	return dst
}
