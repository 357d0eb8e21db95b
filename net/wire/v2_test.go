package wire

import (
	"encoding/json"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

// TestV2Golden compares v2 packets and a whole tick's message with their
// golden files, and checks that each message is a JSON array of arrays.
func TestV2Golden(t *testing.T) {
	t.Parallel()
	enc := v2Enc{Rate: 20}
	walk := ecs.Intent{ToX: 300, ToY: -0.04, Step: 3.5}
	enter := enc.AppendEnter(nil, ecs.ActorState{ID: 12, Name: "tristan", Avatar: 3, Intent: walk}, 198.21, 78.42)
	move := enc.AppendMove(nil, 12, 200.55, 78.42, ecs.Intent{ToX: 300, ToY: 78.42, Step: 3.5})
	npc := enc.AppendEnter(nil, ecs.ActorState{ID: -5066549581971457, Name: "Wanderer 3", Avatar: 2, Intent: ecs.Intent{ToX: 10, ToY: 20, Step: 1.5}, Mod: &ecs.ModState{Kind: "npc"}}, 5, 6)
	item := enc.AppendEnter(nil, ecs.ActorState{ID: -77, Name: "gem", Mod: &ecs.ModState{Kind: "item", State: []byte(`{"item":"gem"}`)}}, 40, 50)
	tests := []struct {
		name string
		msg  []byte
	}{
		{"v2_login", enc.AppendBatch(nil, enc.Ok(), enter)},
		{"v2_tick", enc.AppendBatch(nil, move, enc.Chat("tristan", "hi [b]you[/b]"), enc.Leave(7), enc.Quit(9))},
		{"v2_deny", enc.AppendBatch(nil, enc.Deny(textOf(Taken)))},
		{"v2_mods", enc.AppendBatch(nil, npc, item, enc.Message("emote", 12, []byte(`{"emote":"wave"}`)), enc.Message("ping", 12, nil))},
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
		})
	}
}

func TestDecodeV2(t *testing.T) {
	t.Parallel()
	tests := []parseCase{
		{"login", `["Login","tristan","pw"]`, Request{Action: ActLogin, Username: "tristan", Password: "pw"}, ""},
		{"register", `["Register","tristan","pw",2]`, Request{Action: ActRegister, Username: "tristan", Password: "pw", Avatar: 2}, ""},
		{"target", `["Target",1.5,-2]`, Request{Action: ActTarget, X: 1.5, Y: -2}, ""},
		{"chat has no sender", `["Chat","hello"]`, Request{Action: ActChat, Text: "hello"}, ""},
		{"v1 object refused", `{"a":"Login","p0":"t","p1":"p"}`, Request{}, textOf(NotPacket)},
		{"empty array", `[]`, Request{}, textOf(NotPacket)},
		{"action not a string", `[1,2]`, Request{}, textOf(NotPacket)},
		{"null action", `[null]`, Request{}, textOf(NotPacket)},
		{"missing payload", `["Target",1]`, Request{Action: ActTarget}, "Target needs 2 payloads (p0 to p1)"},
		{"chat without text", `["Chat"]`, Request{Action: ActChat}, "Chat needs 2 payloads (p0 to p1)"},
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
