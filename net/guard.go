package net

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	stdnet "net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist"
	"golang.org/x/time/rate"
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

// ServerName is the sender of operators' messages; no account may take it.
const ServerName = "server"

// OpsMetrics is what the limits and the operators' actions report. A
// Metrics value that also implements it hears them; reasons are short
// fixed labels, never client text.
type OpsMetrics interface {
	// Refused counts a connection, login, registration or chat line refused
	// by a limit, a ban or a check, by reason.
	Refused(reason string)
	// Connections follows open WebSocket connections (+1, -1).
	Connections(delta int)
	// Disconnected counts a connection that ended, by reason.
	Disconnected(reason string)
	// Registered counts an account created.
	Registered()
	// ChatLine counts a chat line relayed.
	ChatLine()
}

type nopOpsMetrics struct{}

func (nopOpsMetrics) Refused(string)      {}
func (nopOpsMetrics) Connections(int)     {}
func (nopOpsMetrics) Disconnected(string) {}
func (nopOpsMetrics) Registered()         {}
func (nopOpsMetrics) ChatLine()           {}

// guard holds the server's limits and the operators' state (bans, mutes):
// everything that decides who may connect, log in, register and chat.
type guard struct {
	lim     Limits
	log     *slog.Logger
	metrics OpsMetrics
	hosts   map[string]bool // lower-case; nil accepts any
	// originPatterns are Options.OriginPatterns: other sites' pages allowed.
	originPatterns []string
	logRate        *rate.Limiter // refusal lines in the log, server-wide

	conns conns
	// Failed logins (see beginLogin): per account and address (locks),
	// per address (locks), per account from anywhere (paces).
	pairFails *failures
	addrFails *failures
	acctFails *failures
	known     knownAddrs
	regs      *buckets            // registrations per address
	chats     *buckets            // chat lines per account, across its connections and resumes
	commands  map[string]*buckets // each mod command's, per account likewise
	turns     *turns

	mu     sync.RWMutex
	bans   map[banKey]persist.Ban
	mutes  map[string]time.Time // lower-case name → until (zero: until unmuted)
	nowFor func() time.Time
}

type banKey struct {
	kind  persist.BanKind
	value string // lower-case
}

func newGuard(opts Options, log *slog.Logger) *guard {
	l := DefaultLimits()
	if opts.Limits != nil {
		l = *opts.Limits
	}
	om, ok := opts.Metrics.(OpsMetrics)
	if !ok {
		om = nopOpsMetrics{}
	}
	g := &guard{
		lim: l, log: log, metrics: om, logRate: rate.NewLimiter(5, 20), originPatterns: opts.OriginPatterns,
		conns:     conns{max: l.MaxConns, perAddr: l.MaxConnsPerAddr, byAddr: make(map[string]int)},
		pairFails: newFailures(l.LoginFailsPerAccount, l.LoginFailWindow, l.LoginLockout),
		addrFails: newFailures(l.LoginFailsPerAddr, l.LoginFailWindow, l.LoginLockout),
		acctFails: newFailures(l.LoginFailsPerAccount, l.LoginFailWindow, l.LoginLockout),
		regs:      newBuckets(rate.Limit(float64(l.RegistrationsPerAddr)/3600), l.RegistrationsPerAddr),
		chats:     newBuckets(rate.Limit(l.ChatPerSecond), l.ChatBurst),
		turns:     newTurns(l.HashesPerAddr),
		bans:      make(map[banKey]persist.Ban),
		mutes:     make(map[string]time.Time),
		nowFor:    time.Now,
	}
	g.commands = make(map[string]*buckets)
	for name, c := range opts.Wire.Mods.Commands() {
		g.commands[name] = newBuckets(rate.Limit(c.Rate), c.Burst)
	}
	hosts := l.Hosts
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	g.hosts = make(map[string]bool)
	for _, h := range hosts {
		h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]"))
		if h == "*" {
			g.hosts = nil
			break
		}
		g.hosts[h] = true
	}
	return g
}

// limited reports whether the per-address limits apply to addr.
func (g *guard) limited(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return true
	}
	ip = ip.Unmap()
	for _, p := range g.lim.Exempt {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// refuse counts and logs (at info, a few lines a second at most) a refusal.
func (g *guard) refuse(log *slog.Logger, level slog.Level, label, msg string, args ...any) {
	g.metrics.Refused(label)
	if g.logRate.Allow() {
		log.Log(context.Background(), level, msg, append(args, "refusal", label)...)
	}
}

// remoteIP is the IP address part of an http.Request's RemoteAddr.
func remoteIP(remote string) string {
	host, _, err := stdnet.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().String()
	}
	return host
}

