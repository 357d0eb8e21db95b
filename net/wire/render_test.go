package wire

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

// shared is a batch as the bus shares it, counting how often each slot is built.
type shared struct {
	facts ecs.CellFacts
	memo  map[int]any
	built map[int]int
}

func (s *shared) Memo(slot int, build func(*ecs.CellFacts) any) any {
	if v, ok := s.memo[slot]; ok {
		return v
	}
	s.built[slot]++
	s.memo[slot] = build(&s.facts)
	return s.memo[slot]
}

func newShared(tick uint64, facts ...ecs.Fact) *shared {
	return &shared{facts: ecs.CellFacts{Tick: tick, Facts: facts}, memo: map[int]any{}, built: map[int]int{}}
}

// positions decodes v1 messages to "id x,y" for model deltas, and the action otherwise.
func positions(t *testing.T, msgs [][]byte) []string {
	t.Helper()
	var out []string
	for _, m := range msgs {
		var p struct {
			A  string
			P0 struct {
				ID int64                  `json:"id"`
				IE struct{ X, Y float64 } `json:"instanced_entity"`
			}
		}
		if err := json.Unmarshal(m, &p); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if p.A == "ModelDelta" {
			out = append(out, fmt.Sprintf("%d %g,%g", p.P0.ID, p.P0.IE.X, p.P0.IE.Y))
		} else {
			out = append(out, p.A)
		}
	}
	return out
}

// TestV1LeadPoints: another actor's walk reaches a v1 client as lead points
// LeadAhead ahead, the next once the actor is within LeadNear of the last,
// never past the target; every view shares one encoding of them.
func TestV1LeadPoints(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	walk := ecs.Intent{FromX: 0, FromY: 0, ToX: 300, ToY: 0, Tick: 10, Step: 3.5, Seq: 1}
	batch := newShared(10, ecs.Fact{Kind: ecs.Moved, Actor: ecs.ActorState{ID: 7, Intent: walk}})
	var got [2][]string
	for v := range got {
		r := New(V1, cfg).NewRenderer()
		r.Admitted(ecs.ActorState{ID: 1, Intent: ecs.Intent{FromX: 500, ToX: 500}}, 9, "")
		r.Flush(nil)
		r.Move(ecs.ActorState{ID: 7, Intent: walk}, false, Source{Batch: batch})
		for now := uint64(10); now <= 110; now++ {
			r.Tick(now)
			for _, p := range positions(t, r.Flush(nil)) {
				got[v] = append(got[v], fmt.Sprintf("t%d %s", now, p))
			}
		}
		if r.Busy(110) {
			t.Error("busy after the walk ended")
		}
	}
	// Lead point k at 120 + 85k, sent once the actor has walked 85k
	// (3.5 units a tick: ticks 10+25, 10+49, 10+73), capped at the target.
	want := []string{"t10 7 120,0", "t35 7 205,0", "t59 7 290,0", "t83 7 300,0"}
	equal := func(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }
	if !equal(got[0], want) || !equal(got[1], want) {
		t.Errorf("lead points\n got %q\n and %q\nwant %q", got[0], got[1], want)
	}
	if batch.built[slotV1Leads] != 1 {
		t.Errorf("lead packets built %d times for two views, want once", batch.built[slotV1Leads])
	}
}

// TestV1OwnEcho: a v1 client is sent its own true position whenever it
// changed, replayed step by step exactly as the tick walks.
func TestV1OwnEcho(t *testing.T) {
	t.Parallel()
	r := New(V1, DefaultConfig()).NewRenderer()
	r.Admitted(ecs.ActorState{ID: 1, Name: "me", Intent: ecs.Intent{FromX: 10, FromY: 10, ToX: 10, ToY: 10}}, 4, "")
	if got := positions(t, r.Flush(nil)); fmt.Sprint(got) != "[Ok 1 10,10]" {
		t.Fatalf("admitted: %q", got)
	}
	r.Tick(6)
	if msgs := r.Flush(nil); len(msgs) != 0 {
		t.Errorf("standing still echoed %q", positions(t, msgs))
	}
	walk := ecs.Intent{FromX: 13.5, FromY: 10, ToX: 20, ToY: 10, Tick: 7, Step: 3.5, Seq: 1}
	r.Move(ecs.ActorState{ID: 1, Intent: walk}, true, Source{})
	p := ecs.Position{X: 13.5, Y: 10}
	var want []string
	for now := uint64(7); now <= 10; now++ {
		r.Tick(now)
		if now > 7 {
			ecs.Walk(&p, 20, 10, 3.5)
		}
		if now <= 9 {
			want = append(want, fmt.Sprintf("1 %g,%g", p.X, p.Y))
		}
		for _, m := range positions(t, r.Flush(nil)) {
			if got := want[len(want)-1]; m != got {
				t.Errorf("tick %d: echo %s, want %s", now, m, got)
			}
		}
	}
	if r.Busy(10) {
		t.Error("busy after arriving")
	}
}

