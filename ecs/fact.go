package ecs

import (
	"encoding/json"
	"math"
)

// Intent is a walk as everyone is told it: from (FromX, FromY) at tick Tick
// toward (ToX, ToY), Step units each tick. An actor standing still walks
// from where it is to the same point. Seq counts the actor's walks, so a new
// click to the same point is still a new intent.
type Intent struct {
	FromX, FromY float64
	ToX, ToY     float64
	Tick         uint64
	Step         float64
	Seq          uint32
}

// At is where the walk has got to at the end of tick now: a point on the
// straight line, never past the target.
func (i Intent) At(now uint64) (x, y float64) {
	if now <= i.Tick {
		return i.FromX, i.FromY
	}
	dx, dy := i.ToX-i.FromX, i.ToY-i.FromY
	d, s := math.Hypot(dx, dy), float64(now-i.Tick)*i.Step
	if s >= d {
		return i.ToX, i.ToY
	}
	return i.FromX + dx/d*s, i.FromY + dy/d*s
}

// Walking reports whether the walk is still under way at the end of tick now.
func (i Intent) Walking(now uint64) bool {
	return now < i.Tick || float64(now-i.Tick)*i.Step < math.Hypot(i.ToX-i.FromX, i.ToY-i.FromY)
}

// Walk moves p up to step units toward x, y and reports whether it is still
// on its way. It is the one definition of a step: the tick walks actors
// with it, and a view that replays an intent with it gets the very same
// positions.
func Walk(p *Position, x, y, step float64) bool {
	dx, dy := x-p.X, y-p.Y
	d := math.Hypot(dx, dy)
	if d <= step {
		p.X, p.Y = x, y
		return false
	}
	p.X += dx / d * step
	p.Y += dy / d * step
	return true
}

// ActorState is an entity as an observer first needs it: who it is, how it
// looks and where it walks. It is a plain value, the same in every process.
type ActorState struct {
	ID     int64
	Name   string
	Avatar int
	Intent Intent
	// Mod is what a mod says of an entity no player plays; nil for a
	// player. It is shared, never changed in place.
	Mod *ModState `json:",omitempty"`
}

// ModState is an entity's kind, as its mod registered it, and what the mod
// shows clients of it (JSON), such as which item lies on the ground.
type ModState struct {
	Kind  string
	State json.RawMessage `json:",omitempty"`
}

// Kind is the entity's kind: "" for a player.
func (a *ActorState) Kind() string {
	if a.Mod == nil {
		return ""
	}
	return a.Mod.Kind
}

// FactKind says what happened in a cell.
type FactKind uint8

// The facts the tick publishes.
const (
	// Entered: Actor is in the cell now, in full. It spawned there, or
	// (Crossed) walked in from the cell named by Cell.
	Entered FactKind = iota + 1
	// Exited: Actor.ID walked out of the cell into the cell named by Cell.
	Exited
	// Moved: Actor.ID set off on a new walk, Actor.Intent. Every new walk
	// has one, after the actor's crossing in the same tick if any.
	Moved
	// Quit: Actor.ID left the game.
	Quit
	// Said: Actor.ID, named Actor.Name, said Text.
	Said
	// ModMessage: a mod's message (Msg) about Actor.ID.
	ModMessage
	// Denied: the command of player Actor.ID was refused, for the reason Text.
	Denied
)

// Fact is one thing that happened in a cell during a tick. It holds no
// pointers into the world and means the same to any process that reads it.
type Fact struct {
	Kind  FactKind
	Actor ActorState
	// Cell is the other cell of a crossing: where an Entered actor came
	// from (when Crossed), where an Exited one went.
	Cell    CellKey
	Crossed bool
	Text    string
	// Msg is a ModMessage's; nil for every other fact.
	Msg *Message `json:",omitempty"`
}

// Message is a mod's message: its name, its data (JSON) and who hears it.
// It is shared, never changed in place.
type Message struct {
	Name string
	Data json.RawMessage `json:",omitempty"`
	// To, when not 0, is the one player it is for; 0: every player whose
	// view covers the entity it is about.
	To int64 `json:",omitempty"`
}

// CellFacts is what happened in one cell during one tick, in order.
type CellFacts struct {
	Cell CellKey
	Tick uint64
	// Seq numbers a cell's batches one by one (the bus sets it), so a
	// snapshot as of Seq joins the stream at Seq+1 with no gap and no repeat.
	Seq   uint64
	Facts []Fact
}

// Snapshot is the actors in a cell as of the end of tick Tick, after the
// cell's batch Seq.
type Snapshot struct {
	Cell   CellKey
	Tick   uint64
	Seq    uint64
	Actors []ActorState
}

// Publisher carries the tick's facts away. Neither method may block the
// tick for long: the publisher queues, the session side does the fan-out.
type Publisher interface {
	// Publish hands over one cell's facts of the current tick; the
	// publisher owns f.Facts afterwards.
	Publish(f CellFacts)
	// EndTick says every fact of tick has been published.
	EndTick(tick uint64)
}

// Departure is an actor leaving one region's world for a cell another
// region owns: all the other needs to go on simulating it, so that its
// player keeps walking and nothing it walked is lost.
type Departure struct {
	// Actor is who it is and its walk.
	Actor ActorState
	// Pos is where it stood at the end of tick Tick; Back where it stood a
	// step before, inside From: where it returns if nobody takes it.
	Pos, Back Position
	// Saved is the position last handed to the store.
	Saved Position
	// Moving is whether the walk was still under way; NewWalk whether it
	// set off this very tick, so that nobody has been told of it yet.
	Moving, NewWalk bool
	// Login is the login that plays it (Command.Login); 0 for an entity no player plays.
	Login uint64
	// Mods holds the components mods registered to travel with an entity,
	// by name, each as its JSON.
	Mods map[string]json.RawMessage `json:",omitempty"`
	// From is the cell it left, To the one it walked into.
	From, To CellKey
	Tick     uint64
}

// Departures takes actors the tick handed out of its world. Depart must not
// block: the tick calls it.
type Departures interface {
	Depart(d Departure)
}
