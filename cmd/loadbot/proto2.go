package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Protocol v2 (docs/protocol-v2.md), again without the server's codec: the
// client sends one JSON array per packet, the server one JSON array of
// packets per tick.

// subprotocolV2 is the WebSocket subprotocol that asks for v2.
const subprotocolV2 = "godmmo.v2"

// clientPacketV2 encodes ["Action", payloads…].
func clientPacketV2(action string, payloads ...any) []byte {
	b, err := json.Marshal(append([]any{action}, payloads...))
	if err != nil {
		panic(fmt.Sprintf("loadbot: v2 packet %s: %v", action, err)) // only ever called with strings and numbers
	}
	return b
}

// errV2 is a message that is not a v2 server message.
var errV2 = errors.New("not a v2 server message")

// scanner walks a v2 message byte by byte. It reads every byte but decodes
// only what it is asked to: in a crowded room a bot gets thousands of other
// actors' moves a second, and skipping a number is far cheaper than parsing it.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) peek() byte {
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return c
		}
	}
	return 0
}

func (s *scanner) consume(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// rawString reads a JSON string and returns its bytes between the quotes,
// and whether it holds escapes.
func (s *scanner) rawString() (raw []byte, escaped, ok bool) {
	if !s.consume('"') {
		return nil, false, false
	}
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.i++
			return s.b[start : s.i-1], escaped, true
		case '\\':
			escaped = true
			s.i += 2
		default:
			s.i++
		}
	}
	return nil, false, false
}

// str reads a JSON string as a Go string.
func (s *scanner) str() (string, bool) {
	start := s.i
	raw, esc, ok := s.rawString()
	if !ok || !esc {
		return string(raw), ok
	}
	var v string
	if err := json.Unmarshal(s.b[start:s.i], &v); err != nil {
		return "", false
	}
	return v, true
}

// rawNumber reads a JSON number's bytes without parsing them.
func (s *scanner) rawNumber() ([]byte, bool) {
	s.peek()
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c >= '0' && c <= '9' || c == '-' || c == '.' || c == 'e' || c == 'E' || c == '+' {
			s.i++
			continue
		}
		break
	}
	return s.b[start:s.i], s.i > start
}

func (s *scanner) float() (float64, bool) {
	raw, ok := s.rawNumber()
	if !ok {
		return 0, false
	}
	if f, ok := decimal(raw); ok {
		return f, true
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, err == nil
}

// pow10 are the exact powers of ten decimal divides by.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// decimal reads the numbers the server writes, -?digits(.digits)? with at
// most 15 digits, as strconv.ParseFloat would (both parts are exact in a
// float64, and one division rounds correctly) in a fraction of its time;
// ok is false for any other form, which is left to ParseFloat.
func decimal(b []byte) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var mant uint64
	digits, frac := 0, -1
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
		case c == '.' && frac < 0 && i > 0:
			frac = 0
			continue
		default:
			return 0, false
		}
		if frac >= 0 {
			frac++
		}
	}
	if digits == 0 || digits > 15 || frac == 0 {
		return 0, false
	}
	f := float64(mant) / pow10[max(frac, 0)]
	if neg {
		f = -f
	}
	return f, true
}

