package view

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net/bus"
	"github.com/godmmo/godmmo/net/wire"
)

// script is a Renderer that writes down what it is told, one line an event.
type script struct {
	lines     []string
	newcomers int
	coalesces bool
}

func (s *script) say(f string, a ...any) { s.lines = append(s.lines, fmt.Sprintf(f, a...)) }

func (s *script) Admitted(own ecs.ActorState, _ uint64, _ string) { s.say("admitted %d", own.ID) }
func (s *script) Enter(a ecs.ActorState, _ uint64, _ wire.Source) { s.say("enter %d", a.ID) }
func (s *script) Move(a ecs.ActorState, own bool, _ wire.Source) {
	if own {
		s.say("own move")
		return
	}
	s.say("move %d", a.ID)
}
func (s *script) Leave(id int64)                        { s.say("leave %d", id) }
func (s *script) Quit(id int64, _ wire.Source)          { s.say("quit %d", id) }
func (s *script) Chat(from, text string, _ wire.Source) { s.say("chat %s: %s", from, text) }
func (s *script) Message(name string, id int64, data []byte, _ wire.Source) {
	s.say("message %s about %d: %s", name, id, data)
}
func (s *script) Deny(reason string)          { s.say("deny %s", reason) }
func (s *script) Shows(a ecs.ActorState) bool { return a.Kind() != "object" }
func (s *script) Tick(uint64)                 {}
func (s *script) Busy(uint64) bool            { return false }
func (s *script) Newcomers() int              { return s.newcomers }
func (s *script) EchoesOwnChat() bool         { return false }
func (s *script) Coalesces() bool             { return s.coalesces }
func (s *script) Flush(dst [][]byte) [][]byte { return dst }
func (s *script) take() []string              { l := s.lines; s.lines = nil; return l }

// world is a running bus and the tick number, for publishing by hand.
type world struct {
	t    *testing.T
	bus  *bus.Local
	tick uint64
}

func newWorld(t *testing.T) *world {
	l := bus.NewLocal()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }() //nolint:errcheck // returns nil
	t.Cleanup(func() { cancel(); <-done })
	return &world{t: t, bus: l}
}

// step publishes one tick of facts, in the order given, and waits for
// their delivery.
func (w *world) step(facts ...cellFact) {
	w.t.Helper()
	w.tick++
	by := map[ecs.CellKey][]ecs.Fact{}
	var order []ecs.CellKey
	for _, f := range facts {
		if _, ok := by[f.cell]; !ok {
			order = append(order, f.cell)
		}
		by[f.cell] = append(by[f.cell], f.fact)
	}
	for _, k := range order {
		w.bus.Publish(ecs.CellFacts{Cell: k, Tick: w.tick, Facts: by[k]})
	}
	w.bus.EndTick(w.tick)
	ctx, cancel := context.WithTimeout(w.t.Context(), 5*time.Second)
	defer cancel()
	if err := w.bus.Await(ctx, w.tick); err != nil {
		w.t.Fatal(err)
	}
}

type cellFact struct {
	cell ecs.CellKey
	fact ecs.Fact
}

func cell(x int32) ecs.CellKey { return ecs.CellKey{X: x} }

func entered(id int64, at ecs.CellKey) cellFact {
	return cellFact{at, ecs.Fact{Kind: ecs.Entered, Actor: ecs.ActorState{ID: id, Name: fmt.Sprint("p", id)}}}
}

// crossed is a walk from one cell into the next: Exited there, Entered here.
func crossed(id int64, from, to ecs.CellKey) []cellFact {
	return []cellFact{
		{from, ecs.Fact{Kind: ecs.Exited, Actor: ecs.ActorState{ID: id}, Cell: to}},
		{to, ecs.Fact{Kind: ecs.Entered, Actor: ecs.ActorState{ID: id, Name: fmt.Sprint("p", id)}, Cell: from, Crossed: true}},
	}
}

