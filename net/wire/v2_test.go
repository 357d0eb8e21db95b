package wire

import (
	"encoding/json"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

// TestV2Golden compares v2 messages with their golden files: the hello and
// a deny before login, which have no tick, and what the renderer writes
// in play, headed by ["T", now], with each E and M ending in its own tick.
// Each message must be a JSON array of arrays.
func TestV2Golden(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Mods = testMods(t)
	codec := New(V2, cfg)
	r := codec.NewRenderer()
	play := func(now uint64) []byte {
		r.Tick(now)
		msgs := r.Flush(nil)
		if len(msgs) != 1 {
			t.Fatalf("tick %d: %d messages, want 1", now, len(msgs))
		}
		return append([]byte(nil), msgs[0]...) // the next Flush reuses its memory
	}
	own := ecs.ActorState{ID: 12, Name: "tristan", Avatar: 3, Intent: ecs.Intent{FromX: 198.21, FromY: 78.42, ToX: 300, ToY: -0.04, Tick: 95, Step: 3.5}}
	r.Admitted(own, 95, "00112233445566778899aabbccddeeff")
	login := play(96)

	walk := ecs.Intent{FromX: 200.55, FromY: 78.42, ToX: 300, ToY: 78.42, Tick: 98, Step: 3.5}
	batch := newShared(98,
		ecs.Fact{Kind: ecs.Moved, Actor: ecs.ActorState{ID: 12, Intent: walk}},
		ecs.Fact{Kind: ecs.Said, Actor: ecs.ActorState{ID: 12, Name: "tristan"}, Text: "hi [b]you[/b]"})
	r.Move(ecs.ActorState{ID: 12, Intent: walk}, true, Source{Batch: batch, Index: 0})
	r.Chat("tristan", "hi [b]you[/b]", Source{Batch: batch, Index: 1})
	r.Leave(7)
	r.Quit(9, Source{})
	tick := play(102)

	npc := ecs.ActorState{ID: -5066549581971457, Name: "Wanderer 3", Avatar: 2, Intent: ecs.Intent{FromX: 5, FromY: 6, ToX: 10, ToY: 20, Tick: 40, Step: 1.5}, Mod: &ecs.ModState{Kind: "npc"}}
	item := ecs.ActorState{ID: -77, Name: "gem", Intent: ecs.Intent{FromX: 40, FromY: 50, ToX: 40, ToY: 50}, Mod: &ecs.ModState{Kind: "item", State: []byte(`{"item":"gem"}`)}}
	r.Enter(npc, 110, Source{Batch: newShared(40, ecs.Fact{Kind: ecs.Entered, Actor: npc})})
	r.Enter(item, 110, Source{})
	r.Message("emote", 12, []byte(`{"emote":"wave"}`), Source{})
	r.Message("ping", 12, nil, Source{})
	mods := play(110)

	tests := []struct {
		name   string
		msg    []byte
		ticked bool
	}{
		{"v2_hello", codec.Hello(), false},
		{"v2_deny", codec.Deny(Refusal{Code: Taken}), false},
		{"v2_login", login, true},
		{"v2_tick", tick, true},
		{"v2_mods", mods, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, tc.name, tc.msg)
			var packets [][]any
			if err := json.Unmarshal(tc.msg, &packets); err != nil {
				t.Fatalf("%s is not an array of arrays: %v", tc.msg, err)
			}
			for _, p := range packets {
				if _, ok := p[0].(string); !ok {
					t.Errorf("packet %v does not start with its type", p)
				}
			}
			if got := packets[0][0] == "T"; got != tc.ticked {
				t.Errorf("headed by a tick: %v, want %v", got, tc.ticked)
			}
		})
	}
}

func TestDecodeV2(t *testing.T) {
	t.Parallel()
	tests := []parseCase{
		{"login", `["Login","tristan","pw"]`, Request{Action: ActLogin, Username: "tristan", Password: "pw"}, ""},
		{"register", `["Register","tristan","pw",2]`, Request{Action: ActRegister, Username: "tristan", Password: "pw", Avatar: 2}, ""},
		{"resume", `["Resume","tok"]`, Request{Action: ActResume, Token: "tok"}, ""},
		{"v1 object refused", `{"a":"Login","p0":"t","p1":"p"}`, Request{}, textOf(NotPacket)},
		{"empty array", `[]`, Request{}, textOf(NotPacket)},
		{"action not a string", `[1,2]`, Request{}, textOf(NotPacket)},
		{"null action", `[null]`, Request{}, textOf(NotPacket)},
		{"missing payload", `["Login","tristan"]`, Request{Action: ActLogin}, "Login needs 2 payloads (p0 to p1)"},
	}
	runParseCases(t, DecodeV2, tests)
}

// FuzzDecodeV2 feeds arbitrary messages to the v2 decoder and the request
// parser: they must never panic, and what they accept must be in bounds.
func FuzzDecodeV2(f *testing.F) {
	for _, s := range []string{`["Login","a","b"]`, `["Register","a","b",5]`, `["Target",1e308,-1]`, `["Chat","x"]`, `[]`, `[[]]`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		p, err := DecodeV2(msg)
		if err != nil {
			return
		}
		if len(p.Payloads) > maxPayloads+1 {
			t.Errorf("%d payloads kept", len(p.Payloads))
		}
		if r, deny := ParseRequest(p, nil); !deny.Refused() {
			checkAccepted(t, r)
		}
	})
}
