// Package operate is the operators' API: list, kick, ban, mute and
// message players, reset passwords and delete accounts, in a world of one
// process or split over many (an action is asked of every process, each
// applying it to its own connections and parked actors). The console and
// the admin API call it; the endpoint (net.Server) lends it its connections.
package operate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/ecs"

	"github.com/godmmo/godmmo/net/auth"
	"github.com/godmmo/godmmo/net/guard"
	"github.com/godmmo/godmmo/net/resume"
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
	ErrNotOnline = errors.New("operate: player not online")
	// ErrBadRequest means the action's arguments are not acceptable.
	ErrBadRequest = errors.New("operate: bad request")
)

// Close codes of the connections operators end.
const (
	// StatusKicked closes a connection an operator kicked; the reason is theirs.
	StatusKicked websocket.StatusCode = 4010
	// StatusBanned closes the connections of an account or address just banned.
	StatusBanned websocket.StatusCode = 4011
)

// Conns is this process's connections, as operators reach them.
type Conns interface {
	// Players lists the players connected here (Muted and Process are
	// the operators' to fill in).
	Players() []PlayerInfo
	// Close closes the connections that match, given the player's name
	// (while playing) and the connection's address, with code and reason,
	// and returns how many.
	Close(match func(name, addr string, playing bool) bool, code websocket.StatusCode, reason string) int
	// Say sends every player connected here a chat line from
	// wire.ServerName, and returns how many.
	Say(text string) int
}

// Parts are what the operators act through.
type Parts struct {
	// Conns are this process's connections.
	Conns Conns
	// Tickets are this process's resume tickets.
	Tickets *resume.Tickets
	// Guard enforces bans and mutes.
	Guard *guard.Guard
	// Hasher hashes reset passwords.
	Hasher *auth.Hasher
	Store  *persist.Store
	// World carries actions to every process of a world split over
	// processes; nil: this process is the world.
	World World
	// Process names this process in PlayerInfo.
	Process string
	Log     *slog.Logger
}

// Operators carries out the operators' actions.
type Operators struct {
	p   Parts
	ctx context.Context // the server's lifetime, for actions without a context of their own
}

// New makes the operators of a server that lives until ctx ends.
func New(ctx context.Context, p Parts) *Operators { return &Operators{p: p, ctx: ctx} }

