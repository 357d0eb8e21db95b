// Package wire is the one home of the wire protocols: what each protocol's
// packets look like, how client messages decode, and each protocol's
// policy for turning a view's events into a client's messages (v1 lead
// points and its own-position echo, v2 intents in one batch per tick).
// Nothing outside this package branches on a protocol: a v3 is new files
// here and a line in New.
package wire

import (
	"fmt"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
)

// Protocol is a wire protocol version a client speaks.
type Protocol uint8

// The protocols.
const (
	// V1 is the original tutorial's protocol: one JSON object per message,
	// others' movement as lead points.
	V1 Protocol = iota
	// V2 batches a tick's packets into one message and sends movement as intent.
	V2
	// Count is how many protocols there are.
	Count
)

// String is the protocol's name in logs and metrics.
func (p Protocol) String() string { return fmt.Sprintf("v%d", p+1) }

// SubprotocolV2 is the WebSocket subprotocol a client asks for to speak v2.
// A client that asks for none speaks v1.
const SubprotocolV2 = "godmmo.v2"

// Subprotocols lists the WebSocket subprotocols the server accepts, best first.
var Subprotocols = []string{SubprotocolV2}

// Negotiated is the protocol of a connection whose handshake chose subprotocol.
func Negotiated(subprotocol string) Protocol {
	if subprotocol == SubprotocolV2 {
		return V2
	}
	return V1
}

// Config is what the protocols' policies need to know about the world.
type Config struct {
	// Rate is ticks per second: v2 intents say speeds per second.
	Rate int
	// LeadAhead is how far ahead on an actor's path the position sent to
	// v1 observers may be; it must stay below the client's 200-unit snap.
	LeadAhead float64
	// LeadNear is how close an actor gets to its lead point before the next
	// one is sent.
	LeadNear float64
	// NewcomersPerTick caps the actors a v1 client is first shown in one
	// tick, so a player arriving in a crowd gets it over a few ticks rather
	// than in one burst larger than the original client reads at once. v2
	// clients, whose tick is one message, get eight times as many.
	NewcomersPerTick int
	// Mods are the mods' commands, messages and kinds of entity: which
	// commands clients may send, what the v2 hello announces, which
	// entities the original client is shown; nil: none.
	Mods *mod.Registry
}

// DefaultConfig is the original game's pace: 20 ticks a second, lead points
// up to 120 units ahead, renewed within 35 units.
func DefaultConfig() Config {
	return Config{Rate: 20, LeadAhead: 120, LeadNear: 35, NewcomersPerTick: 32}
}

// Codec is one protocol: its decoder, its replies outside play, and the
// renderer for a playing client.
type Codec interface {
	// Protocol says which protocol this is.
	Protocol() Protocol
	// Decode parses a client message.
	Decode(msg []byte) (Packet, error)
	// Ok acknowledges a request, as a whole message.
	Ok() []byte
	// Deny refuses a request, in words a person can read, as a whole message.
	Deny(r Refusal) []byte
	// Hello is the message a new connection hears first (v2: the limits
	// the client's forms should keep to), or nil for none.
	Hello() []byte
	// Chat is a line from the named sender as a whole message, for what
	// does not come from the world (the operators' server messages).
	Chat(from, text string) []byte
	// NewRenderer makes the renderer of one playing client.
	NewRenderer() Renderer
	// Resumable says whether the protocol can resume a session after a
	// dropped connection.
	Resumable() bool
}

// New returns the codec of protocol p.
func New(p Protocol, cfg Config) Codec {
	if p == V2 {
		c := v2Codec{cfg: cfg}
		c.packets = sharedPackets(func(f *ecs.Fact, tick uint64) []byte { return v2Packet(c.enc(), f, tick) })
		return c
	}
	return v1Codec{cfg: cfg, packets: sharedPackets(v1Packet)}
}

