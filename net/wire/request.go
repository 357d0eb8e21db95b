package wire

import (
	"encoding/json"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
)

// ServerName is the sender of operators' chat lines; no account may take it.
const ServerName = "server"

// Bounds of the requests' fields.
const (
	maxToken     = 64
	MaxUsername  = 32
	MaxPassword  = 72
	MaxChatRunes = 256
	maxMarks     = 8 // combining marks on one letter: enough for any script, not for a tower
)

// Request is a validated client packet.
type Request struct {
	Action   string
	Username string
	Password string
	Avatar   int
	// Token is a Resume's resume token.
	Token string
	// Command is the mod command the packet names, if it does, and Data
	// its arguments, as its Check returned them.
	Command mod.Command
	Data    json.RawMessage
	// Ignore says the command's Check dropped it (mod.Ignore).
	Ignore bool
}

// payloadCount is how many payloads each client action needs.
var payloadCount = map[string]int{ActRegister: 3, ActLogin: 2, ActResume: 1}

// ParseRequest checks a packet's action and payloads, the core's or a mod
// command's of mods. When they are not acceptable it says why.
func ParseRequest(p Packet, mods map[string]mod.Command) (r Request, deny Refusal) {
	r.Action = p.Action
	n, known := payloadCount[p.Action]
	if !known {
		if c, ok := mods[p.Action]; ok {
			r.Command = c
			r.Data, r.Ignore, deny = checkMod(c, p.Payloads)
			return r, deny
		}
		return r, Refusal{Code: UnknownAction, Arg: p.Action}
	}
	if len(p.Payloads) < n {
		return r, Refusal{Code: MissingPayloads, Arg: p.Action}
	}
	switch p.Action {
	case ActRegister, ActLogin:
		var ok1, ok2 bool
		r.Username, ok1 = p.String(0)
		r.Password, ok2 = p.String(1)
		if !ok1 || !ok2 {
			return r, Refusal{Code: NotText, Arg: p.Action}
		}
		if r.Username == "" || r.Password == "" {
			return r, Refusal{Code: EmptyCredentials}
		}
		if p.Action == ActLogin {
			return r, Refusal{}
		}
		if !ValidUsername(r.Username) {
			return r, Refusal{Code: BadUsername}
		}
		if len(r.Password) > MaxPassword {
			return r, Refusal{Code: LongPassword}
		}
		a, ok := p.Number(2)
		if !ok || a != math.Trunc(a) || a < 0 || a > ecs.MaxAvatar {
			return r, Refusal{Code: BadAvatar}
		}
		r.Avatar = int(a)
	case ActResume:
		var ok bool
		if r.Token, ok = p.String(0); !ok || r.Token == "" || len(r.Token) > maxToken {
			return r, Refusal{Code: ResumeToken}
		}
	}
	return r, Refusal{}
}

// checkMod runs a mod command's Check. A Check that panics, or returns
// what is not JSON, refuses the command rather than take the server down.
func checkMod(c mod.Command, args []json.RawMessage) (data json.RawMessage, ignore bool, deny Refusal) {
	defer func() {
		if recover() != nil {
			data, ignore, deny = nil, false, Refusal{Code: ModArgs, Arg: c.Name}
		}
	}()
	data, reason := c.Check(args)
	switch {
	case reason == mod.Ignore:
		return nil, true, Refusal{}
	case reason != "":
		return nil, false, Refusal{Code: ModRefused, Arg: reason}
	case len(data) > 0 && !json.Valid(data):
		return nil, false, Refusal{Code: ModArgs, Arg: c.Name}
	}
	return data, false, Refusal{}
}

// ValidUsername allows 1–32 ASCII letters, digits, '_' and '-'.
func ValidUsername(s string) bool {
	if len(s) == 0 || len(s) > MaxUsername {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Truncate shortens s to at most n bytes for messages and logs.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// ChatText refuses a chat line that is too long, has control characters or
// is not UTF-8; the zero Refusal when it may be said.
func ChatText(text string) (deny Refusal) {
	switch {
	case utf8.RuneCountInString(text) > MaxChatRunes:
		return Refusal{Code: ChatTooLong}
	case strings.IndexFunc(text, unicode.IsControl) >= 0 || !utf8.ValidString(text):
		return Refusal{Code: ChatControl}
	}
	return Refusal{}
}

// ScreenChat looks at what a chat line that passed ChatText shows: blank
// when nothing (spaces, format characters, marks with nothing to mark, the
// blank "filler" letters), so it is dropped like an empty line; a
// refusal when it carries an embedding, override or isolate control
// (U+202A–U+202E, U+2066–U+2069), which reorder how the rest of a chat
// window reads; a line or paragraph separator (U+2028, U+2029), which
// breaks the line in two and can fake a second sender's line under it; and
// more than maxMarks combining marks on one letter, which pile up over the
// lines above it.
func ScreenChat(text string) (deny Refusal, blank bool) {
	if invisible(text) {
		return Refusal{}, true
	}
	if hasBidiOverride(text) {
		return Refusal{Code: ChatDirection}, false
	}
	if strings.ContainsAny(text, "\u2028\u2029") {
		return Refusal{Code: ChatLines}, false
	}
	if stackedMarks(text) > maxMarks {
		return Refusal{Code: ChatMarks}, false
	}
	return Refusal{}, false
}

// stackedMarks is the most combining marks text puts on one letter
// (format characters between them, such as joiners, do not end a stack).
func stackedMarks(text string) int {
	most, n := 0, 0
	for _, r := range text {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me):
			n++
			most = max(most, n)
		case unicode.Is(unicode.Cf, r):
		default:
			n = 0
		}
	}
	return most
}

// hasBidiOverride reports whether text carries an embedding, override or
// isolate control.
func hasBidiOverride(text string) bool {
	return strings.IndexFunc(text, func(r rune) bool {
		return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
	}) >= 0
}

// invisible reports whether text shows nothing.
func invisible(text string) bool {
	for _, r := range text {
		switch {
		case unicode.IsSpace(r), unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me, unicode.Variation_Selector):
		case r == '\u115F', r == '\u1160', r == '\u3164', r == '\uFFA0', r == '\u2800', r == '\u034F', r == '\u180E':
		default:
			return false
		}
	}
	return true
}
