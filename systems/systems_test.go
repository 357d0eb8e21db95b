package systems

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

func TestWalk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		from       ecs.Position
		tx, ty     float64
		want       ecs.Position
		stillGoing bool
	}{
		{"one step right", ecs.Position{X: 0, Y: 0}, 10, 0, ecs.Position{X: 3.5, Y: 0}, true},
		{"diagonal keeps speed", ecs.Position{}, 30, 40, ecs.Position{X: 2.1, Y: 2.8}, true},
		{"arrives exactly within a step", ecs.Position{X: 1, Y: 1}, 3, 2, ecs.Position{X: 3, Y: 2}, false},
		{"already there", ecs.Position{X: 5, Y: 5}, 5, 5, ecs.Position{X: 5, Y: 5}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.from
			going := Walk(&p, tc.tx, tc.ty, 3.5)
			if math.Abs(p.X-tc.want.X) > 1e-9 || math.Abs(p.Y-tc.want.Y) > 1e-9 || going != tc.stillGoing {
				t.Errorf("Walk = %v going=%v, want %v going=%v", p, going, tc.want, tc.stillGoing)
			}
		})
	}
}

func TestMovementReachesTargetAtSpeed(t *testing.T) {
	t.Parallel()
	w := ecs.NewWorld(0)
	e := w.SpawnActor(ecs.Actor{ID: 1})
	idle := w.SpawnActor(ecs.Actor{ID: 2, X: 9, Y: 9})
	m := &Movement{Speed: 70, DT: 0.05}
	m.Initialize(w)
	setTarget(w, e, ecs.Target{X: 70, Y: 0, Moving: true})
	ticks := 0
	for w.Position(e) != (ecs.Position{X: 70, Y: 0}) {
		m.Update(w)
		ticks++
		if ticks > 100 {
			t.Fatalf("not arrived after %d ticks: %v", ticks, w.Position(e))
		}
	}
	if ticks != 20 {
		t.Errorf("70 units at 70/s and 20 Hz took %d ticks, want 20", ticks)
	}
	if w.Position(idle) != (ecs.Position{X: 9, Y: 9}) {
		t.Errorf("idle actor moved to %v", w.Position(idle))
	}
}

func setTarget(w *ecs.World, e ecs.Entity, t ecs.Target) { *get[ecs.Target](w, e) = t }

// get returns e's component T.
func get[T any](w *ecs.World, e ecs.Entity) *T {
	m := generic.NewMap[T](w.ECS)
	return m.Get(e)
}

// TestLeadPoints walks an actor a long way and checks what observers are
// sent: never more than LeadAhead from its true position (so a v1 client
// never snaps), the target itself once it arrives, and about one update per
// LeadAhead-LeadNear units instead of one per tick.
func TestLeadPoints(t *testing.T) {
	t.Parallel()
	w := ecs.NewWorld(0)
	e := w.SpawnActor(ecs.Actor{ID: 1})
	m := &Movement{Speed: 70, DT: 0.05}
	d := &Delta{Codecs: textCodecs, LeadAhead: 120, LeadNear: 35}
	m.Initialize(w)
	d.Initialize(w)
	d.Update(w) // first encoding
	setTarget(w, e, ecs.Target{X: 1000, Y: 0, Moving: true, Seq: 1})
	updates := 0
	for tick := 0; tick < 400; tick++ {
		m.Update(w)
		d.Update(w)
		last := get[ecs.LastSent](w, e)
		p := w.Position(e)
		if dist := math.Hypot(last.LeadX-p.X, last.LeadY-p.Y); dist > 120+1e-9 {
			t.Fatalf("tick %d: lead point %v,%v is %.1f from the actor at %v", tick, last.LeadX, last.LeadY, dist, p)
		}
		updates += len(w.Changed) + len(w.Led)
	}
	if p := w.Position(e); p != (ecs.Position{X: 1000}) {
		t.Fatalf("actor at %v, want the target", p)
	}
	last := get[ecs.LastSent](w, e)
	if last.LeadX != 1000 || last.LeadY != 0 {
		t.Errorf("last lead point %v,%v, want the target", last.LeadX, last.LeadY)
	}
	// 1000 units at one update per 85 units: about 12, against 286 steps.
	if updates < 10 || updates > 14 {
		t.Errorf("%d updates for a 1000-unit walk, want about 12", updates)
	}
	wire := (&w.Extra(e).Wire)
	equal(t, "last packets", []string{string(wire.Move[ecs.V1]), string(wire.Move[ecs.V2])},
		[]string{"move 1 1000,0>1000,0", "move 1 966,0>1000,0"}) // v2 walks the rest itself
}

