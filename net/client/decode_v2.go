package client

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// v2: a message is a JSON array of packets, each an array whose first
// element is its type. Elements past the ones this client knows are
// passed over, so a newer server's additions never break it.

// decodeV2 reads one v2 message packet by packet.
func (d *Decoder) decodeV2(msg []byte, handle func(Event)) (packets int, err error) {
	s := scanner{b: msg}
	if !s.consume('[') {
		return 0, fmt.Errorf("%w: v2: not an array", ErrMalformed)
	}
	if !s.consume(']') {
		for {
			e, err := d.packetV2(&s)
			if err != nil {
				return packets, err
			}
			packets++
			handle(e)
			if s.consume(',') {
				continue
			}
			if s.consume(']') {
				break
			}
			return packets, fmt.Errorf("%w: v2: packets not separated by commas", ErrMalformed)
		}
	}
	if s.peek() != 0 || s.i != len(s.b) {
		return packets, fmt.Errorf("%w: v2: bytes after the array", ErrMalformed)
	}
	return packets, nil
}

// packetV2 reads one ["type", …] packet.
func (d *Decoder) packetV2(s *scanner) (Event, error) {
	var e Event
	if !s.consume('[') {
		return e, fmt.Errorf("%w: v2: a packet is not an array", ErrMalformed)
	}
	typ, esc, ok := s.rawString()
	if !ok || esc {
		return e, fmt.Errorf("%w: v2: a packet without a type", ErrMalformed)
	}
	bad := func(what string) (Event, error) {
		return e, fmt.Errorf("%w: v2 %s packet %s", ErrMalformed, typ, what)
	}
	next := func() bool { return s.consume(',') }
	switch string(typ) {
	case "ok":
		e.Kind = Ok
		if next() {
			if e.Token, ok = s.str(); !ok {
				return bad("with a token that is not a string")
			}
		}
	case "deny":
		e.Kind = Deny
		if !next() {
			return bad("without a reason")
		}
		if e.Text, ok = s.str(); !ok {
			return bad("without a text reason")
		}
	case "hello":
		e.Kind = Hello
		raw, ok := s.value(next())
		e.Hello = new(HelloInfo)
		if !ok || json.Unmarshal(raw, e.Hello) != nil {
			return bad("without an object of limits")
		}
	case "T":
		e.Kind = Tick
		if !next() {
			return bad("without a tick")
		}
		if e.Tick, ok = s.uint(); !ok {
			return bad("without a tick")
		}
		e.HasTick = true
	case "E", "M":
		e.Kind = Move
		if typ[0] == 'E' {
			e.Kind = Enter
		}
		if !next() {
			return bad("without an actor id")
		}
		if e.ID, ok = s.int(); !ok {
			return bad("without an actor id")
		}
		if d.wants(e.ID) && !s.walk(&e) {
			return bad("without its name, avatar, x, y, tx, ty and speed")
		}
	case "C":
		e.Kind = Chat
		if !next() {
			return bad("without a name")
		}
		if e.From, ok = s.str(); !ok || !next() {
			return bad("without a text name")
		}
		if e.Text, ok = s.str(); !ok {
			return bad("without a text message")
		}
	case "L", "Q":
		e.Kind = Leave
		if typ[0] == 'Q' {
			e.Kind = Quit
		}
		if !next() {
			return bad("without an actor id")
		}
		if e.ID, ok = s.int(); !ok {
			return bad("without an actor id")
		}
	case "m":
		e.Kind = Message
		if !next() {
			return bad("without a name")
		}
		if e.Name, ok = s.str(); !ok || !next() {
			return bad("without a text name")
		}
		if e.ID, ok = s.int(); !ok {
			return bad("without an entity id")
		}
		raw, ok := s.value(next())
		if !ok {
			return bad("without data")
		}
		e.Data = jsonOrNil(raw)
	}
	for next() { // the rest, unread but every byte passed over
		if !s.skip() {
			return bad("with a malformed element")
		}
	}
	if !s.consume(']') {
		return bad("not closed")
	}
	return e, nil
}

// walk reads the rest of a wanted E or M after its id: an E's name and
// avatar, then x, y, tx, ty, speed, and what may follow: an E's entity kind
// and state, and the tick x, y was at, last. A player's E tells its tick
// (a number) from an entity's kind (a string) by the element after speed.
func (s *scanner) walk(e *Event) bool {
	var ok bool
	if e.Kind == Enter {
		if !s.consume(',') {
			return false
		}
		if e.Name, ok = s.str(); !ok || !s.consume(',') {
			return false
		}
		var avatar int64
		if avatar, ok = s.int(); !ok {
			return false
		}
		e.Avatar = int(avatar)
	}
	if !s.floats(&e.X, &e.Y, &e.TX, &e.TY, &e.Speed) {
		return false
	}
	e.HasPos, e.HasTarget = true, true
	if e.Kind == Enter && s.peekAfterComma() == '"' {
		s.consume(',')
		if e.Entity, ok = s.str(); !ok {
			return false
		}
		raw, ok := s.value(s.consume(','))
		if !ok {
			return false
		}
		e.State = jsonOrNil(raw)
	}
	if c := s.peekAfterComma(); c == '-' || c >= '0' && c <= '9' {
		s.consume(',')
		if e.Tick, ok = s.uint(); !ok {
			return false
		}
		e.HasTick = true
	}
	return true
}

// jsonOrNil copies a JSON value out of the message, nil for null.
func jsonOrNil(raw []byte) json.RawMessage {
	if string(raw) == "null" {
		return nil
	}
	return append(json.RawMessage(nil), raw...)
}

// scanner walks a message byte by byte. It reads every byte but decodes
// only what it is asked to.
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

// peekAfterComma is the first byte of the next element, 0 when there is
// none; it consumes nothing.
func (s *scanner) peekAfterComma() byte {
	at := s.i
	defer func() { s.i = at }()
	if !s.consume(',') {
		return 0
	}
	return s.peek()
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
	s.peek()
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

// value returns the bytes of the next JSON value, checked; present is
// false when there is none (a missing element), which fails.
func (s *scanner) value(present bool) ([]byte, bool) {
	if !present {
		return nil, false
	}
	s.peek()
	start := s.i
	if !s.skip() || !json.Valid(s.b[start:s.i]) {
		return nil, false
	}
	return s.b[start:s.i], true
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

func (s *scanner) int() (int64, bool) {
	raw, ok := s.rawNumber()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

func (s *scanner) uint() (uint64, bool) {
	raw, ok := s.rawNumber()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw), 10, 64)
	return n, err == nil
}

// floats reads ", f" for each of dst.
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
