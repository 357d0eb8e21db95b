// Package ecs holds the game world: its component types, the arche world that
// stores them, the indexes the tick keeps beside it, and the small contracts
// (commands in, clients out) through which the rest of the server reaches it.
//
// Components stored in arche hold no Go pointers: arche moves components as
// raw bytes, which the garbage collector does not see, so a string, slice,
// map or interface inside one can be freed while still in use. Such data
// lives in each actor's Extra, beside the arche world.
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
// the movement system skips idle actors without removing the component. Seq
// counts target changes, so the delta system sees a new click even to the
// same point.
type Target struct {
	X, Y   float64
	Moving bool
	Seq    uint32
}

// Avatar is the sprite the clients draw for the actor, 0 to MaxAvatar.
type Avatar struct {
	ID int
}

// MaxAvatar is the highest avatar id: the original client ships six sprites.
const MaxAvatar = 5

// LastSent is the actor's movement as observers were last told it: a lead
// point on its path (v1) and the target it was heading for (v2). Every
// observer that knows the actor was sent the same, so one update serves all.
type LastSent struct {
	LeadX, LeadY float64
	Seq          uint32
}

// Saved is the position last handed to the store. The persist system writes
// only actors whose Position differs from it.
type Saved struct {
	X, Y float64
}

// Wire holds the actor's encoded packets, one per protocol. The byte slices
// are shared by many sessions' outboxes and never written to after encoding.
type Wire struct {
	// Move is the actor's current movement packet: a v1 delta to its lead
	// point, a v2 intent. It is kept until the movement changes, so an
	// observer who starts seeing the actor can be sent it at once.
	Move [Protocols][]byte
	// Enter is the actor's whole model, encoded this tick for the protocols
	// whose bit is set in Want.
	Enter [Protocols][]byte
	// Want asks the delta system for Enter: bit 1<<p for protocol p.
	Want uint8
	// Leave is the actor's out-of-view packet per protocol, made the first
	// time it is needed and kept: it never changes.
	Leave [Protocols][]byte
}

// Protocol is a wire protocol version a client speaks.
type Protocol uint8

// The protocols, indexes into Wire's arrays.
const (
	// V1 is the original tutorial's protocol: one JSON object per message,
	// positions as steps toward a lead point.
	V1 Protocol = iota
	// V2 batches a tick's packets into one message and sends movement as intent.
	V2
	// Protocols is how many protocols there are.
	Protocols
)

// Observer marks an actor played over a connection, which observes the
// world; its Extra has the connection and the view.
type Observer struct {
	Proto Protocol
}

// Extra is an actor's data that holds Go pointers, kept outside arche (see
// the package comment). World.Extra finds it by entity.
type Extra struct {
	// Name is the actor's display name (the account's username).
	Name string
	// Wire holds the actor's encoded packets.
	Wire Wire
	// Client is the connection of a player's actor; nil for others.
	Client Client
	// Known is the view of a player's actor; nil for others.
	Known *Known
}

// Known is an observer's view: the actors its client has been shown, with
// their actor ids (kept so the client can be told when one leaves), and the
// packets queued for it this tick. With a limited view, it holds every actor
// within the view's square of grid cells (unless Recheck is set: then some
// are still to be shown) and none beyond the square grown by the margin.
type Known struct {
	// Proto is the protocol the client speaks.
	Proto Protocol
	Set   map[Entity]int64
	// Fresh lists actors first shown this tick: they get Enter, not Move.
	Fresh []Entity
	// Out holds this tick's packets for the client, in order, until
	// broadcast sends them (one message each in v1, one batch in v2).
	Out []Packet
	// OwnX, OwnY is the own position last sent (v1 clients get their own
	// true position whenever it changes).
	OwnX, OwnY float64
	// Recheck asks the interest system to recompute this view next tick
	// instead of waiting for its turn.
	Recheck bool
	// deletes counts removals from Set since it was last rebuilt.
	deletes int
}

// Forget removes e from the view's Set. A map that keeps losing and gaining
// keys fills with deleted slots, which make every look-up probe further (2-3x
// slower after a long walk through a crowd), so the Set is rebuilt once it
// has seen more deletions than it holds keys.
func (k *Known) Forget(e Entity) {
	delete(k.Set, e)
	k.deletes++
	if k.deletes > 64 && k.deletes > 2*len(k.Set) {
		fresh := make(map[Entity]int64, len(k.Set))
		for x, id := range k.Set {
			fresh[x] = id
		}
		k.Set, k.deletes = fresh, 0
	}
}