// World carries operators' actions to every process of a world split over
// processes, so that a kick, a ban or a message acts wherever the player is
// connected. Nil in a world of one process.
type World interface {
	// Ask sends an action to every live process, this one included, and
	// returns their answers (each from Operators.Operate).
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
func (ops *Operators) everywhere(ctx context.Context, op operation) (outcome, error) {
	if ops.p.World == nil {
		return ops.apply(op), nil
	}
	data, err := json.Marshal(op)
	if err != nil {
		return outcome{}, fmt.Errorf("operate: encoding %s: %w", op.Do, err)
	}
	answers, err := ops.p.World.Ask(ctx, data)
	if err != nil {
		return outcome{}, fmt.Errorf("operate: %s: %w", op.Do, err)
	}
	var sum outcome
	for _, a := range answers {
		var o outcome
		if err := json.Unmarshal(a, &o); err != nil {
			ops.p.Log.Warn("operator's action: bad answer", "action", op.Do, "err", err)
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
func (ops *Operators) Operate(action []byte) []byte {
	var op operation
	var o outcome
	if err := json.Unmarshal(action, &op); err != nil {
		ops.p.Log.Warn("operator's action refused", "err", err)
	} else {
		o = ops.apply(op)
	}
	data, _ := json.Marshal(o) //nolint:errchkjson // plain values
	return data
}

// apply does op to this process's connections and parked actors.
func (ops *Operators) apply(op operation) outcome {
	named := func(a ecs.Actor, _ string) bool { return strings.EqualFold(a.Name, op.Name) }
	if op.Prefix != "" {
		named = func(a ecs.Actor, _ string) bool { return hasPrefixFold(a.Name, op.Prefix) }
	}
	var o outcome
	if (op.Do == "ban" || op.Do == "unban") && op.Ban == nil {
		ops.p.Log.Warn("operator's action refused: a ban without its ban", "action", op.Do)
		return o
	}
	switch op.Do {
	case "players":
		o.Players = ops.players()
	case "kick", "delete":
		parked, held := ops.p.Tickets.End(named)
		o.Closed, o.Tokens = ops.p.Conns.Close(func(name, _ string, playing bool) bool {
			return playing && named(ecs.Actor{Name: name}, "")
		}, StatusKicked, closeReason(op.Reason))+parked, held
	case "ban":
		b := *op.Ban
		ops.p.Guard.Ban(b)
		parked, _ := ops.p.Tickets.End(func(a ecs.Actor, addr string) bool {
			return b.Kind == persist.BanAccount && strings.EqualFold(a.Name, b.Value) || b.Kind == persist.BanAddress && addr == b.Value
		})
		reason := "banned"
		if b.Reason != "" {
			reason = "banned: " + b.Reason
		}
		o.Closed = ops.p.Conns.Close(func(name, addr string, playing bool) bool {
			return b.Kind == persist.BanAccount && playing && strings.EqualFold(name, b.Value) || b.Kind == persist.BanAddress && addr == b.Value
		}, StatusBanned, closeReason(reason)) + parked
	case "unban":
		ops.p.Guard.Lift(op.Ban.Kind, op.Ban.Value)
	case "mute":
		ops.p.Guard.Mute(op.Name, op.Until)
	case "unmute":
		ops.p.Guard.Unmute(op.Name)
	case "say":
		o.Closed = ops.p.Conns.Say(op.Text)
	case "end":
		o.Closed, _ = ops.p.Tickets.End(named)
	}
	return o
}

func hasPrefixFold(name, prefix string) bool {
	return len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix)
}

// Players lists the players online in the whole world, by name.
func (ops *Operators) Players() []PlayerInfo {
	ctx, cancel := context.WithTimeout(ops.ctx, opTimeout)
	defer cancel()
	o, err := ops.everywhere(ctx, operation{Do: "players"})
	if err != nil {
		ops.p.Log.Warn("players of the other processes not listed", "err", err)
		o.Players = ops.players()
	}
	out := o.Players
	if out == nil {
		out = []PlayerInfo{}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// players lists this process's players.
func (ops *Operators) players() []PlayerInfo {
	out := ops.p.Conns.Players()
	for i := range out {
		out[i].Muted, out[i].Process = ops.p.Guard.Muted(out[i].Name), ops.p.Process
	}
	return out
}

// Kick closes the named player's connection, wherever in the world it is,
// with reason as the WebSocket close reason (code StatusKicked), in either
// protocol, and ends its resume tokens and parked actor. It reports
// ErrNotOnline when nobody of that name plays.
func (ops *Operators) Kick(name, reason string) error {
	if reason == "" {
		reason = "kicked by an operator"
	}
	ctx, cancel := context.WithTimeout(ops.ctx, opTimeout)
	defer cancel()
	o, err := ops.everywhere(ctx, operation{Do: "kick", Name: name, Reason: reason})
	if err != nil {
		return err
	}
	if o.Closed == 0 && o.Tokens == 0 {
		return ErrNotOnline
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

// Mute stops name's chat lines (each refused as wire.Muted), on every process,
// until until, or until Unmute when until is zero. It holds across logins,
// not restarts.
func (ops *Operators) Mute(name string, until time.Time) error {
	if !wire.ValidUsername(name) {
		return fmt.Errorf("%w: not a username: %q", ErrBadRequest, wire.Truncate(name, 40))
	}
	ctx, cancel := context.WithTimeout(ops.ctx, opTimeout)
	defer cancel()
	_, err := ops.everywhere(ctx, operation{Do: "mute", Name: name, Until: until})
	return err
}

// Unmute lets name chat again, on every process.
func (ops *Operators) Unmute(name string) {
	ctx, cancel := context.WithTimeout(ops.ctx, opTimeout)
	defer cancel()
	if _, err := ops.everywhere(ctx, operation{Do: "unmute", Name: name}); err != nil {
		ops.p.Log.Warn("unmute not applied everywhere", "name", name, "err", err)
	}
}

// Broadcast sends text to every player online in the world as a Chat line
// from wire.ServerName, in each player's protocol; it returns how many got it.
func (ops *Operators) Broadcast(text string) (int, error) {
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
	ctx, cancel := context.WithTimeout(ops.ctx, opTimeout)
	defer cancel()
	o, err := ops.everywhere(ctx, operation{Do: "say", Text: text})
	return o.Closed, err
}

// Ban stores a ban and applies it at once on every process: an account ban
// closes that player's connection, ends its resume tokens and parked actor
// and refuses its logins; an address ban closes every connection from the
// address and refuses new ones. It returns how many connections and parked
// actors it ended; persist.ErrNotFound for an account that does not exist.
func (ops *Operators) Ban(ctx context.Context, b persist.Ban) (int, error) {
	switch b.Kind {
	case persist.BanAccount:
		if !wire.ValidUsername(b.Value) {
			return 0, fmt.Errorf("%w: not a username: %q", ErrBadRequest, wire.Truncate(b.Value, 40))
		}
		switch ok, err := ops.p.Store.Exists(ctx, b.Value); {
		case err != nil:
			return 0, err
		case !ok:
			return 0, fmt.Errorf("operate: ban %q: %w", b.Value, persist.ErrNotFound)
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
	if err := ops.p.Store.SaveBan(ctx, b); err != nil {
		return 0, err
	}
	o, err := ops.everywhere(ctx, operation{Do: "ban", Ban: &b})
	return o.Closed, err
}

// Unban lifts a ban on every process; persist.ErrNotFound when there was none.
func (ops *Operators) Unban(ctx context.Context, kind persist.BanKind, value string) error {
	if kind == persist.BanAddress {
		if ip, err := netip.ParseAddr(value); err == nil {
			value = ip.Unmap().String()
		}
	}
	if err := ops.p.Store.DeleteBan(ctx, kind, value); err != nil {
		return err
	}
	_, err := ops.everywhere(ctx, operation{Do: "unban", Ban: &persist.Ban{Kind: kind, Value: value}})
	return err
}

// Bans lists the bans in force.
func (ops *Operators) Bans() []persist.Ban { return ops.p.Guard.Bans() }

// ResetPassword gives an account a new password, hashed at BcryptCost, and
// ends its resume tokens and parked actor on every process: whoever held a
// token must log in with the new password.
func (ops *Operators) ResetPassword(ctx context.Context, name, password string) error {
	if password == "" || len(password) > wire.MaxPassword {
		return fmt.Errorf("%w: password must be 1–%d bytes", ErrBadRequest, wire.MaxPassword)
	}
	hash, err := ops.p.Hasher.Hash(ctx, password)
	if err != nil {
		return fmt.Errorf("operate: reset password: %w", err)
	}
	if err := ops.p.Store.SetPassword(ctx, name, hash); err != nil {
		return err
	}
	_, err = ops.everywhere(ctx, operation{Do: "end", Name: name})
	return err
}

// DeleteAccount closes the named player's connection and ends its parked
// actor wherever in the world they are, waits until the account's actor
// has left the world (its claim is given up), then removes the account:
// its name is free only once nobody plays it. persist.ErrNotFound when
// there is none.
func (ops *Operators) DeleteAccount(ctx context.Context, name string) error {
	acc, err := ops.p.Store.Account(ctx, name)
	if err != nil {
		return err
	}
	if _, err := ops.everywhere(ctx, operation{Do: "delete", Name: name, Reason: "account deleted"}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, leaveTimeout)
	defer cancel()
	for {
		switch playing, err := ops.p.Store.Playing(ctx, acc.Actor.ID); {
		case err != nil:
			return err
		case playing:
			select {
			case <-ctx.Done():
				return fmt.Errorf("operate: delete %q: its actor is still in the world: %w", name, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		return ops.p.Store.DeleteAccount(ctx, name)
	}
}

// DeleteAccountsWithPrefix removes every account whose name starts with
// prefix (loadbot's "loadbot-"), closing their connections and ending
// their parked actors everywhere first, and returns the names removed.
func (ops *Operators) DeleteAccountsWithPrefix(ctx context.Context, prefix string) ([]string, error) {
	if !wire.ValidUsername(prefix) {
		return nil, fmt.Errorf("%w: prefix must be 1–%d letters, digits, _ or -", ErrBadRequest, wire.MaxUsername)
	}
	if _, err := ops.everywhere(ctx, operation{Do: "delete", Prefix: prefix, Reason: "account deleted"}); err != nil {
		return nil, err
	}
	return ops.p.Store.DeleteAccountsWithPrefix(ctx, prefix)
}
