package server

import (
	"encoding/json"
	"testing"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	netclient "github.com/godmmo/godmmo/net/client"
)

// brokenMod has a command whose handler panics and a system that panics
// once a command arms it.
type brokenMod struct{ armed bool }

func (m *brokenMod) Name() string { return "broken" }
func (m *brokenMod) Register(r *mod.Registry) error {
	none := func([]json.RawMessage) (json.RawMessage, string) { return nil, "" }
	if err := r.Command(mod.Command{Name: "crash", Rate: 10, Burst: 10, Check: none, Handle: func(mod.Call) { panic("a bug in a handler") }}); err != nil {
		return err
	}
	if err := r.Command(mod.Command{Name: "arm", Rate: 10, Burst: 10, Check: none, Handle: func(mod.Call) { m.armed = true }}); err != nil {
		return err
	}
	return r.System("trap", m, mod.AfterMovement)
}
func (m *brokenMod) Initialize(*ecs.World) {}
func (m *brokenMod) Update(*ecs.World) {
	if m.armed {
		panic("a bug in a system")
	}
}

// TestModFailures: a panic in a mod's command handler is answered with a
// Deny and counted, and the game goes on; a panic in a mod's system stops
// the server cleanly, the player's position written.
func TestModFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := testConfig(t, dir, "-admin", "127.0.0.1:0")
	cfg.Mods = append(cfg.Mods, &brokenMod{})
	app, err := NewApp(t.Context(), cfg, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(t.Context()) }()

	c, id, _ := loginV2(t, app.Addr(), "tester")
	c.send("crash")
	awaitV2(t, c, wait, "the denial", func(p v2packet) bool { return p.Kind == netclient.Deny && p.Text == "crash failed on the server" })
	if n := scrape(t, "http://"+app.AdminAddr()+"/metrics")["godmmo_mod_command_panics_total"]; n != 1 {
		t.Errorf("panics counted %v, want 1", n)
	}
	c.send("Target", 35, 0)
	awaitV2(t, c, wait, "its walk", v2is(netclient.Move, id))
	c.send("arm")
	var runErr error
	select {
	case runErr = <-done:
	case <-c.done:
		runErr = <-done
	}
	if runErr == nil {
		t.Fatal("the server ran on after a system panicked")
	}
	app2, _ := startApp(t, testConfig(t, dir))
	again := dialV2(t, app2.Addr())
	again.send("Login", "tester", "pw")
	awaitV2(t, again, wait, "login", v2is(netclient.Ok, 0))
	own := awaitV2(t, again, wait, "own actor", v2is(netclient.Enter, id))
	if own.X <= 0 {
		t.Errorf("the walk before the panic was not written: %v", own)
	}
}
