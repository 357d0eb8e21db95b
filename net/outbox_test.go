package net

import (
	"fmt"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

func TestOutbox(t *testing.T) {
	t.Parallel()
	move := func(id int64, s string) ecs.Packet { return ecs.Packet{Bytes: []byte(s), Move: id} }
	other := func(s string) ecs.Packet { return ecs.Packet{Bytes: []byte(s)} }
	tests := []struct {
		name     string
		maxMsgs  int
		maxBytes int
		push     []ecs.Packet
		accepted []bool
		want     []string
	}{
		{"newer move replaces a waiting one", 10, 100,
			[]ecs.Packet{move(1, "a1"), move(2, "b1"), move(1, "a2")},
			[]bool{true, true, true}, []string{"a2", "b1"}},
		{"other messages end replacing", 10, 100,
			[]ecs.Packet{move(1, "a1"), other("leave1"), move(1, "a2")},
			[]bool{true, true, true}, []string{"a1", "leave1", "a2"}},
		{"message limit", 2, 100,
			[]ecs.Packet{other("x"), other("y"), other("z"), move(3, "m")},
			[]bool{true, true, false, false}, []string{"x", "y"}},
		{"byte limit", 10, 5,
			[]ecs.Packet{other("abc"), other("de"), other("f")},
			[]bool{true, true, false}, []string{"abc", "de"}},
		{"a full outbox still takes a replacement", 1, 100,
			[]ecs.Packet{move(1, "a1"), move(1, "a2"), move(2, "b1")},
			[]bool{true, true, false}, []string{"a2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newOutbox(tc.maxMsgs, tc.maxBytes)
			var accepted []bool
			for _, p := range tc.push {
				accepted = append(accepted, o.push(p))
			}
			var got []string
			for _, b := range o.take(nil) {
				got = append(got, string(b))
			}
			if fmt.Sprint(accepted) != fmt.Sprint(tc.accepted) || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("accepted %v, took %q; want %v, %q", accepted, got, tc.accepted, tc.want)
			}
			if len(o.take(nil)) != 0 || o.bytes != 0 {
				t.Error("take did not empty the outbox")
			}
		})
	}
}
