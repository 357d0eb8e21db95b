package net

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

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

// Players lists the players online, by name.
func (s *Server) Players() []PlayerInfo {
	out := []PlayerInfo{}
	for _, sess := range s.playing(nil) {
		o := &sess.ops
		o.mu.Lock()
		p := PlayerInfo{Name: o.name, ID: o.id, Protocol: int(sess.codec.Protocol()) + 1, Address: o.addr, Since: o.since}
		o.mu.Unlock()
		if v := sess.seen.Load(); v != nil {
			p.X, p.Y = v.Position()
		}
		p.MessagesIn, p.MessagesOut = o.in.Load(), o.out.Load()
		p.Muted = s.guard.muted(p.Name)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Kick closes the named player's connection with reason as the WebSocket
// close reason (code StatusKicked), in either protocol. It reports
// ErrNotOnline when nobody of that name plays.
func (s *Server) Kick(name, reason string) error {
	if reason == "" {
		reason = "kicked by an operator"
	}
	found := s.playing(func(n string, _ *sessionOps) bool { return strings.EqualFold(n, name) })
	if len(found) == 0 {
		return ErrNotOnline
	}
	for _, sess := range found {
		sess.kick(StatusKicked, closeReason(reason))
	}
	return nil
}

// closeReason fits reason into a close frame (123 bytes at most).
func closeReason(reason string) string {
	if len(reason) <= 123 {
		return reason
	}
	return strings.ToValidUTF8(reason[:120], "") + "…"
}

// Mute stops name's chat lines (each gets DenyMuted) until until, or until
// Unmute when until is zero. It holds across logins, not restarts.
func (s *Server) Mute(name string, until time.Time) error {
	if !wire.ValidUsername(name) {
		return fmt.Errorf("%w: not a username: %q", ErrBadRequest, wire.Truncate(name, 40))
	}
	s.guard.mu.Lock()
	s.guard.mutes[strings.ToLower(name)] = until
	s.guard.mu.Unlock()
	return nil
}

// Unmute lets name chat again.
func (s *Server) Unmute(name string) {
	s.guard.mu.Lock()
	delete(s.guard.mutes, strings.ToLower(name))
	s.guard.mu.Unlock()
}

// Broadcast sends text to every player online as a Chat line from
// ServerName, in each player's protocol; it returns how many got it.
func (s *Server) Broadcast(text string) (int, error) {
	deny := wire.ChatText(text)
	if deny == "" {
		var blank bool
		if deny, blank = wire.ScreenChat(text); blank {
			return 0, fmt.Errorf("%w: empty message", ErrBadRequest)
		}
	}
	if deny != "" {
		return 0, fmt.Errorf("%w: %s", ErrBadRequest, deny)
	}
	var enc [wire.Count][]byte
	n := 0
	for _, sess := range s.playing(nil) {
		p := sess.codec.Protocol()
		if enc[p] == nil {
			enc[p] = sess.codec.Chat(ServerName, text)
		}
		sess.reply(enc[p])
		n++
	}
	return n, nil
}

// Ban stores a ban and applies it at once: an account ban closes that
// player's connection and refuses its logins; an address ban closes every
// connection from the address and refuses new ones. It returns how many
// connections it closed.
func (s *Server) Ban(ctx context.Context, b persist.Ban) (int, error) {
	switch b.Kind {
	case persist.BanAccount:
		if !wire.ValidUsername(b.Value) {
			return 0, fmt.Errorf("%w: not a username: %q", ErrBadRequest, wire.Truncate(b.Value, 40))
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
	s.guard.mu.Lock()
	s.guard.bans[banKey{b.Kind, strings.ToLower(b.Value)}] = b
	s.guard.mu.Unlock()
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
			b.Kind == persist.BanAddress && sess.ops.addr == b.Value
		sess.ops.mu.Unlock()
		if hit {
			sess.kick(StatusBanned, closeReason(reason))
			n++
		}
	}
	return n, nil
}

// Unban lifts a ban; persist.ErrNotFound when there was none.
func (s *Server) Unban(ctx context.Context, kind persist.BanKind, value string) error {
	if kind == persist.BanAddress {
		if ip, err := netip.ParseAddr(value); err == nil {
			value = ip.Unmap().String()
		}
	}
	if err := s.store.DeleteBan(ctx, kind, value); err != nil {
		return err
	}
	s.guard.mu.Lock()
	delete(s.guard.bans, banKey{kind, strings.ToLower(value)})
	s.guard.mu.Unlock()
	return nil
}

// Bans lists the bans in force.
func (s *Server) Bans() []persist.Ban {
	now := s.guard.nowFor()
	s.guard.mu.RLock()
	defer s.guard.mu.RUnlock()
	out := []persist.Ban{}
	for _, b := range s.guard.bans {
		if b.Active(now) {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Kind < out[j].Kind || out[i].Kind == out[j].Kind && out[i].Value < out[j].Value
	})
	return out
}

// ResetPassword gives an account a new password, hashed at BcryptCost.
func (s *Server) ResetPassword(ctx context.Context, name, password string) error {
	if password == "" || len(password) > wire.MaxPassword {
		return fmt.Errorf("%w: password must be 1–%d bytes", ErrBadRequest, wire.MaxPassword)
	}
	hash, err := s.hash.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("net: reset password: %w", err)
	}
	return s.store.SetPassword(ctx, name, hash)
}

// DeleteAccount closes the named player's connection if it plays, then
// removes the account; persist.ErrNotFound when there is none.
func (s *Server) DeleteAccount(ctx context.Context, name string) error {
	s.Kick(name, "account deleted") //nolint:errcheck // not online is fine
	return s.store.DeleteAccount(ctx, name)
}

// DeleteAccountsWithPrefix removes every account whose name starts with
// prefix (loadbot's "loadbot-"), closing their connections first, and
// returns the names removed.
func (s *Server) DeleteAccountsWithPrefix(ctx context.Context, prefix string) ([]string, error) {
	if !wire.ValidUsername(prefix) {
		return nil, fmt.Errorf("%w: prefix must be 1–%d letters, digits, _ or -", ErrBadRequest, wire.MaxUsername)
	}
	for _, sess := range s.playing(func(n string, _ *sessionOps) bool {
		return len(n) >= len(prefix) && strings.EqualFold(n[:len(prefix)], prefix)
	}) {
		sess.kick(StatusKicked, "account deleted")
	}
	return s.store.DeleteAccountsWithPrefix(ctx, prefix)
}
