package systems

import (
	"fmt"
	"strings"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

// textEnc encodes packets as short readable strings, so tests can compare
// them. With batched set it stands for v2: one message per tick, pieces
// joined by " | ".
type textEnc struct{ batched bool }

func (textEnc) Ok() []byte { return []byte("ok") }
func (textEnc) AppendEnter(b []byte, a ecs.Actor, tx, ty float64) []byte {
	return fmt.Appendf(b, "enter %d %s %d %g,%g>%g,%g", a.ID, a.Name, a.Avatar, a.X, a.Y, tx, ty)
}
func (textEnc) AppendMove(b []byte, id int64, x, y, tx, ty float64) []byte {
	return fmt.Appendf(b, "move %d %g,%g>%g,%g", id, x, y, tx, ty)
}
func (textEnc) Chat(from, text string) []byte { return fmt.Appendf(nil, "chat %s: %s", from, text) }
func (textEnc) Leave(id int64) []byte         { return fmt.Appendf(nil, "leave %d", id) }
func (textEnc) Quit(id int64) []byte          { return fmt.Appendf(nil, "quit %d", id) }
func (e textEnc) Batched() bool               { return e.batched }
func (textEnc) AppendBatch(b []byte, pieces []ecs.Packet) []byte {
	parts := make([]string, len(pieces))
	for i, p := range pieces {
		parts[i] = string(p.Bytes)
	}
	return append(b, strings.Join(parts, " | ")...)
}

var textCodecs = ecs.Codecs{ecs.V1: textEnc{}, ecs.V2: textEnc{batched: true}}

// recorder is a client that keeps what it is sent.
type recorder struct{ got []string }

func (r *recorder) Send(p ecs.Packet) bool { r.got = append(r.got, string(p.Bytes)); return true }

// take returns and clears what the client got.
func (r *recorder) take() []string {
	got := r.got
	r.got = nil
	return got
}

// memStore remembers saved positions.
type memStore struct{ saved []ecs.SavedPosition }

func (m *memStore) SavePositions(b []ecs.SavedPosition) { m.saved = append(m.saved, b...) }

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// newTick builds the production pipeline over a bare world with test parts.
func newTick(t testing.TB, cfg Config) (*Tick, *ecs.Queue, *memStore) {
	t.Helper()
	q := ecs.NewQueue(256)
	st := &memStore{}
	tk, err := New(cfg, q, textCodecs, st)
	if err != nil {
		t.Fatal(err)
	}
	return tk, q, st
}

// push queues a command, failing the test if the queue is full.
func push(t testing.TB, q *ecs.Queue, c ecs.Command) {
	t.Helper()
	if q.Len() == q.Cap() {
		t.Fatal("queue full")
	}
	q.Push(t.Context(), c) //nolint:errcheck // cannot block: checked above
}

// spawnCmd is a Spawn for actor id at x, y with a reply channel.
func spawnCmd(c ecs.Client, proto ecs.Protocol, id int64, x, y float64) (ecs.Command, chan bool) {
	reply := make(chan bool, 1)
	return ecs.Command{Kind: ecs.Spawn, Client: c, Reply: reply, Proto: proto,
		Actor: ecs.Actor{ID: id, Name: fmt.Sprintf("p%d", id), Avatar: int(id % 6), X: x, Y: y}}, reply
}

// join spawns a player through the pipeline and returns its client.
func join(t testing.TB, tk *Tick, q *ecs.Queue, proto ecs.Protocol, id int64, x, y float64) *recorder {
	t.Helper()
	r := &recorder{}
	c, reply := spawnCmd(r, proto, id, x, y)
	push(t, q, c)
	tk.Step()
	if !<-reply {
		t.Fatalf("actor %d not admitted", id)
	}
	return r
}

// walk sets a player's target.
func walk(t testing.TB, q *ecs.Queue, c ecs.Client, id int64, x, y float64) {
	t.Helper()
	push(t, q, ecs.Command{Kind: ecs.SetTarget, Client: c, Actor: ecs.Actor{ID: id}, X: x, Y: y})
}