func TestLeadPointFollowsANewTarget(t *testing.T) {
	t.Parallel()
	w := ecs.NewWorld(0)
	e := w.SpawnActor(ecs.Actor{ID: 1})
	d := &Delta{Codecs: textCodecs, LeadAhead: 120, LeadNear: 35}
	d.Initialize(w)
	d.Update(w)
	setTarget(w, e, ecs.Target{X: 0, Y: -500, Moving: true, Seq: 1})
	d.Update(w)
	wire := (&w.Extra(e).Wire)
	equal(t, "after a click", []string{string(wire.Move[ecs.V1]), string(wire.Move[ecs.V2])},
		[]string{"move 1 0,-120>0,-500", "move 1 0,0>0,-500"})
	if len(w.Changed) != 1 {
		t.Errorf("Changed = %v, want the actor", w.Changed)
	}
	(&w.Extra(e).Wire).Want = 1 << ecs.V2
	d.Update(w)
	if len(w.Changed) != 0 {
		t.Errorf("Changed = %v without a change", w.Changed)
	}
	if got := string((&w.Extra(e).Wire).Enter[ecs.V2]); got != "enter 1  0 0,0>0,-500" {
		t.Errorf("v2 enter = %q", got)
	}
	if (&w.Extra(e).Wire).Enter[ecs.V1] != nil {
		t.Error("v1 enter encoded though nobody asked")
	}
}

func TestPersistBatchesChangedPositions(t *testing.T) {
	t.Parallel()
	w := ecs.NewWorld(0)
	a := w.SpawnActor(ecs.Actor{ID: 1})
	w.SpawnActor(ecs.Actor{ID: 2})
	st := &memStore{}
	p := &Persist{Store: st, Every: 3}
	p.Initialize(w)
	get[ecs.Position](w, a).Y = 8
	p.Update(w)
	p.Update(w)
	if len(st.saved) != 0 {
		t.Fatalf("saved before the interval: %v", st.saved)
	}
	p.Update(w)
	if want := []ecs.SavedPosition{{ID: 1, X: 0, Y: 8}}; len(st.saved) != 1 || st.saved[0] != want[0] {
		t.Fatalf("saved %v, want %v", st.saved, want)
	}
	for range 3 {
		p.Update(w)
	}
	if len(st.saved) != 1 {
		t.Errorf("saved an unchanged position again: %v", st.saved)
	}
}

// interestWorld is a bare world of 50-unit cells with an interest system
// whose view is radius units (0: unlimited) with a margin of 20: two cells
// in, three out for a radius of 100.
func interestWorld(t *testing.T, radius float64) (*ecs.World, *Interest) {
	t.Helper()
	w := ecs.NewWorld(50)
	v := newView(radius, 20, 50)
	in := &Interest{Codecs: textCodecs, Every: 1, FullPerTick: 2, view: v, audience: newAudience(w, v)}
	in.Initialize(w)
	return w, in
}

// moveTo puts an actor somewhere else at once, refiling it in the grid as
// the movement system does.
func moveTo(w *ecs.World, e ecs.Entity, x, y float64) {
	c := get[ecs.Cell](w, e)
	k := w.Grid.Key(x, y)
	if k != c.Key {
		w.Refile(e, c.Key, k)
		c.Key = k
	}
	*get[ecs.Position](w, e) = ecs.Position{X: x, Y: y}
}

// settle runs interest and clears what it queued, as broadcast would.
func settle(w *ecs.World, in *Interest, e ecs.Entity) []string {
	in.Update(w)
	k := w.Extra(e).Known
	out := toStrings(k.Out)
	k.Out, k.Fresh = nil, nil
	return out
}

