// Package mod is how game code plugs into godmmo without editing it. A Mod
// registers what it adds with a Registry: components (which travel with
// their entity between regions), systems (placed in the tick's order),
// client commands (checked off the tick, rate-limited, handled on it),
// messages to clients, kinds of entity that are not players, and services
// (goroutines beside the tick, such as a writer of the mod's own tables).
// The server's wiring asks the registry for them; the bus, the views and
// the cluster carry a mod's kinds by name and bytes without knowing them.
//
// Even the tutorial game's own commands (Target, Chat) are a mod
// (systems/mods/tutorial); the core keeps what every game has: players
// logging in and out, walking to their targets, being seen and heard.
package mod

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"

	"github.com/godmmo/godmmo/ecs"
	"github.com/mlange-42/arche/generic"
)

// Mod is one piece of game code.
type Mod interface {
	// Name names the mod in logs, metrics and errors.
	Name() string
	// Register adds the mod's parts to r. It runs once, before the server
	// starts; an error stops the server from starting.
	Register(r *Registry) error
}

// Func makes a Mod of a name and its Register.
func Func(name string, register func(r *Registry) error) Mod { return funcMod{name, register} }

type funcMod struct {
	name     string
	register func(*Registry) error
}

func (m funcMod) Name() string               { return m.name }
func (m funcMod) Register(r *Registry) error { return m.register(r) }

// System is a step of the tick, as the core's are: Initialize once on the
// world, Update every tick. Both run on the tick goroutine and must never
// block: no sockets, no database, no waiting on a channel.
type System interface {
	Initialize(w *ecs.World)
	Update(w *ecs.World)
}

// Flusher is a System with something to hand over when the tick stops (as
// the positions are flushed), such as rows its service writes.
type Flusher interface {
	Flush(w *ecs.World)
}

// The core stages a mod's system can follow. A system placed after input
// sees the tick's commands applied; after movement, where everyone stands
// (and may still hand entities that crossed into another region away).
const (
	AfterInput    = "input"
	AfterMovement = "movement"
)

// Stage is a mod's system in the tick's order.
type Stage struct {
	// Name names the stage in the tick's timings ("mod/stage").
	Name   string
	System System
	// After is the core stage it follows: AfterInput or AfterMovement.
	After string
}

// Call is one mod command on the tick: the player's entity that sent it and
// the arguments its Check returned.
type Call struct {
	World  *ecs.World
	Entity ecs.Entity
	Data   json.RawMessage
}

// Deny refuses the call: the player is told reason.
func (c Call) Deny(reason string) { c.World.Deny(c.Entity, reason) }

// Command is a command clients may send: ["name", args…] in v2,
// {"a": "name", "p0": …} in v1.
type Command struct {
	Name string
	// Check validates the arguments off the tick, on the sender's
	// connection, and returns what Handle gets (JSON, so it can cross to
	// the process that simulates the player), or a Deny reason in the
	// mod's words, or Ignore. It must not panic on any input: it gets
	// what clients send.
	Check func(args []json.RawMessage) (data json.RawMessage, deny string)
	// Rate is how many a player may send a second after a burst of Burst;
	// more are denied. math.Inf(1) sets no limit beyond the connection's
	// packet limit.
	Rate  float64
	Burst int
	// Slow is the Deny a player gets for sending it faster than Rate;
	// "": "Slow down: too many <name>".
	Slow string
	// Speech says that other players read what it sends: a player the
	// operators muted may not send it.
	Speech bool
	// Handle runs the command on the tick. A panic in it is recovered,
	// logged with its stack, counted and answered with a Deny.
	Handle func(c Call)
}

// Ignore, returned by a Check as its reason, drops the command without a
// word: it is not handled, not denied and not counted against the rate
// (as the tutorial's Chat drops a line that shows nothing).
const Ignore = "\x00ignore"

// Message is a kind of message the server may send clients: a mod's fact
// (World.Tell), shown in v2 as ["m", name, id, data].
type Message struct {
	Name string
}

// Kind is a kind of entity that no player plays.
type Kind struct {
	Name string
	// Walks says it moves (an NPC); one that does not is an object.
	// Clients of the original protocol are shown the kinds that walk, as
	// actors, and never objects, which they cannot draw.
	Walks bool
}

