package net

import (
	"fmt"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

// sinkBytes keeps results alive so the compiler cannot drop the work.
var sinkBytes []byte

// BenchmarkEncode times each server packet the tick encodes. Move is the one
// that matters: the delta system encodes one per walking actor per tick.
// Their ns/op is the whole cost: they append to a buffer the tick reuses.
func BenchmarkEncode(b *testing.B) {
	buf := make([]byte, 0, 512)
	actor := ecs.Actor{ID: 123456, Name: "tristan_the_walker", Avatar: 3, X: -812.3456, Y: 77.125}
	for proto, enc := range Codecs(70) {
		cases := []struct {
			name string
			fn   func() []byte
		}{
			// The tick appends Move and Enter to a buffer; buf stands for it.
			{"AppendMove", func() []byte { return enc.AppendMove(buf[:0], actor.ID, actor.X, actor.Y, 500, 500) }},
			{"AppendEnter", func() []byte { return enc.AppendEnter(buf[:0], actor, 500, 500) }},
			{"Chat", func() []byte { return enc.Chat(actor.Name, "hello there, is anyone selling \"wool\"?") }},
			{"Quit", func() []byte { return enc.Quit(actor.ID) }},
			{"Deny", func() []byte { return enc.Deny(DenyCredentials) }},
		}
		for _, c := range cases {
			b.Run(fmt.Sprintf("v%d/%s", proto+1, c.name), func(b *testing.B) {
				b.ReportAllocs()
				var n int
				for b.Loop() {
					sinkBytes = c.fn()
					n = len(sinkBytes)
				}
				b.SetBytes(int64(n))
			})
		}
	}
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
				if _, deny := ParseRequest(p); deny != "" {
					b.Fatal(deny)
				}
			}
		})
	}
}
