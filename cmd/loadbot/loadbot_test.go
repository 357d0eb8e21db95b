package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godmmo/godmmo/net/guard"

	"github.com/godmmo/godmmo/cmd/server/game"
	gnet "github.com/godmmo/godmmo/net"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist"
)

func TestClientPacket(t *testing.T) {
	t.Parallel()
	tests := []struct {
		got  []byte
		want string
	}{
		{clientPacket("Register", "bot1", "pw \"x\"", 3), `{"a":"Register","p0":"bot1","p1":"pw \"x\"","p2":3}`},
		{clientPacket("Target", 12.5, -3.25), `{"a":"Target","p0":12.5,"p1":-3.25}`},
		{clientPacket("Ok"), `{"a":"Ok"}`},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
		// The server's own decoder must accept what the bots send.
		if _, err := wire.Decode(tt.got); err != nil {
			t.Errorf("server cannot decode %s: %v", tt.got, err)
		}
	}
}

// TestParsePacket reads the server's golden v1 packets, and the same facts
// with keys in another order (the slow path), and gets the same answers.
func TestParsePacket(t *testing.T) {
	t.Parallel()
	golden := func(name string) string { return readGolden(t, name) }
	all := func(int64) bool { return true }
	none := func(int64) bool { return false }
	tests := []struct {
		name     string
		msg      string
		wantPos  func(int64) bool
		want     serverPacket
		fallback bool
	}{
		{"full", golden("full.json"), all, serverPacket{kind: kindModel, id: 12, full: true, x: 198.21, y: 78.42, hasPos: true}, false},
		{"move", golden("move.json"), all, serverPacket{kind: kindModel, id: 12, x: 200.5, y: 78.42, hasPos: true}, false},
		{"move negative", golden("move_negative.json"), all, serverPacket{kind: kindModel, id: 7, x: 0, y: -12.35, hasPos: true}, false},
		{"someone else's move", golden("move.json"), none, serverPacket{kind: kindModel, id: 12}, false},
		{"ok", golden("ok.json"), all, serverPacket{kind: kindOk}, true},
		{"deny", golden("deny.json"), all, serverPacket{kind: kindDeny, text: "Username or password incorrect"}, true},
		{"disconnect", golden("disconnect.json"), all, serverPacket{kind: kindDisconnect, id: 12}, true},
		{"chat", `{"a":"Chat","p0":"bot2","p1":"lb-1:99"}`, all, serverPacket{kind: kindChat, from: "bot2", text: "lb-1:99"}, true},
		{"full, keys reordered", `{"p0":{"model_type":"Actor","instanced_entity":{"y":2,"x":1},"avatar_id":0,"id":5},"a":"ModelDelta"}`, all,
			serverPacket{kind: kindModel, id: 5, full: true, x: 1, y: 2, hasPos: true}, true},
		{"delta with one coordinate", `{"a":"ModelDelta","p0":{"id":5,"model_type":"Actor","instanced_entity":{"id":5,"x":1}}}`, all,
			serverPacket{kind: kindModel, id: 5}, true},
		{"unknown action", `{"a":"Hello"}`, all, serverPacket{kind: kindOther}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parsePacket([]byte(tt.msg), tt.wantPos)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.fallback = tt.fallback
			if got != tt.want {
				t.Errorf("parsePacket(%s)\n got %+v\nwant %+v", tt.msg, got, tt.want)
			}
		})
	}
	for _, bad := range []string{`not json`, `{"a":"Deny","p0":3}`, `{"a":"ModelDelta","p0":{"model_type":"Actor"}}`, `{"a":"Disconnect","p0":"x"}`} {
		if _, err := parsePacket([]byte(bad), all); err == nil {
			t.Errorf("parsePacket(%s) accepted it", bad)
		}
	}
}

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
		{"-move-every", "1ms"}, {"-chat-every", "5ms"}, {"-prefix", "no spaces"}, {"-url", "ws://8.8.8.8/"}, {"stray"},
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
	lim := guard.DefaultLimits()
	lim.ChatPerSecond = 0
	g, err := game.New(game.Room(), store, log, gnet.Options{BcryptCost: 4, Limits: &lim}) // one room, as the performance figures use
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
	cfg, err := parseConfig([]string{"-url", url, "-n", "3", "-ramp", "300ms", "-duration", "2500ms",
		"-move-every", "200ms", "-chat-every", "300ms", "-progress", "1s"}, io.Discard)
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

