package client

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/godmmo/godmmo/net/wire"
)

// golden is one of the server's golden messages (net/wire/testdata/golden).
func golden(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "wire", "testdata", "golden", name))
	if err != nil {
		tb.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// decodeAll decodes msg and returns its events.
func decodeAll(p wire.Protocol, positions func(int64) bool, msg string) ([]Event, error) {
	var got []Event
	n, err := NewDecoder(p, positions).Decode([]byte(msg), func(e Event) { got = append(got, e) })
	if err == nil && n != len(got) {
		return got, errors.New("count " + strconv.Itoa(n) + " is not the events handled")
	}
	return got, err
}

func none(int64) bool { return false }

// TestDecodeV1 reads the server's golden v1 packets, and the same facts
// with keys in another order (the slow path), and gets the same events.
func TestDecodeV1(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		msg       string
		positions func(int64) bool
		want      Event
	}{
		{"full", golden(t, "full.json"), nil, Event{Kind: Enter, ID: 12, Name: "tristan", Avatar: 3, X: 198.21, Y: 78.42, HasPos: true}},
		{"full at the origin", golden(t, "full_origin.json"), nil, Event{Kind: Enter, ID: 1, Name: "a", HasPos: true}},
		{"someone else's full", golden(t, "full.json"), none, Event{Kind: Enter, ID: 12}},
		{"move", golden(t, "move.json"), nil, Event{Kind: Move, ID: 12, X: 200.5, Y: 78.42, HasPos: true}},
		{"move negative", golden(t, "move_negative.json"), nil, Event{Kind: Move, ID: 7, Y: -12.35, HasPos: true}},
		{"someone else's move", golden(t, "move.json"), none, Event{Kind: Move, ID: 12}},
		{"ok", golden(t, "ok.json"), nil, Event{Kind: Ok}},
		{"deny", golden(t, "deny.json"), nil, Event{Kind: Deny, Text: "Username or password incorrect"}},
		{"disconnect", golden(t, "disconnect.json"), nil, Event{Kind: Quit, ID: 12}},
		{"chat", golden(t, "chat_invalid_utf8.json"), nil, Event{Kind: Chat, From: "a", Text: "bad \ufffd byte\u0001"}},
		{"full, keys reordered", `{"p0":{"model_type":"Actor","instanced_entity":{"y":2,"x":1},"avatar_id":0,"id":5},"a":"ModelDelta"}`, nil,
			Event{Kind: Enter, ID: 5, X: 1, Y: 2, HasPos: true}},
		{"delta with one coordinate", `{"a":"ModelDelta","p0":{"id":5,"model_type":"Actor","instanced_entity":{"id":5,"x":1}}}`, nil, Event{Kind: Move, ID: 5}},
		{"unknown action", `{"a":"Hello"}`, nil, Event{}},
	} {
		got, err := decodeAll(wire.V1, tt.positions, tt.msg)
		if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
			t.Errorf("%s: %+v, %v\nwant %+v", tt.name, got, err, tt.want)
		}
	}
	for _, bad := range []string{``, `not json`, `[]`, `{"a":"Deny","p0":3}`, `{"a":"ModelDelta","p0":{"model_type":"Actor"}}`, `{"a":"Disconnect","p0":"x"}`, `{"a":"Chat","p0":"x"}`} {
		if got, err := decodeAll(wire.V1, nil, bad); !errors.Is(err, ErrMalformed) || len(got) != 0 {
			t.Errorf("%q: %+v, %v; want ErrMalformed and nothing handled", bad, got, err)
		}
	}
}

