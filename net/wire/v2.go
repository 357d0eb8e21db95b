package wire

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/godmmo/godmmo/ecs"
)

// v2Enc encodes server packets in protocol v2 (docs/protocol-v2.md): each
// packet is a short JSON array, and a message is an array of the packets of
// one tick. Movement is sent as intent: position, target and speed.
type v2Enc struct {
	// Rate is ticks per second: an intent's speed is its step times Rate.
	Rate float64
}

var okV2 = []byte(`["ok"]`)

// Ok acknowledges a request. The bytes are shared: never modify them.
func (v2Enc) Ok() []byte { return okV2 }

// Deny refuses a request with a reason a person can read.
func (v2Enc) Deny(reason string) []byte {
	return append(appendString(append(make([]byte, 0, 12+len(reason)), `["deny",`...), reason), ']')
}

// AppendEnter appends ["E", id, name, avatar, x, y, tx, ty, speed, tick]:
// the actor, at x, y on its walk at tick; an entity no player plays adds
// its kind and its state (null for none) before the tick, which is always
// last.
func (e v2Enc) AppendEnter(b []byte, a ecs.ActorState, x, y float64, tick uint64) []byte {
	b = append(b, `["E",`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, ',')
	b = appendString(b, a.Name)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(a.Avatar), 10)
	b = e.appendIntent(b, x, y, a.Intent)
	if a.Mod != nil {
		b = append(b, ',')
		b = appendString(b, a.Mod.Kind)
		b = append(b, ',')
		b = appendJSON(b, a.Mod.State)
	}
	return appendTick(b, tick)
}

// AppendMove appends ["M", id, x, y, tx, ty, speed, tick]: the actor was at
// the walk's start x, y at its tick, walking to its target at its speed.
func (e v2Enc) AppendMove(b []byte, id int64, i ecs.Intent) []byte {
	b = append(b, `["M",`...)
	b = strconv.AppendInt(b, id, 10)
	return appendTick(e.appendIntent(b, i.FromX, i.FromY, i), i.Tick)
}

// appendTick ends a packet with its tick.
func appendTick(b []byte, tick uint64) []byte {
	b = append(b, ',')
	return append(strconv.AppendUint(b, tick, 10), ']')
}

func (e v2Enc) appendIntent(b []byte, x, y float64, i ecs.Intent) []byte {
	for _, v := range [...]float64{x, y, i.ToX, i.ToY, i.Step * e.Rate} {
		b = append(b, ',')
		b = appendCompact(b, v)
	}
	return b
}

// Message appends ["m", name, id, data]: a mod's message about entity id.
func (v2Enc) Message(name string, id int64, data []byte) []byte {
	b := make([]byte, 0, 16+len(name)+len(data))
	b = append(b, `["m",`...)
	b = appendString(b, name)
	b = append(b, ',')
	b = strconv.AppendInt(b, id, 10)
	b = append(b, ',')
	return append(appendJSON(b, data), ']')
}

// appendJSON appends data, JSON a mod made, or null for none.
func appendJSON(b, data []byte) []byte {
	if len(data) == 0 {
		return append(b, "null"...)
	}
	return append(b, data...)
}

// appendCompact writes v rounded to a tenth, without trailing zeros.
func appendCompact(b []byte, v float64) []byte {
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0 // drops the sign of -0
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// Chat appends ["C", from, text].
func (v2Enc) Chat(from, text string) []byte {
	b := make([]byte, 0, 16+len(from)+len(text))
	b = append(b, `["C",`...)
	b = appendString(b, from)
	b = append(b, ',')
	b = appendString(b, text)
	return append(b, ']')
}

// Leave is ["L", id]: the actor went out of view.
func (v2Enc) Leave(id int64) []byte { return appendIDPacket(`["L",`, id) }

// Quit is ["Q", id]: the actor left the game.
func (v2Enc) Quit(id int64) []byte { return appendIDPacket(`["Q",`, id) }

func appendIDPacket(head string, id int64) []byte {
	b := make([]byte, 0, 24)
	b = append(b, head...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, ']')
}

// AppendTicked appends the message [["T",now],p1,p2,…]: what a playing
// client is sent, headed by the tick it was written at so the client can
// tell how late each packet's tick is.
func (v2Enc) AppendTicked(b []byte, now uint64, packets [][]byte) []byte {
	b = append(b, `[["T",`...)
	b = strconv.AppendUint(b, now, 10)
	b = append(b, ']')
	for _, p := range packets {
		b = append(append(b, ','), p...)
	}
	return append(b, ']')
}

// AppendBatch appends the message [p1,p2,…]: what a client outside play is
// sent (the hello, answers before login), which has no tick.
func (v2Enc) AppendBatch(b []byte, packets ...[]byte) []byte {
	b = append(b, '[')
	for i, p := range packets {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, p...)
	}
	return append(b, ']')
}

// DecodeV2 parses one v2 client message: a JSON array whose first element is
// the action and the rest its payloads, e.g. ["Target", 10, 20]. Chat
// carries only the message (["Chat", "hi"]); it is returned with an empty
// sender before it, so both protocols share ParseRequest.
func DecodeV2(msg []byte) (Packet, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(msg, &raw); err != nil || len(raw) == 0 {
		return Packet{}, fmt.Errorf("%w: want a JSON array", ErrNotPacket)
	}
	var p Packet
	if isNull(raw[0]) || json.Unmarshal(raw[0], &p.Action) != nil || p.Action == "" {
		return Packet{}, fmt.Errorf("%w: want a string action first", ErrNotPacket)
	}
	p.Payloads = raw[1:min(len(raw), maxPayloads+1)]
	if p.Action == ActChat {
		p.Payloads = append([]json.RawMessage{json.RawMessage(`""`)}, p.Payloads...)
	}
	return p, nil
}
