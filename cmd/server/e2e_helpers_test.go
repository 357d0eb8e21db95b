package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coder/websocket"
	netclient "github.com/godmmo/godmmo/net/client"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/systems/mods"
)

// testConfig is a server on a free loopback port with a fresh database in dir.
func testConfig(tb testing.TB, dir string, extra ...string) Config {
	tb.Helper()
	args := append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "game.db"), "-bcrypt-cost", "4", "-flush-every", "200ms", "-admin", "",
		"-spawn-spread", "0", "-exempt", "127.0.0.0/8", "-npcs", "0", "-items", "0"}, extra...)
	cfg, err := parseExample(args, env(nil))
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// env is an environment holding only vars, for parseConfig.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// startApp runs an App until the test ends, or until the returned stop is called.
func startApp(tb testing.TB, cfg Config) (*App, func()) {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return startAppLog(tb, cfg, log)
}

// startAppLog is startApp logging to log.
func startAppLog(tb testing.TB, cfg Config, log *slog.Logger) (*App, func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	app, err := NewApp(ctx, cfg, log)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	stopped := false
	stop := func() {
		tb.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("app.Run: %v", err)
		}
	}
	tb.Cleanup(stop)
	return app, stop
}

// packet is a received v1 packet as net/client decodes it, with the v1
// action it came as and the message itself, for failures.
type packet struct {
	netclient.Event
	A   string // the v1 action: Ok, Deny, ModelDelta, Chat or Disconnect
	Raw string
}

// v1Actions name the v1 action of each kind of event.
var v1Actions = map[netclient.Kind]string{netclient.Ok: "Ok", netclient.Deny: "Deny", netclient.Enter: "ModelDelta",
	netclient.Move: "ModelDelta", netclient.Chat: "Chat", netclient.Quit: "Disconnect"}

// actorID is the id of a ModelDelta's actor, or of a Disconnect.
func (p packet) actorID() int64 { return p.ID }

// pos returns the position a ModelDelta carries, if any.
func (p packet) pos() (x, y float64, ok bool) { return p.X, p.Y, p.HasPos }

// full reports whether a ModelDelta carries a whole model.
func (p packet) full() bool { return p.Kind == netclient.Enter }

// client is a v1 test client: it sends binary frames like the original
// client and records everything it receives.
type client struct {
	tb   testing.TB
	conn *websocket.Conn
	in   chan packet
	done chan struct{}
	err  error // why reading stopped; valid after done is closed
}

const wait = 5 * time.Second

func dial(tb testing.TB, addr string) *client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+addr+"/", nil)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	c := &client{tb: tb, conn: conn, in: make(chan packet, 4096), done: make(chan struct{})}
	go c.read()
	tb.Cleanup(func() { conn.CloseNow() }) //nolint:errcheck // test cleanup
	return c
}

func (c *client) read() {
	defer close(c.done)
	dec := netclient.NewDecoder(wire.V1, nil)
	for {
		typ, msg, err := c.conn.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		if typ != websocket.MessageText {
			c.err = fmt.Errorf("server sent a %v frame", typ)
			return
		}
		if err := checkV1Keys(msg); err != nil {
			c.err = err // reported by whoever waits on the client
			return
		}
		var ps []packet
		if _, err := dec.Decode(msg, func(e netclient.Event) { ps = append(ps, packet{Event: e, A: v1Actions[e.Kind], Raw: string(msg)}) }); err != nil {
			c.err = err
			return
		}
		for _, p := range ps {
			c.in <- p
		}
	}
}

// checkV1Keys checks the v1 shape the original client reads: an object
// whose keys are a, then p0, p1, … in order.
func checkV1Keys(msg []byte) error {
	if !json.Valid(msg) {
		return fmt.Errorf("server sent non-JSON %q", msg)
	}
	tok := json.NewDecoder(bytes.NewReader(msg))
	if t, err := tok.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("server sent %q, not a JSON object", msg)
	}
	for i := 0; tok.More(); i++ {
		k, err := tok.Token()
		var skip json.RawMessage
		if err != nil || tok.Decode(&skip) != nil {
			return fmt.Errorf("server sent non-JSON %q", msg)
		}
		want := "a"
		if i > 0 {
			want = fmt.Sprintf("p%d", i-1)
		}
		if k != want {
			return fmt.Errorf("key %d of %s is %q, want %q", i, msg, k, want)
		}
	}
	return nil
}