// testConfig sees 2 cells around (100-unit cells, radius 200) and keeps
// actors one cell further (margin 100).
func testConfig() Config {
	return Config{Radius: 200, Margin: 100, CellSize: 100, Bounds: ecs.Bounds{MinX: -1000, MinY: -1000, MaxX: 1000, MaxY: 1000},
		TickPeriod: 50 * time.Millisecond, MaxLag: 100}
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// TestViewFollowsTheWorld walks through what a view must show: newcomers
// in the inner square, the margin's hysteresis, leaving, chat from those
// not shown yet, and the view moving with its player.
func TestViewFollowsTheWorld(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := &script{newcomers: 32}
	own := ecs.ActorState{ID: 1, Name: "me", Intent: ecs.Intent{FromX: 50, FromY: 50, ToX: 50, ToY: 50}}
	v := NewViews(w.bus, testConfig()).New(s, own, 0, "", func(End) { t.Error("reported slow") })
	render := func(what string, want ...string) {
		t.Helper()
		v.Render(nil)
		equal(t, what, s.take(), want)
	}
	render("admitted", "admitted 1")

	w.step(entered(1, cell(0)), entered(2, cell(2)), entered(3, cell(3)))
	render("inner square shown, margin not", "enter 2")

	w.step(crossed(3, cell(3), cell(2))...)
	render("walked into the inner square", "enter 3")

	w.step(append(crossed(2, cell(2), cell(3)), cellFact{cell(3), ecs.Fact{Kind: ecs.Moved, Actor: ecs.ActorState{ID: 2}}})...)
	render("into the margin: kept, and its walks told", "move 2")

	w.step(crossed(2, cell(3), cell(4))...)
	render("beyond the margin", "leave 2")

	w.step(crossed(2, cell(4), cell(3))...)
	render("back in the margin: not shown again")

	w.step(cellFact{cell(1), ecs.Fact{Kind: ecs.Said, Actor: ecs.ActorState{ID: 4, Name: "p4"}, Text: "hi"}},
		cellFact{cell(3), ecs.Fact{Kind: ecs.Said, Actor: ecs.ActorState{ID: 2, Name: "p2"}, Text: "far"}},
		cellFact{cell(0), ecs.Fact{Kind: ecs.Said, Actor: ecs.ActorState{ID: 1, Name: "me"}, Text: "mine"}})
	render("chat from whoever the view covers, not from the margin, not echoed", "chat p4: hi")

	w.step(crossed(1, cell(0), cell(-1))...)
	render("own step west: actor 3 is now in the margin, kept")
	w.step(crossed(1, cell(-1), cell(-2))...)
	render("another: actor 3 is beyond the margin", "leave 3")

	w.step(crossed(1, cell(-2), cell(-1))...)
	render("back east: actor 3 in the margin again, not shown")
	w.step(crossed(1, cell(-1), cell(0))...)
	render("home: actor 3 in view again", "enter 3")

	w.step(cellFact{cell(2), ecs.Fact{Kind: ecs.Quit, Actor: ecs.ActorState{ID: 3}}},
		cellFact{cell(0), ecs.Fact{Kind: ecs.Moved, Actor: ecs.ActorState{ID: 1}}})
	render("quit and own walk", "quit 3", "own move")
	v.Close()
}

// TestCrowdShownKeepsNoStates: a view keeps an actor's state (name, looks,
// walk) only until its client is shown it, and gives back the room once a
// crowd has been shown; the actors go on being followed: their walks told,
// those in the margin shown when they come into view, a quit taken away.
func TestCrowdShownKeepsNoStates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := &script{newcomers: 32}
	v := NewViews(w.bus, testConfig()).New(s, ecs.ActorState{ID: 1, Name: "me"}, 0, "", func(End) { t.Error("reported slow") })
	var crowd []cellFact
	for id := int64(2); id < 202; id++ {
		crowd = append(crowd, entered(id, cell(1)))
	}
	crowd = append(crowd, entered(1, cell(0)), entered(500, cell(3))) // 500 waits in the margin
	w.step(crowd...)
	shown := 0
	for range 10 {
		v.Render(nil)
		for _, l := range s.take() {
			if strings.HasPrefix(l, "enter ") {
				shown++
			}
		}
		w.step()
	}
	if shown != 200 {
		t.Fatalf("shown %d of the crowd, want 200", shown)
	}
	if live := len(v.states) - len(v.free); live != 2 || cap(v.states) > 64 {
		t.Errorf("%d states kept in room for %d after the crowd was shown, want the player's own and the margin's one in room for at most 64", live, cap(v.states))
	}
	w.step(cellFact{cell(1), ecs.Fact{Kind: ecs.Moved, Actor: ecs.ActorState{ID: 77}}},
		cellFact{cell(1), ecs.Fact{Kind: ecs.Quit, Actor: ecs.ActorState{ID: 78}}})
	v.Render(nil)
	equal(t, "a walk and a quit in the crowd", s.take(), []string{"move 77", "quit 78"})
	w.step(crossed(500, cell(3), cell(2))...)
	v.Render(nil)
	equal(t, "the one from the margin comes into view", s.take(), []string{"enter 500"})
}

