package ecs

import (
	"fmt"
	"reflect"
	"runtime"
	"testing"

	arche "github.com/mlange-42/arche/ecs"
)

type nopClient struct{ n int }

func (c *nopClient) Send(Packet) bool { c.n++; return true }

// TestWorldSurvivesGC churns players through the world while the garbage
// collector runs, and checks that every actor's names, views and clients
// are intact. arche moves components as raw bytes, which the collector does
// not see; this is what goes wrong when a component holds a Go pointer.
func TestWorldSurvivesGC(t *testing.T) {
	t.Parallel()
	w := NewWorld(0)
	live := map[int64]Entity{}
	for round := range 40 {
		for i := range 50 {
			id := int64(round*50 + i + 1)
			a := Actor{ID: id, Name: fmt.Sprintf("player-%d", id), X: float64(i), Y: float64(round)}
			if i%2 == 0 {
				live[id] = w.SpawnPlayer(a, &nopClient{}, Protocol(i%3%2))
			} else {
				live[id] = w.SpawnActor(a)
			}
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
		x := w.Extra(e)
		if want := fmt.Sprintf("player-%d", id); x.Name != want {
			t.Fatalf("actor %d is named %q", id, x.Name)
		}
		if x.Known != nil {
			if got := x.Known.Set[e]; got != id {
				t.Fatalf("player %d knows itself as %d", id, got)
			}
			x.Client.Send(Packet{})
		}
	}
}

// TestComponentsHoldNoPointers keeps Go pointers out of arche's storage for
// good: every registered component type must be free of them.
func TestComponentsHoldNoPointers(t *testing.T) {
	t.Parallel()
	w := NewWorld(0)
	w.SpawnPlayer(Actor{ID: 1, Name: "a"}, &nopClient{}, V2)
	ids := w.ECS.Ids(w.Actors[1])
	if len(ids) < 7 {
		t.Fatalf("a player has %d components", len(ids))
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

func TestForgetKeepsTheSet(t *testing.T) {
	t.Parallel()
	w := NewWorld(0)
	var actors []Entity
	for i := range 300 {
		actors = append(actors, w.SpawnActor(Actor{ID: int64(i + 1)}))
	}
	k := &Known{Set: map[Entity]int64{}}
	for round := range 20 {
		for i, e := range actors {
			if (i+round)%2 == 0 {
				k.Set[e] = int64(i + 1)
			} else if _, ok := k.Set[e]; ok {
				k.Forget(e)
			}
		}
	}
	for i, e := range actors {
		_, ok := k.Set[e]
		if want := (i+19)%2 == 0; ok != want {
			t.Fatalf("actor %d known %v, want %v", i+1, ok, want)
		}
	}
	if k.deletes > 2*len(k.Set)+64 {
		t.Errorf("%d deletions since the last rebuild of a set of %d", k.deletes, len(k.Set))
	}
}