func knownIDs(w *ecs.World, e ecs.Entity) []int64 {
	var ids []int64
	for _, id := range w.Extra(e).Known.Set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func TestInterestAreaOfView(t *testing.T) {
	t.Parallel()
	w, in := interestWorld(t, 100)
	me := w.SpawnPlayer(ecs.Actor{ID: 1}, &recorder{}, ecs.V2)
	near := w.SpawnActor(ecs.Actor{ID: 2, X: 60, Y: 60}) // one cell away
	edge := w.SpawnActor(ecs.Actor{ID: 3, X: 100, Y: 0}) // two cells: the view's edge
	far := w.SpawnActor(ecs.Actor{ID: 4, X: 5000, Y: 0}) // across the world
	settle(w, in, me)
	if got := fmt.Sprint(knownIDs(w, me)); got != "[1 2 3]" {
		t.Fatalf("knows %s, want itself and the two within 100", got)
	}
	wants := []uint8{(&w.Extra(near).Wire).Want, (&w.Extra(edge).Wire).Want, (&w.Extra(far).Wire).Want}
	if fmt.Sprint(wants) != fmt.Sprint([]uint8{1 << ecs.V2, 1 << ecs.V2, 0}) {
		t.Errorf("enter requested per actor %v", wants)
	}

	// Hysteresis: three cells out is the margin, so it stays; four is out.
	moveTo(w, edge, 160, 0)
	equal(t, "in the margin", settle(w, in, me), nil)
	moveTo(w, edge, 210, 0)
	equal(t, "beyond the margin", settle(w, in, me), []string{"leave 3"})
	moveTo(w, edge, 140, 0) // back in the margin: not seen again yet
	equal(t, "back into the margin", settle(w, in, me), nil)
	moveTo(w, edge, 149, 0)
	moveTo(w, edge, 100, 0) // and into the view
	settle(w, in, me)
	if got := fmt.Sprint(knownIDs(w, me)); got != "[1 2 3]" {
		t.Errorf("after coming back: knows %s", got)
	}

	// A teleport across the world: the view follows, and self stays known.
	moveTo(w, me, 5000, 10)
	got := settle(w, in, me)
	slices.Sort(got)
	equal(t, "after a teleport", got, []string{"leave 2", "leave 3"})
	if got := fmt.Sprint(knownIDs(w, me)); got != "[1 4]" {
		t.Errorf("after a teleport: knows %s, want itself and actor 4", got)
	}
	if w.Extra(me).Known.Recheck {
		t.Error("view left incomplete")
	}
}

// TestInterestIsSymmetric walks a player past another and checks that each
// sees the other exactly when the view's rule says so.
func TestInterestIsSymmetric(t *testing.T) {
	t.Parallel()
	w, in := interestWorld(t, 100)
	a := w.SpawnPlayer(ecs.Actor{ID: 1}, &recorder{}, ecs.V1)
	b := w.SpawnPlayer(ecs.Actor{ID: 2, X: 400}, &recorder{}, ecs.V1)
	in.Update(w)
	for x := 400.0; x >= -400; x -= 7 {
		moveTo(w, b, x, 0)
		in.Update(w)
		w.Extra(a).Known.Fresh, w.Extra(b).Known.Fresh = nil, nil
		_, aSeesB := w.Extra(a).Known.Set[b]
		_, bSeesA := w.Extra(b).Known.Set[a]
		cells := w.Grid.Key(x, 0).X
		if aSeesB != bSeesA {
			t.Fatalf("x=%v: a sees b %v, b sees a %v", x, aSeesB, bSeesA)
		}
		if (cells >= -2 && cells <= 2) && !aSeesB || (cells > 3 || cells < -3) && aSeesB {
			t.Fatalf("x=%v (cell %d): sees %v", x, cells, aSeesB)
		}
	}
}

func toStrings(b []ecs.Packet) []string {
	var s []string
	for _, x := range b {
		s = append(s, string(x.Bytes))
	}
	return s
}

func TestInterestShowsACrowdInBudget(t *testing.T) {
	t.Parallel()
	w, in := interestWorld(t, 0) // unlimited: everyone sees everyone
	for id := range int64(5) {
		w.SpawnActor(ecs.Actor{ID: id + 10, X: float64(id) * 1000})
	}
	me := w.SpawnPlayer(ecs.Actor{ID: 1}, &recorder{}, ecs.V1)
	var fresh []int
	for range 4 {
		in.Update(w)
		k := w.Extra(me).Known
		fresh = append(fresh, len(k.Fresh))
		k.Fresh = k.Fresh[:0] // as broadcast does
	}
	if len(w.Extra(me).Known.Set) != 6 {
		t.Errorf("knows %d actors, want all 6", len(w.Extra(me).Known.Set))
	}
	if want := []int{2, 2, 1, 0}; fmt.Sprint(fresh) != fmt.Sprint(want) {
		t.Errorf("new sightings per tick = %v, want %v", fresh, want)
	}
}

func TestInterestReportsDeparturesToThoseWhoKnew(t *testing.T) {
	t.Parallel()
	w, in := interestWorld(t, 100)
	w.SpawnPlayer(ecs.Actor{ID: 1}, &recorder{}, ecs.V1)
	p1 := w.Actors[1]
	leaver := w.SpawnActor(ecs.Actor{ID: 7, X: 10})
	in.Update(w)                                                // player 1 learns of 7
	w.SpawnPlayer(ecs.Actor{ID: 2, X: 15}, &recorder{}, ecs.V2) // never saw 7
	p2 := w.Actors[2]
	w.Remove(leaver)
	in.Update(w)
	equal(t, "player who knew", toStrings(w.Extra(p1).Known.Out), []string{"quit 7"})
	equal(t, "player who never knew", toStrings(w.Extra(p2).Known.Out), nil)
	if len(w.Departed) != 0 {
		t.Errorf("departures not cleared: %v", w.Departed)
	}
}
