package wire

import (
	"math"
	"sync"

	"github.com/godmmo/godmmo/ecs"
)

// v1Codec is the original tutorial's protocol (docs/protocol.md).
type v1Codec struct {
	cfg     Config
	packets func(*ecs.CellFacts) any // a batch's packets, shared by every view
}

func (v1Codec) Protocol() Protocol                { return V1 }
func (v1Codec) Decode(msg []byte) (Packet, error) { return Decode(msg) }
func (v1Codec) Ok() []byte                        { return v1Enc{}.Ok() }
func (v1Codec) Deny(r Refusal) []byte             { return v1Enc{}.Deny(r.Text()) }

// Chat is a line from the named sender.
func (v1Codec) Chat(from, text string) []byte { return v1Enc{}.Chat(from, text) }

// Hello is nil: the original client must hear nothing before it logs in.
func (v1Codec) Hello() []byte { return nil }

// Resumable is false: the original client goes back to its login screen.
func (v1Codec) Resumable() bool { return false }

func (c v1Codec) NewRenderer() Renderer {
	return &v1Renderer{cfg: c.cfg, packets: c.packets, walkers: make(map[int64]int)}
}

// Message is dropped: the original client knows no mods' messages.
func (r *v1Renderer) Message(string, int64, []byte, Source) {}

// Deny refuses a mod's command as the original server refused requests.
func (r *v1Renderer) Deny(reason string) { r.out.add(v1Enc{}.Deny(reason), 0) }

// Shows is true of players and the kinds of entity that walk, which the
// original client draws as actors; never of objects.
func (r *v1Renderer) Shows(a ecs.ActorState) bool { return r.cfg.Mods.Walks(a.Kind()) }

// v1Packet is a fact's packet in v1, the same for every client that is told
// it; a walk has none of its own (see leads).
func v1Packet(f *ecs.Fact, tick uint64) []byte {
	switch f.Kind {
	case ecs.Entered:
		x, y := f.Actor.Intent.At(tick)
		return v1Enc{}.AppendEnter(nil, f.Actor, x, y)
	case ecs.Quit:
		return v1Enc{}.Quit(f.Actor.ID)
	case ecs.Said:
		return v1Enc{}.Chat(f.Actor.Name, f.Text)
	}
	return nil
}

// v1Renderer speaks to the original client, which walks another actor
// toward the last position it was sent, at 70 units a second, and jumps
// only when that is more than 200 units off. So instead of steps it is sent
// lead points: where the actor will be up to LeadAhead further along its
// walk, never past the target, the next one once the actor is within
// LeadNear of the last. A walk costs a packet every second or so, and the
// lead point is never further than LeadAhead from the true position. Its
// own actor the client walks itself; it is sent its true position whenever
// that changed, as the original server did.
type v1Renderer struct {
	cfg     Config
	packets func(*ecs.CellFacts) any // a batch's packets, shared by every view
	out     out
	walkers map[int64]int // actor id → index in walking
	walking []walker

	own     int64
	ownWalk ecs.Intent
	ownPos  ecs.Position // exact: replayed step by step as the tick walks
	ownTick uint64
	echoX   float64
	echoY   float64
}

// walker is an actor the client knows that is on its way: the lead point
// last sent, the tick the next one is due, and the walk's shared lead
// packets when it came from a fact.
type walker struct {
	id    int64
	walk  ecs.Intent
	sent  int // index of the lead point last sent; -1: none yet
	due   uint64
	leads *leads
}

// follow starts (or restarts) sending lead points of a's walk.
func (r *v1Renderer) follow(w walker) {
	if i, ok := r.walkers[w.id]; ok {
		r.walking[i] = w
		return
	}
	r.walkers[w.id] = len(r.walking)
	r.walking = append(r.walking, w)
}

// unfollow stops sending lead points of actor id.
func (r *v1Renderer) unfollow(id int64) {
	i, ok := r.walkers[id]
	if !ok {
		return
	}
	last := len(r.walking) - 1
	if i != last {
		r.walking[i] = r.walking[last]
		r.walkers[r.walking[i].id] = i
	}
	r.walking[last] = walker{}
	r.walking = r.walking[:last]
	delete(r.walkers, id)
}

// leads are the lead packets of one walk, encoded once for every v1 client.
type leads struct {
	once    sync.Once
	packets [][]byte
}

func (r *v1Renderer) shared(src Source) []byte { return memo(src, slotV1, r.packets) }

func (r *v1Renderer) Admitted(own ecs.ActorState, now uint64, _ string) {
	r.own, r.ownWalk, r.ownTick = own.ID, own.Intent, now
	r.ownPos.X, r.ownPos.Y = own.Intent.At(now)
	r.echoX, r.echoY = r.ownPos.X, r.ownPos.Y
	r.out.add(v1Enc{}.Ok(), 0)
	r.out.add(v1Enc{}.AppendEnter(nil, own, r.ownPos.X, r.ownPos.Y), 0)
}