// Renderer turns one client's view of the world into that client's
// messages. A view calls it from one goroutine; each call describes what
// the client must now be told, and Flush returns the messages.
type Renderer interface {
	// Admitted starts play: the login's Ok (with the token that resumes
	// this session, where the protocol has resuming) and the player's own
	// actor in full, before anything else.
	Admitted(own ecs.ActorState, now uint64, token string)
	// Enter shows an actor the client did not know, as it is at tick now.
	Enter(a ecs.ActorState, now uint64, src Source)
	// Move tells of a known actor's new walk; own says it is the player's.
	Move(a ecs.ActorState, own bool, src Source)
	// Leave says a known actor went out of view.
	Leave(id int64)
	// Quit says a known actor left the game.
	Quit(id int64, src Source)
	// Chat relays a line.
	Chat(from, text string, src Source)
	// Message relays a mod's message about entity id; a protocol that
	// cannot carry it drops it.
	Message(name string, id int64, data []byte, src Source)
	// Deny refuses the player's command on the tick, in the tick's words
	// (ecs.Denied: a mod's, or why its command could not run).
	Deny(reason string)
	// Shows reports whether the client can be shown entity a at all: the
	// original client cannot draw objects.
	Shows(a ecs.ActorState) bool
	// Tick lets time-driven policy (v1 lead points and echo) catch up to
	// now, the tick the next Flush writes at (v2 heads its message with it).
	Tick(now uint64)
	// Busy reports whether Tick has work at later ticks even if nothing
	// else happens.
	Busy(now uint64) bool
	// Newcomers is how many actors the client may be first shown per tick.
	Newcomers() int
	// Coalesces says whether others' news may wait a little to go out
	// together (v2: the client walks others from their intents and places
	// a late walk where it is now), or must go out the tick it happens
	// (v1's lead points).
	Coalesces() bool
	// EchoesOwnChat says whether the player's own chat lines come back to
	// it, as the sign the server took them (v2); the original client
	// prints its own lines itself (v1).
	EchoesOwnChat() bool
	// Flush appends the messages rendered since the last Flush to dst.
	// They are good until the next Flush, which may reuse their memory:
	// write them first.
	Flush(dst [][]byte) [][]byte
}

// Shared is a batch of facts that many views read, with a cache so each
// protocol encodes each fact once per process and every view shares the bytes.
type Shared interface {
	// Memo returns the value built for slot, building it from the facts
	// the first time.
	Memo(slot int, build func(batch *ecs.CellFacts) any) any
}

// The memo slots of Shared: one per protocol for the facts' packets, and one
// for v1's lead points.
const (
	slotV1 = iota
	slotV2
	slotV1Leads
	// MemoSlots is how many slots a Shared must have.
	MemoSlots
)

// Source names the fact an event comes from, so its shared bytes can be
// used; a zero Source (a snapshot, a late showing) is encoded afresh.
type Source struct {
	Batch Shared
	Index int
}

// out is a renderer's messages in order. A movement update of an actor still
// waiting is replaced in place by a newer one, so a client that falls behind
// gets fewer, newer positions; any other packet ends that, so the order of
// enter, move and leave holds.
type out struct {
	packets [][]byte
	pending map[int64]int // actor id → index of its replaceable update
}

// add queues p; move, when not 0, is the actor whose movement alone p updates.
func (o *out) add(p []byte, move int64) {
	if move != 0 {
		if i, ok := o.pending[move]; ok {
			o.packets[i] = p
			return
		}
		if o.pending == nil {
			o.pending = make(map[int64]int)
		}
		o.pending[move] = len(o.packets)
	} else if len(o.pending) > 0 {
		clear(o.pending)
	}
	o.packets = append(o.packets, p)
}

// reset empties o, dropping its references so sent bytes can be freed,
// and the room a burst (a login's crowd) needed, which the usual tick
// does not.
func (o *out) reset() {
	if cap(o.packets) > 64 {
		o.packets = nil
	} else {
		clear(o.packets)
		o.packets = o.packets[:0]
	}
	if len(o.pending) > 16 {
		o.pending = nil
	} else {
		clear(o.pending)
	}
}

// memo returns the shared packet of src's fact for slot, encoding every fact
// of the batch with build (from sharedPackets) the first time any view
// asks; nil when src names no batch.
func memo(src Source, slot int, build func(*ecs.CellFacts) any) []byte {
	if src.Batch == nil {
		return nil
	}
	return src.Batch.Memo(slot, build).([][]byte)[src.Index]
}

// sharedPackets makes the function that encodes every fact of a batch with
// enc, a protocol's packet of one fact. A codec makes it once, so that the
// views asking a batch for its packets, a few million times a second in a
// crowded room, allocate nothing to ask.
func sharedPackets(enc func(f *ecs.Fact, tick uint64) []byte) func(*ecs.CellFacts) any {
	return func(b *ecs.CellFacts) any {
		p := make([][]byte, len(b.Facts))
		for i := range b.Facts {
			p[i] = enc(&b.Facts[i], b.Tick)
		}
		return p
	}
}
