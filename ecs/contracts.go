package ecs

// Actor is an actor as the store keeps it and the wire first shows it.
type Actor struct {
	ID     int64
	Name   string
	Avatar int
	X, Y   float64
}

// Packet is one encoded message for a client.
type Packet struct {
	Bytes []byte
	// Move, when not 0, is the id of the actor whose movement alone this
	// packet updates: a newer one may replace it while it waits to be
	// written, so a client that falls behind gets fewer, newer positions.
	Move int64
}

// Client is the tick's only way to talk to a connection. Send never blocks:
// a client that cannot take more is dropped by its own session, not waited for.
type Client interface {
	// Send queues one message. It reports false when the message was not
	// queued because the client is being disconnected.
	Send(p Packet) bool
}

// Encoder turns world facts into one protocol's wire bytes. The tick encodes
// each fact once per protocol and shares the bytes among every client of
// that protocol that should hear it.
type Encoder interface {
	// Ok acknowledges a request.
	Ok() []byte
	// AppendEnter appends an actor's whole model, sent the first time a
	// client sees it: v1 places it at a.X, a.Y; v2 also says it is walking
	// toward tx, ty.
	AppendEnter(dst []byte, a Actor, tx, ty float64) []byte
	// AppendMove appends a movement update: v1, a position delta to x, y
	// (the lead point); v2, an intent to walk from x, y toward tx, ty.
	AppendMove(dst []byte, id int64, x, y, tx, ty float64) []byte
	// Chat relays a line said by the named player.
	Chat(from, text string) []byte
	// Leave tells a client that an actor went out of its view.
	Leave(id int64) []byte
	// Quit tells a client that an actor it knew left the game.
	Quit(id int64) []byte
	// Batched reports whether a tick's packets for a client travel as one
	// message (built by AppendBatch) rather than one message each.
	Batched() bool
	// AppendBatch appends one message carrying the packets, in order.
	AppendBatch(dst []byte, packets []Packet) []byte
}

// Codecs holds one Encoder per protocol, indexed by Protocol.
type Codecs [Protocols]Encoder

// Mover is told the positions the store should keep. It must not block.
type Mover interface {
	SavePositions(batch []SavedPosition)
}

// SavedPosition is one actor's position handed to the store.
type SavedPosition struct {
	ID   int64
	X, Y float64
}

// Bounds is the rectangle actors live in. Targets outside it are clamped to it.
type Bounds struct {
	MinX, MinY, MaxX, MaxY float64
}

// Clamp returns the point of b nearest to x, y.
func (b Bounds) Clamp(x, y float64) (float64, float64) {
	return min(max(x, b.MinX), b.MaxX), min(max(y, b.MinY), b.MaxY)
}

// Contains reports whether x, y lies inside b, edges included.
func (b Bounds) Contains(x, y float64) bool {
	return x >= b.MinX && x <= b.MaxX && y >= b.MinY && y <= b.MaxY
}
