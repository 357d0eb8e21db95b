package wire

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
)

// testMods is a registry with one command whose Check misbehaves on
// purpose for some inputs, a message and two kinds.
func testMods(t testing.TB) *mod.Registry {
	t.Helper()
	r := mod.NewRegistry()
	err := r.Add(mod.Func("test", func(r *mod.Registry) error {
		if err := r.Command(mod.Command{Name: "wave", Rate: 1, Burst: 1, Handle: func(mod.Call) {},
			Check: func(args []json.RawMessage) (json.RawMessage, string) {
				var s string
				if len(args) != 1 || json.Unmarshal(args[0], &s) != nil {
					return nil, "wave needs one text"
				}
				switch s {
				case "panic":
					panic("a bug in the mod")
				case "garbage":
					return json.RawMessage("{not json"), ""
				}
				return json.RawMessage(`"` + s + `"`), ""
			}}); err != nil {
			return err
		}
		if err := r.Message(mod.Message{Name: "waved"}); err != nil {
			return err
		}
		if err := r.Kind(mod.Kind{Name: "npc", Walks: true}); err != nil {
			return err
		}
		return r.Kind(mod.Kind{Name: "item"})
	}))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestModRequests checks that mod commands are decoded in both protocols,
// and that a Check that refuses, panics or returns garbage gives a Deny.
func TestModRequests(t *testing.T) {
	t.Parallel()
	cmds := testMods(t).Commands()
	tests := []struct {
		name, msg string
		decode    func([]byte) (Packet, error)
		deny      string
		data      string
	}{
		{"v2", `["wave","hi"]`, DecodeV2, "", `"hi"`},
		{"v1", `{"a":"wave","p0":"hi"}`, Decode, "", `"hi"`},
		{"refused", `["wave",3]`, DecodeV2, "wave needs one text", ""},
		{"no arguments", `["wave"]`, DecodeV2, "wave needs one text", ""},
		{"check panics", `["wave","panic"]`, DecodeV2, "wave: arguments not understood", ""},
		{"check returns garbage", `["wave","garbage"]`, DecodeV2, "wave: arguments not understood", ""},
		{"unknown", `["dance"]`, DecodeV2, `Unknown action "dance"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.decode([]byte(tc.msg))
			if err != nil {
				t.Fatal(err)
			}
			r, deny := ParseRequest(p, cmds)
			if deny.Text() != tc.deny || string(r.Data) != tc.data {
				t.Fatalf("got %q, deny %q; want %q, deny %q", r.Data, deny.Text(), tc.data, tc.deny)
			}
		})
	}
}

// TestModsInProtocols checks what each protocol makes of mods: the v2
// hello announces them; the original client is never shown an object nor
// sent a mod's message, but is shown NPCs as actors.
func TestModsInProtocols(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Mods = testMods(t)
	hello := string(New(V2, cfg).Hello())
	if want := `"commands":["wave"],"messages":["waved"],"kinds":["npc","item"]`; !strings.Contains(hello, want) {
		t.Errorf("hello %s lacks %s", hello, want)
	}
	v1 := New(V1, cfg).NewRenderer()
	if !v1.Shows(ecs.ActorState{Mod: &ecs.ModState{Kind: "npc"}}) || !v1.Shows(ecs.ActorState{}) || v1.Shows(ecs.ActorState{Mod: &ecs.ModState{Kind: "item"}}) || v1.Shows(ecs.ActorState{Mod: &ecs.ModState{Kind: "unknown"}}) {
		t.Error("v1 shows the wrong kinds")
	}
	v1.Message("waved", 1, []byte(`{}`), Source{})
	if got := v1.Flush(nil); len(got) != 0 {
		t.Errorf("v1 was sent a mod's message: %q", got)
	}
	v2 := New(V2, cfg).NewRenderer()
	v2.Message("waved", 1, []byte(`{"a":1}`), Source{})
	v2.Tick(4)
	if got := v2.Flush(nil); len(got) != 1 || string(got[0]) != `[["T",4],["m","waved",1,{"a":1}]]` {
		t.Errorf("v2 got %q", got)
	}
}
