package ecs

import (
	arche "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"
)

// Crossing records an actor that walked into another grid cell this tick.
type Crossing struct {
	Entity   Entity
	From, To CellKey
}

// World is the arche world plus the indexes and per-tick notes the systems
// share. Keep it behind a pointer: arche's mappers point into it.
type World struct {
	// ECS is the arche world holding every component.
	ECS *arche.World
	// Actors finds the entity of a playing actor by its stable id.
	Actors map[int64]Entity
	// Grid says which cell a position is in.
	Grid Grid
	// Tick counts the ticks run; facts carry it.
	Tick uint64
	// Step is how far an actor walks in one tick.
	Step float64
	// Crossed lists actors that walked into another cell this tick.
	Crossed []Crossing
	// Retargeted lists actors that were given a new target this tick.
	Retargeted []Entity

	names  []string // by entity index
	facts  map[CellKey][]Fact
	order  []CellKey // cells with facts this tick, in the order they got their first
	actors generic.Map7[ActorID, Position, Target, Avatar, Saved, Cell, Owner]
	pos    generic.Map[Position]
	ids    generic.Map[ActorID]
	cells  generic.Map[Cell]
	owners generic.Map[Owner]
	avatar generic.Map[Avatar]
	target generic.Map[Target]
}

// NewWorld makes an empty world whose grid has cells of cellSize (0 for
// DefaultCellSize) and whose actors walk step units a tick.
func NewWorld(cellSize, step float64) *World {
	a := arche.NewWorld()
	w := &World{ECS: &a, Actors: make(map[int64]Entity), Grid: NewGrid(cellSize), Step: step, facts: make(map[CellKey][]Fact)}
	w.actors = generic.NewMap7[ActorID, Position, Target, Avatar, Saved, Cell, Owner](w.ECS)
	w.pos = generic.NewMap[Position](w.ECS)
	w.ids = generic.NewMap[ActorID](w.ECS)
	w.cells = generic.NewMap[Cell](w.ECS)
	w.owners = generic.NewMap[Owner](w.ECS)
	w.avatar = generic.NewMap[Avatar](w.ECS)
	w.target = generic.NewMap[Target](w.ECS)
	return w
}

// Spawn adds an actor, played by session (0 for one nobody plays), standing
// where a says, and notes that it entered its cell.
func (w *World) Spawn(a Actor, session uint64) Entity {
	k := w.Grid.Key(a.X, a.Y)
	e := w.actors.NewWith(
		&ActorID{ID: a.ID},
		&Position{X: a.X, Y: a.Y},
		&Target{X: a.X, Y: a.Y, FromX: a.X, FromY: a.Y, Since: w.Tick},
		&Avatar{ID: a.Avatar},
		&Saved{X: a.X, Y: a.Y},
		&Cell{Key: k},
		&Owner{Session: session},
	)
	i := int(e.ID())
	if i >= len(w.names) {
		w.names = append(w.names, make([]string, i+1-len(w.names))...)
	}
	w.names[i] = a.Name
	w.Actors[a.ID] = e
	w.Note(k, Fact{Kind: Entered, Actor: w.State(e)})
	return e
}

// Remove takes an actor out of the world and notes that it quit. It must
// not be called while a query is open.
func (w *World) Remove(e Entity) {
	id := w.ids.Get(e).ID
	w.Note(w.cells.Get(e).Key, Fact{Kind: Quit, Actor: ActorState{ID: id}})
	delete(w.Actors, id)
	w.names[e.ID()] = ""
	w.ECS.RemoveEntity(e)
}

// Name returns a live actor's display name.
func (w *World) Name(e Entity) string { return w.names[e.ID()] }

// Owner returns the session that plays a live actor.
func (w *World) Owner(e Entity) uint64 { return w.owners.Get(e).Session }

// SetOwner hands a live actor to another session.
func (w *World) SetOwner(e Entity, session uint64) { w.owners.Get(e).Session = session }

// Position returns an actor's position.
func (w *World) Position(e Entity) Position { return *w.pos.Get(e) }

// CellOf returns the cell an actor is filed under.
func (w *World) CellOf(e Entity) CellKey { return w.cells.Get(e).Key }

// State returns an actor as observers first need it, walk included.
func (w *World) State(e Entity) ActorState {
	t := w.target.Get(e)
	return ActorState{ID: w.ids.Get(e).ID, Name: w.Name(e), Avatar: w.avatar.Get(e).ID,
		Intent: Intent{FromX: t.FromX, FromY: t.FromY, ToX: t.X, ToY: t.Y, Tick: t.Since, Step: w.Step, Seq: t.Seq}}
}

// Note records a fact about cell k for this tick's batch of that cell.
func (w *World) Note(k CellKey, f Fact) {
	fs, ok := w.facts[k]
	if !ok {
		w.order = append(w.order, k)
	}
	w.facts[k] = append(fs, f)
}

// Publish hands this tick's facts, cell by cell in the order they were
// noted, to p, and ends the tick.
func (w *World) Publish(p Publisher) {
	for _, k := range w.order {
		p.Publish(CellFacts{Cell: k, Tick: w.Tick, Facts: w.facts[k]})
		delete(w.facts, k)
	}
	w.order = w.order[:0]
	p.EndTick(w.Tick)
}
