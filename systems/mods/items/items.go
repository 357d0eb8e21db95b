// Package items is an example mod: items lie on the ground; a player who
// walks onto one picks it up (everyone near sees it vanish, and a new one
// appears elsewhere), and the player's count goes up. The counts are kept
// in the mod's own table, written as they change, and come back at login.
// It is a kind of object, a component that travels with players, a
// system, a message, a migration, a loader and a service.
package items

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/mlange-42/arche/generic"
)

// Kind is the items' kind of entity.
const Kind = "item"

// Config is how many items lie where.
type Config struct {
	// Count is how many items the world has.
	Count int
	// Area is where they lie; zero: the whole world.
	Area ecs.Bounds
	// Reach is how close a player must come to pick one up.
	Reach float64
	// Seed places them, the same in every region (see npcs.Config).
	Seed uint64
}

// DefaultConfig scatters 100 gems near the spawn area.
func DefaultConfig() Config {
	return Config{Count: 100, Area: ecs.Bounds{MinX: -1500, MinY: -1500, MaxX: 1500, MaxY: 1500}, Reach: 24, Seed: 2}
}

// Inventory is what a player carries: it travels with the player between
// regions and is loaded at login from the mod's table.
type Inventory struct {
	Count int
}

// Item marks an item on the ground.
type Item struct{}

// Count is the message a player gets when its count changes, and when it
// asks with the command ["inventory"] (as a client does after logging in):
// ["m", "inventory", own id, {"count": n}].
type Count struct {
	Count int `json:"count"`
}

// The mod's table: one row per player who ever picked something up.
const table = `CREATE TABLE item_inventory (account_id BIGINT PRIMARY KEY, count INTEGER NOT NULL)`