// TestParseMessageV2 reads the server's golden v2 messages and a few
// hand-written ones, decoding positions only where asked.
func TestParseMessageV2(t *testing.T) {
	t.Parallel()
	golden := func(name string) string { return readGolden(t, name) }
	all := func(int64) bool { return true }
	none := func(int64) bool { return false }
	tests := []struct {
		name    string
		msg     string
		wantPos func(int64) bool
		want    []serverPacket
	}{
		{"login", golden("v2_login.json"), all, []serverPacket{{kind: kindOk},
			{kind: kindModel, full: true, id: 12, x: 198.2, y: 78.4, tx: 300, ty: 0, speed: 70, hasPos: true, hasTarget: true}}},
		{"deny", golden("v2_deny.json"), all, []serverPacket{{kind: kindDeny, text: "This username is already taken"}}},
		{"tick", golden("v2_tick.json"), all, []serverPacket{
			{kind: kindModel, id: 12, x: 200.6, y: 78.4, tx: 300, ty: 78.4, speed: 70, hasPos: true, hasTarget: true},
			{kind: kindChat, from: "tristan", text: "hi [b]you[/b]"},
			{kind: kindLeave, id: 7}, {kind: kindDisconnect, id: 9}}},
		{"someone else's", golden("v2_tick.json"), none, []serverPacket{{kind: kindModel, id: 12},
			{kind: kindChat, from: "tristan", text: "hi [b]you[/b]"}, {kind: kindLeave, id: 7}, {kind: kindDisconnect, id: 9}}},
		{"escapes, spaces, unknown packets", ` [ ["C", "a\"b", "x\u00e9]"] , ["Z", {"k": [1, true, null]}, "]"], ["E",3,"n\\",0,-1.5,2e1,1,1,70] ] `, none,
			[]serverPacket{{kind: kindChat, from: `a"b`, text: "xé]"}, {kind: kindOther}, {kind: kindModel, full: true, id: 3}}},
		{"empty", `[]`, all, nil},
	}
	for _, tt := range tests {
		var got []serverPacket
		n, err := parseMessageV2([]byte(tt.msg), tt.wantPos, func(p serverPacket) { got = append(got, p) })
		if err != nil || n != len(tt.want) {
			t.Errorf("%s: %d packets, %v", tt.name, n, err)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: packet %d = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
	for _, bad := range []string{``, `{}`, `[["M",1,2]`, `[["M"]]`, `[["M",1,2,3,4,5,6]] x`, `[["E",1]]`, `[[1]]`, `[["C","a"]]`, `[["ok"] ["ok"]]`, `[["M",1,2,3,4,5,6,]]`} {
		if _, err := parseMessageV2([]byte(bad), all, func(serverPacket) {}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if got := string(clientPacketV2("Target", 12.5, -3.25)); got != `["Target",12.5,-3.25]` {
		t.Errorf("Target: %s", got)
	}
	if got := string(clientPacketV2("Register", "bot1", "pw", 3)); got != `["Register","bot1","pw",3]` {
		t.Errorf("Register: %s", got)
	}
}

// TestSwarmV2 runs a few v2 bots against the in-process server: they
// negotiate godmmo.v2, log in, walk (own moves measured from M packets) and
// chat, without errors; v2 batches, so packets come in fewer messages.
func TestSwarmV2(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	// The same server twice: bots are spread over the URLs.
	cfg, err := parseConfig([]string{"-url", url + "," + strings.Replace(url, "127.0.0.1", "localhost", 1), "-proto", "v2", "-n", "4", "-ramp", "300ms", "-duration", "3s",
		"-move-every", "250ms", "-chat-every", "400ms", "-spread", "-area", "100", "-progress", "0"}, io.Discard)
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
	if r.View != (ViewErrors{}) || len(r.PerTarget) != 2 {
		t.Errorf("view errors %+v, per target %v", r.View, r.PerTarget)
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

// readGolden returns one of the server's golden packets (net/wire/testdata/golden).
func readGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "net", "wire", "testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestSightings: the view errors a v2 bot counts, over sequences of what it
// is told: a clean walk, an actor shown twice, a leave of an actor never
// shown, and a walk that jumps.
func TestSightings(t *testing.T) {
	t.Parallel()
	e := func(id int64, x, tx float64) serverPacket {
		return serverPacket{kind: kindModel, full: true, id: id, x: x, tx: tx, speed: 70}
	}
	m := func(id int64, x, tx float64) serverPacket { p := e(id, x, tx); p.full = false; return p }
	type step struct {
		p    serverPacket
		drop bool // an L
	}
	for _, tc := range []struct {
		name  string
		steps []step
		want  ViewErrors
	}{
		{"clean walk, new clicks, leave, back", []step{{p: e(1, 0, 700)}, {p: m(1, 70, -100)}, {p: m(1, 0, 0)}, {p: m(1, 0, 0)},
			{p: serverPacket{id: 1}, drop: true}, {p: e(1, 500, 500)}}, ViewErrors{}},
		{"shown twice", []step{{p: e(1, 0, 0)}, {p: e(1, 0, 0)}}, ViewErrors{Duplicates: 1}},
		{"leave of an actor never shown", []step{{p: serverPacket{id: 2}, drop: true}}, ViewErrors{UnknownLeaves: 1}},
		{"a jump past the target", []step{{p: e(1, 0, 700)}, {p: m(1, 800, 900)}}, ViewErrors{Gaps: 1}},
		{"a jump off the path", []step{{p: e(1, 0, 700)}, {p: serverPacket{kind: kindModel, id: 1, x: 300, y: 40, tx: 300}}}, ViewErrors{Gaps: 1}},
	} {
		s := sightings{}
		var got ViewErrors
		for _, st := range tc.steps {
			switch {
			case st.drop:
				got.add(s.leave(st.p.id))
			case st.p.full:
				got.add(s.enter(st.p))
			default:
				errs, known := s.move(st.p)
				if !known {
					t.Errorf("%s: M of an unknown actor", tc.name)
				}
				got.add(errs)
			}
		}
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