func (s *scanner) int() (int64, bool) {
	raw, ok := s.rawNumber()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

// skip passes over one JSON value of any kind.
func (s *scanner) skip() bool {
	switch s.peek() {
	case '"':
		_, _, ok := s.rawString()
		return ok
	case '[', '{':
		open := s.b[s.i]
		end := byte(']')
		if open == '{' {
			end = '}'
		}
		s.i++
		if s.consume(end) {
			return true
		}
		for {
			if open == '{' {
				if _, _, ok := s.rawString(); !ok || !s.consume(':') {
					return false
				}
			}
			if !s.skip() {
				return false
			}
			if s.consume(',') {
				continue
			}
			return s.consume(end)
		}
	case 't', 'f', 'n':
		start := s.i
		for s.i < len(s.b) && s.b[s.i] >= 'a' && s.b[s.i] <= 'z' {
			s.i++
		}
		switch string(s.b[start:s.i]) {
		case "true", "false", "null":
			return true
		}
		return false
	}
	_, ok := s.rawNumber()
	return ok
}

// floats reads ", f" n times into dst.
func (s *scanner) floats(dst ...*float64) bool {
	for _, d := range dst {
		var ok bool
		if !s.consume(',') {
			return false
		}
		if *d, ok = s.float(); !ok {
			return false
		}
	}
	return true
}

// Server packet kinds only v2 has.
const (
	kindLeave kind = iota + kindDisconnect + 1 // ["L", id]: out of view
)

// parseMessageV2 reads one server message, calling handle with each packet
// in order (so that an ["ok"] can change what wantPos answers for the ["E"]
// after it). E is a full model (kindModel, full), M a delta that carries the
// target too (hasTarget), Q a Disconnect, L kindLeave. Positions are read
// only for the actors wantPos names.
func parseMessageV2(msg []byte, wantPos func(id int64) bool, handle func(serverPacket)) (packets int, err error) {
	s := scanner{b: msg}
	if !s.consume('[') {
		return 0, fmt.Errorf("%w: not an array", errV2)
	}
	if !s.consume(']') {
		for {
			p, err := s.packet(wantPos)
			if err != nil {
				return packets, err
			}
			packets++
			handle(p)
			if s.consume(',') {
				continue
			}
			if s.consume(']') {
				break
			}
			return packets, fmt.Errorf("%w: packets not separated by commas", errV2)
		}
	}
	if s.peek() != 0 || s.i != len(s.b) {
		return packets, fmt.Errorf("%w: bytes after the array", errV2)
	}
	return packets, nil
}

// packet reads one ["type", …] packet.
func (s *scanner) packet(wantPos func(int64) bool) (serverPacket, error) {
	var p serverPacket
	if !s.consume('[') {
		return p, fmt.Errorf("%w: a packet is not an array", errV2)
	}
	typ, esc, ok := s.rawString()
	if !ok || esc {
		return p, fmt.Errorf("%w: a packet without a type", errV2)
	}
	bad := func(what string) (serverPacket, error) {
		return p, fmt.Errorf("%w: %s packet %s", errV2, typ, what)
	}
	id := func() bool {
		var ok bool
		if s.consume(',') {
			p.id, ok = s.int()
		}
		return ok
	}
	switch string(typ) {
	case "ok":
		p.kind = kindOk
	case "deny":
		p.kind = kindDeny
		if !s.consume(',') {
			return bad("without a reason")
		}
		if p.text, ok = s.str(); !ok {
			return bad("without a text reason")
		}
	case "E", "M":
		p.kind, p.full = kindModel, typ[0] == 'E'
		if !id() {
			return bad("without an actor id")
		}
		if p.full && !(s.consume(',') && s.skip() && s.consume(',') && s.skip()) { // name, avatar
			return bad("without name and avatar")
		}
		if wantPos(p.id) {
			if !s.floats(&p.x, &p.y, &p.tx, &p.ty, &p.speed) {
				return bad("without x, y, tx, ty, speed")
			}
			p.hasPos, p.hasTarget = true, true
		}
	case "C":
		p.kind = kindChat
		if !s.consume(',') {
			return bad("without a name")
		}
		if p.from, ok = s.str(); !ok || !s.consume(',') {
			return bad("without a text name")
		}
		if p.text, ok = s.str(); !ok {
			return bad("without a text message")
		}
	case "L", "Q":
		p.kind = kindLeave
		if typ[0] == 'Q' {
			p.kind = kindDisconnect
		}
		if !id() {
			return bad("without an actor id")
		}
	default:
		p.kind = kindOther
	}
	for s.consume(',') { // the rest, unread but every byte passed over
		if !s.skip() {
			return bad("with a malformed element")
		}
	}
	if !s.consume(']') {
		return bad("not closed")
	}
	return p, nil
}