// send writes a v1 packet in a binary frame, as the original client does.
func (c *client) send(action string, payloads ...any) {
	c.tb.Helper()
	b := []byte(`{"a":` + mustJSON(c.tb, action))
	for i, p := range payloads {
		b = append(b, fmt.Sprintf(`,"p%d":%s`, i, mustJSON(c.tb, p))...)
	}
	c.sendRaw(append(b, '}'))
}

func (c *client) sendRaw(msg []byte) {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageBinary, msg); err != nil {
		c.tb.Fatalf("send %s: %v", msg, err)
	}
}

func mustJSON(tb testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// next returns the next packet, failing the test if none comes in time.
func (c *client) next() packet {
	c.tb.Helper()
	select {
	case p := <-c.in:
		return p
	case <-c.done:
		c.tb.Fatalf("connection ended: %v", c.err)
	case <-time.After(wait):
		c.tb.Fatal("no packet within", wait)
	}
	return packet{}
}

// await skips packets until one matches, failing the test if none comes in time.
func (c *client) await(what string, match func(packet) bool) packet {
	c.tb.Helper()
	return awaitOn(c.tb, c.in, c.done, func() error { return c.err }, wait, what, match)
}

// awaitOn reads in until a value matches, failing the test if done closes
// (saying why: ended, read once done is closed) or nothing matches within d.
func awaitOn[T any](tb testing.TB, in <-chan T, done <-chan struct{}, ended func() error, d time.Duration, what string, match func(T) bool) T {
	tb.Helper()
	deadline := time.After(d)
	for {
		select {
		case p := <-in:
			if match(p) {
				return p
			}
		case <-done:
			tb.Fatalf("waiting for %s: connection ended: %v", what, ended())
		case <-deadline:
			tb.Fatalf("no %s within %v", what, d)
		}
	}
}

// quiet checks that no packet matching arrives within d.
func (c *client) quiet(d time.Duration, what string, match func(packet) bool) {
	c.tb.Helper()
	deadline := time.After(d)
	for {
		select {
		case p := <-c.in:
			if match(p) {
				c.tb.Errorf("unexpected %s: %s", what, p.Raw)
			}
		case <-deadline:
			return
		}
	}
}

// expectAction reads the next packet and checks its action.
func (c *client) expectAction(action string) packet {
	c.tb.Helper()
	p := c.next()
	if p.A != action {
		c.tb.Fatalf("got %s, want %s", p.Raw, action)
	}
	return p
}

// expectDeny reads the next packet and checks it is a Deny with reason.
func (c *client) expectDeny(reason string) {
	c.tb.Helper()
	p := c.expectAction("Deny")
	if p.Text != reason {
		c.tb.Fatalf("Deny %q, want %q", p.Text, reason)
	}
}

// register creates an account and checks the Ok.
func (c *client) register(name, password string, avatar int) {
	c.tb.Helper()
	c.send("Register", name, password, avatar)
	c.expectAction("Ok")
}

// login logs in and returns the player's own full model, the first ModelDelta.
func (c *client) login(name, password string) packet {
	c.tb.Helper()
	c.send("Login", name, password)
	c.expectAction("Ok")
	own := c.expectAction("ModelDelta")
	if !own.full() {
		c.tb.Fatalf("first model after login is not full: %s", own.Raw)
	}
	return own
}

// join registers and logs in a new player, returning its actor id.
func join(tb testing.TB, addr, name string, avatar int) (*client, int64) {
	tb.Helper()
	c := dial(tb, addr)
	c.register(name, "pw-"+name, avatar)
	own := c.login(name, "pw-"+name)
	return c, own.actorID()
}

// isModelOf matches a ModelDelta of actor id.
func isModelOf(id int64) func(packet) bool {
	return func(p packet) bool { return p.A == "ModelDelta" && p.actorID() == id }
}

// parseExample reads flags as cmd/godmmo does, with the example mods.
func parseExample(args []string, lookupEnv func(string) (string, bool)) (Config, error) {
	return parseConfig(args, lookupEnv, Game{Flags: mods.Flags})
}

// denial is the words a client reads for a refusal that names nothing.
func denial(c wire.Code) string { return wire.Refusal{Code: c}.Text() }
