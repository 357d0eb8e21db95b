package net

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/net/bus"
	"github.com/godmmo/godmmo/net/client"
	"github.com/godmmo/godmmo/net/view"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist"
	"github.com/godmmo/godmmo/systems"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
)

// startServer runs a game server with opts over a real store, tick and bus,
// on a loopback port, until the test ends. It returns the ws:// URL.
func startServer(t *testing.T, opts Options) string {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := persist.Open(t.Context(), filepath.Join(t.TempDir(), "game.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	mods := mod.NewRegistry()
	if err := mods.Add(tutorial.Mod(tutorial.DefaultConfig())); err != nil {
		t.Fatal(err)
	}
	cfg := systems.Config{Rate: 20, Speed: 70, Bounds: ecs.Bounds{MinX: -1000, MinY: -1000, MaxX: 1000, MaxY: 1000},
		FlushEvery: time.Second, CommandsPerTick: 256, CellSize: 200, Mods: mods}
	q := ecs.NewQueue(256)
	b := bus.NewLocal()
	tick, err := systems.New(cfg, q, b, store)
	if err != nil {
		t.Fatal(err)
	}
	opts.BcryptCost = 4
	opts.View = testView(cfg)
	opts.Wire = wire.DefaultConfig()
	opts.Wire.Mods = mods
	srv, err := NewServer(q, b, store, log, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { tick.Run(ctx) }) //nolint:errcheck // returns nil
	wg.Go(func() { b.Run(ctx) })    //nolint:errcheck // returns nil
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		srv.Shutdown(context.Background()) //nolint:errcheck // test cleanup
		cancel()
		wg.Wait()
		store.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

// testView is the view of a tick configured as cfg: everyone sees everyone.
func testView(cfg systems.Config) view.Config {
	return view.Config{CellSize: cfg.CellSize, Bounds: cfg.Bounds, TickPeriod: cfg.Period(), MaxLag: 100}
}

// wsDial connects and fails the test on error.
func wsDial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() }) //nolint:errcheck // test cleanup
	return c
}

// peer is a test client that reads all the time (and so answers pings).
type peer struct {
	conn *websocket.Conn
	in   chan string
	err  chan error
}

func newPeer(t *testing.T, url string) *peer {
	p := &peer{conn: wsDial(t, url), in: make(chan string, 4096), err: make(chan error, 1)}
	go func() {
		for {
			_, msg, err := p.conn.Read(context.Background())
			if err != nil {
				p.err <- err
				return
			}
			p.in <- string(msg)
		}
	}()
	return p
}

// await reads messages until one matches.
func (p *peer) await(t *testing.T, what string, match func(string) bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m := <-p.in:
			if match(m) {
				return
			}
		case err := <-p.err:
			t.Fatalf("waiting for %s: connection ended: %v", what, err)
		case <-deadline:
			t.Fatalf("no %s", what)
		}
	}
}

// roundTrip sends msg and returns the next message.
func (p *peer) roundTrip(t *testing.T, msg string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := p.conn.Write(ctx, websocket.MessageBinary, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-p.in:
		return got
	case err := <-p.err:
		t.Fatalf("connection ended: %v", err)
	case <-ctx.Done():
		t.Fatal("no answer")
	}
	return ""
}

// roundTrip sends msg on a client that reads only here, and returns the next message.
func roundTrip(t *testing.T, c *websocket.Conn, msg string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageBinary, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return string(got)
}

// TestPingDetectsDeadPeers checks that a client that stops answering pings is
// dropped, so its owner can log in again, while a silent client that still
// answers pings stays.
func TestPingDetectsDeadPeers(t *testing.T) {
	t.Parallel()
	url := startServer(t, Options{PingInterval: 50 * time.Millisecond, PingTimeout: 100 * time.Millisecond})

	// Reading (which answers pings) but sending nothing for many ping intervals.
	silent := newPeer(t, url)
	silent.roundTrip(t, `{"a":"Register","p0":"quiet","p1":"pw","p2":1}`)
	if got := silent.roundTrip(t, `{"a":"Login","p0":"quiet","p1":"pw"}`); got != `{"a":"Ok"}` {
		t.Fatalf("login: %s", got)
	}

	dead := wsDial(t, url)
	roundTrip(t, dead, `{"a":"Register","p0":"ghost","p1":"pw","p2":2}`)
	if got := roundTrip(t, dead, `{"a":"Login","p0":"ghost","p1":"pw"}`); got != `{"a":"Ok"}` {
		t.Fatalf("login: %s", got)
	}
	// dead now reads nothing, so its pings go unanswered.

	// The silent client sees the ghost arrive, and leave once its pings go
	// unanswered; then its owner can log in again.
	var ghost client.Event
	dec := client.NewDecoder(wire.V1, nil)
	silent.await(t, "the ghost's model", func(m string) bool {
		dec.Decode([]byte(m), func(e client.Event) { //nolint:errcheck // what does not decode is not the ghost
			if e.Kind == client.Enter && e.Name == "ghost" {
				ghost = e
			}
		})
		return ghost.ID != 0
	})
	bye := fmt.Sprintf(`{"a":"Disconnect","p0":%d}`, ghost.ID)
	silent.await(t, "the ghost's Disconnect", func(m string) bool { return m == bye })
	again := newPeer(t, url)
	if got := again.roundTrip(t, `{"a":"Login","p0":"ghost","p1":"pw"}`); got != `{"a":"Ok"}` {
		t.Fatalf("login after the peer died: %s", got)
	}

	select {
	case err := <-silent.err:
		t.Fatalf("a silent client answering pings was dropped: %v", err)
	default:
	}
}

// TestShutdownClosesWithGoingAway checks that stopping the server closes
// every connection with 1001 and a reason.
func TestShutdownClosesWithGoingAway(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := persist.Open(t.Context(), filepath.Join(t.TempDir(), "game.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv, err := NewServer(ecs.NewQueue(8), bus.NewLocal(), store, log, Options{BcryptCost: 4, View: testView(systems.Config{Rate: 20, CellSize: 200})})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c := wsDial(t, "ws"+strings.TrimPrefix(hs.URL, "http"))
	readErr := make(chan error, 1)
	go func() {
		_, _, err := c.Read(context.Background())
		readErr <- err
	}()
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	err = <-readErr
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway || ce.Reason == "" {
		t.Errorf("closed with %v, want 1001 with a reason", err)
	}
}
