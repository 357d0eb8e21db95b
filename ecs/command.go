package ecs

import (
	"context"
	"errors"
)

// CommandKind says what a Command asks of the tick.
type CommandKind uint8

// The commands connections send to the tick.
const (
	// Spawn puts an authenticated player's actor into the world.
	Spawn CommandKind = iota + 1
	// Despawn takes a player's actor out when its connection ends.
	Despawn
	// SetTarget makes an actor walk to X, Y.
	SetTarget
	// Say relays Text from an actor to the other players.
	Say
)

// Command is one request from a connection, applied by the input system at
// the start of a tick. It is a plain value so queueing it allocates nothing.
type Command struct {
	Kind   CommandKind
	Client Client
	// Actor is the loaded actor for Spawn; the other kinds use only Actor.ID.
	Actor Actor
	// Proto is the protocol the client speaks, for Spawn.
	Proto Protocol
	X, Y  float64
	Text  string
	// Reply, for Spawn, hears whether the actor was admitted. It must have
	// room for one value: the tick never waits on it.
	Reply chan<- bool
}

// ErrStopped is returned by Queue.Push once the tick no longer reads commands.
var ErrStopped = errors.New("ecs: tick stopped")

// Queue carries commands from connections to the tick. It is bounded: a
// producer waits when it is full, so a flood of input slows its own
// connection instead of growing memory or the tick's work.
type Queue struct {
	ch      chan Command
	stopped chan struct{}
}

// NewQueue makes a queue that holds up to size commands.
func NewQueue(size int) *Queue {
	return &Queue{ch: make(chan Command, size), stopped: make(chan struct{})}
}

// Push queues c, waiting while the queue is full until ctx ends or the tick stops.
func (q *Queue) Push(ctx context.Context, c Command) error {
	select {
	case <-q.stopped:
		return ErrStopped
	default:
	}
	select {
	case q.ch <- c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-q.stopped:
		return ErrStopped
	}
}

// Pop returns the next command without waiting; ok is false when none is queued.
func (q *Queue) Pop() (c Command, ok bool) {
	select {
	case c = <-q.ch:
		return c, true
	default:
		return Command{}, false
	}
}

// Len is the number of commands waiting.
func (q *Queue) Len() int { return len(q.ch) }

// Cap is the most commands the queue holds.
func (q *Queue) Cap() int { return cap(q.ch) }

// Stop tells producers the tick reads no more; later pushes fail with ErrStopped.
// Call it once, from the queue's consumer.
func (q *Queue) Stop() { close(q.stopped) }
