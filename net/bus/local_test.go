package bus

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs"
)

// recorder is a Subscriber that keeps what it gets, and the ticks it is woken for.
type recorder struct {
	mu    sync.Mutex
	msgs  []Message
	woken []uint64
}

func (r *recorder) Deliver(t uint64, msgs []Message) {
	r.mu.Lock()
	r.msgs = append(r.msgs, msgs...)
	r.woken = append(r.woken, t)
	r.mu.Unlock()
}

// take returns the messages so far as short strings and forgets them.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.msgs {
		if m.Snapshot != nil {
			s := fmt.Sprintf("t%d snap %v seq %d:", m.Tick, m.Cell, m.Snapshot.Seq)
			for _, a := range m.Snapshot.Actors {
				s += fmt.Sprint(" ", a.ID)
			}
			out = append(out, s)
			continue
		}
		out = append(out, fmt.Sprintf("t%d batch %v seq %d: %d facts", m.Tick, m.Cell, m.Batch.Seq, len(m.Batch.Facts)))
	}
	r.msgs = nil
	return out
}

// running starts a bus until the test ends.
func running(t *testing.T) *Local {
	t.Helper()
	l := NewLocal()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }() //nolint:errcheck // returns nil
	t.Cleanup(func() { cancel(); <-done })
	return l
}

// tick publishes facts (cell → actor ids entering it) as one tick and waits
// for their delivery.
func tick(t *testing.T, l *Local, n uint64, facts map[ecs.CellKey][]ecs.Fact) {
	t.Helper()
	for k, fs := range facts {
		l.Publish(ecs.CellFacts{Cell: k, Tick: n, Facts: fs})
	}
	l.EndTick(n)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := l.Await(ctx, n); err != nil {
		t.Fatalf("tick %d not delivered: %v", n, err)
	}
}

func enter(ids ...int64) []ecs.Fact {
	var fs []ecs.Fact
	for _, id := range ids {
		fs = append(fs, ecs.Fact{Kind: ecs.Entered, Actor: ecs.ActorState{ID: id}})
	}
	return fs
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// TestSnapshotJoinsTheStream: a late subscriber gets the cell's actors as
// of the tick before, then every later batch, numbered on from the
// snapshot with no gap and no repeat; after unsubscribing, nothing.
func TestSnapshotJoinsTheStream(t *testing.T) {
	t.Parallel()
	l := running(t)
	a, b := ecs.CellKey{X: 1}, ecs.CellKey{X: 2, Y: -3}
	tick(t, l, 1, map[ecs.CellKey][]ecs.Fact{a: enter(10, 11)})
	tick(t, l, 2, map[ecs.CellKey][]ecs.Fact{a: {{Kind: ecs.Quit, Actor: ecs.ActorState{ID: 10}}}})
	var r recorder
	l.Subscribe(a, &r)
	l.Subscribe(b, &r)
	tick(t, l, 3, map[ecs.CellKey][]ecs.Fact{a: enter(12), b: enter(20)})
	// Each cell's messages are in order.
	got := r.take()
	equal(t, "cell a", only(got, "{1 0}"), []string{"t3 snap {1 0} seq 2: 11", "t3 batch {1 0} seq 3: 1 facts"})
	equal(t, "cell b", only(got, "{2 -3}"), []string{"t3 snap {2 -3} seq 0:", "t3 batch {2 -3} seq 1: 1 facts"})
	l.Unsubscribe(a, &r)
	tick(t, l, 4, map[ecs.CellKey][]ecs.Fact{a: enter(13), b: enter(21)})
	equal(t, "after leaving a", r.take(), []string{"t4 batch {2 -3} seq 2: 1 facts"})
	r.mu.Lock()
	woken := fmt.Sprint(r.woken)
	r.mu.Unlock()
	if woken != "[3 4]" {
		t.Errorf("woken for ticks %s, want [3 4]", woken)
	}
	if s := l.Stats(); s.Published != 6 || s.Delivered != 5 || s.Facts != 4 {
		t.Errorf("stats %+v", s)
	}
}

// only keeps the messages of one cell.
func only(msgs []string, cell string) []string {
	var out []string
	for _, m := range msgs {
		if strings.Contains(m, " "+cell+" ") {
			out = append(out, m)
		}
	}
	return out
}

// TestWholeTicks: a subscriber is woken only once every message of a tick
// has been delivered to it, however many cells it watches.
func TestWholeTicks(t *testing.T) {
	t.Parallel()
	l := running(t)
	var r recorder
	var cells []ecs.CellKey
	for i := range 40 {
		k := ecs.CellKey{X: int32(i), Y: int32(i * 7)}
		cells = append(cells, k)
		l.Subscribe(k, &r)
	}
	tick(t, l, 1, nil) // the subscriptions: 40 empty snapshots
	r.take()
	for n := uint64(2); n < 12; n++ {
		facts := map[ecs.CellKey][]ecs.Fact{}
		for _, k := range cells {
			facts[k] = enter(int64(n))
		}
		tick(t, l, n, facts)
		if got := len(r.take()); got != 40 {
			t.Fatalf("tick %d: %d messages when woken, want 40", n, got)
		}
	}
}
