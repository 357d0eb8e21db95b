package ecs

import (
	arche "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"
)

// Departure records an actor that left the world this tick, so observers that
// knew it can be told.
type Departure struct {
	Entity Entity
	ID     int64
}

// World is the arche world plus the indexes and per-tick notes the systems
// share. Keep it behind a pointer: arche's mappers point into it.
type World struct {
	// ECS is the arche world holding every component.
	ECS *arche.World
	// Actors finds the entity of a playing actor by its stable id.
	Actors map[int64]Entity
	// Departed lists actors removed this tick; the interest system reports
	// them to their observers and clears the list.
	Departed []Departure
	// Changed lists actors whose Wire.Delta is set this tick, for broadcast.
	Changed []Entity

	actors  generic.Map8[ActorID, Position, Target, Name, Avatar, LastSent, Saved, Wire]
	players generic.Map2[Session, Known]
	pos     generic.Map[Position]
	ids     generic.Map[ActorID]
}

// NewWorld makes an empty world.
func NewWorld() *World {
	a := arche.NewWorld()
	w := &World{ECS: &a, Actors: make(map[int64]Entity)}
	w.actors = generic.NewMap8[ActorID, Position, Target, Name, Avatar, LastSent, Saved, Wire](w.ECS)
	w.players = generic.NewMap2[Session, Known](w.ECS)
	w.pos = generic.NewMap[Position](w.ECS)
	w.ids = generic.NewMap[ActorID](w.ECS)
	return w
}

// SpawnActor adds an actor that nobody controls over a connection (tests,
// benchmarks, future NPCs). Its position counts as saved and as last sent.
func (w *World) SpawnActor(a Actor) Entity {
	e := w.actors.NewWith(
		&ActorID{ID: a.ID},
		&Position{X: a.X, Y: a.Y},
		&Target{X: a.X, Y: a.Y},
		&Name{Name: a.Name},
		&Avatar{ID: a.Avatar},
		&LastSent{X: a.X, Y: a.Y},
		&Saved{X: a.X, Y: a.Y},
		&Wire{},
	)
	w.Actors[a.ID] = e
	return e
}

// SpawnPlayer adds an actor played over a connection; it observes the world
// and starts out knowing only itself.
func (w *World) SpawnPlayer(a Actor, c Client) Entity {
	e := w.SpawnActor(a)
	w.players.Assign(e, &Session{Client: c}, &Known{Set: map[Entity]int64{e: a.ID}})
	return e
}

// Remove takes an actor out of the world and notes its departure. It must
// not be called while a query is open.
func (w *World) Remove(e Entity) {
	id := w.ids.Get(e)
	w.Departed = append(w.Departed, Departure{Entity: e, ID: id.ID})
	delete(w.Actors, id.ID)
	w.ECS.RemoveEntity(e)
}

// Position returns an actor's position.
func (w *World) Position(e Entity) Position { return *w.pos.Get(e) }
