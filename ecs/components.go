// Package ecs holds the game world: its component types, the arche world that
// stores them, the indexes the tick keeps beside it, and the small contracts
// (commands in, clients out) through which the rest of the server reaches it.
//
// Only the tick goroutine may touch a World. Everything else talks to it with
// Commands and hears from it through Client.Send.
package ecs

import arche "github.com/mlange-42/arche/ecs"

// Entity is arche's entity handle. It is recycled after removal, so it is
// only an in-memory link; the wire and the database use ActorID.
type Entity = arche.Entity

// ActorID is the actor's stable identity: the account's id in the store, the
// id the wire names in models and Disconnect packets.
type ActorID struct {
	ID int64
}

// Position is where an actor stands, in world units.
type Position struct {
	X, Y float64
}

// Target is where an actor walks to. Moving is false once it has arrived, so
// the movement system skips idle actors without removing the component.
type Target struct {
	X, Y   float64
	Moving bool
}

// Name is the actor's display name (the account's username).
type Name struct {
	Name string
}

// Avatar is the sprite the clients draw for the actor, 0 to MaxAvatar.
type Avatar struct {
	ID int
}

// MaxAvatar is the highest avatar id: the original client ships six sprites.
const MaxAvatar = 5

// LastSent is the actor's state as observers were last told it. The delta
// system diffs against it once per tick, so every observer that knows the
// actor shares one delta.
type LastSent struct {
	X, Y float64
}

// Saved is the position last handed to the store. The persist system writes
// only actors whose Position differs from it.
type Saved struct {
	X, Y float64
}

// Wire holds the actor's packets encoded this tick. Its byte slices are handed
// to many sessions' outboxes and must never be written to after encoding.
type Wire struct {
	// Delta is this tick's change for observers that already know the actor,
	// or nil when nothing changed.
	Delta []byte
	// Full is the actor's whole model, encoded when WantFull is set.
	Full []byte
	// WantFull asks the delta system for Full: someone sees the actor for the
	// first time this tick.
	WantFull bool
}

// Session links a player's actor to its connection.
type Session struct {
	Client Client
}

// Known is an observer's view: the actors its client has been shown, with
// their actor ids (kept so a Disconnect can name an actor that is gone).
type Known struct {
	Set map[Entity]int64
	// Fresh lists actors first shown this tick: they get Full, not Delta.
	Fresh []Entity
}
