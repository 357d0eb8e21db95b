package cluster

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

// TestDecodersRefuseBadMessages: what a process of another version, or
// garbage on a subject, could send is refused with errBadMessage.
func TestDecodersRefuseBadMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		dec  func([]byte) error
		msg  string
	}{
		{"batch not json", batchErr, `{`},
		{"batch without seq", batchErr, `{"Inc":1,"Facts":[]}`},
		{"batch fact kind", batchErr, `{"Inc":1,"Seq":1,"Facts":[{"Kind":9}]}`},
		{"batch avatar", batchErr, `{"Inc":1,"Seq":1,"Facts":[{"Kind":1,"Actor":{"Avatar":6}}]}`},
		{"batch huge number", batchErr, `{"Inc":1,"Seq":1e999}`},
		{"snapshot negative step", snapErr, `{"Actors":[{"Intent":{"Step":-1}}]}`},
		{"command kind", cmdErr, `{"Kind":0}`},
		{"command kind unknown", cmdErr, fmt.Sprintf(`{"Kind":%d}`, ecs.ModCommand+1)},
		{"command return from afar", cmdErr, fmt.Sprintf(`{"Kind":%d}`, ecs.Return)},
		{"arrival without actor", cmdErr, fmt.Sprintf(`{"Kind":%d}`, ecs.Arrive)},
		{"command name", cmdErr, fmt.Sprintf(`{"Kind":%d,"Name":"%s"}`, ecs.ModCommand, strings.Repeat("a", maxName+1))},
		{"command data", cmdErr, fmt.Sprintf(`{"Kind":%d,"Name":"Chat","Data":"%s"}`, ecs.ModCommand, strings.Repeat("a", maxData))},
	} {
		if err := tc.dec([]byte(tc.msg)); !errors.Is(err, errBadMessage) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func batchErr(b []byte) error { _, err := decodeBatch(b); return err }
func snapErr(b []byte) error  { _, err := decodeSnapshot(b); return err }
func cmdErr(b []byte) error   { _, err := decodeCommand(b); return err }

// TestCommandRoundTrip: a hand-off survives the trip whole.
func TestCommandRoundTrip(t *testing.T) {
	t.Parallel()
	d := ecs.Departure{Actor: ecs.ActorState{ID: 3, Name: "ann", Avatar: 2, Intent: ecs.Intent{FromX: 1.5, ToX: 1e-9, Tick: 1 << 40, Step: 3.5, Seq: 9}},
		Pos: ecs.Position{X: 0.1, Y: -0.2}, Back: ecs.Position{X: -0.3}, Saved: ecs.Position{X: 7}, Moving: true, Login: 1<<63 + 5,
		From: ecs.CellKey{X: -1}, To: ecs.CellKey{Y: 2}, Tick: 1<<40 + 3}
	data, err := encodeCommand(ecs.Command{Kind: ecs.Arrive, Arrival: &d}, 7)
	if err != nil {
		t.Fatal(err)
	}
	c, m, err := decodeCommandMsg(data)
	if err != nil || c.Kind != ecs.Arrive || !reflect.DeepEqual(*c.Arrival, d) || m.From != 7 {
		t.Fatalf("got %+v from %d, %v", c.Arrival, m.From, err)
	}
}

// FuzzDecode: no message makes a decoder panic, and whatever one accepts
// passes the checks it promises.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"Inc":1,"Seq":1,"Facts":[{"Kind":1,"Actor":{"ID":1,"Name":"a"}}]}`, `{"Actors":[]}`,
		`{"Kind":2,"Login":1,"Actor":{"ID":1}}`, `{"Kind":4,"Arrival":{"Actor":{"ID":1}}}`, `{"Kind":6,"Login":1,"Actor":{"ID":1},"Name":"Target","Data":[1,2]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if b, err := decodeBatch(data); err == nil {
			for _, x := range b.Facts {
				if x.Kind < ecs.Entered || x.Kind > ecs.Said || x.Actor.Avatar < 0 || x.Actor.Avatar > ecs.MaxAvatar {
					t.Errorf("accepted %+v", x)
				}
			}
		}
		decodeSnapshot(data) //nolint:errcheck // must not panic
		if c, err := decodeCommand(data); err == nil && (c.Kind < ecs.Spawn || c.Kind > ecs.ModCommand || c.Kind == ecs.Return || (c.Kind == ecs.Arrive) != (c.Arrival != nil)) {
			t.Errorf("accepted %+v", c)
		}
	})
}
