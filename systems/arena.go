package systems

// arena holds a tick's encoded packets back to back: one allocation per tick
// instead of one per packet. Each tick starts a new one, because sessions may
// still be writing the last one's bytes.
type arena struct{ buf []byte }

// reset starts a new arena sized from the last tick's use.
func (a *arena) reset() { a.buf = make([]byte, 0, max(4096, len(a.buf)+len(a.buf)/8)) }

// keep takes the buffer returned by appending one packet to a.buf and returns
// that packet, capped so that nothing appended later can write into it.
func (a *arena) keep(grown []byte) []byte {
	start := len(a.buf)
	a.buf = grown
	return a.buf[start:len(a.buf):len(a.buf)]
}
