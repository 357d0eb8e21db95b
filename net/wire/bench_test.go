package wire

import (
	"fmt"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

// sinkBytes keeps results alive so the compiler cannot drop the work.
var sinkBytes []byte

// BenchmarkEncode times each fact's packet in each protocol: what one
// process pays once per fact and protocol, however many clients it reaches.
func BenchmarkEncode(b *testing.B) {
	walk := ecs.Intent{FromX: -812.3456, FromY: 77.125, ToX: 500, ToY: 500, Tick: 10, Step: 3.5, Seq: 4}
	actor := ecs.ActorState{ID: 123456, Name: "tristan_the_walker", Avatar: 3, Intent: walk}
	facts := []ecs.Fact{
		{Kind: ecs.Entered, Actor: actor},
		{Kind: ecs.Moved, Actor: ecs.ActorState{ID: actor.ID, Intent: walk}},
		{Kind: ecs.Said, Actor: ecs.ActorState{ID: actor.ID, Name: actor.Name}, Text: "hello there, is anyone selling \"wool\"?"},
		{Kind: ecs.Quit, Actor: ecs.ActorState{ID: actor.ID}},
	}
	enc := map[string]func(*ecs.Fact, uint64) []byte{
		"v1": v1Packet,
		"v2": func(f *ecs.Fact, tick uint64) []byte { return v2Packet(v2Enc{Rate: 20}, f, tick) },
	}
	for proto, fn := range enc {
		for _, f := range facts {
			if proto == "v1" && f.Kind == ecs.Moved {
				continue // v1 walks as lead points, BenchmarkLeads
			}
			b.Run(fmt.Sprintf("%s/kind%d", proto, f.Kind), func(b *testing.B) {
				b.ReportAllocs()
				var n int
				for b.Loop() {
					sinkBytes = fn(&f, 20)
					n = len(sinkBytes)
				}
				b.SetBytes(int64(n))
			})
		}
	}
}

// BenchmarkLeads times a v1 client's lead points of a walk already under
// way: the check every tick and, every second or so, a new lead point.
func BenchmarkLeads(b *testing.B) {
	r := New(V1, DefaultConfig()).NewRenderer()
	r.Admitted(ecs.ActorState{ID: 1, Name: "me"}, 0, "")
	for i := range 100 {
		walk := ecs.Intent{FromX: float64(i), ToX: float64(i) + 1e6, Tick: 1, Step: 3.5}
		r.Enter(ecs.ActorState{ID: int64(i + 2), Name: "x", Intent: walk}, 1, Source{})
	}
	var msgs [][]byte
	now := uint64(1)
	b.ReportAllocs()
	for b.Loop() {
		now++
		r.Tick(now)
		msgs = r.Flush(msgs[:0])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/walker-tick")
}

// BenchmarkDecode times one client packet from bytes to a validated request,
// as a session's read loop does for every message.
func BenchmarkDecode(b *testing.B) {
	cases := []struct{ name, msg string }{
		{"Target", `{"a":"Target","p0":431.5,"p1":-12.25}`},
		{"Login", `{"a":"Login","p0":"tristan","p1":"correct horse battery staple"}`},
		{"Chat", `{"a":"Chat","p0":"tristan","p1":"hello there, is anyone selling wool?"}`},
		{"Register", `{"a":"Register","p0":"tristan","p1":"correct horse battery staple","p2":3}`},
	}
	for _, c := range cases {
		msg := []byte(c.msg)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				p, err := Decode(msg)
				if err != nil {
					b.Fatal(err)
				}
				if _, deny := ParseRequest(p, nil); deny.Refused() {
					b.Fatal(deny.Text())
				}
			}
		})
	}
}

// BenchmarkFlushV2 times a v2 view's tick: 20 others' walks, their packets
// shared with every view, written as one message.
func BenchmarkFlushV2(b *testing.B) {
	facts := make([]ecs.Fact, 20)
	for i := range facts {
		walk := ecs.Intent{FromX: float64(i) * 10.25, FromY: -77.5, ToX: 500, ToY: 500, Tick: 10, Step: 3.5, Seq: 4}
		facts[i] = ecs.Fact{Kind: ecs.Moved, Actor: ecs.ActorState{ID: int64(1000 + i), Intent: walk}}
	}
	batch := newShared(10, facts...)
	r := New(V2, DefaultConfig()).NewRenderer()
	var msgs [][]byte
	now := uint64(10)
	b.ReportAllocs()
	for b.Loop() {
		for i := range facts {
			r.Move(facts[i].Actor, false, Source{Batch: batch, Index: i})
		}
		now++
		r.Tick(now)
		msgs = r.Flush(msgs[:0])
	}
	b.SetBytes(int64(len(msgs[0])))
}
