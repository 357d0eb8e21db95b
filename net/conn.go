package net

// What a session keeps about its connection, for the limits and the
// operators, and how its connection ends: the close codes of our own
// beyond session.go's, and their names in logs and metrics.

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
)

// Close codes for what an operator or a limit ends.
const (
	// StatusKicked closes a connection an operator kicked; the reason is theirs.
	StatusKicked websocket.StatusCode = 4010
	// StatusBanned closes the connections of an account or address just banned.
	StatusBanned websocket.StatusCode = 4011
	// StatusLoginTimeout closes a connection that did not log in in time.
	StatusLoginTimeout websocket.StatusCode = 4012
)

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
	case StatusKicked:
		return "kicked"
	case StatusBanned:
		return "banned"
	case StatusLoginTimeout:
		return "login_timeout"
	}
	return "other"
}