func (r *v1Renderer) Enter(a ecs.ActorState, now uint64, src Source) {
	p := r.shared(src)
	if p == nil {
		x, y := a.Intent.At(now)
		p = v1Enc{}.AppendEnter(nil, a, x, y)
	}
	r.out.add(p, 0)
	if a.Intent.Walking(now) {
		r.follow(walker{id: a.ID, walk: a.Intent, sent: -1})
	}
}

func (r *v1Renderer) Move(a ecs.ActorState, own bool, src Source) {
	if own {
		// The walk starts where the tick stood it: replay from there.
		r.ownWalk, r.ownTick = a.Intent, a.Intent.Tick
		r.ownPos = ecs.Position{X: a.Intent.FromX, Y: a.Intent.FromY}
		return
	}
	w := walker{id: a.ID, walk: a.Intent, sent: -1}
	if src.Batch != nil {
		all := src.Batch.Memo(slotV1Leads, func(b *ecs.CellFacts) any { return make([]leads, len(b.Facts)) }).([]leads)
		w.leads = &all[src.Index]
	}
	r.follow(w)
}

func (r *v1Renderer) Leave(id int64) {
	r.unfollow(id)
	r.out.add(v1Enc{}.Leave(id), 0)
}

func (r *v1Renderer) Quit(id int64, src Source) {
	r.unfollow(id)
	p := r.shared(src)
	if p == nil {
		p = v1Enc{}.Quit(id)
	}
	r.out.add(p, 0)
}

func (r *v1Renderer) Chat(from, text string, src Source) {
	p := r.shared(src)
	if p == nil {
		p = v1Enc{}.Chat(from, text)
	}
	r.out.add(p, 0)
}

// Tick sends the lead points that fell due by now and the player's own
// position if it changed.
func (r *v1Renderer) Tick(now uint64) {
	for r.ownTick < now {
		if !ecs.Walk(&r.ownPos, r.ownWalk.ToX, r.ownWalk.ToY, r.ownWalk.Step) {
			r.ownTick = now
			break
		}
		r.ownTick++
	}
	if r.ownPos.X != r.echoX || r.ownPos.Y != r.echoY {
		r.echoX, r.echoY = r.ownPos.X, r.ownPos.Y
		r.out.add(v1Enc{}.AppendMove(nil, r.own, r.ownPos.X, r.ownPos.Y), r.own)
	}
	for i := 0; i < len(r.walking); i++ {
		w := &r.walking[i]
		if now < w.due {
			continue
		}
		k, last := r.leadDue(w.walk, now)
		if k > w.sent {
			w.sent = k
			r.out.add(r.lead(w, k, last), w.id)
		}
		if k == last {
			r.unfollow(w.id) // the target itself was sent
			i--
			continue
		}
		gap := r.cfg.LeadAhead - r.cfg.LeadNear
		w.due = max(now+1, w.walk.Tick+uint64(math.Ceil(float64(w.sent+1)*gap/w.walk.Step)))
	}
}

func (r *v1Renderer) Busy(uint64) bool {
	return len(r.walking) > 0 || r.ownPos.X != r.ownWalk.ToX || r.ownPos.Y != r.ownWalk.ToY
}

func (r *v1Renderer) Newcomers() int { return r.cfg.NewcomersPerTick }

func (r *v1Renderer) EchoesOwnChat() bool { return false }

// Coalesces is false: the original client is led along others' walks
// point by point, each on time.
func (r *v1Renderer) Coalesces() bool { return false }

// Flush appends each packet since the last Flush as a message of its own.
func (r *v1Renderer) Flush(dst [][]byte) [][]byte {
	dst = append(dst, r.out.packets...)
	r.out.reset()
	return dst
}

// leadDue returns the index of the lead point due at tick now on walk, and
// the index of the last one (the target).
func (r *v1Renderer) leadDue(walk ecs.Intent, now uint64) (k, last int) {
	gap := r.cfg.LeadAhead - r.cfg.LeadNear
	d := math.Hypot(walk.ToX-walk.FromX, walk.ToY-walk.FromY)
	last = max(0, int(math.Ceil((d-r.cfg.LeadAhead)/gap)))
	var walked float64
	if now > walk.Tick {
		walked = float64(now-walk.Tick) * walk.Step
	}
	return min(int(walked/gap), last), last
}

// lead returns the packet of lead point k of a walk: from the walk's
// shared packets when it has them.
func (r *v1Renderer) lead(w *walker, k, last int) []byte {
	at := func(k int) []byte {
		walk := w.walk
		dx, dy := walk.ToX-walk.FromX, walk.ToY-walk.FromY
		d := math.Hypot(dx, dy)
		x, y := walk.ToX, walk.ToY
		if s := r.cfg.LeadAhead + float64(k)*(r.cfg.LeadAhead-r.cfg.LeadNear); s < d {
			x, y = walk.FromX+dx/d*s, walk.FromY+dy/d*s
		}
		return v1Enc{}.AppendMove(nil, w.id, x, y)
	}
	if w.leads == nil {
		return at(k)
	}
	w.leads.once.Do(func() {
		w.leads.packets = make([][]byte, last+1)
		for i := range w.leads.packets {
			w.leads.packets[i] = at(i)
		}
	})
	return w.leads.packets[k]
}