// TestDecodeV2 reads the server's golden v2 messages, the tick spec's forms
// (a trailing tick on E and M, ["T", now], "rate" in the hello) and a few
// hand-written ones.
func TestDecodeV2(t *testing.T) {
	t.Parallel()
	walk := func(k Kind, id int64, x, y, tx, ty, speed float64) Event {
		return Event{Kind: k, ID: id, X: x, Y: y, TX: tx, TY: ty, Speed: speed, HasPos: true, HasTarget: true}
	}
	ticked := func(e Event, tick uint64) Event { e.Tick, e.HasTick = tick, true; return e }
	named := func(e Event, name string, avatar int) Event { e.Name, e.Avatar = name, avatar; return e }
	entity := func(e Event, kind, state string) Event {
		e.Entity = kind
		if state != "" {
			e.State = json.RawMessage(state)
		}
		return e
	}
	chat := Event{Kind: Chat, From: "tristan", Text: "hi [b]you[/b]"}
	for _, tt := range []struct {
		name      string
		msg       string
		positions func(int64) bool
		want      []Event
	}{
		{"login", golden(t, "v2_login.json"), nil, []Event{{Kind: Tick, Tick: 96, HasTick: true}, {Kind: Ok, Token: "00112233445566778899aabbccddeeff"},
			ticked(named(walk(Enter, 12, 198.2, 78.4, 300, 0, 70), "tristan", 3), 95)}},
		{"deny", golden(t, "v2_deny.json"), nil, []Event{{Kind: Deny, Text: "This username is already taken"}}},
		{"tick", golden(t, "v2_tick.json"), nil, []Event{{Kind: Tick, Tick: 102, HasTick: true}, ticked(walk(Move, 12, 200.6, 78.4, 300, 78.4, 70), 98), chat, {Kind: Leave, ID: 7}, {Kind: Quit, ID: 9}}},
		{"someone else's", golden(t, "v2_tick.json"), none, []Event{{Kind: Tick, Tick: 102, HasTick: true}, {Kind: Move, ID: 12}, chat, {Kind: Leave, ID: 7}, {Kind: Quit, ID: 9}}},
		{"mods", golden(t, "v2_mods.json"), nil, []Event{{Kind: Tick, Tick: 110, HasTick: true},
			ticked(entity(named(walk(Enter, -5066549581971457, 5, 6, 10, 20, 30), "Wanderer 3", 2), "npc", ""), 40),
			ticked(entity(named(walk(Enter, -77, 40, 50, 40, 50, 0), "gem", 0), "item", `{"item":"gem"}`), 110),
			{Kind: Message, Name: "emote", ID: 12, Data: json.RawMessage(`{"emote":"wave"}`)},
			{Kind: Message, Name: "ping", ID: 12}}},
		{"ticks", `[["T",1234],["ok","0123abcd"],["E",12,"tristan",3,198.2,78.4,300,0,70,1230],["M",7,1,2,3,4,70,1233],` +
			`["E",-3,"Wanderer",2,5,6,10,20,30,"npc",null,1229],["E",-4,"gem",0,40,50,0,0,0,"item",{"item":"gem"},1200,"later"]]`, nil, []Event{
			{Kind: Tick, Tick: 1234, HasTick: true}, {Kind: Ok, Token: "0123abcd"},
			ticked(named(walk(Enter, 12, 198.2, 78.4, 300, 0, 70), "tristan", 3), 1230),
			ticked(walk(Move, 7, 1, 2, 3, 4, 70), 1233),
			ticked(entity(named(walk(Enter, -3, 5, 6, 10, 20, 30), "Wanderer", 2), "npc", ""), 1229),
			ticked(entity(named(walk(Enter, -4, 40, 50, 0, 0, 0), "gem", 0), "item", `{"item":"gem"}`), 1200)}},
		{"hello with a rate", `[["hello",{"username":32,"password":72,"chat":256,"commands":["emote"],"messages":[],"kinds":["npc"],"rate":20}]]`, nil, []Event{
			{Kind: Hello, Hello: &HelloInfo{Username: 32, Password: 72, Chat: 256, Commands: []string{"emote"}, Messages: []string{}, Kinds: []string{"npc"}, Rate: 20}}}},
		{"escapes, spaces, unknown packets", ` [ ["C", "a\"b", "x\u00e9]"] , ["Z", {"k": [1, true, null]}, "]"], ["E",3,"n\\",0,-1.5,2e1,1,1,70] ] `, none,
			[]Event{{Kind: Chat, From: `a"b`, Text: "xé]"}, {}, {Kind: Enter, ID: 3}}},
		{"empty", `[]`, nil, nil},
	} {
		got, err := decodeAll(wire.V2, tt.positions, tt.msg)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v\n got %+v\nwant %+v", tt.name, err, got, tt.want)
		}
	}
	for _, bad := range []string{``, `{}`, `[["M",1,2]`, `[["M"]]`, `[["M",1,2,3,4,5,6]] x`, `[["E",1]]`, `[[1]]`, `[["C","a"]]`,
		`[["ok"] ["ok"]]`, `[["M",1,2,3,4,5,6,]]`, `[["T"]]`, `[["T",-1]]`, `[["hello"]]`, `[["hello",{]]`, `[["m","x",1]]`, `[["ok",3]]`,
		`[["E",1,"a",0,1,2,3,4,5,"npc"]]`, `[["M",1,2,3,4,5,6,-7]]`} {
		if _, err := decodeAll(wire.V2, nil, bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v, want ErrMalformed", bad, err)
		}
	}
}

