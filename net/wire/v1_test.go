package wire

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

var update = flag.Bool("update", false, "rewrite the golden packets in testdata/golden")

// TestV1Golden compares every server packet with its golden file, and checks
// that each is JSON with "a" first and then p0, p1, … in order.
func TestV1Golden(t *testing.T) {
	t.Parallel()
	enc := v1Enc{}
	tests := []struct {
		name string
		msg  []byte
	}{
		{"ok", enc.Ok()},
		{"deny", enc.Deny(textOf(Credentials))},
		{"full", enc.AppendEnter(nil, ecs.ActorState{ID: 12, Name: "tristan", Avatar: 3}, 198.21, 78.42)},
		{"full_origin", enc.AppendEnter(nil, ecs.ActorState{ID: 1, Name: "a", Avatar: 0}, 0, 0)},
		{"move", enc.AppendMove(nil, 12, 200.5, 78.42)},
		{"move_negative", enc.AppendMove(nil, 7, -0.004, -12.345)},
		{"chat", enc.Chat("tristan", "hello \"you\" \\ [b]x[/b] é 🙂")},
		{"chat_invalid_utf8", enc.Chat("a", "bad \xff byte\x01")},
		{"disconnect", enc.Quit(12)},
		{"leave", enc.Leave(12)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, tc.name, tc.msg)
			checkOrder(t, tc.msg)
		})
	}
}

// checkGolden compares msg with testdata/golden/NAME.json, first rewriting
// the file when the test runs with -update.
func checkGolden(t *testing.T, name string, msg []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, append(bytes.Clone(msg), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := append(bytes.Clone(msg), '\n'); !bytes.Equal(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// checkOrder fails unless msg is a JSON object whose keys are a, p0, p1, …
func checkOrder(t *testing.T, msg []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(msg))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s is not a JSON object", msg)
	}
	for i := 0; dec.More(); i++ {
		key, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		want := "a"
		if i > 0 {
			want = "p" + string(rune('0'+i-1))
		}
		if key != want {
			t.Errorf("%s: key %d is %v, want %s", msg, i, key, want)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
	}
}

func TestDecodeAndParse(t *testing.T) {
	t.Parallel()
	tests := []parseCase{
		{"register", `{"a":"Register","p0":"tristan","p1":"pw","p2":3}`, Request{Action: ActRegister, Username: "tristan", Password: "pw", Avatar: 3}, ""},
		{"register avatar as float", `{"a":"Register","p0":"t","p1":"pw","p2":3.0}`, Request{Action: ActRegister, Username: "t", Password: "pw", Avatar: 3}, ""},
		{"payloads out of order", `{"p1":"pw","a":"Login","p0":"t"}`, Request{Action: ActLogin, Username: "t", Password: "pw"}, ""},
		{"login keeps odd names for lookup", `{"a":"Login","p0":"t t","p1":"pw"}`, Request{Action: ActLogin, Username: "t t", Password: "pw"}, ""},
		{"extra keys ignored", `{"a":"Login","p0":"t","p1":"pw","x":"y"}`, Request{Action: ActLogin, Username: "t", Password: "pw"}, ""},
		{"not an object", `"Login"`, Request{}, textOf(NotPacket)},
		{"null", `null`, Request{}, textOf(NotPacket)},
		{"no action", `{"p0":1}`, Request{}, textOf(NotPacket)},
		{"empty action", `{"a":""}`, Request{}, textOf(NotPacket)},
		{"unknown", `{"a":"Jump"}`, Request{Action: "Jump"}, `Unknown action "Jump"`},
		{"a command no mod registered", `{"a":"Target","p0":1,"p1":2}`, Request{Action: ActTarget}, `Unknown action "Target"`},
		{"missing p1", `{"a":"Login","p0":"t"}`, Request{Action: ActLogin}, "Login needs 2 payloads (p0 to p1)"},
		{"gap in payloads", `{"a":"Login","p0":"t","p2":"pw"}`, Request{Action: ActLogin}, "Login needs 2 payloads (p0 to p1)"},
		{"login name not text", `{"a":"Login","p0":1,"p1":"pw"}`, Request{Action: ActLogin}, "Login needs a text username and password"},
		{"login null", `{"a":"Login","p0":null,"p1":"pw"}`, Request{Action: ActLogin}, "Login needs a text username and password"},
	}
	runParseCases(t, Decode, tests)
}

// parseCase is a client message and what decoding and parsing it must give.
type parseCase struct {
	name string
	msg  string
	want Request
	deny string
}

// runParseCases decodes each message with decode, parses it, and checks the
// request or the Deny reason.
func runParseCases(t *testing.T, decode func([]byte) (Packet, error), tests []parseCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := decode([]byte(tc.msg))
			var got Request
			deny := Refusal{Code: NotPacket}
			if err == nil {
				got, deny = ParseRequest(p, nil)
			}
			if deny.Text() != tc.deny {
				t.Fatalf("deny %q, want %q", deny.Text(), tc.deny)
			}
			if tc.deny == "" && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzDecode feeds arbitrary messages to the decoder and request parser:
// they must never panic, and what they accept must be a known action with
// values inside the limits.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "packets", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		p, err := Decode(msg)
		if err != nil {
			return
		}
		if r, deny := ParseRequest(p, nil); !deny.Refused() {
			checkAccepted(t, r)
		}
	})
}