// Mod returns the item mod with cfg.
func Mod(cfg Config) mod.Mod {
	return mod.Func("items", func(r *mod.Registry) error {
		if cfg.Count < 0 || !(cfg.Reach > 0) {
			return fmt.Errorf("invalid config %+v", cfg)
		}
		k := &keeper{latest: map[int64]int{}, writes: make(chan map[int64]int, 256), failed: map[int64]int{}}
		pickup := &Pickup{cfg: cfg, keep: k}
		steps := []func() error{
			func() error { return r.Kind(mod.Kind{Name: Kind}) },
			func() error { return mod.Component[Inventory](r, "items.inventory") },
			func() error { return r.Message(mod.Message{Name: "inventory"}) },
			func() error { return r.Migrate(mod.Migration{Name: "inventory", SQL: table}) },
			func() error { return r.Load("items.inventory", k.load) },
			func() error { return r.System("pickup", pickup, mod.AfterMovement) },
			func() error {
				return r.Command(mod.Command{Name: "inventory", Rate: 1, Burst: 3, Check: noArgs, Handle: pickup.tellCount})
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		r.Service(k.run)
		return nil
	})
}

// keeper keeps the counts: the newest of each player in memory (so a login
// right after a pickup never reads an older one) and written to the table
// by its service as they change.
type keeper struct {
	mu     sync.Mutex
	latest map[int64]int
	writes chan map[int64]int
	failed map[int64]int // the writer's: counts whose write failed
	errs   atomic.Uint64
}

func (k *keeper) set(player int64, n int) {
	k.mu.Lock()
	k.latest[player] = n
	k.mu.Unlock()
}

// load reads a player's count at login.
func (k *keeper) load(ctx context.Context, db mod.DB, player int64) (json.RawMessage, bool, error) {
	k.mu.Lock()
	n, ok := k.latest[player]
	k.mu.Unlock()
	if !ok {
		switch err := db.QueryRow(ctx, `SELECT count FROM item_inventory WHERE account_id = ?`, player).Scan(&n); {
		case errors.Is(err, sql.ErrNoRows):
			return nil, false, nil
		case err != nil:
			return nil, false, err
		}
	}
	data, err := json.Marshal(Inventory{Count: n})
	return data, true, err
}

// run writes the counts it is handed until ctx ends, then what is left.
func (k *keeper) run(ctx context.Context, db mod.DB) error {
	for {
		select {
		case batch := <-k.writes:
			k.write(db, batch)
		case <-ctx.Done():
			for {
				select {
				case batch := <-k.writes:
					k.write(db, batch)
				default:
					return nil
				}
			}
		}
	}
}

// write upserts a batch of counts. What fails is kept and tried again
// with the next batch; the newest counts are in memory meanwhile.
func (k *keeper) write(db mod.DB, batch map[int64]int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for player, n := range k.failed {
		if _, newer := batch[player]; !newer {
			batch[player] = n
		}
	}
	clear(k.failed)
	for player, n := range batch {
		err := db.Exec(ctx, `INSERT INTO item_inventory (account_id, count) VALUES (?, ?)
			ON CONFLICT (account_id) DO UPDATE SET count = excluded.count`, player, n)
		if err != nil {
			k.failed[player] = n
			k.errs.Add(1)
		}
	}
}

func noArgs(args []json.RawMessage) (json.RawMessage, string) {
	if len(args) != 0 {
		return nil, "inventory takes no arguments"
	}
	return nil, ""
}

// tellCount answers ["inventory"] with the player's count.
func (s *Pickup) tellCount(c mod.Call) {
	n := 0
	if s.inv.Has(c.Entity) {
		n = s.inv.Get(c.Entity).Count
	}
	tell(c.World, c.Entity, n)
}

// tell sends player its count.
func tell(w *ecs.World, player ecs.Entity, n int) {
	data, _ := json.Marshal(Count{Count: n}) //nolint:errchkjson // a struct of an int
	w.Tell(player, "inventory", data, w.ID(player))
}

// Pickup gives the items that players walked onto to the first player (in
// the tick's order) within reach, removes them, and lays new ones. A player
// must walk onto an item: one that logs in standing on one (laid there
// while it was away) does not take it until it moves.
type Pickup struct {
	cfg     Config
	keep    *keeper
	players *generic.Filter2[ecs.Position, ecs.Owner]
	items   generic.Map[Item]
	inv     generic.Map[Inventory]
	at      map[ecs.CellKey][]ecs.Entity // the items lying in each cell
	taken   []take
	last    map[ecs.Entity]ecs.Position // where each player stood last tick
	now     map[ecs.Entity]ecs.Position
	pending map[int64]int // counts not yet handed to the writer
	rng     *rand.Rand
	laid    bool
}

type take struct{ player, item ecs.Entity }

// Initialize builds the filter and maps once.
func (s *Pickup) Initialize(w *ecs.World) {
	s.players = generic.NewFilter2[ecs.Position, ecs.Owner]()
	s.items = generic.NewMap[Item](w.ECS)
	s.inv = generic.NewMap[Inventory](w.ECS)
	s.at = map[ecs.CellKey][]ecs.Entity{}
	s.last, s.now = map[ecs.Entity]ecs.Position{}, map[ecs.Entity]ecs.Position{}
	s.pending = map[int64]int{}
	s.cfg.Area = w.Bounds.Within(s.cfg.Area)
}

// Update lays the items on the first tick, then hands out what was reached.
func (s *Pickup) Update(w *ecs.World) {
	if !s.laid {
		s.laid = true
		at := rand.New(rand.NewPCG(s.cfg.Seed, 0x6974656d)) // "item": the same points in every region
		s.rng = rand.New(rand.NewPCG(s.cfg.Seed, uint64(time.Now().UnixNano())))
		for range s.cfg.Count {
			s.lay(w, at)
		}
	}
	q := s.players.Query(w.ECS)
	for q.Next() {
		p, _ := q.Get()
		e := q.Entity()
		prev, known := s.last[e]
		s.now[e] = *p
		if !known || prev == *p {
			continue // only a player who walks onto an item takes it
		}
		for _, it := range s.at[w.Grid.Key(p.X, p.Y)] {
			ip := w.Position(it)
			if math.Hypot(ip.X-p.X, ip.Y-p.Y) <= s.cfg.Reach {
				s.taken = append(s.taken, take{e, it})
			}
		}
	}
	for _, t := range s.taken {
		if w.ECS.Alive(t.item) && s.items.Has(t.item) { // the first to reach it has it
			s.give(w, t)
		}
	}
	clear(s.taken)
	s.taken = s.taken[:0]
	s.last, s.now = s.now, s.last
	clear(s.now)
	s.hand()
}

// give moves item t.item into t.player's inventory and lays another.
func (s *Pickup) give(w *ecs.World, t take) {
	k := w.CellOf(t.item)
	list := s.at[k]
	for i, e := range list {
		if e == t.item {
			list[i] = list[len(list)-1]
			s.at[k] = list[:len(list)-1]
			break
		}
	}
	w.Remove(t.item)
	if !s.inv.Has(t.player) {
		w.ECS.Add(t.player, s.inv.ID())
	}
	inv := s.inv.Get(t.player)
	inv.Count++
	id := w.ID(t.player)
	s.keep.set(id, inv.Count)
	s.pending[id] = inv.Count
	tell(w, t.player, inv.Count)
	s.lay(w, s.rng)
}

// lay puts an item at a random point of the area, if this world owns it.
func (s *Pickup) lay(w *ecs.World, rng *rand.Rand) {
	a := s.cfg.Area
	x, y := a.MinX+rng.Float64()*(a.MaxX-a.MinX), a.MinY+rng.Float64()*(a.MaxY-a.MinY)
	if !w.Owns(x, y) {
		return
	}
	e := w.SpawnThing(ecs.Thing{Kind: Kind, Name: "gem", X: x, Y: y, State: json.RawMessage(`{"item":"gem"}`)})
	w.ECS.Add(e, s.items.ID())
	k := w.CellOf(e)
	s.at[k] = append(s.at[k], e)
}

// hand passes the changed counts to the writer without waiting; when it is
// behind they wait for the next tick.
func (s *Pickup) hand() {
	if len(s.pending) == 0 {
		return
	}
	select {
	case s.keep.writes <- s.pending:
		s.pending = map[int64]int{}
	default:
	}
}

// Flush hands the last counts to the writer as the tick stops.
func (s *Pickup) Flush(*ecs.World) {
	if len(s.pending) > 0 {
		s.keep.writes <- s.pending // the writer drains until the tick has stopped
		s.pending = map[int64]int{}
	}
}
