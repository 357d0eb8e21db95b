package systems

import (
	"fmt"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
)

// published is a Publisher that keeps every batch, by tick.
type published struct {
	batches []ecs.CellFacts
	ended   []uint64
}

func (p *published) Publish(f ecs.CellFacts) { p.batches = append(p.batches, f) }
func (p *published) EndTick(t uint64)        { p.ended = append(p.ended, t) }

// take returns the facts published since the last take, as short strings
// "cell kind id", in order.
func (p *published) take() []string {
	var out []string
	for _, b := range p.batches {
		for _, f := range b.Facts {
			s := fmt.Sprintf("%d,%d %s %d", b.Cell.X, b.Cell.Y, kindName[f.Kind], f.Actor.ID)
			switch f.Kind {
			case ecs.Said:
				s += " " + f.Actor.Name + ": " + f.Text
			case ecs.Exited, ecs.Entered:
				if f.Kind == ecs.Exited || f.Crossed {
					s += fmt.Sprintf(" %d,%d", f.Cell.X, f.Cell.Y)
				}
			}
			out = append(out, s)
		}
	}
	p.batches = p.batches[:0]
	return out
}

var kindName = map[ecs.FactKind]string{ecs.Entered: "entered", ecs.Exited: "exited", ecs.Moved: "moved", ecs.Quit: "quit", ecs.Said: "said"}

// facts returns the facts of one kind published since the last take.
func (p *published) find(kind ecs.FactKind) []ecs.Fact {
	var out []ecs.Fact
	for _, b := range p.batches {
		for _, f := range b.Facts {
			if f.Kind == kind {
				out = append(out, f)
			}
		}
	}
	return out
}

type memStore struct{ saved []ecs.SavedPosition }

func (m *memStore) SavePositions(b []ecs.SavedPosition) { m.saved = append(m.saved, b...) }

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// testConfig is a small world: 100-unit cells, 20 ticks a second, 70
// units a second, with the tutorial's commands.
func testConfig() Config {
	return Config{Rate: 20, Speed: 70, Bounds: ecs.Bounds{MinX: -1000, MinY: -1000, MaxX: 1000, MaxY: 1000},
		FlushEvery: time.Second, CommandsPerTick: 64, CellSize: 100, Mods: registryOf()}
}

// registryOf registers the tutorial's commands, then mods.
func registryOf(mods ...mod.Mod) *mod.Registry {
	r := mod.NewRegistry()
	if err := r.Add(append([]mod.Mod{tutorial.Mod(tutorial.DefaultConfig())}, mods...)...); err != nil {
		panic(err) // the tutorial's registration is fixed; a test's mod fails in its test
	}
	return r
}

// newTick builds the production pipeline over a bare world with test parts.
func newTick(t testing.TB, cfg Config) (*Tick, *ecs.Queue, *published, *memStore) {
	t.Helper()
	q := ecs.NewQueue(256)
	pub, st := &published{}, &memStore{}
	tk, err := New(cfg, q, pub, st)
	if err != nil {
		t.Fatal(err)
	}
	return tk, q, pub, st
}

// push queues a command, failing the test if the queue is full.
func push(t testing.TB, q *ecs.Queue, c ecs.Command) {
	t.Helper()
	if err := q.Push(t.Context(), c); err != nil {
		t.Fatal(err)
	}
}

// join spawns a player (played by session id) through the pipeline.
func join(t testing.TB, tk *Tick, q *ecs.Queue, id int64, x, y float64) ecs.Admission {
	t.Helper()
	r := ecs.NewReply()
	push(t, q, ecs.Command{Kind: ecs.Spawn, Login: uint64(id), Reply: r,
		Actor: ecs.Actor{ID: id, Name: fmt.Sprintf("p%d", id), Avatar: int(id % 6), X: x, Y: y}})
	tk.Advance()
	select {
	case a := <-r.C():
		if !a.OK {
			t.Fatalf("actor %d not admitted", id)
		}
		return a
	default:
		t.Fatalf("actor %d: no answer after a tick", id)
	}
	return ecs.Admission{}
}

// walk sets a player's target, as its own session.
func walk(t testing.TB, q *ecs.Queue, id int64, x, y float64) {
	t.Helper()
	push(t, q, tutorial.Target(uint64(id), id, x, y))
}
