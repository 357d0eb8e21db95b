package ecs

import (
	arche "github.com/mlange-42/arche/ecs"
	"github.com/mlange-42/arche/generic"
)

// Crossing records an actor that walked into another grid cell this tick.
type Crossing struct {
	Entity   Entity
	From, To CellKey
	// Back is where the actor stood before the step, inside From.
	Back Position
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
	saved  generic.Map[Saved]
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
	w.saved = generic.NewMap[Saved](w.ECS)
	return w
}

// Spawn adds an actor, played by session (0 for one nobody plays), standing
// where a says, and notes that it entered its cell.
func (w *World) Spawn(a Actor, session uint64) Entity {
	e := w.add(a, session, Target{X: a.X, Y: a.Y, FromX: a.X, FromY: a.Y, Since: w.Tick}, Saved{X: a.X, Y: a.Y})
	w.Note(w.CellOf(e), Fact{Kind: Entered, Actor: w.State(e)})
	return e
}

func (w *World) add(a Actor, session uint64, t Target, saved Saved) Entity {
	k := w.Grid.Key(a.X, a.Y)
	e := w.actors.NewWith(&ActorID{ID: a.ID}, &Position{X: a.X, Y: a.Y}, &t, &Avatar{ID: a.Avatar}, &saved, &Cell{Key: k}, &Owner{Session: session})
	i := int(e.ID())
	if i >= len(w.names) {
		w.names = append(w.names, make([]string, i+1-len(w.names))...)
	}
	w.names[i] = a.Name
	w.Actors[a.ID] = e
	return e
}

// Remove takes an actor out of the world and notes that it quit. It must
// not be called while a query is open.
func (w *World) Remove(e Entity) {
	w.Note(w.cells.Get(e).Key, Fact{Kind: Quit, Actor: ActorState{ID: w.ids.Get(e).ID}})
	w.drop(e)
}

func (w *World) drop(e Entity) {
	delete(w.Actors, w.ids.Get(e).ID)
	w.names[e.ID()] = ""
	w.ECS.RemoveEntity(e)
}

// Depart takes an actor that walked into a cell this world does not
// simulate out of it, noting that it exited toward that cell, and returns
// all that the world that owns the cell needs to go on simulating it.
// newWalk says its walk set off this tick: it starts where the actor
// stands now, and the other world publishes it. It must not be called
// while a query is open.
func (w *World) Depart(c Crossing, newWalk bool) Departure {
	e := c.Entity
	p, t, saved := w.pos.Get(e), w.target.Get(e), w.saved.Get(e)
	if newWalk {
		t.FromX, t.FromY, t.Since = p.X, p.Y, w.Tick
	}
	d := Departure{Actor: w.State(e), Pos: *p, Back: c.Back, Saved: Position(*saved), Moving: t.Moving, NewWalk: newWalk,
		Session: w.Owner(e), From: c.From, To: c.To, Tick: w.Tick}
	w.Note(c.From, Fact{Kind: Exited, Actor: ActorState{ID: d.Actor.ID}, Cell: c.To})
	w.drop(e)
	return d
}

// Arrive puts an actor handed over by another world into this one, where
// it stood when it left, and notes that it entered from the cell it left.
// Every world counts ticks on the same clock, so a walk handed over in time
// goes on unchanged; one that arrives late (its tick has passed) goes on
// from where the actor stands, as a new walk, rather than jumping ahead,
// which the caller publishes (see Retargeted). A walk that set off as the
// actor left is published here, as it set off.
func (w *World) Arrive(d Departure) Entity {
	a, i := d.Actor, d.Actor.Intent
	t := Target{X: i.ToX, Y: i.ToY, Moving: d.Moving, Seq: i.Seq, FromX: i.FromX, FromY: i.FromY, Since: i.Tick}
	late := d.Moving && w.Tick > d.Tick+1
	if late {
		t.Seq++
	}
	e := w.add(Actor{ID: a.ID, Name: a.Name, Avatar: a.Avatar, X: d.Pos.X, Y: d.Pos.Y}, d.Session, t, Saved(d.Saved))
	st := w.State(e)
	w.Note(w.CellOf(e), Fact{Kind: Entered, Actor: st, Cell: d.From, Crossed: true})
	switch {
	case late:
		w.Retargeted = append(w.Retargeted, e)
	case d.NewWalk: // as the other world set it off, where the actor stood then
		st.Name = ""
		w.Note(w.CellOf(e), Fact{Kind: Moved, Actor: st})
	}
	return e
}

// Return takes back an actor whose hand-off failed: it stands where it was
// before it stepped over the border, its walk ended, and it is noted to
// have come back from the cell it had walked into. The caller publishes
// the ended walk (see Retargeted).
func (w *World) Return(d Departure) Entity {
	a := d.Actor
	t := Target{X: d.Back.X, Y: d.Back.Y, Seq: a.Intent.Seq + 1, FromX: d.Back.X, FromY: d.Back.Y, Since: w.Tick}
	e := w.add(Actor{ID: a.ID, Name: a.Name, Avatar: a.Avatar, X: d.Back.X, Y: d.Back.Y}, d.Session, t, Saved(d.Saved))
	w.Note(w.CellOf(e), Fact{Kind: Entered, Actor: w.State(e), Cell: d.To, Crossed: true})
	w.Retargeted = append(w.Retargeted, e)
	return e
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