// TestNewcomersArePaced: a player arriving in a crowd is shown it a few
// actors a tick, and the view says it has work until done.
func TestNewcomersArePaced(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var crowd []cellFact
	for id := int64(2); id < 9; id++ {
		crowd = append(crowd, entered(id, cell(1)))
	}
	w.step(crowd...)
	s := &script{newcomers: 3}
	vs := NewViews(w.bus, testConfig())
	v := vs.New(s, ecs.ActorState{ID: 1}, w.tick, "", func(End) { t.Error("reported slow") })
	v.Render(nil)
	s.take()
	w.step() // the subscriptions: snapshots of the crowd
	var counts []int
	for range 4 {
		v.Render(nil)
		counts = append(counts, len(s.take()))
		w.step()
		vs.Wake(w.tick, nil) // the clock wakes a view with newcomers waiting
		if !ready(v) {
			break
		}
	}
	if fmt.Sprint(counts) != "[3 3 1]" {
		t.Errorf("shown per tick %v, want [3 3 1]", counts)
	}
}

// ready reports whether v's writer has been woken, and takes the wake-up.
func ready(v *View) bool {
	select {
	case <-v.Ready():
		return true
	default:
		return false
	}
}

// TestSendPolicy: a view whose protocol coalesces wakes its writer at once
// for what concerns its player and for the snapshots of cells it comes to,
// and puts off others' news by Near (within a cell of the player's) or Far
// (the rest of its view) ticks, until the clock or a later delivery says
// it is due; one whose protocol does not wakes at once for everything.
func TestSendPolicy(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Near, cfg.Far = 100*time.Millisecond, 250*time.Millisecond // 2 and 5 ticks
	moved := func(id int64, at ecs.CellKey) cellFact {
		return cellFact{at, ecs.Fact{Kind: ecs.Moved, Actor: ecs.ActorState{ID: id}}}
	}
	for _, c := range []struct {
		name      string
		coalesces bool
		fact      cellFact
		wait      uint64 // ticks until the writer is woken
	}{
		{"own move", true, moved(1, cell(0)), 0},
		{"own line", true, cellFact{cell(0), ecs.Fact{Kind: ecs.Said, Actor: ecs.ActorState{ID: 1}, Text: "hi"}}, 0},
		{"a message for the player", true, cellFact{cell(2), ecs.Fact{Kind: ecs.ModMessage, Actor: ecs.ActorState{ID: 2}, Msg: &ecs.Message{Name: "n", To: 1}}}, 0},
		{"a near walk", true, moved(2, cell(1)), 2},
		{"a far walk", true, moved(2, cell(2)), 5},
		{"a far line", true, cellFact{cell(-2), ecs.Fact{Kind: ecs.Said, Actor: ecs.ActorState{ID: 2}, Text: "hi"}}, 5},
		{"a far walk in v1", false, moved(2, cell(2)), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			vs := NewViews(w.bus, cfg)
			v := vs.New(&script{newcomers: 32, coalesces: c.coalesces}, ecs.ActorState{ID: 1}, 0, "", func(End) { t.Error("reported slow") })
			w.step() // the snapshots, due at once
			if !ready(v) {
				t.Fatal("snapshots did not wake the writer")
			}
			v.Render(nil)
			ready(v) // the admission's own wake-up
			w.step(c.fact)
			at := w.tick
			for tick := at; tick < at+c.wait; tick++ {
				vs.Wake(tick, nil)
				if ready(v) {
					t.Fatalf("woken %d ticks after, want %d", tick-at, c.wait)
				}
			}
			vs.Wake(at+c.wait, nil)
			if !ready(v) {
				t.Fatalf("not woken %d ticks after", c.wait)
			}
		})
	}
	t.Run("a later delivery brings what is due", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		v := NewViews(w.bus, cfg).New(&script{newcomers: 32, coalesces: true}, ecs.ActorState{ID: 1}, 0, "", func(End) { t.Error("reported slow") })
		w.step()
		v.Render(nil)
		ready(v)
		w.step(moved(2, cell(1)))
		w.step(moved(3, cell(2))) // not due itself, but the first is
		if ready(v) {
			t.Fatal("woken before the near walk was due")
		}
		w.step(moved(3, cell(2)))
		if !ready(v) {
			t.Fatal("a delivery after the near walk fell due did not wake the writer")
		}
	})
}

