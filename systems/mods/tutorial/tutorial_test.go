package tutorial

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/net/wire"
)

func registry(t testing.TB, cfg Config) *mod.Registry {
	t.Helper()
	r := mod.NewRegistry()
	if err := r.Add(Mod(cfg)); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCommandsOnTheWire parses the tutorial's commands as clients of both
// protocols send them: what passes, and every refusal in its words.
func TestCommandsOnTheWire(t *testing.T) {
	t.Parallel()
	cmds := registry(t, DefaultConfig()).Commands()
	tests := []struct {
		name, v1, v2 string
		data, deny   string
	}{
		{"target", `{"a":"Target","p0":12.5,"p1":-3}`, `["Target",12.5,-3]`, `[12.5,-3]`, ""},
		{"target with spaces and exponents", `{"a":"Target", "p0": 1.25E2 ,"p1": -0 }`, `["Target", 1.25E2 , -0 ]`, `[1.25E2,-0]`, ""},
		{"target far out, clamped on the tick", `{"a":"Target","p0":1e9,"p1":0}`, `["Target",1e9,0]`, `[1e9,0]`, ""},
		{"target beyond any world", `{"a":"Target","p0":1.5e9,"p1":0}`, `["Target",1.5e9,0]`, "", TargetRange},
		{"target one number", `{"a":"Target","p0":1}`, `["Target",1]`, "", TargetMissing},
		{"target gap in payloads", `{"a":"Target","p0":1,"p2":2}`, `["Target",1]`, "", TargetMissing},
		{"target string", `{"a":"Target","p0":"1","p1":2}`, `["Target","1",2]`, "", TargetRange},
		{"target null", `{"a":"Target","p0":null,"p1":2}`, `["Target",null,2]`, "", TargetRange},
		{"chat", `{"a":"Chat","p0":123,"p1":"hi <b>"}`, `["Chat","hi <b>"]`, `"hi \u003cb\u003e"`, ""},
		{"chat blank, dropped", `{"a":"Chat","p0":"","p1":" \u200b "}`, `["Chat"," \u200b "]`, "ignore", ""},
		{"chat without text", `{"a":"Chat","p0":"a"}`, `["Chat"]`, "", ChatMissing},
		{"chat not text", `{"a":"Chat","p0":"a","p1":5}`, `["Chat",5]`, "", ChatNotText},
		{"chat null", `{"a":"Chat","p0":"a","p1":null}`, `["Chat",null]`, "", ChatNotText},
		{"chat control", `{"a":"Chat","p0":"a","p1":"a\u0007"}`, `["Chat","a\u0007"]`, "", "Message must not contain control characters"},
		{"chat two lines", `{"a":"Chat","p0":"a","p1":"a\u2028b"}`, `["Chat","a\u2028b"]`, "", "Message must be one line"},
	}
	for _, tc := range tests {
		for _, in := range []struct {
			msg    string
			decode func([]byte) (wire.Packet, error)
		}{{tc.v1, wire.Decode}, {tc.v2, wire.DecodeV2}} {
			p, err := in.decode([]byte(in.msg))
			if err != nil {
				t.Fatalf("%s: %s: %v", tc.name, in.msg, err)
			}
			r, deny := wire.ParseRequest(p, cmds)
			if got := deny.Text(); deny.Refused() != (tc.deny != "") || deny.Refused() && got != tc.deny {
				t.Errorf("%s: %s refused with %q, want %q", tc.name, in.msg, got, tc.deny)
			}
			if r.Ignore != (tc.data == "ignore") {
				t.Errorf("%s: %s ignored %v", tc.name, in.msg, r.Ignore)
			}
			if !deny.Refused() && !r.Ignore && (string(r.Data) != tc.data || r.Command.Name != p.Action) {
				t.Errorf("%s: %s gave %s for %q, want %s", tc.name, in.msg, r.Data, r.Command.Name, tc.data)
			}
		}
	}
}

// TestHandlers runs the commands on a bare world: a target inside the
// world is walked to, one outside is clamped to its edge, a line is said
// in the speaker's cell.
func TestHandlers(t *testing.T) {
	t.Parallel()
	cmds := registry(t, DefaultConfig()).Commands()
	w := ecs.NewWorld(100, 3.5)
	w.Bounds = ecs.Bounds{MinX: -100, MinY: -100, MaxX: 100, MaxY: 100}
	e := w.Spawn(ecs.Actor{ID: 7, Name: "ann"}, 1)
	run := func(c ecs.Command) { cmds[c.Name].Handle(mod.Call{World: w, Entity: e, Data: c.Data}) }

	for _, tc := range []struct{ x, y, wantX, wantY float64 }{{30, -40, 30, -40}, {5e8, -5e8, 100, -100}} {
		run(Target(1, 7, tc.x, tc.y))
		if got := w.State(e).Intent; got.ToX != tc.wantX || got.ToY != tc.wantY {
			t.Errorf("target %v,%v: walks to %v,%v, want %v,%v", tc.x, tc.y, got.ToX, got.ToY, tc.wantX, tc.wantY)
		}
	}
	run(Say(1, 7, "hello"))
	var said []ecs.Fact
	w.Publish(factsOf(func(f ecs.Fact) {
		if f.Kind == ecs.Said {
			said = append(said, f)
		}
	}))
	if len(said) != 1 || said[0].Text != "hello" || said[0].Actor.Name != "ann" || said[0].Actor.ID != 7 {
		t.Errorf("said %+v, want one line, hello from ann", said)
	}
}

// factsOf is a Publisher that hands every fact to f.
type factsOf func(ecs.Fact)

func (p factsOf) Publish(b ecs.CellFacts) {
	for _, f := range b.Facts {
		p(f)
	}
}
func (factsOf) EndTick(uint64) {}

// TestChatLimit: the operator's rate sets the command's; 0 sets none.
func TestChatLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg   Config
		rate  float64
		burst int
	}{{DefaultConfig(), 1, 5}, {Config{ChatRate: 0.5, ChatBurst: 2}, 0.5, 2}, {Config{}, math.Inf(1), 1}} {
		c := registry(t, tc.cfg).Commands()[wire.ActChat]
		if c.Rate != tc.rate || c.Burst != tc.burst || !c.Speech || c.Slow != ChatSlow {
			t.Errorf("%+v: chat %v a second after %d (speech %v, %q)", tc.cfg, c.Rate, c.Burst, c.Speech, c.Slow)
		}
	}
}

