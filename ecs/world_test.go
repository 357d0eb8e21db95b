package ecs

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"testing"

	arche "github.com/mlange-42/arche/ecs"
)

// TestWorldSurvivesGC churns actors through the world while the garbage
// collector runs, and checks that every actor's name is intact. arche moves
// components as raw bytes, which the collector does not see; this is what
// goes wrong when a component holds a Go pointer.
func TestWorldSurvivesGC(t *testing.T) {
	t.Parallel()
	w := NewWorld(0, 3.5)
	live := map[int64]Entity{}
	for round := range 40 {
		for i := range 50 {
			id := int64(round*50 + i + 1)
			live[id] = w.Spawn(Actor{ID: id, Name: fmt.Sprintf("player-%d", id), X: float64(i), Y: float64(round)}, uint64(id))
		}
		n := 0
		for id, e := range live {
			if n++; n%3 == 0 {
				w.Remove(e)
				delete(live, id)
			}
		}
		runtime.GC()
	}
	for id, e := range live {
		if !w.ECS.Alive(e) {
			t.Fatalf("actor %d is gone", id)
		}
		if want := fmt.Sprintf("player-%d", id); w.Name(e) != want || w.State(e).Name != want {
			t.Fatalf("actor %d is named %q", id, w.Name(e))
		}
		if w.Owner(e) != uint64(id) {
			t.Fatalf("actor %d is played by session %d", id, w.Owner(e))
		}
	}
}

// TestComponentsHoldNoPointers keeps Go pointers out of arche's storage for
// good: every registered component type must be free of them.
func TestComponentsHoldNoPointers(t *testing.T) {
	t.Parallel()
	w := NewWorld(0, 3.5)
	w.Spawn(Actor{ID: 1, Name: "a"}, 1)
	ids := w.ECS.Ids(w.Actors[1])
	if len(ids) < 7 {
		t.Fatalf("an actor has %d components", len(ids))
	}
	for _, id := range ids {
		info, _ := arche.ComponentInfo(w.ECS, id)
		if hasPointers(info.Type) {
			t.Errorf("component %v holds Go pointers", info.Type)
		}
	}
}

// hasPointers reports whether values of tp contain Go pointers.
func hasPointers(tp reflect.Type) bool {
	switch tp.Kind() {
	case reflect.Struct:
		for i := range tp.NumField() {
			if hasPointers(tp.Field(i).Type) {
				return true
			}
		}
		return false
	case reflect.Array:
		return tp.Len() > 0 && hasPointers(tp.Elem())
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	default:
		return true
	}
}

// recorder is a Publisher that keeps what it is given.
type recorder struct {
	batches []CellFacts
	ended   []uint64
}

func (r *recorder) Publish(f CellFacts) { r.batches = append(r.batches, f) }
func (r *recorder) EndTick(t uint64)    { r.ended = append(r.ended, t) }

func TestPublishGroupsFactsByCellInOrder(t *testing.T) {
	t.Parallel()
	w := NewWorld(100, 3.5)
	w.Tick = 7
	a := w.Spawn(Actor{ID: 1, Name: "a", X: 10, Y: 10}, 1)
	w.Spawn(Actor{ID: 2, Name: "b", X: 250, Y: 10}, 2)
	w.Note(w.CellOf(a), Fact{Kind: Said, Actor: ActorState{ID: 1, Name: "a"}, Text: "hi"})
	w.Remove(a)
	var r recorder
	w.Publish(&r)
	if len(r.batches) != 2 || len(r.ended) != 1 || r.ended[0] != 7 {
		t.Fatalf("published %d batches, ended %v", len(r.batches), r.ended)
	}
	first := r.batches[0]
	if first.Cell != (CellKey{0, 0}) || first.Tick != 7 || len(first.Facts) != 3 {
		t.Fatalf("first batch %+v", first)
	}
	for i, k := range []FactKind{Entered, Said, Quit} {
		if first.Facts[i].Kind != k {
			t.Errorf("fact %d is %v, want %v", i, first.Facts[i].Kind, k)
		}
	}
	if r.batches[1].Cell != (CellKey{2, 0}) {
		t.Errorf("second batch is of cell %v", r.batches[1].Cell)
	}
	w.Tick++
	w.Publish(&r)
	if len(r.batches) != 2 || len(r.ended) != 2 {
		t.Errorf("an empty tick published %d batches", len(r.batches)-2)
	}
}

// TestIntentAtMatchesWalk checks that the closed form observers use agrees
// with the tick's step by step walk, to well under the wire's precision.
func TestIntentAtMatchesWalk(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ fx, fy, tx, ty float64 }{
		{0, 0, 100, 0}, {5, -7, -300, 412.5}, {1, 1, 1, 1}, {0, 0, 0.2, 0.1},
	} {
		in := Intent{FromX: c.fx, FromY: c.fy, ToX: c.tx, ToY: c.ty, Tick: 10, Step: 3.5}
		p := Position{X: c.fx, Y: c.fy}
		for now := uint64(10); now < 200; now++ {
			x, y := in.At(now)
			if math.Abs(x-p.X) > 1e-6 || math.Abs(y-p.Y) > 1e-6 {
				t.Fatalf("%+v at %d: %v,%v, walk %v", c, now, x, y, p)
			}
			walking := Walk(&p, c.tx, c.ty, in.Step)
			if in.Walking(now+1) != walking {
				t.Fatalf("%+v at %d: Walking %v, walk %v", c, now+1, in.Walking(now+1), walking)
			}
		}
	}
}

func TestReplyNeverBlocks(t *testing.T) {
	t.Parallel()
	r := NewReply()
	r.Answer(Admission{OK: true})
	r.Answer(Admission{OK: false}) // dropped, not waited on
	Reply{}.Answer(Admission{})    // no room at all: dropped
	if a := <-r.C(); !a.OK {
		t.Error("the first answer was lost")
	}
}

// TestModDataMustBeJSON: what a mod shows clients must be JSON, or it
// panics where it is made rather than break clients and other processes.
func TestModDataMustBeJSON(t *testing.T) {
	t.Parallel()
	w := NewWorld(0, 3.5)
	e := w.SpawnThing(Thing{Kind: "item", State: []byte(`{"ok":1}`)})
	for name, f := range map[string]func(){
		"message": func() { w.Tell(e, "m", []byte("{no"), 0) },
		"state":   func() { w.SpawnThing(Thing{Kind: "item", State: []byte("nope")}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s that is not JSON was taken", name)
				}
			}()
			f()
		}()
	}
	w.Tell(e, "m", nil, 0) // no data is fine
}
