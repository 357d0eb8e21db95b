// Package guard decides who may connect, log in, register and send
// commands: the limits that let a public server survive people who try
// (connection caps, failed-login lockouts and pacing, registration and
// command rates, Origin and Host checks) and the operators' bans and
// mutes.
// The endpoint asks it before it acts; it never closes a connection itself.
package guard

import (
	"context"
	"fmt"
	"log/slog"
	stdnet "net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist"
	"golang.org/x/time/rate"
)

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
	// Command counts a command taken from a player (past its check and
	// limits), by its registered name.
	Command(name string)
}

type nopOpsMetrics struct{}

func (nopOpsMetrics) Refused(string)      {}
func (nopOpsMetrics) Connections(int)     {}
func (nopOpsMetrics) Disconnected(string) {}
func (nopOpsMetrics) Registered()         {}
func (nopOpsMetrics) Command(string)      {}

// Guard holds the server's limits and the operators' state (bans, mutes):
// everything that decides who may connect, log in, register and send
// commands.
type Guard struct {
	lim     Limits
	log     *slog.Logger
	metrics OpsMetrics
	hosts   map[string]bool // lower-case; nil accepts any
	// originPatterns are other sites' pages allowed.
	originPatterns []string
	logRate        *rate.Limiter // refusal lines in the log, server-wide

	conns conns
	// Failed logins (see BeginLogin): per account and address (locks),
	// per address (locks), per account from anywhere (paces).
	pairFails *failures
	addrFails *failures
	acctFails *failures
	known     knownAddrs
	regs      *buckets            // registrations per address
	commands  map[string]*buckets // each command's, per account, across its connections and resumes
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

// New makes the guard of limits l (nil: DefaultLimits), which allows
// pages of originPatterns besides the server's own, and paces each of the
// mods' commands at its rate. It reports to m; nil reports nothing.
func New(l *Limits, originPatterns []string, commands map[string]mod.Command, m OpsMetrics, log *slog.Logger) *Guard {
	lim := DefaultLimits()
	if l != nil {
		lim = *l
	}
	if m == nil {
		m = nopOpsMetrics{}
	}
	g := &Guard{
		lim: lim, log: log, metrics: m, logRate: rate.NewLimiter(5, 20), originPatterns: originPatterns,
		conns:     conns{max: lim.MaxConns, perAddr: lim.MaxConnsPerAddr, byAddr: make(map[string]int)},
		pairFails: newFailures(lim.LoginFailsPerAccount, lim.LoginFailWindow, lim.LoginLockout),
		addrFails: newFailures(lim.LoginFailsPerAddr, lim.LoginFailWindow, lim.LoginLockout),
		acctFails: newFailures(lim.LoginFailsPerAccount, lim.LoginFailWindow, lim.LoginLockout),
		regs:      newBuckets(rate.Limit(float64(lim.RegistrationsPerAddr)/3600), lim.RegistrationsPerAddr),
		turns:     newTurns(lim.HashesPerAddr),
		bans:      make(map[banKey]persist.Ban),
		mutes:     make(map[string]time.Time),
		nowFor:    time.Now,
	}
	g.commands = make(map[string]*buckets)
	for name, c := range commands {
		g.commands[name] = newBuckets(rate.Limit(c.Rate), c.Burst)
	}
	hosts := lim.Hosts
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
func (g *Guard) limited(addr string) bool {
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

// Refuse counts and logs (a few lines a second at most) a refusal.
func (g *Guard) Refuse(log *slog.Logger, level slog.Level, label, msg string, args ...any) {
	g.metrics.Refused(label)
	if g.logRate.Allow() {
		log.Log(context.Background(), level, msg, append(args, "refusal", label)...)
	}
}

// Peer is where a connection comes from, as the limits see it.
type Peer struct {
	// Addr is the remote IP address.
	Addr string
	// Key is what the per-address limits count for it: the address itself
	// for IPv4, its /64 for IPv6.
	Key string
}

// PeerOf is the Peer of an http.Request's RemoteAddr.
func PeerOf(remote string) Peer {
	addr := remoteIP(remote)
	return Peer{Addr: addr, Key: limitKey(addr)}
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
// caps were applied when it was accepted: Guard.Listener.) When it may
// not, Admit answers the request itself. Call release when the
// connection ends.
func (g *Guard) Admit(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	addr := remoteIP(r.RemoteAddr)
	log := g.log.With("remote", r.RemoteAddr)
	if status, label, why := g.checkOrigin(r); status != 0 {
		level := slog.LevelInfo
		if label == "origin" {
			level = slog.LevelWarn // a browser page of another site: maybe a missing -origins
		}
		g.Refuse(log, level, label, "connection refused: "+why, "origin", wire.Truncate(r.Header.Get("Origin"), 100), "host", wire.Truncate(r.Host, 100))
		http.Error(w, why, status)
		return nil, false
	}
	if b, banned := g.banned(persist.BanAddress, addr); banned {
		g.Refuse(log, slog.LevelInfo, "banned_address", "connection refused: address banned", "reason", b.Reason)
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
func (g *Guard) checkOrigin(r *http.Request) (status int, label, why string) {
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
		if NativeOrigin(origin) {
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

// banned returns the ban on kind/value in force now, if any.
func (g *Guard) banned(kind persist.BanKind, value string) (persist.Ban, bool) {
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

// Muted reports whether the player name may not speak now (send a
// command that speaks, such as Chat).
func (g *Guard) Muted(name string) bool {
	g.mu.RLock()
	until, ok := g.mutes[strings.ToLower(name)]
	g.mu.RUnlock()
	return ok && (until.IsZero() || g.nowFor().Before(until))
}

// LoginTry is one login attempt's hold on the failed-login limits, from
// before its password is checked until its outcome is known: it counts as
// a failure from the start, so attempts running at once cannot pass a
// limit between its check and its count.
type LoginTry struct {
	g     *Guard
	log   *slog.Logger
	name  string
	acct  string // lower-case name; "" for a name too long to be anyone's
	pair  string // account and address
	key   string // the address's limit key
	addr  string // the same, but "" when the address is exempt
	known bool   // the account logged in from this address before
}

// BeginLogin applies the failed-login limits to a login of name, before
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
// It returns the attempt, to be ended with Succeeded, Failed or Void, or
// the refusal of a lockout. A delay it imposes ends early when ctx does.
func (g *Guard) BeginLogin(ctx context.Context, log *slog.Logger, p Peer, name string) (*LoginTry, wire.Refusal) {
	now := time.Now()
	t := &LoginTry{g: g, log: log, name: wire.Truncate(name, wire.MaxUsername), key: p.Key}
	if g.limited(p.Addr) {
		t.addr = p.Key
	}
	if len(name) <= wire.MaxUsername { // longer is nobody's: not a key of the tables
		t.acct = strings.ToLower(name)
		t.pair = t.acct + " " + p.Key
		t.known = g.known.has(t.acct, p.Key)
	}
	var delay time.Duration
	if t.addr != "" {
		d, locked := g.addrFails.reserve(t.addr, now, true)
		if locked > 0 {
			g.Refuse(log, slog.LevelInfo, "login_locked_addr", "login refused: address locked out", "username", t.name, "for", locked.Round(time.Second))
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
			g.Refuse(log, slog.LevelInfo, "login_locked_account", "login refused: account locked out for this address", "username", t.name, "for", locked.Round(time.Second))
			return nil, wire.Refusal{Code: wire.AccountLocked, Wait: locked}
		}
		p, retry := g.acctFails.pace(t.acct, now, !t.known)
		if retry > 0 {
			g.pairFails.refund(t.pair, now)
			if t.addr != "" {
				g.addrFails.refund(t.addr, now)
			}
			g.Refuse(log, slog.LevelInfo, "login_locked_account", "login refused: account's turn taken", "username", t.name, "for", retry.Round(time.Second))
			return nil, wire.Refusal{Code: wire.AccountBusy, Wait: retry}
		}
		delay = max(delay, d, p)
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
		}
	}
	return t, wire.Refusal{}
}

// Nobody reports whether the name tried is too long to be anyone's:
// there is nothing to look up or hash.
func (t *LoginTry) Nobody() bool { return t.acct == "" }

// Succeeded ends an attempt whose password was right: the account's
// failures from this address are forgiven, the attempt given back to the
// other counts, and the address remembered as the account's.
func (t *LoginTry) Succeeded() {
	t.Void()
	if t.acct != "" {
		t.g.pairFails.forgive(t.pair)
		t.g.known.add(t.acct, t.key)
	}
}

// Void gives the attempt back: it never got to the password (a database
// error, the server busy, the connection gone).
func (t *LoginTry) Void() {
	now := time.Now()
	if t.addr != "" {
		t.g.addrFails.refund(t.addr, now)
	}
	if t.acct != "" {
		t.g.pairFails.refund(t.pair, now)
		t.g.acctFails.refund(t.acct, now)
	}
}

// Failed ends an attempt with a wrong password or an unknown name: it
// stays counted. It is logged, with whether the next attempt is locked out.
func (t *LoginTry) Failed() {
	if !t.g.logRate.Allow() {
		return
	}
	now := time.Now()
	t.log.Info("login refused", "username", t.name, "reason", "wrong credentials",
		"locked_account", t.acct != "" && t.g.pairFails.full(t.pair, now), "locked_addr", t.addr != "" && t.g.addrFails.full(t.addr, now))
}

// AccountBanned refuses a login when the account is banned. Check it
// after the password, so a ban reveals nothing to someone guessing.
func (g *Guard) AccountBanned(log *slog.Logger, name string) (deny wire.Refusal) {
	if b, banned := g.banned(persist.BanAccount, name); banned {
		g.Refuse(log, slog.LevelInfo, "banned_account", "login refused: account banned", "username", name, "reason", b.Reason)
		return wire.Refusal{Code: wire.Banned, Arg: b.Reason, Until: b.Expires}
	}
	return wire.Refusal{}
}

// BeforeRegister applies the per-address registration limit and keeps the
// operators' sender name free; reserved says the name is that one.
func (g *Guard) BeforeRegister(log *slog.Logger, p Peer, name string) (deny wire.Refusal, reserved bool) {
	if strings.EqualFold(name, wire.ServerName) {
		return wire.Refusal{Code: wire.Taken}, true
	}
	if g.limited(p.Addr) && !g.regs.allow(p.Key, time.Now()) {
		g.Refuse(log, slog.LevelInfo, "registrations", "registration refused: too many from address", "username", name)
		return wire.Refusal{Code: wire.Registrations}, false
	}
	return wire.Refusal{}, false
}

// HashTurn waits until p may queue a password hash, or ctx ends; call
// the returned func after the hash.
func (g *Guard) HashTurn(ctx context.Context, p Peer) (func(), error) {
	if !g.limited(p.Addr) {
		return func() {}, nil
	}
	return g.turns.wait(ctx, p.Key)
}

// Command applies the operators' and the command's limits to command c
// from the account player: refuse (muted, for a command that speaks; too
// fast) or take it (the zero Refusal). The allowance lasts across the
// account's connections and resumes.
func (g *Guard) Command(c mod.Command, player string) wire.Refusal {
	if c.Speech && g.Muted(player) {
		g.metrics.Refused("muted")
		return wire.Refusal{Code: wire.Muted}
	}
	if !g.commands[c.Name].allow(strings.ToLower(player), time.Now()) {
		g.metrics.Refused(strings.ToLower(c.Name) + "_rate")
		if c.Slow != "" {
			return wire.Refusal{Code: wire.ModRefused, Arg: c.Slow}
		}
		return wire.Refusal{Code: wire.ModSlow, Arg: c.Name}
	}
	g.metrics.Command(c.Name)
	return wire.Refusal{}
}

// Metrics is what the guard reports to; the endpoint reports there too.
func (g *Guard) Metrics() OpsMetrics { return g.metrics }

// LoginTimeout is how long a connection may take to log in; 0: forever.
func (g *Guard) LoginTimeout() time.Duration { return g.lim.LoginTimeout }

// Bans lists the bans in force.
func (g *Guard) Bans() []persist.Ban {
	now := g.nowFor()
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := []persist.Ban{}
	for _, b := range g.bans {
		if b.Active(now) {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Kind < out[j].Kind || out[i].Kind == out[j].Kind && out[i].Value < out[j].Value
	})
	return out
}

// Ban enforces b from now on (until it expires, or Lift).
func (g *Guard) Ban(b persist.Ban) {
	g.mu.Lock()
	g.bans[banKey{b.Kind, strings.ToLower(b.Value)}] = b
	g.mu.Unlock()
}

// Lift ends the ban on kind/value.
func (g *Guard) Lift(kind persist.BanKind, value string) {
	g.mu.Lock()
	delete(g.bans, banKey{kind, strings.ToLower(value)})
	g.mu.Unlock()
}

// Mute refuses name's commands that speak until until; zero: until Unmute.
func (g *Guard) Mute(name string, until time.Time) {
	g.mu.Lock()
	g.mutes[strings.ToLower(name)] = until
	g.mu.Unlock()
}

// Unmute lets name speak again.
func (g *Guard) Unmute(name string) {
	g.mu.Lock()
	delete(g.mutes, strings.ToLower(name))
	g.mu.Unlock()
}

// LoadBans enforces the bans in force in the store, before the server serves.
func (g *Guard) LoadBans(ctx context.Context, store *persist.Store) error {
	bans, err := store.Bans(ctx, time.Now())
	if err != nil {
		return fmt.Errorf("guard: load bans: %w", err)
	}
	for _, b := range bans {
		g.Ban(b)
	}
	return nil
}

// FollowBans reads the bans from the store every period until ctx ends, so
// that a process of a world split over processes that missed a ban (or a
// lift) sent over the bus, cut off at the time, enforces it all the same.
func (g *Guard) FollowBans(ctx context.Context, store *persist.Store, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var last map[banKey]bool // the bans of the last read
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		bans, err := store.Bans(ctx, time.Now())
		if err != nil {
			g.log.Warn("bans not read again", "err", err)
			continue
		}
		read := make(map[banKey]bool, len(bans))
		g.mu.Lock()
		for _, b := range bans {
			k := banKey{b.Kind, strings.ToLower(b.Value)}
			read[k], g.bans[k] = true, b
		}
		// A ban gone from the store since the last read was lifted; one
		// never read may have been given while this read was on its way.
		for k := range g.bans {
			if last[k] && !read[k] {
				delete(g.bans, k)
			}
		}
		g.mu.Unlock()
		last = read
	}
}

// NativeOrigin reports whether an Origin header comes from something other
// than a web page (none at all, "null", file://, app schemes). Origin checks
// protect browser users from other sites; they mean nothing for native clients.
func NativeOrigin(origin string) bool {
	if origin == "" || origin == "null" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Scheme != "http" && u.Scheme != "https"
}
