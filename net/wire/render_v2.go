package wire

import (
	"fmt"

	"github.com/godmmo/godmmo/ecs"
)

// v2Codec is protocol v2 (docs/protocol-v2.md): a tick's packets in one
// message, movement as intent that the client walks itself.
type v2Codec struct {
	cfg     Config
	packets func(*ecs.CellFacts) any // a batch's packets, shared by every view
}

func (v2Codec) Protocol() Protocol                { return V2 }
func (v2Codec) Decode(msg []byte) (Packet, error) { return DecodeV2(msg) }
func (c v2Codec) Ok() []byte                      { return c.enc().AppendBatch(nil, okV2) }
func (c v2Codec) Deny(r Refusal) []byte           { return c.enc().AppendBatch(nil, c.enc().Deny(r.Text())) }
func (c v2Codec) enc() v2Enc                      { return v2Enc{Rate: float64(c.cfg.Rate)} }
func (c v2Codec) Chat(from, text string) []byte {
	return c.enc().AppendBatch(nil, c.enc().Chat(from, text))
}

// Hello is [["hello",{"username":…,"password":…,"chat":…,"rate":…,
// "commands":[…],"messages":[…],"kinds":[…]}]]: the limits, the ticks per
// second (so a client can turn the ticks of packets into time), and what
// the mods let a client send and may send it.
func (c v2Codec) Hello() []byte {
	b := fmt.Appendf(nil, `["hello",{"username":%d,"password":%d,"chat":%d,"rate":%d,"commands":`, MaxUsername, MaxPassword, MaxChatRunes, c.cfg.Rate)
	var kinds []string
	for _, k := range c.cfg.Mods.Kinds() {
		kinds = append(kinds, k.Name)
	}
	b = appendStrings(b, c.cfg.Mods.CommandNames())
	b = appendStrings(append(b, `,"messages":`...), c.cfg.Mods.Messages())
	b = appendStrings(append(b, `,"kinds":`...), kinds)
	return c.enc().AppendBatch(nil, append(b, "}]"...))
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}
func (v2Codec) Resumable() bool { return true }
func (c v2Codec) NewRenderer() Renderer {
	return &v2Renderer{enc: c.enc(), packets: c.packets, newcomers: 8 * c.cfg.NewcomersPerTick}
}

// v2Packet is a fact's packet in v2, the same for every client that is told
// it: an E says where the actor was at the fact's tick, an M where its walk
// started, so the bytes hold however late a view sends them.
func v2Packet(enc v2Enc, f *ecs.Fact, tick uint64) []byte {
	switch f.Kind {
	case ecs.Entered:
		x, y := f.Actor.Intent.At(tick)
		return enc.AppendEnter(nil, f.Actor, x, y, tick)
	case ecs.Moved:
		return enc.AppendMove(nil, f.Actor.ID, f.Actor.Intent)
	case ecs.Quit:
		return enc.Quit(f.Actor.ID)
	case ecs.Said:
		return enc.Chat(f.Actor.Name, f.Text)
	case ecs.ModMessage:
		return enc.Message(f.Msg.Name, f.Actor.ID, f.Msg.Data)
	}
	return nil
}

// v2Renderer batches a tick's packets into one message headed by the tick
// it is written at. Movement is the walk itself: a client walks the actor
// from where it was at the packet's tick to its target at the speed given,
// so a walk costs one packet whatever its length, and one sent late is
// still placed where the actor is.
type v2Renderer struct {
	enc       v2Enc
	packets   func(*ecs.CellFacts) any
	out       out
	newcomers int
	now       uint64 // the tick of the last Tick (or Admitted): the head of the next message
	msg       []byte // the last message, whose buffer the next reuses if small (keepMsg)
}

func (r *v2Renderer) shared(src Source) []byte {
	return memo(src, slotV2, r.packets)
}

func (r *v2Renderer) Admitted(own ecs.ActorState, now uint64, token string) {
	r.now = now
	r.out.add(append(appendString(append(make([]byte, 0, 16+len(token)), `["ok",`...), token), ']'), 0)
	r.Enter(own, now, Source{})
}

func (r *v2Renderer) Enter(a ecs.ActorState, now uint64, src Source) {
	p := r.shared(src)
	if p == nil {
		x, y := a.Intent.At(now)
		p = r.enc.AppendEnter(nil, a, x, y, now)
	}
	r.out.add(p, 0)
}

func (r *v2Renderer) Move(a ecs.ActorState, _ bool, src Source) {
	p := r.shared(src)
	if p == nil {
		p = r.enc.AppendMove(nil, a.ID, a.Intent)
	}
	r.out.add(p, a.ID)
}

func (r *v2Renderer) Leave(id int64) { r.out.add(r.enc.Leave(id), 0) }

func (r *v2Renderer) Quit(id int64, src Source) {
	p := r.shared(src)
	if p == nil {
		p = r.enc.Quit(id)
	}
	r.out.add(p, 0)
}

func (r *v2Renderer) Chat(from, text string, src Source) {
	p := r.shared(src)
	if p == nil {
		p = r.enc.Chat(from, text)
	}
	r.out.add(p, 0)
}

func (r *v2Renderer) Message(name string, id int64, data []byte, src Source) {
	p := r.shared(src)
	if p == nil {
		p = r.enc.Message(name, id, data)
	}
	r.out.add(p, 0)
}

func (r *v2Renderer) Deny(reason string)        { r.out.add(r.enc.Deny(reason), 0) }
func (r *v2Renderer) Shows(ecs.ActorState) bool { return true }
func (r *v2Renderer) Tick(now uint64)           { r.now = now }
func (r *v2Renderer) Busy(uint64) bool          { return false }
func (r *v2Renderer) Newcomers() int            { return r.newcomers }
func (r *v2Renderer) EchoesOwnChat() bool       { return true }
func (r *v2Renderer) Coalesces() bool           { return true }

// keepMsg is the largest message buffer a renderer keeps for the next: the
// usual few hundred bytes, not a login's burst, which thousands of idle
// players would hold for ever.
const keepMsg = 1 << 10

// Flush appends one message holding everything since the last Flush,
// headed by ["T", now], or nothing when there is nothing to say.
func (r *v2Renderer) Flush(dst [][]byte) [][]byte {
	if len(r.out.packets) == 0 {
		return dst
	}
	n := 32 // [["T",now]], with room for the largest tick
	for _, p := range r.out.packets {
		n += len(p) + 1
	}
	if cap(r.msg) < n {
		r.msg = make([]byte, 0, n)
	}
	msg := r.enc.AppendTicked(r.msg[:0], r.now, r.out.packets)
	r.msg = nil
	if cap(msg) <= keepMsg {
		r.msg = msg
	}
	r.out.reset()
	return append(dst, msg)
}
