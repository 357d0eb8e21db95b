package net

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/ecs"

	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist"
)

// PlayerInfo is one player online, as operators see it.
type PlayerInfo struct {
	Name        string    `json:"name"`
	ID          int64     `json:"id"`
	X           float64   `json:"x"`
	Y           float64   `json:"y"`
	Protocol    int       `json:"protocol"` // 1 or 2
	Address     string    `json:"address"`
	Since       time.Time `json:"since"` // when the connection opened
	MessagesIn  int64     `json:"messages_in"`
	MessagesOut int64     `json:"messages_out"`
	Muted       bool      `json:"muted"`
	// Process names the process holding the connection, in a world split
	// over processes.
	Process string `json:"process,omitempty"`
}

// Errors of the operators' actions.
var (
	// ErrNotOnline means no player of that name is online.
	ErrNotOnline = errors.New("net: player not online")
	// ErrBadRequest means the action's arguments are not acceptable.
	ErrBadRequest = errors.New("net: bad request")
)

// playing returns the sessions that are in the world, optionally only
// those match accepts.
func (s *Server) playing(match func(name string, o *sessionOps) bool) []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*session
	for sess := range s.live {
		sess.ops.mu.Lock()
		ok := sess.ops.online && (match == nil || match(sess.ops.name, &sess.ops))
		sess.ops.mu.Unlock()
		if ok {
			out = append(out, sess)
		}
	}
	return out
}

// World carries operators' actions to every process of a world split over
// processes, so that a kick, a ban or a message acts wherever the player is
// connected. Nil in a world of one process.
type World interface {
	// Ask sends an action to every live process, this one included, and
	// returns their answers (each from Server.Operate).
	Ask(ctx context.Context, action []byte) ([][]byte, error)
}

// operation is an operator's action as every process applies it to its own
// connections and parked actors.
type operation struct {
	Do     string       `json:"do"` // players, kick, ban, unban, mute, unmute, say, end, delete
	Name   string       `json:"name,omitempty"`
	Prefix string       `json:"prefix,omitempty"`
	Reason string       `json:"reason,omitempty"`
	Text   string       `json:"text,omitempty"`
	Until  time.Time    `json:"until,omitzero"`
	Ban    *persist.Ban `json:"ban,omitempty"`
}

// outcome is one process's answer to an operation.
type outcome struct {
	Closed int `json:"closed"` // connections closed and parked actors ended
	// Tokens counts the resume tokens ended whose sessions still held them
	// (playing, or closing but not yet parked): a kick found those players.
	Tokens  int          `json:"tokens,omitempty"`
	Players []PlayerInfo `json:"players,omitempty"`
}

// opTimeout bounds an action asked of the whole world by a caller without
// a context of its own; leaveTimeout how long a delete waits for the
// account's actor to leave the world.
const (
	opTimeout    = 3 * time.Second
	leaveTimeout = 15 * time.Second
)

// everywhere applies op on every process of the world (this one alone
// without a World) and sums up what they did.
func (s *Server) everywhere(ctx context.Context, op operation) (outcome, error) {
	if s.opts.World == nil {
		return s.apply(op), nil
	}
	data, err := json.Marshal(op)
	if err != nil {
		return outcome{}, fmt.Errorf("net: encoding %s: %w", op.Do, err)
	}
	answers, err := s.opts.World.Ask(ctx, data)
	if err != nil {
		return outcome{}, fmt.Errorf("net: %s: %w", op.Do, err)
	}
	var sum outcome
	for _, a := range answers {
		var o outcome
		if err := json.Unmarshal(a, &o); err != nil {
			s.log.Warn("operator's action: bad answer", "action", op.Do, "err", err)
			continue
		}
		sum.Closed += o.Closed
		sum.Tokens += o.Tokens
		sum.Players = append(sum.Players, o.Players...)
	}
	return sum, nil
}

// Operate applies an operator's action that another process (or this one,
// over the bus) asked of the whole world to this process's connections,
// and answers what it did.
func (s *Server) Operate(action []byte) []byte {
	var op operation
	var o outcome
	if err := json.Unmarshal(action, &op); err != nil {
		s.log.Warn("operator's action refused", "err", err)
	} else {
		o = s.apply(op)
	}
	data, _ := json.Marshal(o) //nolint:errchkjson // plain values
	return data
}

// apply does op to this process's connections and parked actors.
func (s *Server) apply(op operation) outcome {
	named := func(a ecs.Actor, _ string) bool { return strings.EqualFold(a.Name, op.Name) }
	if op.Prefix != "" {
		named = func(a ecs.Actor, _ string) bool { return hasPrefixFold(a.Name, op.Prefix) }
	}
	var o outcome
	if (op.Do == "ban" || op.Do == "unban") && op.Ban == nil {
		s.log.Warn("operator's action refused: a ban without its ban", "action", op.Do)
		return o
	}
	switch op.Do {
	case "players":
		o.Players = s.players()
	case "kick", "delete":
		parked, held := s.resume.End(named)
		o.Closed, o.Tokens = s.close(named, StatusKicked, op.Reason)+parked, held
	case "ban":
		b := *op.Ban
		s.guard.Ban(b)
		parked, _ := s.resume.End(func(a ecs.Actor, addr string) bool {
			return b.Kind == persist.BanAccount && strings.EqualFold(a.Name, b.Value) || b.Kind == persist.BanAddress && addr == b.Value
		})
		o.Closed = s.closeBanned(b) + parked
	case "unban":
		s.guard.Lift(op.Ban.Kind, op.Ban.Value)
	case "mute":
		s.guard.Mute(op.Name, op.Until)
	case "unmute":
		s.guard.Unmute(op.Name)
	case "say":
		o.Closed = s.say(op.Text)
	case "end":
		o.Closed, _ = s.resume.End(named)
	}
	return o
}