// limitKey is what the per-address limits count for an address: the
// address itself for IPv4, its /64 for IPv6, as one subscriber usually
// gets a whole /64 and could otherwise take a fresh address per connection.
func limitKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Is4() {
		return addr
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}

// admit decides, before the WebSocket upgrade, whether a connection may be
// made: the address is not banned, and a browser page comes from an
// allowed origin to one of the server's own host names. (The connection
// caps were applied when it was accepted: Server.Listener.) When it may
// not, admit answers the request itself. Call release when the
// connection ends.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	g := s.guard
	addr := remoteIP(r.RemoteAddr)
	log := s.log.With("remote", r.RemoteAddr)
	if status, label, why := g.checkOrigin(r); status != 0 {
		level := slog.LevelInfo
		if label == "origin" {
			level = slog.LevelWarn // a browser page of another site: maybe a missing -origins
		}
		g.refuse(log, level, label, "connection refused: "+why, "origin", wire.Truncate(r.Header.Get("Origin"), 100), "host", wire.Truncate(r.Host, 100))
		http.Error(w, why, status)
		return nil, false
	}
	if b, banned := g.ban(persist.BanAddress, addr); banned {
		g.refuse(log, slog.LevelInfo, "banned_address", "connection refused: address banned", "reason", b.Reason)
		http.Error(w, "This address is banned"+banUntil(b), http.StatusForbidden)
		return nil, false
	}
	g.metrics.Connections(1)
	return func() { g.metrics.Connections(-1) }, true
}

// checkOrigin refuses what browsers can be made to send against a player's
// will: "Origin: null" (sandboxed frames), a Host that is not the server's
// (DNS rebinding: a foreign name pointed at this server, Host and Origin
// both that name) and pages of other sites. Native clients send no Origin
// and pass. It returns the HTTP status, a metric label and a reason.
func (g *guard) checkOrigin(r *http.Request) (status int, label, why string) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return 0, "", ""
	}
	if origin == "null" {
		if g.lim.AllowNullOrigin {
			return 0, "", ""
		}
		return http.StatusForbidden, "null_origin", "Origin null is refused (a sandboxed or local page); see -allow-null-origin"
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		if nativeOrigin(origin) {
			return 0, "", "" // an app scheme, not a web page
		}
		return http.StatusForbidden, "origin", "Origin is not a valid URL"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return 0, "", ""
	}
	if g.hosts != nil {
		host := strings.ToLower(r.Host)
		if h, _, err := stdnet.SplitHostPort(r.Host); err == nil {
			host = strings.ToLower(h)
		}
		if !g.hosts[strings.Trim(host, "[]")] {
			return http.StatusForbidden, "host", "Host " + wire.Truncate(r.Host, 100) + " is not one of this server's names; see -hosts"
		}
	}
	if strings.EqualFold(u.Host, r.Host) {
		return 0, "", ""
	}
	for _, p := range g.originPatterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return 0, "", ""
		}
	}
	return http.StatusForbidden, "origin", "Origin " + wire.Truncate(origin, 100) + " is not allowed; add its host to -origins"
}

// ban returns the ban on kind/value in force now, if any.
func (g *guard) ban(kind persist.BanKind, value string) (persist.Ban, bool) {
	g.mu.RLock()
	b, ok := g.bans[banKey{kind, strings.ToLower(value)}]
	g.mu.RUnlock()
	return b, ok && b.Active(g.nowFor())
}

// banUntil is " until TIME" for a ban that expires, else "".
func banUntil(b persist.Ban) string {
	if b.Expires.IsZero() {
		return ""
	}
	return " until " + b.Expires.UTC().Format(time.RFC3339)
}

// muted reports whether the player name may not chat now.
func (g *guard) muted(name string) bool {
	g.mu.RLock()
	until, ok := g.mutes[strings.ToLower(name)]
	g.mu.RUnlock()
	return ok && (until.IsZero() || g.nowFor().Before(until))
}

// sessionOps is what a session keeps for the limits and for operators: who
// it is, since when, how much it said, where its actor is.
type sessionOps struct {
	addr    string // remote IP
	key     string // what the per-address limits count: limitKey(addr)
	since   time.Time
	in, out atomic.Int64

	mu     sync.Mutex
	name   string // set while playing
	id     int64
	online bool
}