// TestV2BatchesATick: v2 sends everything of a render as one message of
// packets, shares each fact's packet, and lets a newer move of an actor
// replace one still waiting.
func TestV2BatchesATick(t *testing.T) {
	t.Parallel()
	a := ecs.ActorState{ID: 7, Name: "tristan", Avatar: 3, Intent: ecs.Intent{FromX: 1, FromY: 2, ToX: 50, ToY: 2, Tick: 3, Step: 3.5}}
	batch := newShared(3,
		ecs.Fact{Kind: ecs.Entered, Actor: a},
		ecs.Fact{Kind: ecs.Said, Actor: ecs.ActorState{ID: 7, Name: "tristan"}, Text: "hi"})
	r := New(V2, DefaultConfig()).NewRenderer()
	if msgs := r.Flush(nil); len(msgs) != 0 {
		t.Fatalf("nothing to say, yet %q", msgs)
	}
	r.Enter(a, 3, Source{Batch: batch, Index: 0})
	r.Chat("tristan", "hi", Source{Batch: batch, Index: 1})
	r.Move(ecs.ActorState{ID: 7, Intent: ecs.Intent{FromX: 5, ToX: 9, Step: 3.5}}, false, Source{})
	r.Move(ecs.ActorState{ID: 7, Intent: ecs.Intent{FromX: 6, ToX: 9, Step: 3.5}}, false, Source{})
	r.Leave(7)
	r.Tick(5)
	msgs := r.Flush(nil)
	want := `[["T",5],["E",7,"tristan",3,1,2,50,2,70,3],["C","tristan","hi"],["M",7,6,0,9,0,70,0],["L",7]]`
	if len(msgs) != 1 || string(msgs[0]) != want {
		t.Errorf("got %q, want one message %s", msgs, want)
	}
	if batch.built[slotV2] != 1 {
		t.Errorf("built %d times", batch.built[slotV2])
	}
}

// TestV2LatePlacement: an E or M sent later than its tick still tells a
// client where the actor is. Placed as docs/protocol-v2.md says (advanced
// along its walk by (T − tick) / rate seconds, T being the message's
// head), the actor lands where the tick has it at T: for an E from a
// batch (its tick), one from state (now), an M (the walk's start), and a
// walk over by then (its target). Views that send the same fact at
// different ticks share its bytes.
func TestV2LatePlacement(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	walk := ecs.Intent{FromX: 10, FromY: 20, ToX: 310, ToY: 420, Tick: 10, Step: 3.5, Seq: 1}
	a := ecs.ActorState{ID: 7, Name: "ada", Avatar: 1, Intent: walk}
	entered := newShared(12, ecs.Fact{Kind: ecs.Entered, Actor: a})
	moved := newShared(10, ecs.Fact{Kind: ecs.Moved, Actor: a})
	tests := []struct {
		name string
		now  uint64
		add  func(r Renderer, now uint64)
	}{
		{"E from a batch, on time", 12, func(r Renderer, now uint64) { r.Enter(a, now, Source{Batch: entered}) }},
		{"E from a batch, 4 ticks late", 16, func(r Renderer, now uint64) { r.Enter(a, now, Source{Batch: entered}) }},
		{"E from a batch, 5 s late", 112, func(r Renderer, now uint64) { r.Enter(a, now, Source{Batch: entered}) }},
		{"E from state", 16, func(r Renderer, now uint64) { r.Enter(a, now, Source{}) }},
		{"M, 4 ticks late", 14, func(r Renderer, _ uint64) { r.Move(a, false, Source{Batch: moved}) }},
		{"M, walk over", 200, func(r Renderer, _ uint64) { r.Move(a, false, Source{Batch: moved}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(V2, cfg).NewRenderer()
			tc.add(r, tc.now)
			r.Tick(tc.now)
			msgs := r.Flush(nil)
			var packets [][]any
			if len(msgs) != 1 || json.Unmarshal(msgs[0], &packets) != nil || len(packets) != 2 || packets[0][0] != "T" {
				t.Fatalf("got %q, want one message of a tick and a packet", msgs)
			}
			p := packets[1]
			at := 2 // x of an M; an E has id, name and avatar first
			if p[0] == "E" {
				at = 4
			}
			num := func(i int) float64 { return p[i].(float64) }
			x, y, tx, ty, speed := num(at), num(at+1), num(at+2), num(at+3), num(at+4)
			late := (packets[0][1].(float64) - num(len(p)-1)) / float64(cfg.Rate) // the tick is last
			if late < 0 {
				t.Fatalf("%v: its tick is after the message's", msgs[0])
			}
			d, s := math.Hypot(tx-x, ty-y), speed*late
			if s < d {
				x, y = x+(tx-x)/d*s, y+(ty-y)/d*s
			} else {
				x, y = tx, ty
			}
			wx, wy := walk.At(tc.now)
			if math.Hypot(x-wx, y-wy) > 0.1 {
				t.Errorf("%s places the actor at %.2f,%.2f; the tick has it at %.2f,%.2f", msgs[0], x, y, wx, wy)
			}
		})
	}
	if entered.built[slotV2] != 1 || moved.built[slotV2] != 1 {
		t.Errorf("built %d and %d times, want once each", entered.built[slotV2], moved.built[slotV2])
	}
}
