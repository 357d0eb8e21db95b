package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/net/bus"
	"github.com/godmmo/godmmo/net/cluster/natstest"
	"github.com/godmmo/godmmo/systems"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
	"github.com/nats-io/nats.go"
)

// The test world: 100-unit cells, split at x = 0 into west and east.
var (
	testBounds  = ecs.Bounds{MinX: -1000, MinY: -1000, MaxX: 1000, MaxY: 1000}
	testRegions = []Area{
		{Name: "west", Rect: ecs.Bounds{MinX: -1000, MinY: -1000, MaxX: 0, MaxY: 1000}},
		{Name: "east", Rect: ecs.Bounds{MinX: 0, MinY: -1000, MaxX: 1000, MaxY: 1000}},
	}
)

func simConfig() systems.Config {
	mods := mod.NewRegistry()
	if err := mods.Add(tutorial.Mod(tutorial.DefaultConfig())); err != nil {
		panic(err) // the tutorial's registration is fixed
	}
	return systems.Config{Rate: 20, Speed: 70, Bounds: testBounds, FlushEvery: time.Second, CommandsPerTick: 256, CellSize: 100, Mods: mods}
}

func testLog(tb testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// process is one process of the test world: a node, and a region's tick if named.
type process struct {
	node   *Node
	region *Region
	tick   *systems.Tick
	queue  *ecs.Queue
	stop   func()
}

type nopStore struct{}

func (nopStore) SavePositions([]ecs.SavedPosition) {}

func startProcess(tb testing.TB, url, region string) *process {
	tb.Helper()
	regions, err := NewSplit(testRegions, ecs.NewGrid(100), testBounds)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := simConfig()
	node, err := Connect(Config{URL: url, World: "test", Regions: regions, Period: cfg.Period(), Name: region}, testLog(tb))
	if err != nil {
		tb.Fatal(err)
	}
	p := &process{node: node}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { node.Run(ctx) }) //nolint:errcheck // Run only returns nil
	var tickWG sync.WaitGroup
	tickCtx, stopTick := context.WithCancel(context.Background())
	if region != "" {
		p.queue = ecs.NewQueue(256)
		p.region = NewRegion(node, region, p.queue)
		p.tick, err = systems.NewRegion(cfg, p.queue, p.region, nopStore{}, systems.Borders{Owns: p.region.Owns, Out: p.region, Strays: p.region})
		if err != nil {
			tb.Fatal(err)
		}
		wg.Go(func() {
			if err := p.region.Run(ctx); err != nil {
				tb.Error(err)
			}
		})
		tickWG.Go(func() { p.tick.Run(tickCtx) }) //nolint:errcheck // Run only returns nil
	}
	once := sync.Once{}
	p.stop = func() {
		once.Do(func() {
			stopTick()
			tickWG.Wait()
			cancel()
			wg.Wait()
			node.Close()
		})
	}
	tb.Cleanup(p.stop)
	return p
}

