// Package ecs holds the game world: its component types, the arche world that
// stores them, the grid the tick keeps beside it, and the world's vocabulary:
// the commands connections send in and the facts the tick publishes out.
//
// Components stored in arche hold no Go pointers: arche moves components as
// raw bytes, which the garbage collector does not see, so a string, slice,
// map or interface inside one can be freed while still in use. A Name is a
// handle into a table of strings beside the arche world.
//
// Only the tick goroutine may touch a World. Everything else talks to it with
// Commands and hears from it through the Facts it publishes.
package ecs

import arche "github.com/mlange-42/arche/ecs"

// Entity is arche's entity handle. It is recycled after removal, so it is
// only an in-memory link; the wire, the bus and the database use ActorID.
type Entity = arche.Entity

// ActorID is the entity's stable identity: a player's is its account's id in
// the store (positive); an NPC's or an object's is issued by IDs (negative).
// The wire names it in models and Disconnect packets.
type ActorID struct {
	ID int64
}

// Position is where an actor stands, in world units.
type Position struct {
	X, Y float64
}

// Target is where an actor walks to, and the walk as observers were told it.
// Moving is false once it has arrived, so the movement system skips idle
// actors without removing the component. Seq counts target changes, so a
// new click to the same point is still news. FromX, FromY and Since are
// where and at which tick the current walk was published to start.
type Target struct {
	X, Y         float64
	Moving       bool
	Seq          uint32
	FromX, FromY float64
	Since        uint64
	// Step is how far it walks in one tick: each entity has its own pace.
	Step float64
}

// Avatar is the sprite the clients draw for the actor, 0 to MaxAvatar.
type Avatar struct {
	ID int
}

// MaxAvatar is the highest avatar id: the original client ships six sprites.
const MaxAvatar = 5

// Saved is the position last handed to the store. The persist system writes
// only actors whose Position differs from it.
type Saved struct {
	X, Y float64
}

// Owner is the login that plays the actor (Command.Login). Commands from
// any other login (one that logged in earlier and is still closing) are ignored.
type Owner struct {
	Login uint64
}

// Cell is the grid cell an actor is filed under.
type Cell struct{ Key CellKey }

// Name is an entity's display name, as a handle into the world's name
// table (see World.Name): a component cannot hold the string itself.
type Name struct{ Ref uint32 }

// Kind is what sort of entity it is, as an index into the world's kind
// names (0: a player's actor); see World.Kind.
type Kind struct{ ID uint16 }