// FuzzCheck: whatever a client sends as a Target's or a Chat's
// arguments, the checks never panic, and what they pass their handlers
// take without a Deny.
func FuzzCheck(f *testing.F) {
	f.Add(`Target`, []byte(`[1,2]`))
	f.Add(`Chat`, []byte(`["","hi"]`))
	cmds := registry(f, DefaultConfig()).Commands()
	f.Fuzz(func(t *testing.T, name string, msg []byte) {
		c, ok := cmds[name]
		var args []json.RawMessage
		if !ok || json.Unmarshal(msg, &args) != nil {
			return
		}
		data, deny := c.Check(args)
		if deny == mod.Ignore && data != nil {
			t.Errorf("%s %s ignored with data %s", name, msg, data)
		}
		if deny != "" {
			return
		}
		w := ecs.NewWorld(100, 3.5)
		w.Bounds = ecs.Bounds{MinX: -100, MinY: -100, MaxX: 100, MaxY: 100}
		e := w.Spawn(ecs.Actor{ID: 1, Name: "a"}, 1)
		c.Handle(mod.Call{World: w, Entity: e, Data: data})
		w.Publish(factsOf(func(f ecs.Fact) {
			if f.Kind == ecs.Denied {
				t.Errorf("%s %s passed its check but was denied on the tick: %s", name, msg, f.Text)
			}
		}))
	})
}
