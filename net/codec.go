// Package net is the server's edge: the WebSocket endpoint, the v1 packet
// codec, and one session per connection. Sessions turn packets into commands
// for the tick and write what the tick queues for them; they never touch the
// world.
package net

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/godmmo/godmmo/ecs"
)

// The v1 actions.
const (
	ActRegister   = "Register"
	ActLogin      = "Login"
	ActChat       = "Chat"
	ActTarget     = "Target"
	ActOk         = "Ok"
	ActDeny       = "Deny"
	ActModelDelta = "ModelDelta"
	ActDisconnect = "Disconnect"
)

// Packet is a decoded v1 packet: an action and its positional payloads.
type Packet struct {
	Action   string
	Payloads []json.RawMessage
}

// maxPayloads bounds how many p0…pN keys a packet may carry.
const maxPayloads = 8

// ErrNotPacket means a message is not a v1 packet at all.
var ErrNotPacket = errors.New("not a packet")

// Decode parses one v1 message: a JSON object with a string "a" and
// payloads "p0", "p1", … in any key order. Other keys are ignored.
func Decode(msg []byte) (Packet, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(msg, &raw); err != nil || raw == nil {
		return Packet{}, fmt.Errorf("%w: want a JSON object", ErrNotPacket)
	}
	var p Packet
	if err := json.Unmarshal(raw["a"], &p.Action); err != nil || p.Action == "" {
		return Packet{}, fmt.Errorf("%w: want a string action in \"a\"", ErrNotPacket)
	}
	for i := range maxPayloads {
		v, ok := raw["p"+strconv.Itoa(i)]
		if !ok {
			break
		}
		p.Payloads = append(p.Payloads, v)
	}
	return p, nil
}

// String reads payload i as a JSON string.
func (p Packet) String(i int) (string, bool) {
	var s string
	if i >= len(p.Payloads) || isNull(p.Payloads[i]) || json.Unmarshal(p.Payloads[i], &s) != nil {
		return "", false
	}
	return s, true
}

// Number reads payload i as a finite JSON number.
func (p Packet) Number(i int) (float64, bool) {
	var f float64
	if i >= len(p.Payloads) || isNull(p.Payloads[i]) || json.Unmarshal(p.Payloads[i], &f) != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// isNull reports whether a payload is JSON null, which Unmarshal would
// silently accept as a zero value.
func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// Codec is one protocol's encoder and decoder.
type Codec interface {
	ecs.Encoder
	// Deny refuses a request with a reason a person can read.
	Deny(reason string) []byte
	// Decode parses a client message.
	Decode(msg []byte) (Packet, error)
}

// Codecs returns the codecs of every protocol, indexed by ecs.Protocol, for
// a world where actors walk at speed units per second.
func Codecs(speed float64) [ecs.Protocols]Codec {
	return [ecs.Protocols]Codec{ecs.V1: V1{}, ecs.V2: V2{Speed: speed}}
}

// Encoders returns the encoders of codecs, for the tick.
func Encoders(codecs [ecs.Protocols]Codec) ecs.Codecs {
	var e ecs.Codecs
	for i, c := range codecs {
		e[i] = c
	}
	return e
}

// V1 encodes server packets in the original tutorial's format. Keys are
// written in the order the original client needs (a, then p0, p1, …), ids
// as integers and positions as numbers with two decimals.
type V1 struct{}

var _ Codec = V1{}

// Decode parses a client message; see Decode.
func (V1) Decode(msg []byte) (Packet, error) { return Decode(msg) }

var okPacket = []byte(`{"a":"Ok"}`)

// Ok acknowledges a request. The bytes are shared: never modify them.
func (V1) Ok() []byte { return okPacket }

// Deny refuses a request with a reason a person can read.
func (V1) Deny(reason string) []byte {
	b := make([]byte, 0, 24+len(reason))
	b = append(b, `{"a":"Deny","p0":`...)
	b = appendString(b, reason)
	return append(b, '}')
}

// AppendEnter appends an actor's whole model at its position; v1 has no
// target in it.
func (V1) AppendEnter(b []byte, a ecs.Actor, _, _ float64) []byte {
	b = append(b, `{"a":"ModelDelta","p0":{"id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"model_type":"Actor","avatar_id":`...)
	b = strconv.AppendInt(b, int64(a.Avatar), 10)
	b = appendInstanced(b, a.ID, a.X, a.Y)
	b = append(b, `,"entity":{"id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"model_type":"Entity","name":`...)
	b = appendString(b, a.Name)
	return append(b, `}}}}`...)
}

// AppendMove appends a delta holding only an actor's position x, y, always
// as both; v1 has no target in it.
func (V1) AppendMove(b []byte, id int64, x, y, _, _ float64) []byte {
	b = append(b, `{"a":"ModelDelta","p0":{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"model_type":"Actor"`...)
	b = appendInstanced(b, id, x, y)
	return append(b, `}}}`...)
}

// Chat relays a line from the named player.
func (V1) Chat(from, text string) []byte {
	b := make([]byte, 0, 32+len(from)+len(text))
	b = append(b, `{"a":"Chat","p0":`...)
	b = appendString(b, from)
	b = append(b, `,"p1":`...)
	b = appendString(b, text)
	return append(b, '}')
}

// Leave says an actor went out of view. v1 clients know only Disconnect,
// which removes the actor; they get its full model again if it comes back.
func (e V1) Leave(id int64) []byte { return e.Quit(id) }

// Batched is false: v1 sends one message per packet.
func (V1) Batched() bool { return false }

// AppendBatch appends nothing: v1 has no batches.
func (V1) AppendBatch(b []byte, _ []ecs.Packet) []byte { return b }

// Quit says an actor left the game, as a Disconnect.
func (V1) Quit(id int64) []byte {
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

// appendCoord writes a coordinate with two decimals, never as "-0.00".
func appendCoord(b []byte, v float64) []byte {
	v = math.Round(v*100) / 100
	if v == 0 {
		v = 0 // drops the sign of -0
	}
	return strconv.AppendFloat(b, v, 'f', 2, 64)
}

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
