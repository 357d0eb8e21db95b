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
	"golang.org/x/crypto/bcrypt"
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

// Deny texts of the limits.
const (
	DenyChatSlow         = "Slow down: too many chat lines"
	DenyMuted            = "You are muted"
	DenyRegistrations    = "Too many new accounts from your address; try again later"
	DenyAccountLocked    = "Too many failed logins for this account; try again in %v"
	DenyAddrLocked       = "Too many failed logins from your address; try again in %v"
	DenyBannedAccount    = "This account is banned"
	denyBannedSuffixEnds = " until %s"
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

	conns     conns
	acctFails *failures
	addrFails *failures
	regs      *buckets
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
		acctFails: newFailures(l.LoginFailsPerAccount, l.LoginFailWindow, l.LoginLockout),
		addrFails: newFailures(l.LoginFailsPerAddr, l.LoginFailWindow, l.LoginLockout),
		regs:      newBuckets(l.RegistrationsPerAddr),
		turns:     newTurns(l.HashesPerAddr),
		bans:      make(map[banKey]persist.Ban),
		mutes:     make(map[string]time.Time),
		nowFor:    time.Now,
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
// made: the address is not banned, the connection caps hold, and a browser
// page comes from an allowed origin to one of the server's own host names.
// When it may not, admit answers the request itself. Call release when
// the connection ends.
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
	key := limitKey(addr)
	switch g.conns.open(key, g.limited(addr)) {
	case "total":
		g.refuse(log, slog.LevelInfo, "conns_total", "connection refused: server full", "max_conns", g.lim.MaxConns)
		w.Header().Set("Retry-After", "30")
		http.Error(w, "The server is full, please try again later", http.StatusServiceUnavailable)
		return nil, false
	case "address":
		g.refuse(log, slog.LevelInfo, "conns_addr", "connection refused: too many from one address", "max_conns_per_addr", g.lim.MaxConnsPerAddr)
		w.Header().Set("Retry-After", "30")
		http.Error(w, "Too many connections from your address", http.StatusTooManyRequests)
		return nil, false
	}
	g.metrics.Connections(1)
	return func() { g.conns.close(key); g.metrics.Connections(-1) }, true
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
	return fmt.Sprintf(denyBannedSuffixEnds, b.Expires.UTC().Format(time.RFC3339))
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
	chat    *rate.Limiter // read loop only

	mu     sync.Mutex
	name   string // set while playing
	id     int64
	online bool
}

func newSessionOps(remote string, lim Limits) sessionOps {
	burst := max(1, lim.ChatBurst)
	limit := rate.Inf
	if lim.ChatPerSecond > 0 {
		limit = rate.Limit(lim.ChatPerSecond)
	}
	addr := remoteIP(remote)
	return sessionOps{addr: addr, key: limitKey(addr), since: time.Now(), chat: rate.NewLimiter(limit, burst)}
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
// wire.ScreenChat let through: refuse (muted, too fast) or relay ("").
func (s *session) screenChat(text string) (deny string) {
	g := s.srv.guard
	if g.muted(s.actor.Name) {
		g.metrics.Refused("muted")
		return DenyMuted
	}
	if !s.ops.chat.Allow() {
		g.metrics.Refused("chat_rate")
		return DenyChatSlow
	}
	g.metrics.ChatLine()
	return ""
}

// beforeLogin applies the failed-login throttles: it refuses a locked-out
// account or address, and slows down answers past half the limit.
func (s *session) beforeLogin(name string) (deny string) {
	g := s.srv.guard
	now := time.Now()
	var delay time.Duration
	if g.limited(s.ops.addr) {
		d, locked := g.addrFails.check(s.ops.key, now)
		if locked > 0 {
			g.refuse(s.log, slog.LevelInfo, "login_locked_addr", "login refused: address locked out", "username", name, "for", locked.Round(time.Second))
			return fmt.Sprintf(DenyAddrLocked, roundUp(locked))
		}
		delay = d
	}
	d, locked := g.acctFails.check(strings.ToLower(name), now)
	if locked > 0 {
		g.refuse(s.log, slog.LevelInfo, "login_locked_account", "login refused: account locked out", "username", name, "for", locked.Round(time.Second))
		return fmt.Sprintf(DenyAccountLocked, roundUp(locked))
	}
	if delay = max(delay, d); delay > 0 {
		select {
		case <-time.After(delay):
		case <-s.ctx.Done():
		}
	}
	return ""
}

// roundUp shows a lockout in whole seconds, never "0s".
func roundUp(d time.Duration) time.Duration {
	return max(time.Second, d.Round(time.Second))
}

// loginFailed counts a wrong password (or unknown user) against the
// account and the address, and logs it.
func (s *session) loginFailed(name string) {
	g := s.srv.guard
	now := time.Now()
	lockedAcct := g.acctFails.fail(strings.ToLower(name), now)
	lockedAddr := g.limited(s.ops.addr) && g.addrFails.fail(s.ops.key, now)
	if g.logRate.Allow() {
		s.log.Info("login refused", "username", wire.Truncate(name, wire.MaxUsername), "reason", "wrong credentials",
			"locked_account", lockedAcct, "locked_addr", lockedAddr)
	}
}

// accountBanned returns a Deny when the account is banned. It is checked
// after the password, so a ban reveals nothing to someone guessing.
func (s *session) accountBanned(name string) (deny string) {
	g := s.srv.guard
	if b, banned := g.ban(persist.BanAccount, name); banned {
		g.refuse(s.log, slog.LevelInfo, "banned_account", "login refused: account banned", "username", name, "reason", b.Reason)
		d := DenyBannedAccount + banUntil(b)
		if b.Reason != "" {
			d += ": " + b.Reason
		}
		return d
	}
	return ""
}

// admitted records the player a session now plays, for operators.
func (s *session) admitted(a ecs.Actor) {
	s.srv.guard.acctFails.forgive(strings.ToLower(a.Name))
	s.ops.mu.Lock()
	s.ops.name, s.ops.id, s.ops.online = a.Name, a.ID, true
	s.ops.mu.Unlock()
}

// beforeRegister applies the per-address registration limit and keeps the
// operators' sender name free.
func (s *session) beforeRegister(name string) (deny string, reserved bool) {
	g := s.srv.guard
	if strings.EqualFold(name, ServerName) {
		return wire.DenyTaken, true
	}
	if g.limited(s.ops.addr) && !g.regs.allow(s.ops.key, time.Now()) {
		g.refuse(s.log, slog.LevelInfo, "registrations", "registration refused: too many from address", "username", name)
		return DenyRegistrations, false
	}
	return "", false
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
		s.log.Info("logged out", "code", s.code, "reason", s.reason, "messages_in", s.ops.in.Load(), "messages_out", s.ops.out.Load())
	}
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
// the bans in force, and a dummy hash at the cost the stored accounts use,
// so an unknown name costs as long as a wrong password even when
// BcryptCost differs from the accounts' cost.
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
	hashes, err := s.store.RecentHashes(ctx, 100)
	if err != nil {
		return fmt.Errorf("net: sample password costs: %w", err)
	}
	count := map[int]int{}
	common, most := 0, 0
	for _, h := range hashes {
		c, err := bcrypt.Cost(h)
		if err != nil {
			continue
		}
		if count[c]++; count[c] > most {
			common, most = c, count[c]
		}
	}
	if common != 0 && common != s.hash.cost {
		d, err := bcrypt.GenerateFromPassword([]byte("not a password anyone has"), common)
		if err != nil {
			return fmt.Errorf("net: dummy hash at cost %d: %w", common, err)
		}
		s.hash.dummy = d
	}
	return nil
}
