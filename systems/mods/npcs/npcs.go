// Package npcs is an example mod: NPCs that wander between random points,
// seen by players like players are, handed between regions with their
// wandering state. It is a kind of entity, a component that travels with
// it and one system.
package npcs

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/mlange-42/arche/generic"
)

// Kind is the NPCs' kind of entity.
const Kind = "npc"

// Config is how many NPCs wander where, and how.
type Config struct {
	// Count is how many NPCs the world has.
	Count int
	// Area is where they spawn and wander; zero: the whole world.
	Area ecs.Bounds
	// Speed is how fast they walk, in units a second.
	Speed float64
	// Range is how far one walk goes at most, in each axis.
	Range float64
	// Rest is how many ticks an NPC stands between walks, at most.
	Rest int
	// Seed places them: every region of a world spawns the NPCs that fall
	// in its own cells from the same seed, so the world has Count in all.
	Seed uint64
}

// DefaultConfig is a lively demo: 200 NPCs near the spawn area, strolling.
func DefaultConfig() Config {
	return Config{Count: 200, Area: ecs.Bounds{MinX: -1500, MinY: -1500, MaxX: 1500, MaxY: 1500}, Speed: 40, Range: 400, Rest: 60, Seed: 1}
}

// Wanderer is an NPC's wandering state: the ticks it still rests. It
// travels with the NPC to the region that takes it over.
type Wanderer struct {
	Rest int32
}

// Mod returns the NPC mod with cfg.
func Mod(cfg Config) mod.Mod {
	return mod.Func("npcs", func(r *mod.Registry) error {
		if cfg.Count < 0 || !(cfg.Speed > 0) || !(cfg.Range > 0) || cfg.Rest < 0 {
			return fmt.Errorf("invalid config %+v", cfg)
		}
		if err := r.Kind(mod.Kind{Name: Kind, Walks: true}); err != nil {
			return err
		}
		if err := mod.Component[Wanderer](r, "npcs.wanderer"); err != nil {
			return err
		}
		return r.System("wander", &Wander{cfg: cfg}, mod.AfterInput)
	})
}

// Wander spawns the NPCs this world owns on its first tick, then sends
// every resting NPC whose rest is over on a new walk.
type Wander struct {
	cfg     Config
	filter  *generic.Filter1[Wanderer]
	wander  generic.Map[Wanderer]
	rng     *rand.Rand
	spawned bool
}

// Initialize builds the filter and the random source once.
func (s *Wander) Initialize(w *ecs.World) {
	s.filter = generic.NewFilter1[Wanderer]()
	s.wander = generic.NewMap[Wanderer](w.ECS)
	s.rng = rand.New(rand.NewPCG(s.cfg.Seed, uint64(time.Now().UnixNano()))) // each region its own walks
	s.cfg.Area = w.Bounds.Within(s.cfg.Area)
}

var names = []string{"Ada", "Bram", "Cleo", "Dov", "Esme", "Fenn", "Gus", "Hild", "Ivo", "Juno", "Kit", "Lux"}

// Update spawns once, then walks.
func (s *Wander) Update(w *ecs.World) {
	if !s.spawned {
		s.spawned = true
		s.spawn(w)
	}
	q := s.filter.Query(w.ECS)
	for q.Next() {
		e := q.Entity()
		st := q.Get()
		if w.Walking(e) {
			continue
		}
		if st.Rest > 0 {
			st.Rest--
			continue
		}
		p := w.Position(e)
		x, y := s.cfg.Area.Clamp(p.X+(s.rng.Float64()*2-1)*s.cfg.Range, p.Y+(s.rng.Float64()*2-1)*s.cfg.Range)
		x, y = w.Bounds.Clamp(x, y)
		w.SetTarget(e, x, y)
		st.Rest = int32(s.rng.IntN(s.cfg.Rest + 1))
	}
}

// spawn places the NPCs of the world's seed that fall in this world's cells.
func (s *Wander) spawn(w *ecs.World) {
	at := rand.New(rand.NewPCG(s.cfg.Seed, 0x6e7063)) // "npc": the same points in every region
	a := s.cfg.Area
	for i := range s.cfg.Count {
		x, y := a.MinX+at.Float64()*(a.MaxX-a.MinX), a.MinY+at.Float64()*(a.MaxY-a.MinY)
		avatar, rest := at.IntN(ecs.MaxAvatar+1), int32(at.IntN(s.cfg.Rest+1)) // drawn in every region alike
		if !w.Owns(x, y) {
			continue
		}
		e := w.SpawnThing(ecs.Thing{Kind: Kind, Name: fmt.Sprintf("%s (NPC %d)", names[i%len(names)], i+1), Avatar: avatar, X: x, Y: y,
			Step: s.cfg.Speed / float64(w.Rate)})
		w.ECS.Add(e, s.wander.ID())
		s.wander.Get(e).Rest = rest
	}
}
