package systems

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
)

// Mood is a mod component for the tests: it travels with its entity.
type Mood struct{ Level int }

// spawner spawns one NPC walking east, on its first update.
type spawner struct {
	step  float64
	npc   ecs.Entity
	ready bool
}

func (s *spawner) Initialize(*ecs.World) {}
func (s *spawner) Update(w *ecs.World) {
	if !s.ready {
		s.ready = true
		s.npc = w.SpawnThing(ecs.Thing{Kind: "npc", Name: "Wanderer", Avatar: 2, Step: s.step})
		w.SetTarget(s.npc, 1000, 0)
	}
}

// panicky panics in its update once armed.
type panicky struct{ armed bool }

func (*panicky) Initialize(*ecs.World) {}
func (p *panicky) Update(*ecs.World) {
	if p.armed {
		panic("a bug in a mod's system")
	}
}

func testRegistry(t *testing.T, register func(r *mod.Registry) error) *mod.Registry {
	t.Helper()
	r := mod.NewRegistry()
	if err := r.Add(tutorial.Mod(tutorial.DefaultConfig()), mod.Func("test", register)); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestModSystemsAndEntities: a mod's system runs in its place in the tick
// and spawns an NPC that walks at its own pace, with an id no account has,
// published like a player; its intent says its own speed.
func TestModSystemsAndEntities(t *testing.T) {
	t.Parallel()
	sp := &spawner{step: 1}
	cfg := testConfig()
	cfg.Mods = testRegistry(t, func(r *mod.Registry) error {
		if err := r.Kind(mod.Kind{Name: "npc", Walks: true}); err != nil {
			return err
		}
		return r.System("spawner", sp, mod.AfterInput)
	})
	tk, _, pub, st := newTick(t, cfg)
	var names []string
	for _, s := range tk.Stages {
		names = append(names, s.Name)
	}
	equal(t, "stages", names, []string{"input", "test/spawner", "movement", "facts", "persist"})
	tk.Advance()
	id := tk.World.ID(sp.npc)
	if id >= 0 || id < -(1<<53) {
		t.Fatalf("NPC id %d: want negative and within 2^53", id)
	}
	entered := pub.find(ecs.Entered)
	moved := pub.find(ecs.Moved)
	if len(entered) != 1 || entered[0].Actor.Kind() != "npc" || entered[0].Actor.Name != "Wanderer" || len(moved) != 1 || moved[0].Actor.Intent.Step != 1 {
		t.Fatalf("entered %+v, moved %+v", entered, moved)
	}
	for range 10 {
		tk.Advance()
	}
	if p := tk.World.Position(sp.npc); p.X != 11 {
		t.Errorf("NPC at %v after 11 steps of 1: its own pace was not kept", p)
	}
	tk.persist.Flush(tk.World)
	if len(st.saved) != 0 {
		t.Errorf("an NPC's position was handed to the accounts' store: %+v", st.saved)
	}
}

// TestModCommands: a mod's command runs its handler on the tick; one that
// panics is recovered, reported and denied, and the tick goes on.
func TestModCommands(t *testing.T) {
	t.Parallel()
	var panics []string
	cfg := testConfig()
	cfg.Panicked = func(c string, v any, stack []byte) {
		if !strings.Contains(string(stack), "mods_test.go") {
			t.Errorf("stack %s", stack)
		}
		panics = append(panics, c)
	}
	cfg.Mods = testRegistry(t, func(r *mod.Registry) error {
		if err := r.Command(mod.Command{Name: "wave", Rate: 1, Burst: 1, Check: func([]json.RawMessage) (json.RawMessage, string) { return nil, "" },
			Handle: func(c mod.Call) { c.World.Tell(c.Entity, "waved", c.Data, 0) }}); err != nil {
			return err
		}
		return r.Command(mod.Command{Name: "crash", Rate: 1, Burst: 1, Check: func([]json.RawMessage) (json.RawMessage, string) { return nil, "" },
			Handle: func(mod.Call) { panic("a bug in a mod's command") }})
	})
	tk, q, pub, _ := newTick(t, cfg)
	ctx := context.Background()
	q.Push(ctx, ecs.Command{Kind: ecs.Spawn, Login: 1, Actor: ecs.Actor{ID: 1, Name: "a"}, Reply: ecs.NewReply()}) //nolint:errcheck // room
	tk.Advance()
	pub.take()
	for _, c := range []ecs.Command{
		{Kind: ecs.ModCommand, Login: 1, Actor: ecs.Actor{ID: 1}, Name: "crash"},
		{Kind: ecs.ModCommand, Login: 1, Actor: ecs.Actor{ID: 1}, Name: "wave", Data: json.RawMessage(`"hi"`)},
		{Kind: ecs.ModCommand, Login: 1, Actor: ecs.Actor{ID: 1}, Name: "nothing"},
		{Kind: ecs.ModCommand, Login: 9, Actor: ecs.Actor{ID: 1}, Name: "wave"},
	} {
		q.Push(ctx, c) //nolint:errcheck // room
	}
	tk.Advance()
	var got []string
	for _, b := range pub.batches {
		for _, f := range b.Facts {
			if f.Msg != nil {
				got = append(got, f.Msg.Name+string(f.Msg.Data))
			} else {
				got = append(got, f.Text)
			}
		}
	}
	equal(t, "facts", got, []string{"crash failed on the server", `waved"hi"`, `Unknown action "nothing"`})
	equal(t, "panics", panics, []string{"crash"})
}

// TestSystemPanicStopsTheTick: a panic in a system stops the tick with a
// SystemPanic, every position handed to the store first.
func TestSystemPanicStopsTheTick(t *testing.T) {
	t.Parallel()
	p := &panicky{}
	cfg := testConfig()
	cfg.Mods = testRegistry(t, func(r *mod.Registry) error { return r.System("panicky", p, mod.AfterMovement) })
	tk, q, _, st := newTick(t, cfg)
	q.Push(context.Background(), ecs.Command{Kind: ecs.Spawn, Login: 1, Actor: ecs.Actor{ID: 1, Name: "a"}, Reply: ecs.NewReply()}) //nolint:errcheck // room
	q.Push(context.Background(), tutorial.Target(1, 1, 500, 0))                                                                     //nolint:errcheck // room
	tk.Advance()
	tk.Advance()
	p.armed = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := tk.Run(ctx)
	var sp *SystemPanic
	if !errors.As(err, &sp) || sp.Value != "a bug in a mod's system" {
		t.Fatalf("Run returned %v", err)
	}
	if len(st.saved) != 1 || st.saved[0].ID != 1 || st.saved[0].X <= 0 {
		t.Errorf("positions handed over %+v", st.saved)
	}
	if _, err := tk.Halt(ctx); err == nil {
		t.Error("Halt of a stopped tick did not say so")
	}
}

// TestHandOffCarriesModComponents: an entity's mod components leave with it
// and arrive with it; its id and kind stay the same.
func TestHandOffCarriesModComponents(t *testing.T) {
	t.Parallel()
	reg := testRegistry(t, func(r *mod.Registry) error { return mod.Component[Mood](r, "mood") })
	from, to := ecs.NewWorld(100, 3.5), ecs.NewWorld(100, 3.5)
	for _, w := range []*ecs.World{from, to} {
		for _, c := range reg.Carriers(w) {
			w.Carry(c)
		}
	}
	e := from.SpawnThing(ecs.Thing{Kind: "npc", Name: "n", X: 99, Step: 2, State: json.RawMessage(`{"hat":1}`)})
	reg.Carriers(from)[0].Load(e, json.RawMessage(`{"Level":7}`)) //nolint:errcheck // valid
	from.SetTarget(e, 150, 0)
	d := from.Depart(ecs.Crossing{Entity: e, From: ecs.CellKey{}, To: ecs.CellKey{X: 1}}, true)
	data, err := json.Marshal(d) // as it crosses a process
	if err != nil {
		t.Fatal(err)
	}
	var back ecs.Departure
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	got := to.Arrive(back)
	saved, ok := reg.Carriers(to)[0].Save(got)
	if st := to.State(got); st.ID != d.Actor.ID || st.Kind() != "npc" || string(st.Mod.State) != `{"hat":1}` || !ok || string(saved) != `{"Level":7}` || st.Intent.Step != 2 {
		t.Errorf("arrived as %+v with mood %s", st, saved)
	}
}

// TestComponentsMustCross: a component that could not cross a process
// (or lives where the collector does not look) is refused at registration.
func TestComponentsMustCross(t *testing.T) {
	t.Parallel()
	type named struct{ Name string }
	type hidden struct {
		Level int
		level int //lint:ignore U1000 the unexported field is what is refused
	}
	for _, err := range []error{
		mod.Component[named](mod.NewRegistry(), "named"),
		mod.Component[hidden](mod.NewRegistry(), "hidden"),
		mod.Component[*Mood](mod.NewRegistry(), "pointer"),
	} {
		if err == nil {
			t.Error("a component that cannot cross was registered")
		}
	}
	if err := mod.Component[Mood](mod.NewRegistry(), "Bad Name"); err == nil {
		t.Error("a bad name was registered")
	}
}
