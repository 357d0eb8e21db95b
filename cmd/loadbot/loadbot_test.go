package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godmmo/godmmo/cmd/server/game"
	"github.com/godmmo/godmmo/ecs/mod"
	gnet "github.com/godmmo/godmmo/net"
	"github.com/godmmo/godmmo/net/client"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist"
	"github.com/godmmo/godmmo/systems/mods/tutorial"
)

func TestMovedToward(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		prev, now, target [2]float64
		want              bool
	}{
		{"straight at it", [2]float64{0, 0}, [2]float64{3.5, 0}, [2]float64{50, 0}, true},
		{"diagonal, rounded to the wire's 2 decimals", [2]float64{10, 10}, [2]float64{12.47, 12.47}, [2]float64{40, 40}, true},
		{"arrived", [2]float64{0, 0}, [2]float64{2, 1}, [2]float64{2, 1}, true},
		{"still walking to the old target", [2]float64{0, 0}, [2]float64{3.5, 0}, [2]float64{0, 50}, false},
		{"almost the same direction is not enough", [2]float64{0, 0}, [2]float64{3.5, 0}, [2]float64{50, 3}, false},
		{"did not move", [2]float64{1, 1}, [2]float64{1, 1}, [2]float64{50, 0}, false},
		{"walked away", [2]float64{0, 0}, [2]float64{-3.5, 0}, [2]float64{50, 0}, false},
	}
	for _, tt := range tests {
		if got := movedToward(tt.prev, tt.now, tt.target); got != tt.want {
			t.Errorf("%s: movedToward = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHistQuantiles(t *testing.T) {
	t.Parallel()
	var h hist
	if h.quantile(0.5) != 0 {
		t.Error("empty histogram has a median")
	}
	// 1 ms … 100 ms, one sample each.
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0.01, time.Millisecond}} {
		got := h.quantile(c.q)
		if got < c.want || float64(got) > float64(c.want)*histGrowth {
			t.Errorf("quantile(%v) = %v, want %v to 2%% above", c.q, got, c.want)
		}
	}
	var other hist
	other.add(time.Second)
	other.add(time.Nanosecond)
	h.merge(&other)
	if h.n != 102 || h.max != time.Second || h.quantile(1) != time.Second {
		t.Errorf("after merge: n %d, max %v, p100 %v", h.n, h.max, h.quantile(1))
	}
	var huge hist
	huge.add(time.Hour) // beyond the last bucket: counted, reported as the max
	if huge.quantile(0.5) != time.Hour {
		t.Errorf("an hour is reported as %v", huge.quantile(0.5))
	}
}

