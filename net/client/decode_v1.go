package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// v1: one JSON object per message, {"a": action, "p0": …, "p1": …}.

var (
	modelPrefix = []byte(`{"a":"ModelDelta","p0":{"id":`)
	fullMark    = []byte(`,"model_type":"Actor","avatar_id":`)
	xKey        = []byte(`"x":`)
	yKey        = []byte(`"y":`)
)

// decodeV1 reads one v1 message. ModelDeltas shaped as the server writes
// them take a fast path when they are a move, or not wanted; anything else
// is decoded in full, so a server that orders its keys differently still
// works, only slower.
func (d *Decoder) decodeV1(msg []byte) (Event, error) {
	if bytes.HasPrefix(msg, modelPrefix) {
		if e, ok := d.fastModel(msg[len(modelPrefix):]); ok {
			return e, nil
		}
	}
	return d.slowV1(msg)
}

// fastModel reads a ModelDelta after `{"a":"ModelDelta","p0":{"id":`; ok
// is false where the slow path must decide.
func (d *Decoder) fastModel(rest []byte) (Event, bool) {
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	id, err := strconv.ParseInt(string(rest[:n]), 10, 64)
	if n == 0 || err != nil {
		return Event{}, false
	}
	e := Event{Kind: Move, ID: id}
	rest = rest[n:]
	if bytes.HasPrefix(rest, fullMark) {
		e.Kind = Enter
	}
	if !d.wants(id) {
		return e, true
	}
	if e.Kind == Enter {
		return e, false // a wanted full model: its name and avatar too
	}
	var okx, oky bool
	e.X, okx = number(rest, xKey)
	e.Y, oky = number(rest, yKey)
	if !okx || !oky {
		return e, false // a position travels as x and y; let the slow path decide
	}
	e.HasPos = true
	return e, true
}

// number reads the JSON number after the first key in b.
func number(b, key []byte) (float64, bool) {
	i := bytes.Index(b, key)
	if i < 0 {
		return 0, false
	}
	s := scanner{b: b, i: i + len(key)}
	return s.float()
}

func (d *Decoder) slowV1(msg []byte) (Event, error) {
	var raw struct {
		A  string          `json:"a"`
		P0 json.RawMessage `json:"p0"`
		P1 json.RawMessage `json:"p1"`
	}
	var e Event
	if err := json.Unmarshal(msg, &raw); err != nil {
		return e, fmt.Errorf("%w: v1: %v", ErrMalformed, err)
	}
	bad := func(what string) (Event, error) { return e, fmt.Errorf("%w: v1 %s %s", ErrMalformed, raw.A, what) }
	switch raw.A {
	case "Ok":
		e.Kind = Ok
	case "Deny":
		e.Kind = Deny
		if json.Unmarshal(raw.P0, &e.Text) != nil {
			return bad("without a text p0")
		}
	case "Chat":
		e.Kind = Chat
		if json.Unmarshal(raw.P0, &e.From) != nil || json.Unmarshal(raw.P1, &e.Text) != nil {
			return bad("without text p0 and p1")
		}
	case "Disconnect":
		e.Kind = Quit
		if json.Unmarshal(raw.P0, &e.ID) != nil {
			return bad("without an integer p0")
		}
	case "ModelDelta":
		var m struct {
			ID       *int64 `json:"id"`
			AvatarID *int   `json:"avatar_id"`
			Inst     *struct {
				X      *float64 `json:"x"`
				Y      *float64 `json:"y"`
				Entity *struct {
					Name string `json:"name"`
				} `json:"entity"`
			} `json:"instanced_entity"`
		}
		if json.Unmarshal(raw.P0, &m) != nil || m.ID == nil {
			return bad("without an actor id")
		}
		e.Kind, e.ID = Move, *m.ID
		if m.AvatarID != nil {
			e.Kind = Enter
		}
		if !d.wants(e.ID) {
			return e, nil
		}
		if m.AvatarID != nil {
			e.Avatar = *m.AvatarID
		}
		if m.Inst != nil {
			if m.Inst.X != nil && m.Inst.Y != nil {
				e.X, e.Y, e.HasPos = *m.Inst.X, *m.Inst.Y, true
			}
			if m.Inst.Entity != nil {
				e.Name = m.Inst.Entity.Name
			}
		}
	}
	return e, nil
}
