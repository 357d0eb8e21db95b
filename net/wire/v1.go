package wire

import (
	"strconv"

	"github.com/godmmo/godmmo/ecs"
)

// v1Enc encodes server packets in the original tutorial's format. Keys are
// written in the order the original client needs (a, then p0, p1, …), ids
// as integers and positions as numbers with two decimals.
type v1Enc struct{}

var okPacket = []byte(`{"a":"Ok"}`)

// Ok acknowledges a request. The bytes are shared: never modify them.
func (v1Enc) Ok() []byte { return okPacket }

// Deny refuses a request with a reason a person can read.
func (v1Enc) Deny(reason string) []byte {
	b := make([]byte, 0, 24+len(reason))
	b = append(b, `{"a":"Deny","p0":`...)
	b = appendString(b, reason)
	return append(b, '}')
}

// AppendEnter appends an actor's whole model, placed at x, y; v1 has no
// walk in it.
func (v1Enc) AppendEnter(b []byte, a ecs.ActorState, x, y float64) []byte {
	b = append(b, `{"a":"ModelDelta","p0":{"id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"model_type":"Actor","avatar_id":`...)
	b = strconv.AppendInt(b, int64(a.Avatar), 10)
	b = appendInstanced(b, a.ID, x, y)
	b = append(b, `,"entity":{"id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"model_type":"Entity","name":`...)
	b = appendString(b, a.Name)
	return append(b, `}}}}`...)
}

// AppendMove appends a delta holding only an actor's position x, y, always
// as both.
func (v1Enc) AppendMove(b []byte, id int64, x, y float64) []byte {
	b = append(b, `{"a":"ModelDelta","p0":{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"model_type":"Actor"`...)
	b = appendInstanced(b, id, x, y)
	return append(b, `}}}`...)
}

// Chat relays a line from the named player.
func (v1Enc) Chat(from, text string) []byte {
	b := make([]byte, 0, 32+len(from)+len(text))
	b = append(b, `{"a":"Chat","p0":`...)
	b = appendString(b, from)
	b = append(b, `,"p1":`...)
	b = appendString(b, text)
	return append(b, '}')
}

// Leave says an actor went out of view. v1 clients know only Disconnect,
// which removes the actor; they get its full model again if it comes back.
func (e v1Enc) Leave(id int64) []byte { return e.Quit(id) }

// Quit says an actor left the game, as a Disconnect.
func (v1Enc) Quit(id int64) []byte {
	b := make([]byte, 0, 40)
	b = append(b, `{"a":"Disconnect","p0":`...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, '}')
}

// appendInstanced writes the instanced_entity object without its closing brace.
func appendInstanced(b []byte, id int64, x, y float64) []byte {
	b = append(b, `,"instanced_entity":{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"model_type":"InstancedEntity","x":`...)
	b = appendCoord(b, x)
	b = append(b, `,"y":`...)
	return appendCoord(b, y)
}