// checkAccepted fails unless an accepted request is a known action with
// values inside the limits.
func checkAccepted(t *testing.T, r Request) {
	t.Helper()
	switch r.Action {
	case ActRegister:
		if !ValidUsername(r.Username) || r.Password == "" || len(r.Password) > MaxPassword || r.Avatar < 0 || r.Avatar > ecs.MaxAvatar {
			t.Errorf("accepted bad registration %+v", r)
		}
	case ActLogin:
		if r.Username == "" || r.Password == "" {
			t.Errorf("accepted empty login %+v", r)
		}
	case ActResume:
		if r.Token == "" {
			t.Errorf("accepted empty resume %+v", r)
		}
	default:
		t.Errorf("accepted unknown action %q", r.Action)
	}
}

func TestInvisibleAndBidi(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text      string
		invisible bool
		bidi      bool
	}{
		{"hello", false, false},
		{"   ", true, false},
		{"\u200b", true, false}, // zero-width space
		{"\u200b\u200c\u200d\u2060", true, false},
		{"\u3164\u3164", true, false}, // Hangul filler
		{"\u2800", true, false},       // braille blank
		{"\ufe0f\u0301", true, false}, // a variation selector and a mark with nothing to mark
		{"a\u200b", false, false},
		{"é", false, false},
		{"abc\u202edcba", false, true},  // right-to-left override
		{"\u202a", true, true},          // an embedding alone is both
		{"x\u2066y\u2069", false, true}, // isolates
		{"\u200f", true, false},         // a mark (not an override) shows nothing
	}
	for _, tc := range tests {
		if got := invisible(tc.text); got != tc.invisible {
			t.Errorf("invisible(%+q) = %v, want %v", tc.text, got, tc.invisible)
		}
		if got := hasBidiOverride(tc.text); got != tc.bidi {
			t.Errorf("hasBidiOverride(%+q) = %v, want %v", tc.text, got, tc.bidi)
		}
	}
}

// TestScreenChat checks the answers of ScreenChat: what is relayed, what is
// dropped as blank and what is refused, with which Deny.
func TestScreenChat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text  string
		deny  string
		blank bool
	}{
		{"hello", "", false},
		{"\u200b", "", true},
		{"abc\u202edcba", textOf(ChatDirection), false},
		{"one\u2028alice: two", textOf(ChatLines), false},
		{"one\u2029two", textOf(ChatLines), false},
		{"Vi\u1EC7t", "", false},                       // a precomposed letter with two marks
		{"e\u0302\u0323", "", false},                   // the same, decomposed
		{"\u0915\u094d\u0937", "", false},              // Devanagari with a virama
		{"a" + strings.Repeat("\u0301", 8), "", false}, // eight marks on one letter: allowed
		{"a" + strings.Repeat("\u0301", 9), textOf(ChatMarks), false},
		{"a" + strings.Repeat("\u0301\u200d", 250), textOf(ChatMarks), false}, // joiners between do not end a stack
		{"a" + strings.Repeat("\u0301", 5) + "b" + strings.Repeat("\u0301", 5), "", false},
	}
	for _, tc := range tests {
		deny, blank := ScreenChat(tc.text)
		if deny.Text() != tc.deny || blank != tc.blank {
			t.Errorf("ScreenChat(%+q) = %q, %v; want %q, %v", tc.text, deny.Text(), blank, tc.deny, tc.blank)
		}
	}
}

// textOf is the words of a refusal that names nothing.
func textOf(c Code) string { return Refusal{Code: c}.Text() }
