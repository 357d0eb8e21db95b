package client

import (
	"errors"

	"github.com/godmmo/godmmo/net/wire"
)

// ErrMalformed is a server message this client cannot read: not the
// protocol's shape. Decode wraps it with what was wrong.
var ErrMalformed = errors.New("malformed server message")

// Decoder reads the server messages of one protocol.
type Decoder struct {
	proto wire.Protocol
	// positions says whose positions, walks, names and ticks to read; nil:
	// everyone's.
	positions func(id int64) bool
}

// NewDecoder is a decoder of protocol p that reads the positions (and
// names, walks, ticks) only of the actors positions names, or everyone's
// when positions is nil. Of the others an Enter or Move carries only its
// id: in a crowd a client gets thousands of other actors' moves a second,
// and passing over a number is far cheaper than reading it.
func NewDecoder(p wire.Protocol, positions func(id int64) bool) *Decoder {
	return &Decoder{proto: p, positions: positions}
}

// Decode reads one server message and calls handle with each of its
// packets in order (v1 has one a message, v2 a tick's), so that handling an
// Ok may change what positions answers for the Enter after it. It returns
// how many packets it read; on an error, those before it were handled.
func (d *Decoder) Decode(msg []byte, handle func(Event)) (packets int, err error) {
	if d.proto == wire.V2 {
		return d.decodeV2(msg, handle)
	}
	e, err := d.decodeV1(msg)
	if err != nil {
		return 0, err
	}
	handle(e)
	return 1, nil
}

// wants says whether to read the positions of actor id.
func (d *Decoder) wants(id int64) bool { return d.positions == nil || d.positions(id) }
