package ecs

// Actor is an actor as the store keeps it and the wire first shows it.
type Actor struct {
	ID     int64
	Name   string
	Avatar int
	X, Y   float64
}

// Client is the tick's only way to talk to a connection. Send never blocks:
// a client that cannot take more is dropped by its own session, not waited for.
type Client interface {
	// Send queues one encoded message. It reports false when the message was
	// not queued because the client is being disconnected.
	Send(msg []byte) bool
}

// Encoder turns world facts into wire messages. The tick encodes each fact
// once and shares the bytes among every client that should hear it.
type Encoder interface {
	// Ok acknowledges a request.
	Ok() []byte
	// AppendFull appends an actor's whole model, sent the first time a client
	// learns of it, to dst.
	AppendFull(dst []byte, a Actor) []byte
	// AppendMove appends a delta that carries only the actor's new position.
	AppendMove(dst []byte, id int64, x, y float64) []byte
	// Chat relays a line said by the named player.
	Chat(from, text string) []byte
	// Disconnect tells a client that an actor it knew is gone.
	Disconnect(id int64) []byte
}

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