func newSessionOps(remote string) sessionOps {
	addr := remoteIP(remote)
	return sessionOps{addr: addr, key: limitKey(addr), since: time.Now()}
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
	d := s.srv.guard.lim.LoginTimeout
	if d <= 0 {
		return func() {}
	}
	t := time.AfterFunc(d, func() {
		s.ops.mu.Lock()
		online := s.ops.online
		s.ops.mu.Unlock()
		if !online {
			s.srv.guard.refuse(s.log, slog.LevelInfo, "login_timeout", "closing: no login in time", "timeout", d)
			s.kick(StatusLoginTimeout, "no login within "+d.String())
		}
	})
	return func() { t.Stop() }
}

// screenChat applies the operators' and the rate's limits to a chat line
// wire.ScreenChat let through: refuse (muted, too fast) or relay (the
// zero Refusal).
func (s *session) screenChat(text string) (deny wire.Refusal) {
	g := s.srv.guard
	if g.muted(s.actor.Name) {
		g.metrics.Refused("muted")
		return wire.Refusal{Code: wire.Muted}
	}
	if !g.chats.allow(strings.ToLower(s.actor.Name), time.Now()) {
		g.metrics.Refused("chat_rate")
		return wire.Refusal{Code: wire.ChatSlow}
	}
	g.metrics.ChatLine()
	return wire.Refusal{}
}

// loginTry is one login attempt's hold on the failed-login limits, from
// before its password is checked until its outcome is known: it counts as
// a failure from the start, so attempts running at once cannot pass a
// limit between its check and its count.
type loginTry struct {
	g     *guard
	log   *slog.Logger
	name  string
	acct  string // lower-case name; "" for a name too long to be anyone's
	pair  string // account and address
	key   string // the address's limit key
	addr  string // the same, but "" when the address is exempt
	known bool   // the account logged in from this address before
}

// beginLogin applies the failed-login limits to a login of name, before
// its password is checked:
//   - per account and address: LoginFailsPerAccount failures lock the
//     account out for that address only, so strangers cannot lock its owner
//     out; from an address the account logged in from before, they only
//     slow the answers down (up to 2 s), never refuse them;
//   - per address, over every account: LoginFailsPerAddr failures lock the
//     address out (as fail2ban would);
//   - per account, from addresses it never logged in from: past half of
//     LoginFailsPerAccount they take turns, each up to 2 s after the last
//     (as PostgreSQL's auth_delay slows rather than locks), so guesses from
//     many addresses come one at a time; past all of it, one a
//     LoginFailWindow/LoginFailsPerAccount (a minute by default), the
//     others refused until that turn comes. The account's owner, on an
//     address it logged in from, is never held up by them.
//
// It returns the attempt, to be ended with succeeded, failed or void, or
// the refusal of a lockout.
func (s *session) beginLogin(name string) (*loginTry, wire.Refusal) {
	g := s.srv.guard
	now := time.Now()
	t := &loginTry{g: g, log: s.log, name: wire.Truncate(name, wire.MaxUsername), key: s.ops.key}
	if g.limited(s.ops.addr) {
		t.addr = s.ops.key
	}
	if len(name) <= wire.MaxUsername { // longer is nobody's: not a key of the tables
		t.acct = strings.ToLower(name)
		t.pair = t.acct + " " + s.ops.key
		t.known = g.known.has(t.acct, s.ops.key)
	}
	var delay time.Duration
	if t.addr != "" {
		d, locked := g.addrFails.reserve(t.addr, now, true)
		if locked > 0 {
			g.refuse(s.log, slog.LevelInfo, "login_locked_addr", "login refused: address locked out", "username", t.name, "for", locked.Round(time.Second))
			return nil, wire.Refusal{Code: wire.AddressLocked, Wait: locked}
		}
		delay = d
	}
	if t.acct != "" {
		d, locked := g.pairFails.reserve(t.pair, now, !t.known)
		if locked > 0 {
			if t.addr != "" {
				g.addrFails.refund(t.addr, now)
			}
			g.refuse(s.log, slog.LevelInfo, "login_locked_account", "login refused: account locked out for this address", "username", t.name, "for", locked.Round(time.Second))
			return nil, wire.Refusal{Code: wire.AccountLocked, Wait: locked}
		}
		p, retry := g.acctFails.pace(t.acct, now, !t.known)
		if retry > 0 {
			g.pairFails.refund(t.pair, now)
			if t.addr != "" {
				g.addrFails.refund(t.addr, now)
			}
			g.refuse(s.log, slog.LevelInfo, "login_locked_account", "login refused: account's turn taken", "username", t.name, "for", retry.Round(time.Second))
			return nil, wire.Refusal{Code: wire.AccountBusy, Wait: retry}
		}
		delay = max(delay, d, p)
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-s.ctx.Done():
		}
	}
	return t, wire.Refusal{}
}

