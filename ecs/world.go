package ecs

import (
	"encoding/json"
	"fmt"

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

// Thing is an entity no player plays, as a mod spawns it: an NPC, which
// walks, or an object, which stands (Step 0).
type Thing struct {
	// Kind is the kind the mod registered; never "" (that is a player).
	Kind   string
	Name   string
	Avatar int
	X, Y   float64
	// Step is how far it walks in one tick.
	Step float64
	// State is what clients are shown of it (JSON), or nil.
	State json.RawMessage
}

// Carrier moves one mod component between an entity and its JSON: out of
// the world when the entity is handed to another region, into it when one
// arrives or a player logs in with what the mod keeps of it.
type Carrier struct {
	Name string
	// Save returns the entity's component as JSON; ok is false when the
	// entity has none.
	Save func(e Entity) (data json.RawMessage, ok bool)
	// Load gives the entity the component data describes.
	Load func(e Entity, data json.RawMessage) error
}

// World is the arche world plus the indexes and per-tick notes the systems
// share. Keep it behind a pointer: arche's mappers point into it.
type World struct {
	// ECS is the arche world holding every component.
	ECS *arche.World
	// Actors finds the entity of a live actor (a player's, an NPC, an
	// object) by its stable id.
	Actors map[int64]Entity
	// Grid says which cell a position is in.
	Grid Grid
	// Tick counts the ticks run; facts carry it.
	Tick uint64
	// Step is how far a player walks in one tick.
	Step float64
	// Rate is how many ticks run a second.
	Rate int
	// Bounds is where entities may be.
	Bounds Bounds
	// Region, when set, says which cells this world simulates (a world
	// split into regions); nil: all of them.
	Region func(CellKey) bool
	// IDs issues the ids of entities no player plays.
	IDs *IDs
	// Crossed lists actors that walked into another cell this tick.
	Crossed []Crossing
	// Retargeted lists actors that were given a new target this tick.
	Retargeted []Entity

	names    []string            // by Name.Ref
	freeName []uint32            // unused slots of names
	mods     map[int64]*ModState // of entities no player plays
	kinds    []string            // by Kind.ID; 0 is a player's
	kindIDs  map[string]uint16
	carriers []Carrier
	facts    map[CellKey][]Fact
	order    []CellKey // cells with facts this tick, in the order they got their first
	players  generic.Map9[ActorID, Position, Target, Avatar, Saved, Cell, Owner, Kind, Name]
	things   generic.Map7[ActorID, Position, Target, Avatar, Cell, Kind, Name]
	pos      generic.Map[Position]
	ids      generic.Map[ActorID]
	cells    generic.Map[Cell]
	owners   generic.Map[Owner]
	avatar   generic.Map[Avatar]
	target   generic.Map[Target]
	saved    generic.Map[Saved]
	kind     generic.Map[Kind]
	name     generic.Map[Name]
}

// NewWorld makes an empty world whose grid has cells of cellSize (0 for
// DefaultCellSize) and whose players walk step units a tick.
func NewWorld(cellSize, step float64) *World {
	a := arche.NewWorld()
	w := &World{ECS: &a, Actors: make(map[int64]Entity), Grid: NewGrid(cellSize), Step: step, IDs: &IDs{},
		mods: make(map[int64]*ModState), kinds: []string{""}, kindIDs: map[string]uint16{"": 0},
		facts: make(map[CellKey][]Fact)}
	w.players = generic.NewMap9[ActorID, Position, Target, Avatar, Saved, Cell, Owner, Kind, Name](w.ECS)
	w.things = generic.NewMap7[ActorID, Position, Target, Avatar, Cell, Kind, Name](w.ECS)
	w.name = generic.NewMap[Name](w.ECS)
	w.pos = generic.NewMap[Position](w.ECS)
	w.ids = generic.NewMap[ActorID](w.ECS)
	w.cells = generic.NewMap[Cell](w.ECS)
	w.owners = generic.NewMap[Owner](w.ECS)
	w.avatar = generic.NewMap[Avatar](w.ECS)
	w.target = generic.NewMap[Target](w.ECS)
	w.saved = generic.NewMap[Saved](w.ECS)
	w.kind = generic.NewMap[Kind](w.ECS)
	return w
}

// Carry registers a mod component that travels with its entity between
// regions and comes in with a player at login.
func (w *World) Carry(c Carrier) { w.carriers = append(w.carriers, c) }

// Spawn adds a player's actor, played by login, standing where a says,
// with the mod components a carries, and notes that it entered its cell.
func (w *World) Spawn(a Actor, login uint64) Entity {
	e := w.addPlayer(a, login, Target{X: a.X, Y: a.Y, FromX: a.X, FromY: a.Y, Since: w.Tick, Step: w.Step}, Saved{X: a.X, Y: a.Y})
	w.load(e, a.Mods)
	w.Note(w.CellOf(e), Fact{Kind: Entered, Actor: w.State(e)})
	return e
}

// SpawnThing adds an entity no player plays, with a new id, and notes that
// it entered its cell. A State that is not JSON panics, as in Tell.
func (w *World) SpawnThing(t Thing) Entity {
	mustJSON("state of "+t.Kind, t.State)
	e := w.addThing(w.IDs.Next(), t.Kind, t.Name, t.Avatar, Position{X: t.X, Y: t.Y},
		Target{X: t.X, Y: t.Y, FromX: t.X, FromY: t.Y, Since: w.Tick, Step: t.Step}, t.State)
	w.Note(w.CellOf(e), Fact{Kind: Entered, Actor: w.State(e)})
	return e
}

func (w *World) addPlayer(a Actor, login uint64, t Target, saved Saved) Entity {
	k := w.Grid.Key(a.X, a.Y)
	e := w.players.NewWith(&ActorID{ID: a.ID}, &Position{X: a.X, Y: a.Y}, &t, &Avatar{ID: a.Avatar}, &saved, &Cell{Key: k}, &Owner{Login: login}, &Kind{}, w.named(a.Name))
	w.Actors[a.ID] = e
	return e
}

func (w *World) addThing(id int64, kind, name string, avatar int, p Position, t Target, state json.RawMessage) Entity {
	e := w.things.NewWith(&ActorID{ID: id}, &p, &t, &Avatar{ID: avatar}, &Cell{Key: w.Grid.Key(p.X, p.Y)}, &Kind{ID: w.kindID(kind)}, w.named(name))
	w.Actors[id] = e
	w.mods[id] = &ModState{Kind: kind, State: state}
	return e
}

// named files name in the name table and returns its Name.
func (w *World) named(name string) *Name {
	if n := len(w.freeName); n > 0 {
		ref := w.freeName[n-1]
		w.freeName = w.freeName[:n-1]
		w.names[ref] = name
		return &Name{Ref: ref}
	}
	w.names = append(w.names, name)
	return &Name{Ref: uint32(len(w.names) - 1)}
}

func (w *World) kindID(name string) uint16 {
	id, ok := w.kindIDs[name]
	if !ok {
		id = uint16(len(w.kinds))
		w.kinds = append(w.kinds, name)
		w.kindIDs[name] = id
	}
	return id
}

// load gives e the mod components in mods; one that fails to load is left
// out rather than lose the entity.
func (w *World) load(e Entity, mods map[string]json.RawMessage) {
	if len(mods) == 0 {
		return
	}
	for _, c := range w.carriers {
		if data, ok := mods[c.Name]; ok {
			if err := c.Load(e, data); err != nil {
				w.Deny(e, fmt.Sprintf("%s: %v", c.Name, err))
			}
		}
	}
}

// carried returns e's mod components that travel with it.
func (w *World) carried(e Entity) map[string]json.RawMessage {
	var mods map[string]json.RawMessage
	for _, c := range w.carriers {
		if data, ok := c.Save(e); ok {
			if mods == nil {
				mods = make(map[string]json.RawMessage, len(w.carriers))
			}
			mods[c.Name] = data
		}
	}
	return mods
}

// Remove takes an entity out of the world and notes that it quit. It must
// not be called while a query is open.
func (w *World) Remove(e Entity) {
	w.Note(w.cells.Get(e).Key, Fact{Kind: Quit, Actor: ActorState{ID: w.ids.Get(e).ID}})
	w.drop(e)
}

func (w *World) drop(e Entity) {
	id := w.ids.Get(e).ID
	delete(w.Actors, id)
	delete(w.mods, id)
	ref := w.name.Get(e).Ref
	w.names[ref] = ""
	w.freeName = append(w.freeName, ref)
	w.ECS.RemoveEntity(e)
}

// Owns reports whether this world simulates the cell at x, y: an entity
// spawned elsewhere would be another region's.
func (w *World) Owns(x, y float64) bool {
	return w.Bounds.Contains(x, y) && (w.Region == nil || w.Region(w.Grid.Key(x, y)))
}

// IsPlayer reports whether a live entity is a player's actor.
func (w *World) IsPlayer(e Entity) bool { return w.owners.Has(e) }

// Depart takes an actor that walked into a cell this world does not
// simulate out of it, noting that it exited toward that cell, and returns
// all that the world that owns the cell needs to go on simulating it, the
// mod components that travel with it included. newWalk says its walk set
// off this tick: it starts where the actor stands now, and the other world
// publishes it. It must not be called while a query is open.
func (w *World) Depart(c Crossing, newWalk bool) Departure {
	e := c.Entity
	p, t := w.pos.Get(e), w.target.Get(e)
	if newWalk {
		t.FromX, t.FromY, t.Since = p.X, p.Y, w.Tick
	}
	d := Departure{Actor: w.State(e), Pos: *p, Back: c.Back, Moving: t.Moving, NewWalk: newWalk,
		Login: w.Owner(e), From: c.From, To: c.To, Tick: w.Tick, Mods: w.carried(e)}
	if saved := w.saved.Get(e); saved != nil {
		d.Saved = Position(*saved)
	}
	w.Note(c.From, Fact{Kind: Exited, Actor: ActorState{ID: d.Actor.ID}, Cell: c.To})
	w.drop(e)
	return d
}

// readd puts a departed entity back into the world at p with walk t.
func (w *World) readd(d Departure, p Position, t Target) Entity {
	a := d.Actor
	var e Entity
	if a.Mod == nil {
		e = w.addPlayer(Actor{ID: a.ID, Name: a.Name, Avatar: a.Avatar, X: p.X, Y: p.Y}, d.Login, t, Saved(d.Saved))
	} else {
		e = w.addThing(a.ID, a.Mod.Kind, a.Name, a.Avatar, p, t, a.Mod.State)
	}
	w.load(e, d.Mods)
	return e
}

// Arrive puts an actor handed over by another world into this one, where
// it stood when it left, and notes that it entered from the cell it left.
// Every world counts ticks on the same clock, so a walk handed over in time
// goes on unchanged; one that arrives late (its tick has passed) goes on
// from where the actor stands, as a new walk, rather than jumping ahead,
// which the caller publishes (see Retargeted). A walk that set off as the
// actor left is published here, as it set off.
func (w *World) Arrive(d Departure) Entity {
	i := d.Actor.Intent
	t := Target{X: i.ToX, Y: i.ToY, Moving: d.Moving, Seq: i.Seq, FromX: i.FromX, FromY: i.FromY, Since: i.Tick, Step: i.Step}
	late := d.Moving && w.Tick > d.Tick+1
	if late {
		t.Seq++
	}
	e := w.readd(d, d.Pos, t)
	st := w.State(e)
	w.Note(w.CellOf(e), Fact{Kind: Entered, Actor: st, Cell: d.From, Crossed: true})
	switch {
	case late:
		w.Retargeted = append(w.Retargeted, e)
	case d.NewWalk: // as the other world set it off, where the actor stood then
		st.Name, st.Mod = "", nil
		w.Note(w.CellOf(e), Fact{Kind: Moved, Actor: st})
	}
	return e
}

// Return takes back an actor whose hand-off failed: it stands where it was
// before it stepped over the border, its walk ended, and it is noted to
// have come back from the cell it had walked into. The caller publishes
// the ended walk (see Retargeted).
func (w *World) Return(d Departure) Entity {
	b := d.Back
	t := Target{X: b.X, Y: b.Y, Seq: d.Actor.Intent.Seq + 1, FromX: b.X, FromY: b.Y, Since: w.Tick, Step: d.Actor.Intent.Step}
	e := w.readd(d, b, t)
	w.Note(w.CellOf(e), Fact{Kind: Entered, Actor: w.State(e), Cell: d.To, Crossed: true})
	w.Retargeted = append(w.Retargeted, e)
	return e
}

// SetTarget sends a live entity walking to x, y at its own pace; the facts
// system publishes the walk.
func (w *World) SetTarget(e Entity, x, y float64) {
	t := w.target.Get(e)
	t.X, t.Y, t.Moving, t.Seq = x, y, true, t.Seq+1
	w.Retargeted = append(w.Retargeted, e)
}

// Walking reports whether a live entity is on its way somewhere.
func (w *World) Walking(e Entity) bool { return w.target.Get(e).Moving }

// ID returns a live entity's stable id.
func (w *World) ID(e Entity) int64 { return w.ids.Get(e).ID }

// Name returns a live entity's display name.
func (w *World) Name(e Entity) string { return w.names[w.name.Get(e).Ref] }

// Owner returns the login that plays a live actor; 0 for an entity no
// player plays.
func (w *World) Owner(e Entity) uint64 {
	if o := w.owners.Get(e); o != nil {
		return o.Login
	}
	return 0
}

// SetOwner hands a live actor to another login.
func (w *World) SetOwner(e Entity, login uint64) { w.owners.Get(e).Login = login }

// Position returns an actor's position.
func (w *World) Position(e Entity) Position { return *w.pos.Get(e) }

// CellOf returns the cell an actor is filed under.
func (w *World) CellOf(e Entity) CellKey { return w.cells.Get(e).Key }

// Kind returns a live entity's kind: "" for a player.
func (w *World) Kind(e Entity) string { return w.kinds[w.kind.Get(e).ID] }

// State returns an entity as observers first need it, walk included.
func (w *World) State(e Entity) ActorState {
	// The tick asks this of every actor it tells of: one check that e is
	// alive, then the components without it.
	if !w.ECS.Alive(e) {
		panic("ecs: State of a removed entity")
	}
	t, id := w.target.GetUnchecked(e), w.ids.GetUnchecked(e).ID
	var mod *ModState
	if len(w.mods) > 0 {
		mod = w.mods[id]
	}
	return ActorState{ID: id, Name: w.names[w.name.GetUnchecked(e).Ref], Avatar: w.avatar.GetUnchecked(e).ID, Mod: mod,
		Intent: Intent{FromX: t.FromX, FromY: t.FromY, ToX: t.X, ToY: t.Y, Tick: t.Since, Step: t.Step, Seq: t.Seq}}
}

// Note records a fact about cell k for this tick's batch of that cell.
func (w *World) Note(k CellKey, f Fact) {
	fs, ok := w.facts[k]
	if !ok {
		w.order = append(w.order, k)
	}
	w.facts[k] = append(fs, f)
}

// Tell notes a mod's message name about entity e, with data (JSON), for
// the one player to, or for every player who can see e when to is 0. Data
// that is not JSON is a mod's bug, which would reach clients and other
// processes: Tell panics on it, in one process as in a cluster.
func (w *World) Tell(e Entity, name string, data json.RawMessage, to int64) {
	mustJSON("message "+name, data)
	w.Note(w.CellOf(e), Fact{Kind: ModMessage, Actor: ActorState{ID: w.ID(e)}, Msg: &Message{Name: name, Data: data, To: to}})
}

func mustJSON(what string, data json.RawMessage) {
	if len(data) > 0 && !json.Valid(data) {
		panic(fmt.Sprintf("ecs: %s is not JSON: %.64q", what, data))
	}
}

// Say notes a line e says: every view covering e's cell hears it, shown e
// yet or not.
func (w *World) Say(e Entity, text string) {
	w.Note(w.CellOf(e), Fact{Kind: Said, Actor: ActorState{ID: w.ID(e), Name: w.Name(e)}, Text: text})
}

// Deny tells the player of e that its command was refused, and why.
func (w *World) Deny(e Entity, reason string) {
	id := w.ID(e)
	w.Note(w.CellOf(e), Fact{Kind: Denied, Actor: ActorState{ID: id}, Text: reason})
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