// TestSlowViewIsDropped: a view whose writer stops rendering is reported
// slow once its oldest message is MaxLag ticks old, and takes no more.
func TestSlowViewIsDropped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cfg := testConfig()
	cfg.MaxLag = 5
	slow := make(chan struct{}, 10)
	v := NewViews(w.bus, cfg).New(&script{newcomers: 1}, ecs.ActorState{ID: 1}, 0, "", func(End) { slow <- struct{}{} })
	for i := range 20 {
		w.step(entered(int64(i+2), cell(1)))
	}
	if len(slow) != 1 {
		t.Fatalf("reported slow %d times, want once", len(slow))
	}
	v.mu.Lock()
	n := len(v.inbox)
	v.mu.Unlock()
	if n != 0 {
		t.Errorf("a slow view still holds %d messages", n)
	}
}

// TestViewCarriesModFacts: a mod's message reaches the players who can see
// its entity (like chat) or the one player it is for; a denial only its
// player; an entity the protocol cannot show is never entered.
func TestViewCarriesModFacts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := &script{newcomers: 32}
	v := NewViews(w.bus, testConfig()).New(s, ecs.ActorState{ID: 1, Name: "me"}, 0, "", func(End) { t.Error("reported slow") })
	v.Render(nil)
	s.take()
	msg := func(about int64, at ecs.CellKey, to int64) cellFact {
		return cellFact{at, ecs.Fact{Kind: ecs.ModMessage, Actor: ecs.ActorState{ID: about}, Msg: &ecs.Message{Name: "emote", Data: []byte(`"wave"`), To: to}}}
	}
	object := cellFact{cell(1), ecs.Fact{Kind: ecs.Entered, Actor: ecs.ActorState{ID: -5, Name: "rock", Mod: &ecs.ModState{Kind: "object"}}}}
	w.step(entered(1, cell(0)), entered(2, cell(1)), object)
	v.Render(nil)
	equal(t, "the object is not shown", s.take(), []string{"enter 2"})
	w.step(msg(2, cell(1), 0), msg(9, cell(3), 0), msg(2, cell(1), 1), msg(2, cell(1), 7), msg(1, cell(0), 0),
		cellFact{cell(0), ecs.Fact{Kind: ecs.Denied, Actor: ecs.ActorState{ID: 1}, Text: "no"}}, cellFact{cell(1), ecs.Fact{Kind: ecs.Denied, Actor: ecs.ActorState{ID: 2}, Text: "not you"}})
	v.Render(nil)
	equal(t, "messages", s.take(), []string{
		`message emote about 2: "wave"`, `message emote about 2: "wave"`, `message emote about 1: "wave"`, "deny no"})
	v.Close()
}
