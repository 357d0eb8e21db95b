package net

import (
	"fmt"
	"testing"
)

func TestOutbox(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		maxMsgs  int
		maxBytes int
		push     []string
		accepted []bool
	}{
		{"in order", 10, 100, []string{"a", "b", "c"}, []bool{true, true, true}},
		{"message limit", 2, 100, []string{"x", "y", "z"}, []bool{true, true, false}},
		{"byte limit", 10, 5, []string{"abc", "de", "f"}, []bool{true, true, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newOutbox(tc.maxMsgs, tc.maxBytes)
			var want []string
			for i, p := range tc.push {
				if got := o.push([]byte(p)); got != tc.accepted[i] {
					t.Fatalf("push %q: %v, want %v", p, got, tc.accepted[i])
				}
				if tc.accepted[i] {
					want = append(want, p)
				}
			}
			got := o.take(nil)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
				t.Errorf("took %q, want %q", got, want)
			}
			if len(o.take(nil)) != 0 || !o.push([]byte("again")) {
				t.Error("take did not empty the outbox")
			}
		})
	}
}
