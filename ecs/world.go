package ecs

import (
	arche "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"
)

// Departure records an actor that left the world this tick, and where, so
// observers that knew it can be told.
type Departure struct {
	Entity Entity
	ID     int64
	X, Y   float64
}

// Crossing records an actor filed into another grid cell this tick, or
// (New) filed for the first time, so views can follow it.
type Crossing struct {
	Entity   Entity
	From, To CellKey
	New      bool
}

// World is the arche world plus the indexes and per-tick notes the systems
// share. Keep it behind a pointer: arche's mappers point into it.
type World struct {
	// ECS is the arche world holding every component.
	ECS *arche.World
	// Actors finds the entity of a playing actor by its stable id.
	Actors map[int64]Entity
	// Grid files every actor by position; Watchers files the observers
	// alone, so finding who can see a point costs the players near it, not
	// every actor near it.
	Grid, Watchers *Grid
	// Departed lists actors removed this tick; the interest system reports
	// them to their observers and clears the list.
	Departed []Departure
	// Crossed lists actors that entered a grid cell this tick; the interest
	// system follows them and clears the list.
	Crossed []Crossing
	// Changed lists actors whose movement changed this tick (a new target),
	// for every observer; Led those that only have a new v1 lead point.
	Changed []Entity
	Led     []Entity

	extras    []*Extra // by entity index
	actors    generic.Map7[ActorID, Position, Target, Avatar, LastSent, Saved, Cell]
	observers generic.Map1[Observer]
	pos       generic.Map[Position]
	ids       generic.Map[ActorID]
	cells     generic.Map[Cell]
}

// NewWorld makes an empty world whose grid has cells of cellSize (0 for
// DefaultCellSize).
func NewWorld(cellSize float64) *World {
	a := arche.NewWorld()
	w := &World{ECS: &a, Actors: make(map[int64]Entity), Grid: NewGrid(cellSize), Watchers: NewGrid(cellSize)}
	w.actors = generic.NewMap7[ActorID, Position, Target, Avatar, LastSent, Saved, Cell](w.ECS)
	w.observers = generic.NewMap1[Observer](w.ECS)
	w.pos = generic.NewMap[Position](w.ECS)
	w.ids = generic.NewMap[ActorID](w.ECS)
	w.cells = generic.NewMap[Cell](w.ECS)
	return w
}

// SpawnActor adds an actor that nobody controls over a connection (tests,
// benchmarks, future NPCs). Its position counts as saved and as last sent.
func (w *World) SpawnActor(a Actor) Entity {
	k := w.Grid.Key(a.X, a.Y)
	e := w.actors.NewWith(
		&ActorID{ID: a.ID},
		&Position{X: a.X, Y: a.Y},
		&Target{X: a.X, Y: a.Y},
		&Avatar{ID: a.Avatar},
		&LastSent{LeadX: a.X, LeadY: a.Y},
		&Saved{X: a.X, Y: a.Y},
		&Cell{Key: k},
	)
	i := int(e.ID())
	if i >= len(w.extras) {
		w.extras = append(w.extras, make([]*Extra, i+1-len(w.extras))...)
	}
	w.extras[i] = &Extra{Name: a.Name}
	w.Grid.Add(e, k)
	w.Crossed = append(w.Crossed, Crossing{Entity: e, To: k, New: true})
	w.Actors[a.ID] = e
	return e
}

// SpawnPlayer adds an actor played over a connection speaking proto; it
// observes the world, starts out knowing only itself, and has its view
// computed on the next tick.
func (w *World) SpawnPlayer(a Actor, c Client, proto Protocol) Entity {
	e := w.SpawnActor(a)
	w.observers.Assign(e, &Observer{Proto: proto})
	x := w.Extra(e)
	x.Client = c
	x.Known = &Known{Proto: proto, Set: map[Entity]int64{e: a.ID}, OwnX: a.X, OwnY: a.Y, Recheck: true}
	w.Watchers.Add(e, w.cells.Get(e).Key)
	return e
}

// Remove takes an actor out of the world and notes its departure. It must
// not be called while a query is open.
func (w *World) Remove(e Entity) {
	id, p := w.ids.Get(e).ID, w.pos.Get(e)
	w.Departed = append(w.Departed, Departure{Entity: e, ID: id, X: p.X, Y: p.Y})
	k := w.cells.Get(e).Key
	w.Grid.Remove(e, k)
	if w.Extra(e).Known != nil {
		w.Watchers.Remove(e, k)
	}
	delete(w.Actors, id)
	w.extras[e.ID()] = nil
	w.ECS.RemoveEntity(e)
}

// Extra returns the pointer-holding data of a live actor.
func (w *World) Extra(e Entity) *Extra { return w.extras[e.ID()] }

// Refile moves an actor filed under one cell to another, in both grids.
func (w *World) Refile(e Entity, from, to CellKey) {
	w.Grid.Move(e, from, to)
	if w.Extra(e).Known != nil {
		w.Watchers.Move(e, from, to)
	}
	w.Crossed = append(w.Crossed, Crossing{Entity: e, From: from, To: to})
}

// Position returns an actor's position.
func (w *World) Position(e Entity) Position { return *w.pos.Get(e) }