func hasPrefixFold(name, prefix string) bool {
	return len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix)
}

// Players lists the players online in the whole world, by name.
func (s *Server) Players() []PlayerInfo {
	ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
	defer cancel()
	o, err := s.everywhere(ctx, operation{Do: "players"})
	if err != nil {
		s.log.Warn("players of the other processes not listed", "err", err)
		o.Players = s.players()
	}
	out := o.Players
	if out == nil {
		out = []PlayerInfo{}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// players lists this process's players.
func (s *Server) players() []PlayerInfo {
	var out []PlayerInfo
	for _, sess := range s.playing(nil) {
		o := &sess.ops
		o.mu.Lock()
		p := PlayerInfo{Name: o.name, ID: o.id, Protocol: int(sess.codec.Protocol()) + 1, Address: o.peer.Addr, Since: o.since, Process: s.opts.Process}
		o.mu.Unlock()
		if v := sess.seen.Load(); v != nil {
			p.X, p.Y = v.Position()
		}
		p.MessagesIn, p.MessagesOut = o.in.Load(), o.out.Load()
		p.Muted = s.guard.Muted(p.Name)
		out = append(out, p)
	}
	return out
}

// Kick closes the named player's connection, wherever in the world it is,
// with reason as the WebSocket close reason (code StatusKicked), in either
// protocol, and ends its resume tokens and parked actor. It reports
// ErrNotOnline when nobody of that name plays.
func (s *Server) Kick(name, reason string) error {
	if reason == "" {
		reason = "kicked by an operator"
	}
	ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
	defer cancel()
	o, err := s.everywhere(ctx, operation{Do: "kick", Name: name, Reason: reason})
	if err != nil {
		return err
	}
	if o.Closed == 0 && o.Tokens == 0 {
		return ErrNotOnline
	}
	return nil
}

// close kicks this process's players whose actors match, with code and
// reason, and returns how many.
func (s *Server) close(match func(ecs.Actor, string) bool, code websocket.StatusCode, reason string) int {
	found := s.playing(func(n string, o *sessionOps) bool { return match(ecs.Actor{Name: n}, o.peer.Addr) })
	for _, sess := range found {
		sess.kick(code, closeReason(reason))
	}
	return len(found)
}

// closeReason fits reason into a close frame (123 bytes at most).
func closeReason(reason string) string {
	if len(reason) <= 123 {
		return reason
	}
	return strings.ToValidUTF8(reason[:120], "") + "…"
}

// Mute stops name's chat lines (each refused as wire.Muted), on every process,
// until until, or until Unmute when until is zero. It holds across logins,
// not restarts.
func (s *Server) Mute(name string, until time.Time) error {
	if !wire.ValidUsername(name) {
		return fmt.Errorf("%w: not a username: %q", ErrBadRequest, wire.Truncate(name, 40))
	}
	ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
	defer cancel()
	_, err := s.everywhere(ctx, operation{Do: "mute", Name: name, Until: until})
	return err
}

// Unmute lets name chat again, on every process.
func (s *Server) Unmute(name string) {
	ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
	defer cancel()
	if _, err := s.everywhere(ctx, operation{Do: "unmute", Name: name}); err != nil {
		s.log.Warn("unmute not applied everywhere", "name", name, "err", err)
	}
}

// Broadcast sends text to every player online in the world as a Chat line
// from wire.ServerName, in each player's protocol; it returns how many got it.
func (s *Server) Broadcast(text string) (int, error) {
	deny := wire.ChatText(text)
	if !deny.Refused() {
		var blank bool
		if deny, blank = wire.ScreenChat(text); blank {
			return 0, fmt.Errorf("%w: empty message", ErrBadRequest)
		}
	}
	if deny.Refused() {
		return 0, fmt.Errorf("%w: %s", ErrBadRequest, deny.Text())
	}
	ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
	defer cancel()
	o, err := s.everywhere(ctx, operation{Do: "say", Text: text})
	return o.Closed, err
}

// say sends text to this process's players and returns how many got it.
func (s *Server) say(text string) int {
	var enc [wire.Count][]byte
	n := 0
	for _, sess := range s.playing(nil) {
		p := sess.codec.Protocol()
		if enc[p] == nil {
			enc[p] = sess.codec.Chat(wire.ServerName, text)
		}
		sess.reply(enc[p])
		n++
	}
	return n
}

// Ban stores a ban and applies it at once on every process: an account ban
// closes that player's connection, ends its resume tokens and parked actor
// and refuses its logins; an address ban closes every connection from the
// address and refuses new ones. It returns how many connections and parked
// actors it ended; persist.ErrNotFound for an account that does not exist.
func (s *Server) Ban(ctx context.Context, b persist.Ban) (int, error) {
	switch b.Kind {
	case persist.BanAccount:
		if !wire.ValidUsername(b.Value) {
			return 0, fmt.Errorf("%w: not a username: %q", ErrBadRequest, wire.Truncate(b.Value, 40))
		}
		switch ok, err := s.store.Exists(ctx, b.Value); {
		case err != nil:
			return 0, err
		case !ok:
			return 0, fmt.Errorf("net: ban %q: %w", b.Value, persist.ErrNotFound)
		}
	case persist.BanAddress:
		ip, err := netip.ParseAddr(b.Value)
		if err != nil {
			return 0, fmt.Errorf("%w: not an IP address: %q", ErrBadRequest, wire.Truncate(b.Value, 60))
		}
		b.Value = ip.Unmap().String()
	default:
		return 0, fmt.Errorf("%w: ban kind %q", ErrBadRequest, b.Kind)
	}
	if err := s.store.SaveBan(ctx, b); err != nil {
		return 0, err
	}
	o, err := s.everywhere(ctx, operation{Do: "ban", Ban: &b})
	return o.Closed, err
}

// closeBanned closes this process's connections that ban b hits.
func (s *Server) closeBanned(b persist.Ban) int {
	reason := "banned"
	if b.Reason != "" {
		reason = "banned: " + b.Reason
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for sess := range s.live {
		sess.ops.mu.Lock()
		hit := b.Kind == persist.BanAccount && sess.ops.online && strings.EqualFold(sess.ops.name, b.Value) ||
			b.Kind == persist.BanAddress && sess.ops.peer.Addr == b.Value
		sess.ops.mu.Unlock()
		if hit {
			sess.kick(StatusBanned, closeReason(reason))
			n++
		}
	}
	return n
}

// Unban lifts a ban on every process; persist.ErrNotFound when there was none.
func (s *Server) Unban(ctx context.Context, kind persist.BanKind, value string) error {
	if kind == persist.BanAddress {
		if ip, err := netip.ParseAddr(value); err == nil {
			value = ip.Unmap().String()
		}
	}
	if err := s.store.DeleteBan(ctx, kind, value); err != nil {
		return err
	}
	_, err := s.everywhere(ctx, operation{Do: "unban", Ban: &persist.Ban{Kind: kind, Value: value}})
	return err
}

// Bans lists the bans in force.
func (s *Server) Bans() []persist.Ban { return s.guard.Bans() }

// ResetPassword gives an account a new password, hashed at BcryptCost, and
// ends its resume tokens and parked actor on every process: whoever held a
// token must log in with the new password.
func (s *Server) ResetPassword(ctx context.Context, name, password string) error {
	if password == "" || len(password) > wire.MaxPassword {
		return fmt.Errorf("%w: password must be 1–%d bytes", ErrBadRequest, wire.MaxPassword)
	}
	hash, err := s.hash.Hash(ctx, password)
	if err != nil {
		return fmt.Errorf("net: reset password: %w", err)
	}
	if err := s.store.SetPassword(ctx, name, hash); err != nil {
		return err
	}
	_, err = s.everywhere(ctx, operation{Do: "end", Name: name})
	return err
}

// DeleteAccount closes the named player's connection and ends its parked
// actor wherever in the world they are, waits until the account's actor
// has left the world (its claim is given up), then removes the account:
// its name is free only once nobody plays it. persist.ErrNotFound when
// there is none.
func (s *Server) DeleteAccount(ctx context.Context, name string) error {
	acc, err := s.store.Account(ctx, name)
	if err != nil {
		return err
	}
	if _, err := s.everywhere(ctx, operation{Do: "delete", Name: name, Reason: "account deleted"}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, leaveTimeout)
	defer cancel()
	for {
		switch playing, err := s.store.Playing(ctx, acc.Actor.ID); {
		case err != nil:
			return err
		case playing:
			select {
			case <-ctx.Done():
				return fmt.Errorf("net: delete %q: its actor is still in the world: %w", name, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		return s.store.DeleteAccount(ctx, name)
	}
}

// DeleteAccountsWithPrefix removes every account whose name starts with
// prefix (loadbot's "loadbot-"), closing their connections and ending
// their parked actors everywhere first, and returns the names removed.
func (s *Server) DeleteAccountsWithPrefix(ctx context.Context, prefix string) ([]string, error) {
	if !wire.ValidUsername(prefix) {
		return nil, fmt.Errorf("%w: prefix must be 1–%d letters, digits, _ or -", ErrBadRequest, wire.MaxUsername)
	}
	if _, err := s.everywhere(ctx, operation{Do: "delete", Prefix: prefix, Reason: "account deleted"}); err != nil {
		return nil, err
	}
	return s.store.DeleteAccountsWithPrefix(ctx, prefix)
}
