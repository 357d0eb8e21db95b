package cluster

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/godmmo/godmmo/ecs"
)

// What travels between processes, as JSON: every value is a plain one of
// package ecs, so a message means the same in every process. Decoders check
// what they are handed before anything acts on it: a message from a
// process of another version, or garbage on the subject, is refused with an
// error and never reaches a view or a tick.

// batchMsg is one cell's facts of one tick, on the cell's subject.
type batchMsg struct {
	// Inc is the publishing region's incarnation: a restarted region
	// numbers its batches afresh, and subscribers must start over.
	Inc   uint64
	Seq   uint64
	Tick  uint64
	Cell  ecs.CellKey
	Facts []ecs.Fact
}

// snapshotMsg answers a snapshot request: the cell's actors as of batch Seq.
type snapshotMsg struct {
	Inc    uint64
	Seq    uint64
	Tick   uint64
	Cell   ecs.CellKey
	Actors []ecs.ActorState
	// Err is why there is no snapshot (the region does not own the cell).
	Err string `json:",omitempty"`
}

// snapshotReq asks a region for a cell's snapshot.
type snapshotReq struct{ Cell ecs.CellKey }

// aliveMsg is a region's heartbeat.
type aliveMsg struct {
	Inc  uint64
	Tick uint64
}

// commandMsg is a command on its way to the region that holds its actor.
type commandMsg struct {
	Kind     ecs.CommandKind
	Login    uint64
	Actor    ecs.Actor
	NewLogin uint64          `json:",omitempty"`
	Arrival  *ecs.Departure  `json:",omitempty"`
	Name     string          `json:",omitempty"`
	Data     json.RawMessage `json:",omitempty"`
	// From is the incarnation of the process that holds the connection
	// of the login (Spawn, Rejoin) or of the actor handed over (Arrive):
	// the region evicts the actor once that process falls silent.
	From uint64 `json:",omitempty"`
}

// Limits on what a decoded message may hold, well above what the server
// itself ever sends.
const (
	maxName  = 64
	maxText  = 4096
	maxFacts = 1 << 16
	maxData  = 64 << 10 // a mod's JSON: a message, a state, a component
)

var errBadMessage = errors.New("cluster: bad message")

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadMessage, fmt.Sprintf(format, args...))
}

func checkActor(a *ecs.ActorState) error {
	if len(a.Name) > maxName || a.Avatar < 0 || a.Avatar > ecs.MaxAvatar || a.Intent.Step < 0 ||
		a.Mod != nil && (len(a.Mod.Kind) > maxName || len(a.Mod.State) > maxData) {
		return bad("actor %d", a.ID)
	}
	return nil
}

// checkMods bounds the mod components an entity carries; what they hold
// is the mods' to check, on the tick that loads them.
func checkMods(mods map[string]json.RawMessage) error {
	if len(mods) > maxFacts {
		return bad("%d mod components", len(mods))
	}
	for name, data := range mods {
		if len(name) > maxName || len(data) > maxData {
			return bad("mod component %.64q", name)
		}
	}
	return nil
}

// jsonInto decodes a message of the bus into v.
func jsonInto(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %w", errBadMessage, err)
	}
	return nil
}

func decodeBatch(data []byte) (batchMsg, error) {
	var b batchMsg
	if err := json.Unmarshal(data, &b); err != nil {
		return b, fmt.Errorf("%w: %w", errBadMessage, err)
	}
	if b.Seq == 0 || len(b.Facts) > maxFacts {
		return b, bad("batch seq %d with %d facts", b.Seq, len(b.Facts))
	}
	for i := range b.Facts {
		f := &b.Facts[i]
		// A mod's fact (ModMessage) is carried by its name and bytes, whatever
		// mods this process has: its views decide what their clients hear.
		if f.Kind < ecs.Entered || f.Kind > ecs.Denied || len(f.Text) > maxText || (f.Kind == ecs.ModMessage) != (f.Msg != nil) ||
			f.Msg != nil && (len(f.Msg.Name) > maxName || len(f.Msg.Data) > maxData) {
			return b, bad("fact %d of kind %d", i, f.Kind)
		}
		if err := checkActor(&f.Actor); err != nil {
			return b, err
		}
	}
	return b, nil
}

func decodeSnapshot(data []byte) (snapshotMsg, error) {
	var s snapshotMsg
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%w: %w", errBadMessage, err)
	}
	if s.Err != "" {
		return s, fmt.Errorf("cluster: no snapshot: %s", s.Err)
	}
	if len(s.Actors) > maxFacts {
		return s, bad("snapshot of %d actors", len(s.Actors))
	}
	for i := range s.Actors {
		if err := checkActor(&s.Actors[i]); err != nil {
			return s, err
		}
	}
	return s, nil
}

func decodeCommand(data []byte) (ecs.Command, error) {
	c, _, err := decodeCommandMsg(data)
	return c, err
}

// decodeCommandMsg decodes a command, and the message it came in for its
// From.
func decodeCommandMsg(data []byte) (ecs.Command, commandMsg, error) {
	var m commandMsg
	if err := json.Unmarshal(data, &m); err != nil {
		return ecs.Command{}, m, fmt.Errorf("%w: %w", errBadMessage, err)
	}
	c := ecs.Command{Kind: m.Kind, Login: m.Login, Actor: m.Actor, NewLogin: m.NewLogin, Arrival: m.Arrival,
		Name: m.Name, Data: m.Data}
	switch {
	case c.Kind < ecs.Spawn || c.Kind > ecs.ModCommand || c.Kind == ecs.Return:
		return c, m, bad("command of kind %d", c.Kind)
	case len(c.Actor.Name) > maxName || c.Actor.Avatar < 0 || c.Actor.Avatar > ecs.MaxAvatar ||
		len(c.Name) > maxName || len(c.Data) > maxData:
		return c, m, bad("command about actor %d", c.Actor.ID)
	case (c.Kind == ecs.Arrive) != (c.Arrival != nil):
		return c, m, bad("arrival without its actor")
	case c.Arrival != nil:
		if err := checkActor(&c.Arrival.Actor); err != nil {
			return c, m, err
		}
		if err := checkMods(c.Arrival.Mods); err != nil {
			return c, m, err
		}
	}
	if err := checkMods(c.Actor.Mods); err != nil {
		return c, m, err
	}
	return c, m, nil
}

// encodeCommand encodes c, from the process of incarnation from.
func encodeCommand(c ecs.Command, from uint64) ([]byte, error) {
	return encode(commandMsg{Kind: c.Kind, Login: c.Login, Actor: c.Actor, NewLogin: c.NewLogin, Arrival: c.Arrival,
		Name: c.Name, Data: c.Data, From: from})
}

// encode fails only for a value holding a number JSON cannot carry (NaN or
// an infinity), which the tick never makes.
func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cluster: encoding %T: %w", v, err)
	}
	return b, nil
}
