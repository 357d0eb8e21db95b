package net

// What a session keeps about its connection for the limits and the
// operators, what the server lends operators of its connections
// (localConns), and how a connection ends: the checks of what the client
// sends, the login timeout, and the close codes' names in logs and metrics.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	stdnet "net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net/guard"
	"github.com/godmmo/godmmo/net/operate"
	"github.com/godmmo/godmmo/net/wire"
)

// StatusLoginTimeout closes a connection that did not log in in time.
// (Operators' close codes are net/operate's.)
const StatusLoginTimeout websocket.StatusCode = 4012

// sessionOps is what a session keeps for the limits and for operators: who
// it is, since when, how much it said, where its actor is.
type sessionOps struct {
	peer    guard.Peer
	since   time.Time
	in, out atomic.Int64

	mu     sync.Mutex
	name   string // set while playing
	id     int64
	online bool
}

func newSessionOps(remote string) sessionOps {
	return sessionOps{peer: guard.PeerOf(remote), since: time.Now()}
}

// pinged rate-limits client pings like packets (a ping flood costs a pong
// each); over the limit the connection closes for flooding.
func (s *session) pinged() bool {
	if s == nil {
		return true // closing before the session began
	}
	if !s.packets.Allow() {
		s.kick(websocket.StatusPolicyViolation, "too many pings")
		return false
	}
	return true
}

// received counts a message and checks what the WebSocket library leaves
// to us: a text frame must be UTF-8 (RFC 6455 §8.1), else close 1007. It
// reports false when the connection is closing.
func (s *session) received(typ websocket.MessageType, msg []byte) bool {
	s.ops.in.Add(1)
	if typ == websocket.MessageText && !utf8.Valid(msg) {
		s.kick(websocket.StatusInvalidFramePayloadData, "text frame is not UTF-8")
		return false
	}
	return true
}

// readFailure is the close code and reason for a read that failed without
// a close frame: the peer vanished, or broke the protocol (an unmasked
// frame, a bad opcode), which gets close 1002 instead of silence.
func readFailure(err error) (websocket.StatusCode, string) {
	var ne stdnet.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, stdnet.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, context.Canceled),
		errors.As(err, &ne):
		return websocket.StatusAbnormalClosure, "connection lost" // no close frame: noted, never sent
	}
	return websocket.StatusProtocolError, "protocol error"
}

// watchLogin closes the connection if it has not logged in within the
// login timeout; call the returned func when the session ends.
func (s *session) watchLogin() func() {
	d := s.srv.guard.LoginTimeout()
	if d <= 0 {
		return func() {}
	}
	t := time.AfterFunc(d, func() {
		s.ops.mu.Lock()
		online := s.ops.online
		s.ops.mu.Unlock()
		if !online {
			s.srv.guard.Refuse(s.log, slog.LevelInfo, "login_timeout", "closing: no login in time", "timeout", d)
			s.kick(StatusLoginTimeout, "no login within "+d.String())
		}
	})
	return func() { t.Stop() }
}

// admitted records the player a session now plays, for operators.
func (s *session) admitted(a ecs.Actor) {
	s.ops.mu.Lock()
	s.ops.name, s.ops.id, s.ops.online = a.Name, a.ID, true
	s.ops.mu.Unlock()
}

// ended counts a finished connection by why it ended and logs a logout.
func (s *session) ended() {
	label := closeLabel(s.code)
	s.srv.guard.Metrics().Disconnected(label)
	if s.playing {
		s.log.Info("logged out", append(closeAttrs(s.code, s.reason), "messages_in", s.ops.in.Load(), "messages_out", s.ops.out.Load())...)
	}
}

// closeAttrs are a close's log attributes: the code as its number (what
// the protocol documents), the metric's name for it beside, and the reason.
func closeAttrs(code websocket.StatusCode, reason string) []any {
	return []any{"code", int(code), "close", closeLabel(code), "reason", reason}
}

// closeLabel names a close code for the disconnect metric.
func closeLabel(code websocket.StatusCode) string {
	switch code {
	case websocket.StatusNormalClosure:
		return "normal"
	case websocket.StatusGoingAway:
		return "going_away"
	case websocket.StatusNoStatusRcvd, websocket.StatusAbnormalClosure:
		return "lost" // a close frame without a code, or none at all
	case websocket.StatusMessageTooBig:
		return "too_big"
	case websocket.StatusPolicyViolation:
		return "flood"
	case websocket.StatusInvalidFramePayloadData:
		return "invalid_utf8"
	case websocket.StatusProtocolError:
		return "protocol_error"
	case StatusSlowClient:
		return "slow"
	case StatusUnresponsive:
		return "unresponsive"
	case operate.StatusKicked:
		return "kicked"
	case operate.StatusBanned:
		return "banned"
	case StatusLoginTimeout:
		return "login_timeout"
	}
	return "other"
}

// localConns lends operators (net/operate) this process's connections.
type localConns struct{ s *Server }

// matching returns the sessions match accepts, given the player's name
// (while playing), the address and whether it plays.
func (c localConns) matching(match func(name, addr string, playing bool) bool) []*session {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	var out []*session
	for sess := range c.s.live {
		sess.ops.mu.Lock()
		ok := match(sess.ops.name, sess.ops.peer.Addr, sess.ops.online)
		sess.ops.mu.Unlock()
		if ok {
			out = append(out, sess)
		}
	}
	return out
}

// inWorld accepts the sessions in the world.
func inWorld(_, _ string, playing bool) bool { return playing }

// Players lists this process's players.
func (c localConns) Players() []operate.PlayerInfo {
	var out []operate.PlayerInfo
	for _, sess := range c.matching(inWorld) {
		o := &sess.ops
		o.mu.Lock()
		p := operate.PlayerInfo{Name: o.name, ID: o.id, Protocol: int(sess.codec.Protocol()) + 1, Address: o.peer.Addr, Since: o.since}
		o.mu.Unlock()
		if v := sess.seen.Load(); v != nil {
			p.X, p.Y = v.Position()
		}
		p.MessagesIn, p.MessagesOut = o.in.Load(), o.out.Load()
		out = append(out, p)
	}
	return out
}

// Close kicks the sessions match accepts with code and reason.
func (c localConns) Close(match func(name, addr string, playing bool) bool, code websocket.StatusCode, reason string) int {
	found := c.matching(match)
	for _, sess := range found {
		sess.kick(code, reason)
	}
	return len(found)
}

// Say sends text to this process's players and returns how many got it.
func (c localConns) Say(text string) int {
	var enc [wire.Count][]byte
	n := 0
	for _, sess := range c.matching(inWorld) {
		p := sess.codec.Protocol()
		if enc[p] == nil {
			enc[p] = sess.codec.Chat(wire.ServerName, text)
		}
		sess.reply(enc[p])
		n++
	}
	return n
}
