package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// The v1 actions.
const (
	ActRegister   = "Register"
	ActLogin      = "Login"
	ActChat       = "Chat"
	ActTarget     = "Target"
	ActResume     = "Resume"
	ActOk         = "Ok"
	ActDeny       = "Deny"
	ActModelDelta = "ModelDelta"
	ActDisconnect = "Disconnect"
)

// Packet is a decoded v1 packet: an action and its positional payloads.
type Packet struct {
	Action   string
	Payloads []json.RawMessage
}

// maxPayloads bounds how many p0…pN keys a packet may carry.
const maxPayloads = 8

// ErrNotPacket means a message is not a v1 packet at all.
var ErrNotPacket = errors.New("not a packet")

// Decode parses one v1 message: a JSON object with a string "a" and
// payloads "p0", "p1", … in any key order. Other keys are ignored.
func Decode(msg []byte) (Packet, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(msg, &raw); err != nil || raw == nil {
		return Packet{}, fmt.Errorf("%w: want a JSON object", ErrNotPacket)
	}
	var p Packet
	if err := json.Unmarshal(raw["a"], &p.Action); err != nil || p.Action == "" {
		return Packet{}, fmt.Errorf("%w: want a string action in \"a\"", ErrNotPacket)
	}
	for i := range maxPayloads {
		v, ok := raw["p"+strconv.Itoa(i)]
		if !ok {
			break
		}
		p.Payloads = append(p.Payloads, v)
	}
	return p, nil
}

// String reads payload i as a JSON string.
func (p Packet) String(i int) (string, bool) {
	var s string
	if i >= len(p.Payloads) || isNull(p.Payloads[i]) || json.Unmarshal(p.Payloads[i], &s) != nil {
		return "", false
	}
	return s, true
}

// Number reads payload i as a finite JSON number.
func (p Packet) Number(i int) (float64, bool) {
	var f float64
	if i >= len(p.Payloads) || isNull(p.Payloads[i]) || json.Unmarshal(p.Payloads[i], &f) != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// isNull reports whether a payload is JSON null, which Unmarshal would
// silently accept as a zero value.
func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// appendCoord writes a coordinate with two decimals, never as "-0.00".
func appendCoord(b []byte, v float64) []byte {
	v = math.Round(v*100) / 100
	if v == 0 {
		v = 0 // drops the sign of -0
	}
	return strconv.AppendFloat(b, v, 'f', 2, 64)
}

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