// succeeded ends an attempt whose password was right: the account's
// failures from this address are forgiven, the attempt given back to the
// other counts, and the address remembered as the account's.
func (t *loginTry) succeeded() {
	t.void()
	if t.acct != "" {
		t.g.pairFails.forgive(t.pair)
		t.g.known.add(t.acct, t.key)
	}
}

// void gives the attempt back: it never got to the password (a database
// error, the server busy, the connection gone).
func (t *loginTry) void() {
	now := time.Now()
	if t.addr != "" {
		t.g.addrFails.refund(t.addr, now)
	}
	if t.acct != "" {
		t.g.pairFails.refund(t.pair, now)
		t.g.acctFails.refund(t.acct, now)
	}
}

// failed ends an attempt with a wrong password or an unknown name: it
// stays counted. It is logged, with whether the next attempt is locked out.
func (t *loginTry) failed() {
	if !t.g.logRate.Allow() {
		return
	}
	now := time.Now()
	t.log.Info("login refused", "username", t.name, "reason", "wrong credentials",
		"locked_account", t.acct != "" && t.g.pairFails.full(t.pair, now), "locked_addr", t.addr != "" && t.g.addrFails.full(t.addr, now))
}

// accountBanned refuses a login when the account is banned. It is checked
// after the password, so a ban reveals nothing to someone guessing.
func (s *session) accountBanned(name string) (deny wire.Refusal) {
	g := s.srv.guard
	if b, banned := g.ban(persist.BanAccount, name); banned {
		g.refuse(s.log, slog.LevelInfo, "banned_account", "login refused: account banned", "username", name, "reason", b.Reason)
		return wire.Refusal{Code: wire.Banned, Arg: b.Reason, Until: b.Expires}
	}
	return wire.Refusal{}
}

// admitted records the player a session now plays, for operators.
func (s *session) admitted(a ecs.Actor) {
	s.ops.mu.Lock()
	s.ops.name, s.ops.id, s.ops.online = a.Name, a.ID, true
	s.ops.mu.Unlock()
}

// beforeRegister applies the per-address registration limit and keeps the
// operators' sender name free.
func (s *session) beforeRegister(name string) (deny wire.Refusal, reserved bool) {
	g := s.srv.guard
	if strings.EqualFold(name, ServerName) {
		return wire.Refusal{Code: wire.Taken}, true
	}
	if g.limited(s.ops.addr) && !g.regs.allow(s.ops.key, time.Now()) {
		g.refuse(s.log, slog.LevelInfo, "registrations", "registration refused: too many from address", "username", name)
		return wire.Refusal{Code: wire.Registrations}, false
	}
	return wire.Refusal{}, false
}

// hashTurn waits until this session's address may queue a password hash.
func (s *session) hashTurn() (func(), error) {
	if !s.srv.guard.limited(s.ops.addr) {
		return func() {}, nil
	}
	return s.srv.guard.turns.wait(s.ctx, s.ops.key)
}

// ended counts a finished connection by why it ended and logs a logout.
func (s *session) ended() {
	label := closeLabel(s.code)
	s.srv.guard.metrics.Disconnected(label)
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

// Prepare loads what the server needs from the store before it serves:
// the bans in force, and a dummy hash at the highest cost in use (stored
// accounts' or BcryptCost), so that an unknown name costs at least as long
// as a wrong password, whichever accounts a load test added.
func (s *Server) Prepare(ctx context.Context) error {
	bans, err := s.store.Bans(ctx, time.Now())
	if err != nil {
		return fmt.Errorf("net: load bans: %w", err)
	}
	s.guard.mu.Lock()
	for _, b := range bans {
		s.guard.bans[banKey{b.Kind, strings.ToLower(b.Value)}] = b
	}
	s.guard.mu.Unlock()
	costs, err := s.store.HashCosts(ctx)
	if err != nil {
		return fmt.Errorf("net: password costs in use: %w", err)
	}
	return s.hash.CostsInUse(costs)
}