// awaitUp waits until node has heard from every region.
func awaitUp(tb testing.TB, n *Node, regions ...string) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, r := range regions {
		for !n.Up(r) {
			if time.Now().After(deadline) {
				tb.Fatalf("region %s not up", r)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// watcher is a view stand-in: it records every fact of the cells it
// subscribed to, as "kind id cell", and the actors it knows.
type watcher struct {
	mu     sync.Mutex
	events []string
	known  map[int64]ecs.CellKey
	errs   []string
	from   int // await looks at events from here on
	ch     chan struct{}
}

// mark makes later awaits look only at events recorded from now on.
func (w *watcher) mark() {
	w.mu.Lock()
	w.from = len(w.events)
	w.mu.Unlock()
}

func newWatcher() *watcher {
	return &watcher{known: map[int64]ecs.CellKey{}, ch: make(chan struct{}, 1)}
}

func (w *watcher) Deliver(tick uint64, msgs []bus.Message) {
	w.mu.Lock()
	for _, m := range msgs {
		if m.Snapshot != nil {
			for _, a := range m.Snapshot.Actors {
				w.enter(a.ID, m.Cell, "snapshot")
			}
			continue
		}
		for _, f := range m.Batch.Facts {
			switch f.Kind {
			case ecs.Entered:
				w.enter(f.Actor.ID, m.Cell, "entered")
			case ecs.Exited:
				if w.known[f.Actor.ID] == m.Cell {
					delete(w.known, f.Actor.ID)
				}
				w.events = append(w.events, fmt.Sprintf("exited %d %v", f.Actor.ID, m.Cell))
			case ecs.Quit:
				if _, ok := w.known[f.Actor.ID]; !ok {
					w.errs = append(w.errs, fmt.Sprintf("quit of unknown %d", f.Actor.ID))
				}
				delete(w.known, f.Actor.ID)
				w.events = append(w.events, fmt.Sprintf("quit %d", f.Actor.ID))
			case ecs.Said:
				w.events = append(w.events, fmt.Sprintf("said %d %s", f.Actor.ID, f.Text))
			}
		}
	}
	w.mu.Unlock()
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

func (w *watcher) enter(id int64, k ecs.CellKey, how string) {
	if old, ok := w.known[id]; ok && old == k {
		w.errs = append(w.errs, fmt.Sprintf("%s of %d known in %v already", how, id, k))
	}
	w.known[id] = k
	w.events = append(w.events, fmt.Sprintf("%s %d %v", how, id, k))
}

// await waits until an event containing s has been recorded.
func (w *watcher) await(tb testing.TB, s string) {
	tb.Helper()
	deadline := time.After(5 * time.Second)
	for {
		w.mu.Lock()
		for _, e := range w.events[w.from:] {
			if strings.Contains(e, s) {
				w.mu.Unlock()
				return
			}
		}
		w.mu.Unlock()
		select {
		case <-w.ch:
		case <-deadline:
			w.mu.Lock()
			defer w.mu.Unlock()
			tb.Fatalf("no %q among %q", s, w.events)
		}
	}
}

// admit logs actor id in through node, as a session would.
func admit(tb testing.TB, n *Node, id int64, x, y float64) ecs.Admission {
	tb.Helper()
	r := ecs.NewReply()
	if err := n.Push(tb.Context(), ecs.Command{Kind: ecs.Spawn, Login: uint64(id), Reply: r, Actor: ecs.Actor{ID: id, Name: fmt.Sprint("p", id), X: x, Y: y}}); err != nil {
		tb.Fatal(err)
	}
	select {
	case a := <-r.C():
		if !a.OK {
			tb.Fatalf("actor %d refused: %+v", id, a)
		}
		return a
	case <-time.After(5 * time.Second):
		tb.Fatal("no admission")
	}
	return ecs.Admission{}
}

// world starts the processes of regions and one that simulates nothing,
// and a watcher, on that one, of the cells on either side of the border.
func world(t *testing.T, regions ...string) (ns *natstest.Server, procs []*process, edge *process, w *watcher) {
	t.Helper()
	ns = natstest.Start(t)
	for _, r := range regions {
		procs = append(procs, startProcess(t, ns.URL(), r))
	}
	edge = startProcess(t, ns.URL(), "")
	awaitUp(t, edge.node, regions...)
	w = newWatcher()
	edge.node.Subscribe(ecs.CellKey{X: -1, Y: 0}, w)
	edge.node.Subscribe(ecs.CellKey{X: 0, Y: 0}, w)
	return ns, procs, edge, w
}

// check reports what the watcher found wrong, and returns its events.
func (w *watcher) check(t *testing.T) []string {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.errs) > 0 {
		t.Errorf("view errors: %q", w.errs)
	}
	return w.events
}

// TestWalkAcrossTheBorder: an actor logged in through a process that
// simulates nothing walks from the west region into the east one; a
// watcher of both cells on that process sees it enter once, exit the west
// cell and enter the east one, never quit, and its chat after the border
// comes from the east.
func TestWalkAcrossTheBorder(t *testing.T) {
	_, procs, edge, w := world(t, "west", "east")
	west, east := procs[0], procs[1]
	admit(t, edge.node, 7, -20, 50)
	w.await(t, "entered 7 {-1 0}")
	if err := edge.node.Push(t.Context(), tutorial.Target(7, 7, 60, 50)); err != nil {
		t.Fatal(err)
	}
	w.await(t, "entered 7 {0 0}")
	w.await(t, "exited 7 {-1 0}")
	if err := edge.node.Push(t.Context(), tutorial.Say(7, 7, "hello from the east")); err != nil {
		t.Fatal(err)
	}
	w.await(t, "said 7 hello from the east")
	for _, e := range w.check(t) {
		if strings.HasPrefix(e, "quit") {
			t.Errorf("the actor quit on the way: %q", e)
		}
	}
	if s := west.region.Stats(); s.Handoffs != 1 {
		t.Errorf("west stats %+v", s)
	}
	if s := east.region.Stats(); s.Arrivals != 1 {
		t.Errorf("east stats %+v", s)
	}
}

// TestBusRestart: while the NATS server is down, logins are refused at
// once as unreachable; once it is back, every process reconnects and
// resubscribes by itself, and a watcher sees what happens after.
func TestBusRestart(t *testing.T) {
	ns, _, edge, w := world(t, "west")
	admit(t, edge.node, 1, -50, 50)
	w.await(t, "entered 1 {-1 0}")

	ns.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for edge.node.Up("west") {
		if time.Now().After(deadline) {
			t.Fatal("the edge still thinks west is up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	err := edge.node.Push(t.Context(), ecs.Command{Kind: ecs.Spawn, Login: 2, Reply: ecs.NewReply(), Actor: ecs.Actor{ID: 2, X: -50, Y: 60}})
	if err != ecs.ErrUnreachable {
		t.Fatalf("login while the bus is down: %v", err)
	}

	ns.Start()
	awaitUp(t, edge.node, "west")
	admit(t, edge.node, 3, -60, 50)
	w.await(t, "entered 3 {-1 0}")
	w.check(t)
}

// TestRegionLost: when a region's process dies, its actors leave the views
// of every other process within a few seconds; once a new process takes the
// region up, its actors can log in again.
func TestRegionLost(t *testing.T) {
	ns, procs, edge, w := world(t, "west", "east")
	west, east := procs[0], procs[1]
	admit(t, edge.node, 1, -50, 50)
	admit(t, edge.node, 2, 50, 50)
	w.await(t, "entered 1 {-1 0}")
	w.await(t, "entered 2 {0 0}")

	west.node.nc.Close() // as a kill -9 looks from the bus: silence
	west.stop()
	w.await(t, "quit 1")
	if edge.node.Up("west") || !edge.node.Up("east") {
		t.Errorf("west up %v, east up %v", edge.node.Up("west"), edge.node.Up("east"))
	}
	err := edge.node.Push(t.Context(), ecs.Command{Kind: ecs.Spawn, Login: 3, Reply: ecs.NewReply(), Actor: ecs.Actor{ID: 1, X: -50, Y: 50}})
	if err != ecs.ErrUnreachable {
		t.Fatalf("login into the lost region: %v", err)
	}

	w.mark()
	startProcess(t, ns.URL(), "west")
	awaitUp(t, edge.node, "west")
	admit(t, edge.node, 1, -50, 50)
	w.await(t, "entered 1 {-1 0}")
	if events := w.check(t); strings.Contains(strings.Join(events, ","), "quit 2") {
		t.Errorf("an actor of the east quit: %q", events)
	}
	if s := east.region.Stats(); s.Returned != 0 {
		t.Errorf("east %+v", s)
	}
}

// TestHandoffReturned: an actor that walks toward a region nobody
// simulates is handed over, unanswered, sent again, and finally taken back
// where it stood before the border; its player can walk on from there.
func TestHandoffReturned(t *testing.T) {
	_, procs, edge, w := world(t, "west")
	west := procs[0]
	admit(t, edge.node, 1, -10, 50)
	w.await(t, "entered 1 {-1 0}")
	if err := edge.node.Push(t.Context(), tutorial.Target(1, 1, 50, 50)); err != nil {
		t.Fatal(err)
	}
	w.await(t, "exited 1 {-1 0}")
	w.mark()
	w.await(t, "entered 1 {-1 0}")
	if s := west.region.Stats(); s.Returned != 1 || s.Retries != handoffTries-1 || s.Handoffs != 0 {
		t.Errorf("west %+v", s)
	}
	if err := edge.node.Push(t.Context(), tutorial.Say(1, 1, "back")); err != nil {
		t.Fatal(err)
	}
	w.await(t, "said 1 back")
	w.check(t)
}

// TestHandoffRetried: a hand-off whose answers are lost is sent again, the
// same hand-off each time, until one is answered; nothing is returned.
func TestHandoffRetried(t *testing.T) {
	_, procs, edge, w := world(t, "west")
	west := procs[0]
	nc, err := nats.Connect(edge.node.cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// An east that takes the actor only the third time it is asked.
	asked := make(chan ecs.Command, 8)
	times := 0 // the handler's own: NATS calls it from one goroutine
	sub, err := nc.Subscribe("godmmo.test.region.east.cmd", func(m *nats.Msg) {
		c, err := decodeCommand(m.Data)
		if err != nil || c.Kind != ecs.Arrive {
			return
		}
		asked <- c
		if times++; times == 3 {
			data, _ := encode(ecs.Admission{OK: true})
			m.Respond(data) //nolint:errcheck // the test fails below if it is lost
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe() //nolint:errcheck // the connection closes anyway
	nc.Flush()              //nolint:errcheck // the subscription must be in place before the walk
	admit(t, edge.node, 1, -10, 50)
	w.await(t, "entered 1 {-1 0}")
	if err := edge.node.Push(t.Context(), tutorial.Target(1, 1, 50, 50)); err != nil {
		t.Fatal(err)
	}
	var first *ecs.Departure
	for range 3 {
		select {
		case c := <-asked:
			if first == nil {
				first = c.Arrival
			} else if !reflect.DeepEqual(*c.Arrival, *first) {
				t.Errorf("a retry sent %+v, the first %+v", c.Arrival, first)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the hand-off was not sent three times")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for west.region.Stats().Handoffs != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("west %+v", west.region.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := west.region.Stats(); s.Retries != 2 || s.Returned != 0 {
		t.Errorf("west %+v", s)
	}
}

// TestLostLogout: a login whose logout never reached the region (lost on
// the bus) does not keep its account's actor from the next login, which
// holds the account's claim: the region takes the old login's actor out,
// as at a logout, and lets the new one in.
func TestLostLogout(t *testing.T) {
	_, _, edge, w := world(t, "west", "east")
	admit(t, edge.node, 4, -50, 50) // login 4
	w.await(t, "entered 4 {-1 0}")
	w.mark()
	r := ecs.NewReply()
	if err := edge.node.Push(t.Context(), ecs.Command{Kind: ecs.Spawn, Login: 40, Reply: r, Actor: ecs.Actor{ID: 4, Name: "p4", X: -50, Y: 50}}); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-r.C():
		if !a.OK {
			t.Fatalf("the new login was refused: %+v", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no admission")
	}
	w.await(t, "quit 4")
	w.await(t, "entered 4 {-1 0}")
	w.check(t)
	// The new login plays it: its chat is heard.
	if err := edge.node.Push(t.Context(), tutorial.Say(40, 4, "me again")); err != nil {
		t.Fatal(err)
	}
	w.await(t, "said 4 me again")
}
