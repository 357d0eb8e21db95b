package ecs

import (
	"context"
	"encoding/json"
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
	// Rejoin hands a playing actor from the login that played it (Login)
	// to a new one (NewLogin), which resumes it after a dropped connection.
	Rejoin
	// Arrive takes in an actor another region handed over (Arrival).
	Arrive
	// Return takes back an actor this region handed out (Arrival) that no
	// other region took.
	Return
	// ModCommand is a mod's command Name with its checked arguments Data:
	// every command a player sends once in play (the tutorial's Target
	// and Chat too).
	ModCommand
)

// Command is one request from a connection, applied by the input system at
// the start of a tick. It is a plain value so queueing it allocates nothing.
type Command struct {
	Kind CommandKind
	// Login is the login that sends it: the number the server gave one
	// login of an account (a Login, or a resume of one), unique across the
	// processes of a world. The tick ignores commands about an actor from
	// any login but the one that plays it.
	Login uint64
	// Actor is the loaded actor for Spawn; the other kinds use only Actor.ID.
	Actor Actor
	// NewLogin is the login that takes the actor over, for Rejoin.
	NewLogin uint64
	// Arrival is the actor handed over, for Arrive and Return.
	Arrival *Departure
	// Name and Data are a ModCommand's name and arguments (JSON, as
	// the mod's check returned them).
	Name string
	Data json.RawMessage
	// Reply, for Spawn, Rejoin and Arrive, hears whether the actor was admitted.
	Reply Reply
}

// Admission is the tick's answer to a Spawn or a Rejoin.
type Admission struct {
	// OK is false when the actor is already playing (Spawn), or no longer
	// played by the login that hands it over (Rejoin).
	OK bool
	// Actor is the admitted actor as it entered the world (a position
	// newer than the loaded one may have replaced it).
	Actor ActorState
	// Tick is the tick it entered in.
	Tick uint64
	// Unreachable says that nobody answered: the region that owns the
	// actor is down or cut off, rather than refusing it.
	Unreachable bool
}

// Reply carries one Admission from the tick to a waiting connection. It has
// room for that one answer, so the tick never waits on it: only NewReply
// makes one.
type Reply struct{ ch chan Admission }

// NewReply makes a reply with room for its answer.
func NewReply() Reply { return Reply{ch: make(chan Admission, 1)} }

// Answer hands over the admission without waiting; a second answer, or one
// to a zero Reply, is dropped.
func (r Reply) Answer(a Admission) {
	select {
	case r.ch <- a:
	default:
	}
}

// C is where the answer arrives.
func (r Reply) C() <-chan Admission { return r.ch }

// Strays takes the commands about actors the tick does not hold, such as
// those sent just as their actor was handed to another region. Stray must
// not block: the tick calls it.
type Strays interface {
	Stray(c Command)
}

// ErrStopped is returned by Queue.Push once the tick no longer reads commands.
var ErrStopped = errors.New("ecs: tick stopped")

// ErrUnreachable is returned when the tick that would take a command (the
// region that owns the actor, in a world split into regions) cannot be
// reached now.
var ErrUnreachable = errors.New("ecs: region unreachable")

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

// Stop tells producers the tick reads no more; later pushes fail with ErrStopped.
// Call it once, from the queue's consumer.
func (q *Queue) Stop() { close(q.stopped) }