// TestAt places walks as the tick spec's rule 5 says: advanced by the
// lateness along the walk, never past the target.
func TestAt(t *testing.T) {
	t.Parallel()
	walk := Event{Kind: Move, X: 0, Y: 0, TX: 300, TY: 400, Speed: 100, HasPos: true, HasTarget: true, Tick: 100, HasTick: true}
	standing := walk
	standing.TX, standing.TY = 0, 0
	noTick := walk
	noTick.HasTick = false
	for _, tc := range []struct {
		name string
		e    Event
		now  uint64
		x, y float64
	}{
		{"on time", walk, 100, 0, 0},
		{"a second late: 100 units on", walk, 120, 60, 80},
		{"a quarter second late", walk, 105, 15, 20},
		{"late past the target: at it", walk, 400, 300, 400},
		{"from before its tick", walk, 90, 0, 0},
		{"standing", standing, 200, 0, 0},
		{"no tick: as sent", noTick, 200, 0, 0},
	} {
		x, y := tc.e.At(tc.now, 20)
		if math.Abs(x-tc.x) > 1e-9 || math.Abs(y-tc.y) > 1e-9 {
			t.Errorf("%s: at %v, %v; want %v, %v", tc.name, x, y, tc.x, tc.y)
		}
	}
}

func TestRequest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		p      wire.Protocol
		action string
		args   []any
		want   string
	}{
		{wire.V1, "Register", []any{"bot1", `pw "x"`, 3}, `{"a":"Register","p0":"bot1","p1":"pw \"x\"","p2":3}`},
		{wire.V1, "Target", []any{12.5, -3.25}, `{"a":"Target","p0":12.5,"p1":-3.25}`},
		{wire.V1, "Ok", nil, `{"a":"Ok"}`},
		{wire.V2, "Target", []any{12.5, -3.25}, `["Target",12.5,-3.25]`},
		{wire.V2, "Register", []any{"bot1", "pw", 3}, `["Register","bot1","pw",3]`},
	} {
		got, err := Request(tt.p, tt.action, tt.args...)
		if err != nil || string(got) != tt.want {
			t.Errorf("Request(%v, %s) = %s, %v; want %s", tt.p, tt.action, got, err, tt.want)
		}
		// The server's own decoder must accept what the client sends.
		decode := wire.Decode
		if tt.p == wire.V2 {
			decode = wire.DecodeV2
		}
		if _, err := decode(got); err != nil {
			t.Errorf("the server cannot decode %s: %v", got, err)
		}
	}
	if _, err := Request(wire.V2, "Target", math.NaN()); err == nil {
		t.Error("NaN encoded")
	}
}

func TestDecimal(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"0", "-0", "70", "198.2", "-12.35", "0.1", "9000.9", "123456789012345", "1.00000000000001", "-0.5"} {
		want, _ := strconv.ParseFloat(s, 64)
		got, ok := decimal([]byte(s))
		if !ok || got != want {
			t.Errorf("decimal(%s) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "-", ".5", "5.", "1e3", "1..2", "1234567890123456", "+1", "--1", "1-"} {
		if f, ok := decimal([]byte(s)); ok {
			t.Errorf("decimal(%q) = %v: want it left to ParseFloat", s, f)
		}
	}
}
