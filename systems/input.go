// Package systems holds the tick: the systems that run, in a fixed order and
// at a fixed rate, over the world in package ecs. Each system is a small type
// with an Update method and can be run alone on a bare world.
package systems

import (
	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Input applies the commands connections queued since the last tick: players
// join and leave, pick targets and chat. It drains at most Max commands per
// tick so a burst spreads over ticks instead of stretching one.
type Input struct {
	Queue    *ecs.Queue
	Codecs   ecs.Codecs
	Store    ecs.Mover
	Bounds   ecs.Bounds
	Max      int
	audience *audience

	targets generic.Map[ecs.Target]
	cells   generic.Map[ecs.Cell]
	one     [1]ecs.SavedPosition

	// left remembers where recently departed actors stopped. A login loads
	// the actor before the tick admits it; if its previous session left in
	// between, the load predates the logout's position, and this is newer.
	left   map[int64]departure
	leftAt []int64 // ids in the order they left, for expiry
	tick   uint64
}

// departure is where and when (in ticks) an actor left.
type departure struct {
	pos  ecs.Position
	tick uint64
}

// rememberTicks is how long a departed actor's position is kept for a login
// already in flight: far longer than a login takes to reach the tick.
const rememberTicks = 60 * 20

// Initialize builds the mappers once.
func (s *Input) Initialize(w *ecs.World) {
	s.targets = generic.NewMap[ecs.Target](w.ECS)
	s.cells = generic.NewMap[ecs.Cell](w.ECS)
	s.left = make(map[int64]departure)
}

// Update drains up to Max commands.
func (s *Input) Update(w *ecs.World) {
	s.tick++
	for len(s.leftAt) > 0 {
		id := s.leftAt[0]
		if d, ok := s.left[id]; ok {
			if s.tick-d.tick <= rememberTicks {
				break
			}
			delete(s.left, id)
		}
		s.leftAt = s.leftAt[1:]
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
	if c.Kind == ecs.Spawn {
		s.spawn(w, c)
		return
	}
	e, ok := w.Actors[c.Actor.ID]
	if !ok || w.Extra(e).Client != c.Client {
		return // a command from a connection whose actor is not (or no longer) in play
	}
	switch c.Kind {
	case ecs.Despawn:
		p := w.Position(e)
		s.one[0] = ecs.SavedPosition{ID: c.Actor.ID, X: p.X, Y: p.Y}
		s.Store.SavePositions(s.one[:])
		s.left[c.Actor.ID] = departure{p, s.tick}
		s.leftAt = append(s.leftAt, c.Actor.ID)
		w.Remove(e)
	case ecs.SetTarget:
		x, y := s.Bounds.Clamp(c.X, c.Y)
		t := s.targets.Get(e)
		*t = ecs.Target{X: x, Y: y, Moving: true, Seq: t.Seq + 1}
	case ecs.Say:
		s.say(w, e, c.Text)
	}
}

// say relays a chat line to every other player who can see the speaker,
// under the speaker's own name.
func (s *Input) say(w *ecs.World, from ecs.Entity, text string) {
	var msg [ecs.Protocols][]byte
	name := w.Extra(from).Name
	s.audience.each(w, s.cells.Get(from).Key, func(o ecs.Entity, k *ecs.Known) {
		if _, sees := k.Set[from]; !sees || o == from {
			return
		}
		if msg[k.Proto] == nil {
			msg[k.Proto] = s.Codecs[k.Proto].Chat(name, text)
		}
		k.Out = append(k.Out, ecs.Packet{Bytes: msg[k.Proto]})
	})
}

// spawn admits a logged-in actor unless it is already playing. The player
// hears Ok and then its own actor in full, before anything else.
func (s *Input) spawn(w *ecs.World, c ecs.Command) {
	if _, playing := w.Actors[c.Actor.ID]; playing {
		c.Reply <- false
		return
	}
	a := c.Actor
	if d, ok := s.left[a.ID]; ok {
		a.X, a.Y = d.pos.X, d.pos.Y
	}
	a.X, a.Y = s.Bounds.Clamp(a.X, a.Y)
	e := w.SpawnPlayer(a, c.Client, c.Proto)
	enc := s.Codecs[c.Proto]
	k := w.Extra(e).Known
	k.Out = append(k.Out, ecs.Packet{Bytes: enc.Ok()}, ecs.Packet{Bytes: enc.AppendEnter(nil, a, a.X, a.Y)})
	c.Reply <- true
}
