package systems

import (
	"fmt"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

// textEnc encodes packets as short readable strings, so tests can compare them.
type textEnc struct{}

func (textEnc) Ok() []byte { return []byte("ok") }
func (textEnc) AppendFull(b []byte, a ecs.Actor) []byte {
	return fmt.Appendf(b, "full %d %s %d %g,%g", a.ID, a.Name, a.Avatar, a.X, a.Y)
}
func (textEnc) AppendMove(b []byte, id int64, x, y float64) []byte {
	return fmt.Appendf(b, "move %d %g,%g", id, x, y)
}
func (textEnc) Chat(from, text string) []byte { return fmt.Appendf(nil, "chat %s: %s", from, text) }
func (textEnc) Disconnect(id int64) []byte    { return fmt.Appendf(nil, "bye %d", id) }

// recorder is a client that keeps what it is sent.
type recorder struct{ got []string }

func (r *recorder) Send(msg []byte) bool { r.got = append(r.got, string(msg)); return true }

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
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// newTick builds the production pipeline over a bare world with test parts.
func newTick(t testing.TB, cfg Config) (*Tick, *ecs.Queue, *memStore) {
	t.Helper()
	q := ecs.NewQueue(64)
	st := &memStore{}
	tk, err := New(cfg, ecs.NewWorld(), q, textEnc{}, st)
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
func spawnCmd(c ecs.Client, id int64, x, y float64) (ecs.Command, chan bool) {
	reply := make(chan bool, 1)
	return ecs.Command{Kind: ecs.Spawn, Client: c, Reply: reply,
		Actor: ecs.Actor{ID: id, Name: fmt.Sprintf("p%d", id), Avatar: int(id % 6), X: x, Y: y}}, reply
}
