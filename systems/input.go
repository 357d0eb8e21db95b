// Package systems holds the tick: the systems that run, in a fixed order and
// at a fixed rate, over the world in package ecs. Each system is a small type
// with an Update method and can be run alone on a bare world. They know no
// sockets, no observers and no protocol: what they produce is facts.
package systems

import (
	"fmt"
	"runtime/debug"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
)

// Input applies the commands connections queued since the last tick: players
// join, leave and resume, actors arrive from other regions, and the mods'
// commands (the tutorial's Target and Chat among them) run. It drains at most Max commands per
// tick so a burst spreads over ticks instead of stretching one.
type Input struct {
	Queue  *ecs.Queue
	Store  ecs.PositionStore
	Bounds ecs.Bounds
	Max    int
	// Remember is how many ticks a departed actor's position is kept for a
	// login already in flight, and an arrival's for its repeats.
	Remember uint64
	// Strays, if set, takes the commands about actors not in this world
	// (handed to another region, perhaps); without it they are dropped.
	Strays ecs.Strays
	// Commands are the registered commands by name.
	Commands map[string]mod.Command
	// Panicked hears of a mod command's handler that panicked, with the
	// value and the stack; the player is denied and the tick goes on.
	Panicked func(command string, v any, stack []byte)

	one [1]ecs.SavedPosition

	// left remembers where recently departed actors stopped. A login loads
	// the actor before the tick admits it; if its previous login left in
	// between, the load predates the logout's position, and this is newer.
	left   map[int64]stop
	leftAt []int64 // ids in the order they left, for expiry

	// arrived remembers the hand-offs taken in, so that a repeat (its
	// answer was lost) is answered again and not applied twice.
	arrived   map[arrival]struct{}
	arrivedAt []arrival
}

// arrival names one hand-off: an actor leaves a world at most once a tick.
type arrival struct {
	id, tick uint64
}

// stop is where and when (in ticks) an actor left.
type stop struct {
	pos  ecs.Position
	tick uint64
}

// Initialize builds the maps once.
func (s *Input) Initialize(*ecs.World) {
	s.left = make(map[int64]stop)
	s.arrived = make(map[arrival]struct{})
}

// Update drains up to Max commands.
func (s *Input) Update(w *ecs.World) {
	for len(s.leftAt) > 0 {
		id := s.leftAt[0]
		if d, ok := s.left[id]; ok {
			if w.Tick-d.tick <= s.Remember {
				break
			}
			delete(s.left, id)
		}
		s.leftAt = s.leftAt[1:]
	}
	for len(s.arrivedAt) > 0 && w.Tick-s.arrivedAt[0].tick > s.Remember {
		delete(s.arrived, s.arrivedAt[0])
		s.arrivedAt = s.arrivedAt[1:]
	}
	for range s.Max {
		c, ok := s.Queue.Pop()
		if !ok {
			return
		}
		s.apply(w, c)
	}
}

func (s *Input) apply(w *ecs.World, c ecs.Command) {
	switch c.Kind {
	case ecs.Spawn:
		s.spawn(w, c)
		return
	case ecs.Arrive, ecs.Return:
		s.arrive(w, c)
		return
	}
	e, ok := w.Actors[c.Actor.ID]
	if !ok && s.Strays != nil {
		s.Strays.Stray(c)
		return
	}
	if !ok || w.Owner(e) != c.Login {
		// A command from a login whose actor is not (or no longer) in
		// play; a Rejoin hears so.
		c.Reply.Answer(ecs.Admission{})
		return
	}
	switch c.Kind {
	case ecs.Despawn:
		p := w.Position(e)
		s.one[0] = ecs.SavedPosition{ID: c.Actor.ID, X: p.X, Y: p.Y}
		s.Store.SavePositions(s.one[:])
		s.left[c.Actor.ID] = stop{p, w.Tick}
		s.leftAt = append(s.leftAt, c.Actor.ID)
		w.Remove(e)
	case ecs.Rejoin:
		w.SetOwner(e, c.NewLogin)
		c.Reply.Answer(ecs.Admission{OK: true, Actor: w.State(e), Tick: w.Tick})
	case ecs.ModCommand:
		s.handle(w, e, c)
	}
}

// handle runs a mod's command, recovering a panic in its handler: the
// player is denied, the mod's fault is reported, and the tick goes on (a
// handler changes only what it reached before it panicked).
func (s *Input) handle(w *ecs.World, e ecs.Entity, c ecs.Command) {
	cmd, ok := s.Commands[c.Name]
	if !ok {
		w.Deny(e, fmt.Sprintf("Unknown action %q", c.Name))
		return
	}
	defer func() {
		if v := recover(); v != nil {
			if s.Panicked != nil {
				s.Panicked(c.Name, v, debug.Stack())
			}
			w.Deny(e, fmt.Sprintf("%s failed on the server", c.Name))
		}
	}()
	cmd.Handle(mod.Call{World: w, Entity: e, Data: c.Data})
}

// spawn admits a logged-in actor unless it is already playing.
func (s *Input) spawn(w *ecs.World, c ecs.Command) {
	if _, playing := w.Actors[c.Actor.ID]; playing {
		c.Reply.Answer(ecs.Admission{})
		return
	}
	a := c.Actor
	if d, ok := s.left[a.ID]; ok {
		a.X, a.Y = d.pos.X, d.pos.Y
	}
	a.X, a.Y = s.Bounds.Clamp(a.X, a.Y)
	e := w.Spawn(a, c.Login)
	c.Reply.Answer(ecs.Admission{OK: true, Actor: w.State(e), Tick: w.Tick})
}

// arrive takes in an actor handed over by another region (Arrive), or back
// after its hand-off failed (Return), once: a repeated hand-off is answered
// as the first was.
func (s *Input) arrive(w *ecs.World, c ecs.Command) {
	d := c.Arrival
	key := arrival{uint64(d.Actor.ID), d.Tick}
	if _, seen := s.arrived[key]; seen {
		c.Reply.Answer(ecs.Admission{OK: true, Tick: w.Tick})
		return
	}
	if _, playing := w.Actors[d.Actor.ID]; playing {
		// Back already by another way: this copy is stale.
		c.Reply.Answer(ecs.Admission{Tick: w.Tick})
		return
	}
	s.arrived[key] = struct{}{}
	s.arrivedAt = append(s.arrivedAt, key)
	var e ecs.Entity
	if c.Kind == ecs.Return {
		e = w.Return(*d)
	} else {
		e = w.Arrive(*d)
	}
	c.Reply.Answer(ecs.Admission{OK: true, Actor: w.State(e), Tick: w.Tick})
}
