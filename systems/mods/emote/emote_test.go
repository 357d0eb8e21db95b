package emote

import (
	"encoding/json"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args, data, deny string
	}{
		{`["wave"]`, `{"emote":"wave"}`, ""},
		{`["heart"]`, `{"emote":"heart"}`, ""},
		{`["moonwalk"]`, "", deny},
		{`[3]`, "", deny},
		{`[]`, "", deny},
		{`["wave","wave"]`, "", deny},
		{`[null]`, "", deny},
	}
	for _, tc := range tests {
		var args []json.RawMessage
		if err := json.Unmarshal([]byte(tc.args), &args); err != nil {
			t.Fatal(err)
		}
		data, d := check(args)
		if string(data) != tc.data || d != tc.deny {
			t.Errorf("check(%s) = %s, %q; want %s, %q", tc.args, data, d, tc.data, tc.deny)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte(`["wave"]`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		var args []json.RawMessage
		if json.Unmarshal(msg, &args) != nil {
			return
		}
		if data, d := check(args); (d == "") == (data == nil) || d == "" && !json.Valid(data) {
			t.Fatalf("check(%s) = %s, %q", msg, data, d)
		}
	})
}
