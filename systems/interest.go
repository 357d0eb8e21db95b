package systems

import (
	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Interest decides who sees whom and keeps each observer's Known set; a
// player always sees itself.
//
// With a limited view (see view) it follows the world's grid: only actors
// that crossed into another cell this tick, and players who did, change
// anyone's view, and only across the strip of cells the move gained or
// lost. So the cost grows with the actors that move between cells and their
// neighbours, never with actors times players. The margin between the inner
// and outer square keeps an actor walking along the edge from flickering in
// and out.
//
// With an unlimited view everyone sees everyone: each observer looks for
// actors it does not know yet every Every ticks.
//
// Observers learn of at most FullPerTick new actors each tick (v2 clients,
// which get a tick in one message, eight times that), so a player arriving
// in a crowd gets it over a few ticks rather than in one burst larger than
// the client reads at once; until then it is marked Recheck.
type Interest struct {
	Codecs      ecs.Codecs
	Every       int
	FullPerTick int
	view        view
	audience    *audience

	observers *generic.Filter1[ecs.Observer]
	cells     generic.Map[ecs.Cell]
	ids       generic.Map[ecs.ActorID]
	near      []ecs.Entity
	recheck   []ecs.Entity
	tick      int
}

// Initialize builds the filters and mappers once.
func (s *Interest) Initialize(w *ecs.World) {
	s.observers = generic.NewFilter1[ecs.Observer]()
	s.cells = generic.NewMap[ecs.Cell](w.ECS)
	s.ids = generic.NewMap[ecs.ActorID](w.ECS)
	s.Every = max(1, s.Every)
}

// Update reports departures, then brings views up to date.
func (s *Interest) Update(w *ecs.World) {
	s.forgetDeparted(w)
	s.tick++
	if s.view.limited {
		s.followCrossings(w)
	} else {
		s.showEveryone(w)
	}
	w.Crossed = w.Crossed[:0]
}

// followCrossings updates the views that the cell crossings of this tick
// changed, then finishes the views still marked Recheck.
func (s *Interest) followCrossings(w *ecs.World) {
	in, out := s.view.in, s.view.out
	for _, c := range w.Crossed {
		x := c.Entity
		if !w.ECS.Alive(x) {
			continue // came and went within the tick
		}
		// x as seen by others: the observers around its new cell that were
		// not around its old one see it; those now beyond the outer square lose it.
		from := &c.From
		if c.New {
			from = nil
		}
		s.near = w.Watchers.AppendSquare(s.near[:0], c.To, in, from, in)
		for _, o := range s.near {
			if o != x {
				s.show(w, o, w.Extra(o).Known, x)
			}
		}
		if !c.New {
			s.near = w.Watchers.AppendSquare(s.near[:0], c.From, out, &c.To, out)
			for _, o := range s.near {
				s.hide(w, o, w.Extra(o).Known, x)
			}
		}
		// x as an observer: its view gains and loses the strips its move swept.
		k := w.Extra(x).Known
		if k == nil {
			continue
		}
		if c.New || k.Recheck {
			k.Recheck = true // seen in full below
			continue
		}
		s.near = w.Grid.AppendSquare(s.near[:0], c.To, in, &c.From, in)
		for _, y := range s.near {
			s.show(w, x, k, y)
		}
		s.near = w.Grid.AppendSquare(s.near[:0], c.From, out, &c.To, out)
		for _, y := range s.near {
			s.hide(w, x, k, y)
		}
	}

	// Views still to complete: players who just arrived, or who were shown
	// FullPerTick new actors and have more to see.
	s.recheck = s.recheck[:0]
	q := s.observers.Query(w.ECS)
	for q.Next() {
		if w.Extra(q.Entity()).Known.Recheck {
			s.recheck = append(s.recheck, q.Entity())
		}
	}
	for _, o := range s.recheck {
		k := w.Extra(o).Known
		k.Recheck = false
		s.near = w.Grid.AppendSquare(s.near[:0], s.cells.Get(o).Key, in, nil, 0)
		for _, y := range s.near {
			s.show(w, o, k, y)
		}
	}
}

// show puts actor x into observer o's view unless it is there already. When
// o has been shown FullPerTick actors this tick, it is marked to carry on
// next tick instead.
func (s *Interest) show(w *ecs.World, o ecs.Entity, k *ecs.Known, x ecs.Entity) {
	if _, ok := k.Set[x]; ok || o == x {
		return
	}
	if budget := s.FullPerTick << (v2Budget * k.Proto); len(k.Fresh) >= budget {
		k.Recheck = true
		return
	}
	k.Set[x] = s.ids.Get(x).ID
	k.Fresh = append(k.Fresh, x)
	w.Extra(x).Wire.Want |= 1 << k.Proto
}

// v2Budget is how many times a v2 client's budget of new actors per tick is
// doubled: its tick arrives as one message, however many models it holds.
const v2Budget = 3

// hide takes actor x out of observer o's view, telling its client.
func (s *Interest) hide(w *ecs.World, o ecs.Entity, k *ecs.Known, x ecs.Entity) {
	if _, ok := k.Set[x]; !ok || o == x {
		return
	}
	k.Forget(x)
	leave := &w.Extra(x).Wire.Leave[k.Proto]
	if *leave == nil {
		*leave = s.Codecs[k.Proto].Leave(s.ids.Get(x).ID)
	}
	k.Out = append(k.Out, ecs.Packet{Bytes: *leave})
}

// showEveryone is the unlimited view: every Every ticks (or at once for a
// player who just arrived) an observer looks for actors it does not know yet.
func (s *Interest) showEveryone(w *ecs.World) {
	q := s.observers.Query(w.ECS)
	for q.Next() {
		o := q.Entity()
		k := w.Extra(o).Known
		if !k.Recheck && (s.tick+int(s.ids.Get(o).ID))%s.Every != 0 {
			continue
		}
		k.Recheck = false
		if len(k.Set) >= len(w.Actors) {
			continue // knows everyone already
		}
		for _, x := range w.Actors {
			s.show(w, o, k, x)
			if k.Recheck {
				break
			}
		}
	}
}

// forgetDeparted removes actors that left the game from the Known sets that
// held them, telling each of those observers. Observers that never saw it
// hear nothing: the original client fails on a Disconnect of an actor it
// does not know.
func (s *Interest) forgetDeparted(w *ecs.World) {
	for _, d := range w.Departed {
		var bye [ecs.Protocols][]byte
		s.audience.each(w, w.Grid.Key(d.X, d.Y), func(_ ecs.Entity, k *ecs.Known) {
			if _, ok := k.Set[d.Entity]; !ok {
				return
			}
			k.Forget(d.Entity)
			if bye[k.Proto] == nil {
				bye[k.Proto] = s.Codecs[k.Proto].Quit(d.ID)
			}
			k.Out = append(k.Out, ecs.Packet{Bytes: bye[k.Proto]})
		})
	}
	w.Departed = w.Departed[:0]
}
