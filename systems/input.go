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
	Queue  *ecs.Queue
	Enc    ecs.Encoder
	Store  ecs.Mover
	Bounds ecs.Bounds
	Max    int

	sessions generic.Map[ecs.Session]
	targets  generic.Map[ecs.Target]
	names    generic.Map[ecs.Name]
	players  *generic.Filter1[ecs.Session]
	one      [1]ecs.SavedPosition
}

// Initialize builds the mappers and filters once.
func (s *Input) Initialize(w *ecs.World) {
	s.sessions = generic.NewMap[ecs.Session](w.ECS)
	s.targets = generic.NewMap[ecs.Target](w.ECS)
	s.names = generic.NewMap[ecs.Name](w.ECS)
	s.players = generic.NewFilter1[ecs.Session]()
}

// Update drains up to Max commands.
func (s *Input) Update(w *ecs.World) {
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
	if !ok || !s.sessions.Has(e) || s.sessions.Get(e).Client != c.Client {
		return // a command from a connection whose actor is not (or no longer) in play
	}
	switch c.Kind {
	case ecs.Despawn:
		p := w.Position(e)
		s.one[0] = ecs.SavedPosition{ID: c.Actor.ID, X: p.X, Y: p.Y}
		s.Store.SavePositions(s.one[:])
		w.Remove(e)
	case ecs.SetTarget:
		x, y := s.Bounds.Clamp(c.X, c.Y)
		*s.targets.Get(e) = ecs.Target{X: x, Y: y, Moving: true}
	case ecs.Say:
		msg := s.Enc.Chat(s.names.Get(e).Name, c.Text)
		q := s.players.Query(w.ECS)
		for q.Next() {
			if q.Entity() != e {
				q.Get().Client.Send(msg)
			}
		}
	}
}

// spawn admits a logged-in actor unless it is already playing. The player
// hears Ok and then its own actor in full, before anything else.
func (s *Input) spawn(w *ecs.World, c ecs.Command) {
	if _, playing := w.Actors[c.Actor.ID]; playing {
		c.Reply <- false
		return
	}
	a := c.Actor
	a.X, a.Y = s.Bounds.Clamp(a.X, a.Y)
	w.SpawnPlayer(a, c.Client)
	c.Client.Send(s.Enc.Ok())
	c.Client.Send(s.Enc.Full(a))
	c.Reply <- true
}