// TestSummarize checks the report's arithmetic on two made-up bots.
func TestSummarize(t *testing.T) {
	t.Parallel()
	a := &botStats{connected: true, registered: true, loggedIn: true, targets: 10, moved: 9, neverMoved: 1,
		chatsSent: 2, chatsReceived: 3, packetsIn: 1000, bytesIn: 100_000, packetsOut: 14, playing: 10 * time.Second,
		errors: map[string]int{"write: EOF": 1}}
	b := &botStats{connected: true, taken: true, loggedIn: true, targets: 10, moved: 10,
		packetsIn: 3000, bytesIn: 300_000, packetsOut: 12, playing: 10 * time.Second,
		disconnect: "4001 too slow: outbox full", errors: map[string]int{"write: EOF": 2}}
	c := &botStats{errors: map[string]int{"dial: connection refused": 1}}
	for i := 1; i <= 9; i++ {
		a.move.add(time.Duration(i) * 10 * time.Millisecond)
	}
	b.move.add(time.Second)
	a.login.add(20 * time.Millisecond)
	b.login.add(40 * time.Millisecond)
	r := summarize("ws://127.0.0.1:1/", []*botStats{a, b, c}, 12*time.Second)

	if r.Bots != 3 || r.Connected != 2 || r.Registered != 1 || r.Existing != 1 || r.LoggedIn != 2 {
		t.Errorf("counts: %+v", r)
	}
	if r.Targets != 20 || r.Moved != 19 || r.NeverMoved != 1 || r.Move.N != 10 {
		t.Errorf("moves: targets %d moved %d never %d n %d", r.Targets, r.Moved, r.NeverMoved, r.Move.N)
	}
	// 4,000 packets over 20 bot-seconds of play.
	if r.PacketsInPerBotSec != 200 || r.BytesInPerBotSec != 20_000 || r.PacketsOut != 26 {
		t.Errorf("rates: %v packets/s, %v bytes/s, %d out", r.PacketsInPerBotSec, r.BytesInPerBotSec, r.PacketsOut)
	}
	if math.Abs(r.Move.P50-50) > 1 || math.Abs(r.Move.Max-1000) > 0.001 || math.Abs(r.Move.P99-1000) > 0.001 {
		t.Errorf("own move latency %+v, want p50 ≈ 50 ms, p99 = max = 1000 ms", r.Move)
	}
	if r.Login.N != 2 || math.Abs(r.Login.P50-20) > 0.5 {
		t.Errorf("login latency %+v", r.Login)
	}
	if r.Errors["write: EOF"] != 3 || r.Errors["dial: connection refused"] != 1 || r.Disconnects["4001 too slow: outbox full"] != 1 {
		t.Errorf("errors %v, disconnects %v", r.Errors, r.Disconnects)
	}
	var out bytes.Buffer
	r.print(&out)
	if !strings.Contains(out.String(), "write: EOF ×3, dial: connection refused ×1") {
		t.Errorf("report:\n%s", out.String())
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"ws://127.0.0.1:8081/", "ws://localhost:8081/", "wss://[::1]:8081/", "ws://127.3.2.1/"} {
		if err := checkURL(u, false); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"ws://example.com/", "ws://10.0.0.1:8081/", "ws://192.168.1.2/", "http://127.0.0.1/", "ws:///", "ws://localhost.example.com/"} {
		if err := checkURL(u, false); err == nil {
			t.Errorf("%s accepted without -allow-remote", u)
		}
	}
	if err := checkURL("ws://example.com/", true); err != nil {
		t.Errorf("-allow-remote: %v", err)
	}
}

