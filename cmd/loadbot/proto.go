package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The loadbot speaks v1 (PROTOCOL.md) on its own, without the server's
// codec, so that it tests the wire and not the server's idea of it.

// clientPacket encodes {"a": action, "p0": …, "p1": …} with the payloads in
// order, as the original client sends them.
func clientPacket(action string, payloads ...any) []byte {
	b := []byte(`{"a":`)
	b = strconv.AppendQuote(b, action)
	for i, p := range payloads {
		b = append(b, `,"p`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `":`...)
		v, err := json.Marshal(p)
		if err != nil {
			panic(fmt.Sprintf("loadbot: payload %T: %v", p, err)) // only ever called with strings and numbers
		}
		b = append(b, v...)
	}
	return append(b, '}')
}

// kind is a server packet's action, as far as the bots care.
type kind uint8

const (
	kindOther kind = iota
	kindOk
	kindDeny
	kindModel
	kindChat
	kindDisconnect
)

// serverPacket is what a bot needs of a server packet. Positions are read
// only when asked for (the bot's own actor): a bot in a crowded room gets
// thousands of deltas a second and must stay cheap, or the bots measure
// themselves instead of the server.
type serverPacket struct {
	kind      kind
	id        int64 // ModelDelta's actor, Disconnect's actor
	full      bool  // ModelDelta carries a whole model
	x, y      float64
	hasPos    bool
	tx, ty    float64 // v2: where the actor walks (M and E)
	speed     float64 // v2: how fast, units/s
	hasTarget bool
	text      string // Deny's reason, Chat's message
	from      string // Chat's sender
	fallback  bool   // decoded by encoding/json: the fast path did not recognise it
}

var (
	modelPrefix = []byte(`{"a":"ModelDelta","p0":{"id":`)
	fullMark    = []byte(`,"model_type":"Actor","avatar_id":`)
	xKey        = []byte(`"x":`)
	yKey        = []byte(`"y":`)
)

// parsePacket decodes one server message; wantPos says whose positions to
// read. ModelDeltas shaped as the reference server writes them take a fast
// path; anything else is decoded in full, so a server that orders its inner
// keys differently still works, only slower.
func parsePacket(msg []byte, wantPos func(id int64) bool) (serverPacket, error) {
	if bytes.HasPrefix(msg, modelPrefix) {
		if p, ok := fastModel(msg[len(modelPrefix):], wantPos); ok {
			return p, nil
		}
	}
	return slowPacket(msg, wantPos)
}

// fastModel reads a ModelDelta after `{"a":"ModelDelta","p0":{"id":`.
func fastModel(rest []byte, wantPos func(int64) bool) (serverPacket, bool) {
	p := serverPacket{kind: kindModel}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	id, err := strconv.ParseInt(string(rest[:n]), 10, 64)
	if n == 0 || err != nil {
		return p, false
	}
	p.id = id
	rest = rest[n:]
	p.full = bytes.HasPrefix(rest, fullMark)
	if !wantPos(id) {
		return p, true
	}
	var okx, oky bool
	p.x, okx = number(rest, xKey)
	p.y, oky = number(rest, yKey)
	if !okx || !oky {
		return p, false // a position must travel as x and y; let the slow path decide
	}
	p.hasPos = true
	return p, true
}

// number reads the JSON number after the first key in b.
func number(b, key []byte) (float64, bool) {
	i := bytes.Index(b, key)
	if i < 0 {
		return 0, false
	}
	b = b[i+len(key):]
	n := 0
	for n < len(b) && (b[n] >= '0' && b[n] <= '9' || b[n] == '-' || b[n] == '.' || b[n] == 'e' || b[n] == 'E' || b[n] == '+') {
		n++
	}
	f, err := strconv.ParseFloat(string(b[:n]), 64)
	return f, err == nil
}

// errShape is a packet that is JSON but not a v1 server packet.
var errShape = errors.New("not a v1 server packet")

func slowPacket(msg []byte, wantPos func(int64) bool) (serverPacket, error) {
	var raw struct {
		A  string          `json:"a"`
		P0 json.RawMessage `json:"p0"`
		P1 json.RawMessage `json:"p1"`
	}
	p := serverPacket{fallback: true}
	if err := json.Unmarshal(msg, &raw); err != nil {
		return p, fmt.Errorf("%w: %v", errShape, err)
	}
	switch raw.A {
	case "Ok":
		p.kind = kindOk
	case "Deny":
		p.kind = kindDeny
		if err := json.Unmarshal(raw.P0, &p.text); err != nil {
			return p, fmt.Errorf("%w: Deny without a text p0", errShape)
		}
	case "Chat":
		p.kind = kindChat
		if json.Unmarshal(raw.P0, &p.from) != nil || json.Unmarshal(raw.P1, &p.text) != nil {
			return p, fmt.Errorf("%w: Chat without text p0 and p1", errShape)
		}
	case "Disconnect":
		p.kind = kindDisconnect
		if err := json.Unmarshal(raw.P0, &p.id); err != nil {
			return p, fmt.Errorf("%w: Disconnect without an integer p0", errShape)
		}
	case "ModelDelta":
		p.kind = kindModel
		var m struct {
			ID       *int64          `json:"id"`
			AvatarID json.RawMessage `json:"avatar_id"`
			Inst     *struct {
				X *float64 `json:"x"`
				Y *float64 `json:"y"`
			} `json:"instanced_entity"`
		}
		if err := json.Unmarshal(raw.P0, &m); err != nil || m.ID == nil {
			return p, fmt.Errorf("%w: ModelDelta without an actor id", errShape)
		}
		p.id, p.full = *m.ID, m.AvatarID != nil
		if m.Inst != nil && m.Inst.X != nil && m.Inst.Y != nil && wantPos(p.id) {
			p.x, p.y, p.hasPos = *m.Inst.X, *m.Inst.Y, true
		}
	default:
		p.kind = kindOther
	}
	return p, nil
}
