// Package client is the Go client of the server's wire protocols, v1 (the
// original tutorial client's, docs/protocol.md) and v2
// (docs/protocol-v2.md): it dials with a protocol, sends requests in that
// protocol's form, and decodes what the server sends into one Event type,
// whichever protocol carried it. The loadbot, the tests and the tools read
// the server through it, so the wire has one reading outside the server.
//
// It decodes on its own, without the server's codec (net/wire), so that
// what uses it checks the wire and not the server's idea of it. Decoding is
// cheap where a crowd makes it hot: a Decoder can be told whose positions
// to read, and passes over the rest of other actors' packets byte by byte.
package client

import (
	"encoding/json"
	"math"
)

// Kind is what a server packet says.
type Kind uint8

// The kinds of server packet. v1 has Ok, Deny, Enter, Move, Chat and Quit;
// the rest are v2's.
const (
	// Other is a packet this client does not know; a client ignores it.
	Other Kind = iota
	// Hello is v2's first message: the limits and what the mods add (Hello).
	Hello
	// Ok accepts a request; Token resumes a v2 session after a Login or Resume.
	Ok
	// Deny refuses a request; Text is the reason, for a person.
	Deny
	// Enter shows an actor in full (v1 a full ModelDelta, v2 E).
	Enter
	// Move is a known actor's new position (v1 a ModelDelta) or walk (v2 M).
	Move
	// Chat is a line: From said Text.
	Chat
	// Leave is v2's L: the actor went out of view.
	Leave
	// Quit is the actor leaving the game (v1 Disconnect, v2 Q).
	Quit
	// Tick is v2's ["T", now]: the tick its message was written at (Tick).
	Tick
	// Message is a mod's message Name about entity ID, with Data (v2 m).
	Message
)

var kindNames = [...]string{"other", "hello", "ok", "deny", "enter", "move", "chat", "leave", "quit", "tick", "message"}

// String names the kind in test failures and logs.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind?"
}

// Event is one server packet, decoded. Which fields are set depends on
// Kind; a Decoder told not to read an actor's positions leaves an Enter or
// Move of it with only Kind and ID.
type Event struct {
	Kind Kind
	// ID is the actor of Enter, Move, Leave and Quit, the entity of a Message.
	ID int64
	// Name is an Enter's actor name or a Message's name; Avatar an Enter's avatar.
	Name   string
	Avatar int
	// X, Y is where the actor is (v2: was at Tick), when HasPos.
	X, Y   float64
	HasPos bool
	// TX, TY and Speed (units/s) are a v2 walk: toward TX, TY, when HasTarget.
	TX, TY, Speed float64
	HasTarget     bool
	// Tick is a v2 E's or M's tick (HasTick): X, Y is where the actor was
	// then. For a Tick event, the tick of its message.
	Tick    uint64
	HasTick bool
	// Entity is the kind of a v2 Enter of an entity no player plays ("npc",
	// "item"), "" for a player; State is what its mod shows of it (JSON).
	Entity string
	State  json.RawMessage
	// From said Text (Chat); Text is also a Deny's reason.
	From, Text string
	// Token is a v2 Ok's resume token ("" for none).
	Token string
	// Data is a Message's JSON (nil for null).
	Data json.RawMessage
	// Hello is the v2 hello's content.
	Hello *HelloInfo
}

// HelloInfo is the v2 hello: the limits a client's forms keep to, what the
// server's mods let a client send and may send it, and ticks per second.
type HelloInfo struct {
	Username int      `json:"username"`
	Password int      `json:"password"`
	Chat     int      `json:"chat"`
	Commands []string `json:"commands"`
	Messages []string `json:"messages"`
	Kinds    []string `json:"kinds"`
	// Rate is ticks per second (0 from a server that does not say).
	Rate int `json:"rate"`
}

// At is where the walk of a v2 Enter or Move has got to at tick now: X, Y
// advanced toward TX, TY at Speed by (now − Tick) / rate seconds, never
// past the target. It is how a client places a walk that arrives late
// (docs/protocol-v2.md). Without a tick, a walk or a rate, it is X, Y.
func (e Event) At(now uint64, rate float64) (x, y float64) {
	if !e.HasTick || !e.HasTarget || rate <= 0 || now <= e.Tick {
		return e.X, e.Y
	}
	dx, dy := e.TX-e.X, e.TY-e.Y
	dist := math.Hypot(dx, dy)
	walked := e.Speed * float64(now-e.Tick) / rate
	if walked >= dist {
		return e.TX, e.TY
	}
	return e.X + dx*walked/dist, e.Y + dy*walked/dist
}