func TestParseConfigBounds(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-n", "0"}, {"-n", "30001"}, {"-duration", "2h"}, {"-duration", "0s"}, {"-ramp", "59m", "-duration", "2m"},
		{"-move-every", "1ms"}, {"-chat-every", "5ms"}, {"-check-every", "0"}, {"-prefix", "no spaces"}, {"-url", "ws://8.8.8.8/"}, {"stray"},
	} {
		if _, err := parseConfig(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	c, err := parseConfig(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.moveEvery != time.Second || c.chatEvery != 5*time.Second || c.n != 10 {
		t.Errorf("defaults: %+v", c)
	}
}

func TestParseStatCPU(t *testing.T) {
	t.Parallel()
	// pid (comm with spaces) state ppid … utime=250 stime=50 (fields 14, 15)
	stat := "42 (go run (x)) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 5 0 100 0 0"
	if got, ok := parseStatCPU(stat); got != 3*time.Second || !ok {
		t.Errorf("parseStatCPU = %v, %v, want 3s", got, ok)
	}
	if got, ok := parseProcStat("cpu  100 20 30 4000 50 6 7 8 9 10"); got != 1710*time.Millisecond || !ok {
		t.Errorf("parseProcStat = %v, %v, want 1.71s (user, nice, system, irq, softirq, steal)", got, ok)
	}
	for _, bad := range []string{"cpu0 1 2 3 4 5 6 7 8", "cpu 1 2 3", "cpu 1 2 x 4 5 6 7 8", ""} {
		if _, ok := parseProcStat(bad); ok {
			t.Errorf("parseProcStat(%q) parsed", bad)
		}
	}
	if _, ok := parseStatCPU("garbage"); ok {
		t.Error("garbage parsed")
	}
	if _, ok := cpuTime(0); !ok && runtime.GOOS == "linux" {
		t.Error("cannot read this process's CPU time")
	}
}

// startServer runs the real server (store, tick, WebSocket endpoint) in
// this process on a loopback port, and returns its URL.
func startServer(t *testing.T) string {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	store, err := persist.Open(context.Background(), filepath.Join(t.TempDir(), "game.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	// The bots chat faster than a player may: a load test lifts the chat limit.
	cfg := game.Room() // one room, as the performance figures use
	cfg.Mods = mod.NewRegistry()
	if err := cfg.Mods.Add(tutorial.Mod(tutorial.Config{ChatRate: 0})); err != nil {
		t.Fatal(err)
	}
	g, err := game.New(cfg, store, log, gnet.Options{BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { store.Run(ctx) }) //nolint:errcheck // only returns nil
	g.Start()
	hs := httptest.NewServer(g.Server)
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := g.Stop(sctx); err != nil {
			t.Error(err)
		}
		hs.Close()
		cancel()
		wg.Wait()
		store.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/"
}

// TestSwarm runs a few bots against a real in-process server for a few
// seconds: they log in, walk, chat and hear each other, without errors; a
// second run with the same names finds the accounts and plays again.
func TestSwarm(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	var progress bytes.Buffer
	// The server runs in this process: its CPU and memory are the test's.
	cfg, err := parseConfig([]string{"-url", url, "-n", "3", "-ramp", "300ms", "-duration", "2500ms",
		"-move-every", "200ms", "-chat-every", "300ms", "-progress", "1s", "-server-pid", strconv.Itoa(os.Getpid())}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r := runSwarm(context.Background(), cfg, &progress)
	if r.Connected != 3 || r.Registered != 3 || r.LoggedIn != 3 || r.Login.N != 3 {
		t.Errorf("connected %d, registered %d, logged in %d", r.Connected, r.Registered, r.LoggedIn)
	}
	if len(r.Errors) != 0 || len(r.Disconnects) != 0 || r.View != (ViewErrors{}) {
		t.Errorf("errors %v, disconnects %v, view errors %+v", r.Errors, r.Disconnects, r.View)
	}
	if r.Targets == 0 || r.Moved == 0 || r.Move.N != int64(r.Moved) {
		t.Errorf("targets %d, moved %d, measured %d", r.Targets, r.Moved, r.Move.N)
	}
	if r.ChatsSent == 0 || r.ChatsReceived == 0 || r.Chat.N != int64(r.ChatsReceived) {
		t.Errorf("chats sent %d, received %d", r.ChatsSent, r.ChatsReceived)
	}
	if r.PacketsIn == 0 || r.PacketsInPerBotSec <= 0 || r.PacketsOut < 3*2 {
		t.Errorf("packets in %d (%v per bot-second), out %d", r.PacketsIn, r.PacketsInPerBotSec, r.PacketsOut)
	}
	if !strings.Contains(progress.String(), "connected 3/3") {
		t.Errorf("progress lines: %q", progress.String())
	}
	checkMeasured(t, r.Measured, 3, 2500*time.Millisecond, true)

	// Again, as -json: the accounts exist now, which is fine.
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-url", url, "-n", "3", "-ramp", "0s", "-duration", "1s", "-progress", "0", "-json"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var again Report
	if err := json.Unmarshal(out.Bytes(), &again); err != nil {
		t.Fatalf("-json: %v: %s", err, out.String())
	}
	if again.Existing != 3 || again.Registered != 0 || again.LoggedIn != 3 || len(again.Errors) != 0 {
		t.Errorf("second run: existing %d, registered %d, logged in %d, errors %v", again.Existing, again.Registered, again.LoggedIn, again.Errors)
	}
	checkMeasured(t, again.Measured, 3, time.Second, false)
}

// checkMeasured checks a real run's measured window for sanity, not speed:
// as long as the run after the ramp, no more players than bots, CPU and
// memory read when the server's pid was given, and a verdict either way.
func checkMeasured(t *testing.T, w Window, bots int, duration time.Duration, server bool) {
	t.Helper()
	if w.Seconds < duration.Seconds()*0.9 || w.Seconds > duration.Seconds()+5 {
		t.Errorf("measured %v s of a %v run after the ramp", w.Seconds, duration)
	}
	if w.Players <= 0 || w.Players > float64(bots) || w.PlayerSeconds > float64(bots)*w.Seconds+1e-9 {
		t.Errorf("%v players, %v player-seconds in %v s", w.Players, w.PlayerSeconds, w.Seconds)
	}
	if runtime.GOOS != "linux" {
		return
	}
	if w.LoadbotCores < 1 || w.LoadbotCPU <= 0 || w.RanOut == nil || (w.Invalid != "") != slices.Contains(w.RanOut, "loadbot") {
		t.Errorf("loadbot %v of %d cores, ran out %v, invalid %q", w.LoadbotCPU, w.LoadbotCores, w.RanOut, w.Invalid)
	}
	if !server {
		if w.ServerCPU != nil || w.ServerRSS != 0 {
			t.Errorf("server figures without -server-pid: %v, %d", w.ServerCPU, w.ServerRSS)
		}
		return
	}
	if w.ServerCPU == nil || *w.ServerCPU <= 0 || w.ServerCores < 1 || w.ServerMicrosPerPlayerSecond == nil || *w.ServerMicrosPerPlayerSecond <= 0 {
		t.Errorf("server CPU %v of %d cores, %v µs per player-second", w.ServerCPU, w.ServerCores, w.ServerMicrosPerPlayerSecond)
	}
	if w.ServerRSS <= 0 || w.ServerPeakRSS < w.ServerRSS {
		t.Errorf("server RSS %d, peak %d", w.ServerRSS, w.ServerPeakRSS)
	}
}

// TestSwarmStopsWhenCancelled ends a run early: every bot ends, nothing hangs.
func TestSwarmStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	cfg, err := parseConfig([]string{"-url", url, "-n", "4", "-ramp", "2s", "-duration", "50m", "-progress", "0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(700 * time.Millisecond); cancel() }()
	r := runSwarm(ctx, cfg, nil)
	if r.Bots != 4 || len(r.Errors) != 0 {
		t.Errorf("bots %d, errors %v", r.Bots, r.Errors)
	}
}

// TestSwarmV2 runs a few v2 bots against the in-process server (half of
// them checking their views, half only counting others' packets): they
// negotiate godmmo.v2, log in, walk (own moves measured from M packets) and
// chat, without errors; v2 batches, so packets come in fewer messages.
func TestSwarmV2(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	// The same server twice: bots are spread over the URLs.
	cfg, err := parseConfig([]string{"-url", url + "," + strings.Replace(url, "127.0.0.1", "localhost", 1), "-proto", "v2", "-n", "4", "-ramp", "300ms", "-duration", "3s",
		"-move-every", "250ms", "-chat-every", "400ms", "-spread", "-area", "100", "-progress", "0", "-check-every", "2"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r := runSwarm(context.Background(), cfg, nil)
	if r.Connected != 4 || r.Registered != 4 || r.LoggedIn != 4 || r.Login.N != 4 {
		t.Errorf("connected %d, registered %d, logged in %d", r.Connected, r.Registered, r.LoggedIn)
	}
	if len(r.Errors) != 0 || len(r.Disconnects) != 0 {
		t.Errorf("errors %v, disconnects %v", r.Errors, r.Disconnects)
	}
	if r.Targets < 4*5 || r.Moved < r.Targets*3/4 || r.Move.N != int64(r.Moved) || r.Move.P99 <= 0 || r.Move.P99 > 2000 {
		t.Errorf("targets %d, moved %d, never moved %d, latency %+v", r.Targets, r.Moved, r.NeverMoved, r.Move)
	}
	if r.ChatsSent == 0 || r.ChatsReceived == 0 || r.Chat.N != int64(r.ChatsReceived) {
		t.Errorf("chats sent %d, received %d", r.ChatsSent, r.ChatsReceived)
	}
	if r.MessagesIn == 0 || r.PacketsIn < r.MessagesIn || r.BytesInPerBotSec <= 0 {
		t.Errorf("messages in %d, packets in %d, %v bytes per bot-second", r.MessagesIn, r.PacketsIn, r.BytesInPerBotSec)
	}
	// Bots 2 and 4 check their views; 1 and 3 decode only their own actor.
	if r.View != (ViewErrors{}) || r.ViewCheckers != 2 || len(r.PerTarget) != 2 {
		t.Errorf("view errors %+v by %d bots, per target %v", r.View, r.ViewCheckers, r.PerTarget)
	}
	for u, n := range r.PerTarget {
		if n != [2]int{2, 2} {
			t.Errorf("%s: %d bots, %d logged in; want 2 and 2", u, n[0], n[1])
		}
	}
}

func TestParseConfigProto(t *testing.T) {
	t.Parallel()
	c, err := parseConfig(nil, io.Discard)
	if err != nil || c.v2() || c.spread {
		t.Errorf("default: %+v, %v", c, err)
	}
	if _, err := parseConfig([]string{"-proto", "v3"}, io.Discard); err == nil {
		t.Error("-proto v3 accepted")
	}
}

// TestSightings: the view errors a bot counts, over sequences of what it
// is told: a clean walk, an actor shown twice, a leave of an actor never
// shown, a walk that jumps; and with ticks, walks placed where they had got
// to, so one sent late is not a jump.
func TestSightings(t *testing.T) {
	t.Parallel()
	e := func(id int64, x, tx float64) client.Event {
		return client.Event{Kind: client.Enter, ID: id, X: x, TX: tx, Speed: 70, HasPos: true, HasTarget: true}
	}
	m := func(id int64, x, tx float64) client.Event { p := e(id, x, tx); p.Kind = client.Move; return p }
	at := func(p client.Event, tick uint64) client.Event { p.Tick, p.HasTick = tick, true; return p }
	leave := client.Event{Kind: client.Leave, ID: 1}
	for _, tc := range []struct {
		name  string
		steps []client.Event
		want  ViewErrors
	}{
		{"clean walk, new clicks, leave, back", []client.Event{e(1, 0, 700), m(1, 70, -100), m(1, 0, 0), m(1, 0, 0), leave, e(1, 500, 500)}, ViewErrors{}},
		{"shown twice", []client.Event{e(1, 0, 0), e(1, 0, 0)}, ViewErrors{Duplicates: 1}},
		{"leave of an actor never shown", []client.Event{{Kind: client.Quit, ID: 2}}, ViewErrors{UnknownLeaves: 1}},
		{"a jump past the target", []client.Event{e(1, 0, 700), m(1, 800, 900)}, ViewErrors{Gaps: 1}},
		{"a jump off the path", []client.Event{e(1, 0, 700), {Kind: client.Move, ID: 1, X: 300, Y: 40, TX: 300, HasTarget: true}}, ViewErrors{Gaps: 1}},
		{"v1: others' moves carry no walk", []client.Event{{Kind: client.Enter, ID: 1}, {Kind: client.Move, ID: 1}}, ViewErrors{}},
		// 70 units/s at 20 ticks/s: 3.5 units a tick.
		{"ticks: a new walk where the last had got to", []client.Event{at(e(1, 0, 700), 100), at(m(1, 70, -100), 120), at(m(1, 0, 0), 140)}, ViewErrors{}},
		{"ticks: walks placed by their ticks, not their arrival", []client.Event{at(e(1, 0, 700), 100), at(m(1, 70, 700), 120), at(m(1, 140, 0), 140)}, ViewErrors{}},
		{"ticks: a tick off is rounding", []client.Event{at(e(1, 0, 700), 100), at(m(1, 73.5, 0), 120)}, ViewErrors{}},
		{"ticks: on the path but not where the walk had got", []client.Event{at(e(1, 0, 700), 100), at(m(1, 300, 0), 120)}, ViewErrors{Gaps: 1}},
		{"ticks: a jump past the target", []client.Event{at(e(1, 0, 70), 100), at(m(1, 100, 0), 200)}, ViewErrors{Gaps: 1}},
	} {
		s := sightings{}
		var got ViewErrors
		for _, p := range tc.steps {
			switch p.Kind {
			case client.Leave, client.Quit:
				got.add(s.leave(p.ID))
			case client.Enter:
				got.add(s.enter(p))
			default:
				errs, known := s.move(p, defaultRate)
				if !known {
					t.Errorf("%s: a move of an unknown actor", tc.name)
				}
				got.add(errs)
			}
		}
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// BenchmarkReaderV2Room is a v2 bot's work per message in a crowded room:
// a tick's message of 40 other actors' walks and a chat line of the run,
// decoded and checked, with no network. It is what the bot spends beyond
// reading the socket.
func BenchmarkReaderV2Room(b *testing.B) {
	sw := &swarm{cfg: config{proto: "v2", urls: []string{"ws://127.0.0.1:1/"}}, start: time.Now(), chatTag: "lb-1:"}
	bt := newBot(sw, 1)
	r := newReader(bt)
	dec := client.NewDecoder(wire.V2, r.positions())
	var enter, tick []byte
	enter = append(enter, '[')
	tick = append(tick, '[')
	for id := 1; id <= 40; id++ {
		if id > 1 {
			enter, tick = append(enter, ','), append(tick, ',')
		}
		enter = fmt.Appendf(enter, `["E",%d,"loadbot-%d",3,%d.5,78.4,%d.5,78.4,70]`, id, id, id*10, id*10)
		tick = fmt.Appendf(tick, `["M",%d,%d.5,78.4,%d.5,178.4,70]`, id, id*10, id*10)
	}
	enter = append(enter, ']')
	tick = append(tick, `,["C","loadbot-7","lb-1:123456"]]`...)
	if _, err := dec.Decode(enter, r.packet); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dec.Decode(tick, r.packet); err != nil {
			b.Fatal(err)
		}
	}
	if n := len(bt.stats.errors); n != 0 || bt.stats.view != (ViewErrors{}) {
		b.Fatalf("errors %v, view errors %+v", bt.stats.errors, bt.stats.view)
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	status := "Name:\tgodmmo\nVmHWM:\t  290000 kB\nVmRSS:\t  278000 kB\nThreads:\t9\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n"
	if got, want := parseStatus(status), (procStatus{RSS: 278000 << 10, PeakRSS: 290000 << 10, Cores: 1}); got != want {
		t.Errorf("parseStatus = %+v, want %+v", got, want)
	}
	if got := parseStatus("garbage\nVmRSS: lots\n"); got != (procStatus{}) {
		t.Errorf("garbage parsed as %+v", got)
	}
	for list, want := range map[string]int{"0": 1, "1": 1, "0-1": 2, "0,2-3": 3, "0-63": 64, "": 0, "3-1": 0, "x": 0, "0,": 0} {
		if got := countCPUs(list); got != want {
			t.Errorf("countCPUs(%q) = %d, want %d", list, got, want)
		}
	}
	if st, ok := readStatus(0); runtime.GOOS == "linux" && (!ok || st.RSS <= 0 || st.PeakRSS < st.RSS || st.Cores < 1) {
		t.Errorf("this process's status: %+v, %v", st, ok)
	}
}

// TestMeasure checks the measured window's arithmetic and who ran out.
func TestMeasure(t *testing.T) {
	t.Parallel()
	s := time.Second
	at := func(sec, self, server time.Duration) sample {
		// Other processes use 0.5 of a core throughout.
		return sample{at: sec * s, self: self * s / 100, server: server * s / 100, machine: (self+server)*s/100 + sec*s/2,
			selfOK: true, serverOK: true, machineOK: true, status: procStatus{RSS: 300 << 20, PeakRSS: 400 << 20, Cores: 1}, statusOK: true}
	}
	onCores := func(x sample, n int) sample { x.status.Cores = n; return x }
	// Three bots: one plays the whole 10 s window, one half of it, one
	// only before it.
	bots := []*botStats{{playFrom: 2 * s, playTo: 20 * s}, {playFrom: 10 * s, playTo: 15 * s}, {playFrom: 1 * s, playTo: 4 * s}}
	for _, tc := range []struct {
		name                string
		a, b                sample
		selfCores           int
		loadbot, server, us float64
		ranOut              []string
		invalid             bool
	}{
		// Server 0.5 s CPU over 15 player-seconds: 33,333 µs per player-second.
		{"both idle", at(5, 0, 0), at(15, 300, 50), 1, 0.3, 0.05, 500_000.0 / 15, []string{}, false},
		{"server saturated", at(5, 0, 0), at(15, 300, 950), 1, 0.3, 0.95, 9_500_000.0 / 15, []string{"server"}, false},
		{"loadbot saturated", at(5, 0, 0), at(15, 950, 500), 1, 0.95, 0.5, 5_000_000.0 / 15, []string{"loadbot"}, true},
		{"loadbot on two cores", at(5, 0, 0), at(15, 950, 500), 2, 0.95, 0.5, 5_000_000.0 / 15, []string{}, false},
		// Unpinned: both on the same two cores, which they and the others fill (1.0 + 0.6 + 0.5).
		{"machine full", at(5, 0, 0), onCores(at(15, 600, 1000), 2), 2, 0.6, 1.0, 10_000_000.0 / 15, []string{"machine"}, false},
		{"machine not full", at(5, 0, 0), onCores(at(15, 300, 500), 2), 2, 0.3, 0.5, 5_000_000.0 / 15, []string{}, false},
	} {
		w := measure(tc.a, tc.b, bots, tc.selfCores)
		if w.Seconds != 10 || w.PlayerSeconds != 15 || w.Players != 1.5 {
			t.Errorf("%s: %v s, %v player-seconds, %v players", tc.name, w.Seconds, w.PlayerSeconds, w.Players)
		}
		if math.Abs(w.LoadbotCPU-tc.loadbot) > 1e-9 || w.ServerCPU == nil || math.Abs(*w.ServerCPU-tc.server) > 1e-9 ||
			w.ServerMicrosPerPlayerSecond == nil || math.Abs(*w.ServerMicrosPerPlayerSecond-tc.us) > 1e-6 {
			t.Errorf("%s: loadbot %v, server %v, µs %v; want %v, %v, %v", tc.name, w.LoadbotCPU, w.ServerCPU, w.ServerMicrosPerPlayerSecond, tc.loadbot, tc.server, tc.us)
		}
		if w.OthersCPU == nil || math.Abs(*w.OthersCPU-0.5) > 1e-9 {
			t.Errorf("%s: others used %v cores, want 0.5", tc.name, w.OthersCPU)
		}
		if !slices.Equal(w.RanOut, tc.ranOut) || (w.Invalid != "") != tc.invalid || w.ServerRSS != 300<<20 || w.ServerPeakRSS != 400<<20 {
			t.Errorf("%s: ran out %v, invalid %q, RSS %d/%d", tc.name, w.RanOut, w.Invalid, w.ServerRSS, w.ServerPeakRSS)
		}
		var out bytes.Buffer
		w.print(&out)
		if strings.Contains(out.String(), "INVALID") != tc.invalid || !strings.Contains(out.String(), "µs CPU per player-second") {
			t.Errorf("%s: report:\n%s", tc.name, out.String())
		}
	}
	// Without -server-pid: no server figures, still the loadbot's.
	a, b := at(5, 0, 0), at(15, 950, 0)
	a.serverOK, b.serverOK, b.statusOK = false, false, false
	if w := measure(a, b, bots, 1); w.ServerCPU != nil || w.ServerMicrosPerPlayerSecond != nil || w.ServerRSS != 0 || w.Invalid == "" {
		t.Errorf("without a server: %+v", w)
	}
}