// DB is the world's database as a mod sees it: SQL with ? placeholders,
// rewritten for Postgres where the world keeps its accounts there. Use it
// off the tick only: in a Loader or a Service.
type DB interface {
	Exec(ctx context.Context, query string, args ...any) error
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// Loader reads what a mod keeps of a player (its JSON, for the component
// of the same name), off the tick, when the player logs in; ok false when
// it keeps nothing.
type Loader func(ctx context.Context, db DB, player int64) (data json.RawMessage, ok bool, err error)

// Service runs beside the tick from start to stop, e.g. the writer of a
// mod's own tables. When ctx ends it must finish what it was handed (the
// systems' last Flush comes before) and return.
type Service func(ctx context.Context, db DB) error

// Registry collects what mods register. Only the server's wiring reads it.
type Registry struct {
	mod        string
	names      map[string]string // every name registered → the mod that did
	stages     []Stage
	commands   map[string]Command
	messages   []string
	kinds      []Kind
	components []component
	loaders    map[string]Loader
	migrations []Migration
	services   []namedService
}

// Migration is one mod's schema step, run once, in order, on the world's
// database (SQLite or Postgres: keep to SQL both take).
type Migration struct {
	Mod, Name string
	SQL       string
}

type namedService struct {
	mod string
	run Service
}

type component struct {
	name  string
	carry func(w *ecs.World) ecs.Carrier
}

// NewRegistry makes an empty registry.
func NewRegistry() *Registry {
	return &Registry{names: map[string]string{}, commands: map[string]Command{}, loaders: map[string]Loader{}}
}

// Reserved names mods may not take: the core's requests and packets.
var reserved = []string{"Register", "Login", "Resume", "Ok", "Deny", "ModelDelta", "Disconnect",
	"ok", "deny", "hello", "T", "E", "M", "C", "L", "Q", "m"}

var validName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,31}$`)

// Add registers mods in order; the first error stops it.
func (r *Registry) Add(mods ...Mod) error {
	for _, m := range mods {
		r.mod = m.Name()
		if err := m.Register(r); err != nil {
			return fmt.Errorf("mod %s: %w", m.Name(), err)
		}
	}
	r.mod = ""
	return nil
}

// takeName checks a name and takes it for the current mod.
func (r *Registry) takeName(what, name string) error {
	if !validName.MatchString(name) || slices.Contains(reserved, name) {
		return fmt.Errorf("%s name %q: want 1–32 of A-Z a-z 0-9 _ . - starting with a letter, and none of the core's", what, name)
	}
	key := what + " " + name
	if by, taken := r.names[key]; taken {
		return fmt.Errorf("%s %q is registered twice (by %s and %s)", what, name, by, r.mod)
	}
	r.names[key] = r.mod
	return nil
}

// System places s in the tick after the core stage after.
func (r *Registry) System(name string, s System, after string) error {
	if after != AfterInput && after != AfterMovement {
		return fmt.Errorf("system %s: after %q: want %q or %q", name, after, AfterInput, AfterMovement)
	}
	if err := r.takeName("system", name); err != nil {
		return err
	}
	r.stages = append(r.stages, Stage{Name: r.mod + "/" + name, System: s, After: after})
	return nil
}

// Command registers a client command.
func (r *Registry) Command(c Command) error {
	if c.Check == nil || c.Handle == nil || !(c.Rate > 0) || c.Burst < 1 {
		return fmt.Errorf("command %s: needs Check, Handle, a Rate above 0 and a Burst of 1 or more", c.Name)
	}
	if err := r.takeName("command", c.Name); err != nil {
		return err
	}
	r.commands[c.Name] = c
	return nil
}

// Message registers a kind of message to clients.
func (r *Registry) Message(m Message) error {
	if err := r.takeName("message", m.Name); err != nil {
		return err
	}
	r.messages = append(r.messages, m.Name)
	return nil
}

// Kind registers a kind of entity.
func (r *Registry) Kind(k Kind) error {
	if err := r.takeName("kind", k.Name); err != nil {
		return err
	}
	r.kinds = append(r.kinds, k)
	return nil
}

// Load registers how the component name is read for a player at login.
func (r *Registry) Load(name string, l Loader) error {
	if _, ok := r.names["component "+name]; !ok {
		return fmt.Errorf("load %s: register the component first", name)
	}
	r.loaders[name] = l
	return nil
}

// Migrate registers the mod's schema steps, run in order at start.
func (r *Registry) Migrate(steps ...Migration) error {
	for i := range steps {
		if steps[i].Name == "" || steps[i].SQL == "" {
			return fmt.Errorf("migration %d: needs a name and SQL", i)
		}
		steps[i].Mod = r.mod
		r.migrations = append(r.migrations, steps[i])
	}
	return nil
}

// Service registers a goroutine that runs beside the tick.
func (r *Registry) Service(s Service) { r.services = append(r.services, namedService{r.mod, s}) }

// Component registers the component type T under name: it travels with its
// entity between regions, as JSON, and comes in with a player whose
// Loader found it. T must hold no Go pointers (arche keeps components
// where the garbage collector does not look) and must survive JSON.
func Component[T any](r *Registry, name string) error {
	var zero T
	if err := plain(reflect.TypeOf(zero)); err != nil {
		return fmt.Errorf("component %s: %w", name, err)
	}
	if _, err := roundTrip(zero); err != nil {
		return fmt.Errorf("component %s: %w", name, err)
	}
	if err := r.takeName("component", name); err != nil {
		return err
	}
	r.components = append(r.components, component{name: name, carry: func(w *ecs.World) ecs.Carrier {
		m := generic.NewMap[T](w.ECS)
		return ecs.Carrier{
			Name: name,
			Save: func(e ecs.Entity) (json.RawMessage, bool) {
				if !m.Has(e) {
					return nil, false
				}
				data, err := json.Marshal(m.Get(e))
				return data, err == nil
			},
			Load: func(e ecs.Entity, data json.RawMessage) error {
				var v T
				if err := json.Unmarshal(data, &v); err != nil {
					return err
				}
				if !m.Has(e) {
					w.ECS.Add(e, m.ID())
				}
				*m.Get(e) = v
				return nil
			},
		}
	}})
	return nil
}

// plain refuses a type that holds a Go pointer anywhere.
func plain(t reflect.Type) error {
	switch t.Kind() {
	case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return fmt.Errorf("%s holds a Go pointer (a %s)", t, t.Kind())
	case reflect.Array:
		return plain(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				return fmt.Errorf("%s.%s is unexported, so it would not travel as JSON", t, f.Name)
			}
			if err := plain(f.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

func roundTrip[T any](v T) (T, error) {
	var back T
	data, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(data, &back)
	}
	return back, err
}

// What the server's wiring reads of a registry. A nil *Registry reads as
// an empty one: a game without mods.

// Stages returns the mods' systems, in the order registered.
func (r *Registry) Stages() []Stage {
	if r == nil {
		return nil
	}
	return r.stages
}

// Commands returns the registered commands by name.
func (r *Registry) Commands() map[string]Command {
	if r == nil {
		return nil
	}
	return r.commands
}

// CommandNames returns the registered commands' names, sorted.
func (r *Registry) CommandNames() []string {
	if r == nil {
		return nil
	}
	return sortedKeys(r.commands)
}

// Messages returns the registered messages' names, in the order registered.
func (r *Registry) Messages() []string {
	if r == nil {
		return nil
	}
	return r.messages
}

// Kinds returns the registered kinds of entity.
func (r *Registry) Kinds() []Kind {
	if r == nil {
		return nil
	}
	return r.kinds
}

// Walks reports whether entities of kind walk: players and NPCs do.
func (r *Registry) Walks(kind string) bool {
	if kind == "" {
		return true
	}
	if r == nil {
		return false
	}
	for _, k := range r.kinds {
		if k.Name == kind {
			return k.Walks
		}
	}
	return false
}

// Carriers returns what carries each registered component in and out of w.
func (r *Registry) Carriers(w *ecs.World) []ecs.Carrier {
	if r == nil {
		return nil
	}
	cs := make([]ecs.Carrier, len(r.components))
	for i, c := range r.components {
		cs[i] = c.carry(w)
	}
	return cs
}

// LoadPlayer reads what every mod keeps of a player, by component name.
func (r *Registry) LoadPlayer(ctx context.Context, db DB, player int64) (map[string]json.RawMessage, error) {
	if r == nil {
		return nil, nil
	}
	var mods map[string]json.RawMessage
	for _, name := range sortedKeys(r.loaders) {
		data, ok, err := r.loaders[name](ctx, db, player)
		if err != nil {
			return nil, fmt.Errorf("loading %s of player %d: %w", name, player, err)
		}
		if ok {
			if mods == nil {
				mods = map[string]json.RawMessage{}
			}
			mods[name] = data
		}
	}
	return mods, nil
}

// Migrations returns the mods' schema steps in order.
func (r *Registry) Migrations() []Migration {
	if r == nil {
		return nil
	}
	return r.migrations
}

// Services returns the mods' services, each with its mod's name.
func (r *Registry) Services() (names []string, runs []Service) {
	if r == nil {
		return nil, nil
	}
	for _, s := range r.services {
		names, runs = append(names, s.mod), append(runs, s.run)
	}
	return names, runs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
