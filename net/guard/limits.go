package guard

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound what one address, one account or one player can make the
// server do, so that a public server survives people who try. A zero field
// switches that limit off; DefaultLimits are safe for a public server.
type Limits struct {
	// MaxConns caps open connections in all; MaxConnsPerAddr caps them per
	// remote IP address. Connections over a cap are refused before the
	// WebSocket upgrade (HTTP 503 or 429, with the reason in the body).
	MaxConns, MaxConnsPerAddr int
	// LoginTimeout closes a connection that has not logged in this long
	// after it opened (close code StatusLoginTimeout).
	LoginTimeout time.Duration
	// LoginFailsPerAccount and LoginFailsPerAddr are how many failed logins
	// an account, and an address, may have within LoginFailWindow before
	// further logins are refused for LoginLockout. Past half of that, each
	// answer is slowed down, up to two seconds.
	LoginFailsPerAccount, LoginFailsPerAddr int
	LoginFailWindow, LoginLockout           time.Duration
	// HashesPerAddr is how many password hashes one address may have
	// waiting or running at once; its further logins wait their turn behind
	// its own, not in the shared queue, so one address cannot fill it.
	HashesPerAddr int
	// RegistrationsPerAddr is how many accounts one address may create per
	// hour (a burst of that many, then one every hour/RegistrationsPerAddr).
	RegistrationsPerAddr int
	// Hosts are the server's own host names (no ports). A browser request
	// whose Host is not one of them is refused, which defeats DNS
	// rebinding; "*" accepts any. Empty: localhost and the loopback IPs.
	Hosts []string
	// AllowNullOrigin accepts "Origin: null", which any web page can send
	// from a sandboxed iframe; only file:// pages need it.
	AllowNullOrigin bool
	// Exempt are networks the per-address limits do not apply to (load
	// tests from loopback). A reverse proxy's address must not be in it,
	// or every player behind it is exempt.
	Exempt []netip.Prefix
}

// DefaultLimits are the limits a server has unless told otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxConns:             10000,
		MaxConnsPerAddr:      32,
		LoginTimeout:         2 * time.Minute,
		LoginFailsPerAccount: 10,
		LoginFailsPerAddr:    30,
		LoginFailWindow:      10 * time.Minute,
		LoginLockout:         5 * time.Minute,
		HashesPerAddr:        2,
		RegistrationsPerAddr: 10,
	}
}

// maxTracked bounds each per-key table (addresses, accounts), so that an
// attacker spraying keys costs memory only up to this many entries.
const maxTracked = 100_000

// failures throttles failed logins per key: each failure adds one to a
// level that drains at max per window; past max/2 answers are slowed down,
// at max the key is locked out for lockout.
type failures struct {
	max             int
	window, lockout time.Duration

	mu sync.Mutex
	m  map[string]*failState
}

type failState struct {
	level  float64
	at     time.Time // when level was last brought up to date
	locked time.Time // refused until then
	next   time.Time // pace: when the next attempt's turn comes
}

func newFailures(max int, window, lockout time.Duration) *failures {
	return &failures{max: max, window: window, lockout: lockout, m: make(map[string]*failState)}
}

// drain brings st's level up to now.
func (f *failures) drain(st *failState, now time.Time) {
	if f.window > 0 {
		st.level -= float64(now.Sub(st.at)) / float64(f.window) * float64(f.max)
	}
	st.level = max(0, st.level)
	st.at = now
}

// reserve counts a login attempt for key before its password is checked,
// as if it failed, so that attempts running at once cannot slip past the
// limit between a check and a count; succeeded or void give it back. It
// says how long to delay the answer (past half the limit, up to two
// seconds), or, when key is locked out, for how long. With lock false key
// is only ever slowed down, never locked.
func (f *failures) reserve(key string, now time.Time, lock bool) (delay, locked time.Duration) {
	if f == nil || f.max <= 0 {
		return 0, 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.state(key, now)
	if now.Before(st.locked) {
		return 0, st.locked.Sub(now)
	}
	// The max-th failure in a row locks, though the level drained a little
	// between them: a level above max-1 is that many failures.
	if lock && st.level > float64(f.max)-1 {
		st.locked = now.Add(f.lockout)
		st.level = float64(f.max) / 2 // after the lockout, slowed down at once
		return 0, f.lockout
	}
	delay = f.slow(st)
	st.level++
	return delay, 0
}

// pace counts a login attempt for key, like reserve, but never locks key
// out for long. Past half the limit attempts take turns, each up to two
// seconds after the last, so attempts from many places come one at a
// time; once the limit is used, one attempt per window/limit (a minute by
// default) may go, the rate the limit allows, and attempts while that turn
// is taken are refused until it comes (retry). With wait false the attempt
// is counted and never held up.
func (f *failures) pace(key string, now time.Time, wait bool) (delay, retry time.Duration) {
	if f == nil || f.max <= 0 {
		return 0, 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.state(key, now)
	step := f.slow(st)
	if wait && step > 0 {
		if st.next.Before(now) {
			st.next = now
		}
		if st.level > float64(f.max)-1 {
			if st.next.After(now) {
				return 0, st.next.Sub(now)
			}
			step = max(step, f.window/time.Duration(f.max))
		}
		st.next = st.next.Add(step)
		delay = min(st.next.Sub(now), 2*time.Second)
	}
	st.level++
	return delay, 0
}

// state returns key's entry, made if need be, drained up to now. f.mu is held.
func (f *failures) state(key string, now time.Time) *failState {
	st, ok := f.m[key]
	if !ok {
		f.makeRoom(now)
		st = &failState{at: now}
		f.m[key] = st
	}
	f.drain(st, now)
	return st
}

// slow is the slow-down of an entry: none up to half the limit, then
// 200 ms per failure over it, two seconds at most.
func (f *failures) slow(st *failState) time.Duration {
	half := float64(f.max) / 2
	if st.level <= half {
		return 0
	}
	return min(2*time.Second, time.Duration((st.level-half)*float64(200*time.Millisecond)))
}

// full reports whether key's next attempt would be locked out (or is).
func (f *failures) full(key string, now time.Time) bool {
	if f == nil || f.max <= 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.m[key]
	if !ok {
		return false
	}
	f.drain(st, now)
	return now.Before(st.locked) || st.level > float64(f.max)-1
}

// refund gives back one attempt reserve or pace counted: it succeeded, or
// never got to the password.
func (f *failures) refund(key string, now time.Time) {
	if f == nil || f.max <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, ok := f.m[key]; ok {
		f.drain(st, now)
		st.level = max(0, st.level-1)
	}
}

// forgive clears key after a successful login.
func (f *failures) forgive(key string) {
	if f == nil {
		return
	}
	f.mu.Lock()
	delete(f.m, key)
	f.mu.Unlock()
}

// makeRoom drops drained, unlocked entries when the table is full, and an
// arbitrary one if that freed nothing.
func (f *failures) makeRoom(now time.Time) {
	if len(f.m) < maxTracked {
		return
	}
	for k, st := range f.m {
		if f.drain(st, now); st.level == 0 && !now.Before(st.locked) {
			delete(f.m, k)
		}
	}
	for k := range f.m {
		if len(f.m) < maxTracked {
			break
		}
		delete(f.m, k)
	}
}

// buckets is a token bucket per key: registrations per address, a
// command's per account.
type buckets struct {
	every rate.Limit
	burst int

	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// newBuckets makes buckets of burst tokens refilled at every; nil, which
// allows everything, when every is not positive or is rate.Inf.
func newBuckets(every rate.Limit, burst int) *buckets {
	if every <= 0 || every == rate.Inf {
		return nil
	}
	return &buckets{every: every, burst: max(1, burst), m: make(map[string]*rate.Limiter)}
}

// allow takes a token for key, reporting false when there is none.
func (b *buckets) allow(key string, now time.Time) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.m[key]
	if !ok {
		if len(b.m) >= maxTracked {
			for k, l := range b.m {
				if l.TokensAt(now) >= float64(b.burst) {
					delete(b.m, k)
				}
			}
			for k := range b.m {
				if len(b.m) < maxTracked {
					break
				}
				delete(b.m, k)
			}
		}
		l = rate.NewLimiter(b.every, b.burst)
		b.m[key] = l
	}
	return l.AllowN(now, 1)
}

// turns lets each address have at most n password hashes waiting or
// running; the rest of its logins wait here, each in its own connection's
// read loop, so the shared hash queue holds at most n per address.
type turns struct {
	n  int
	mu sync.Mutex
	m  map[string]*turn
}

type turn struct {
	slots chan struct{}
	users int
}

func newTurns(n int) *turns {
	if n <= 0 {
		return nil
	}
	return &turns{n: n, m: make(map[string]*turn)}
}

// wait blocks until key may hash, or ctx ends; call the returned func after.
func (t *turns) wait(ctx context.Context, key string) (func(), error) {
	if t == nil {
		return func() {}, nil
	}
	t.mu.Lock()
	tu, ok := t.m[key]
	if !ok {
		tu = &turn{slots: make(chan struct{}, t.n)}
		t.m[key] = tu
	}
	tu.users++
	t.mu.Unlock()
	leave := func() {
		t.mu.Lock()
		if tu.users--; tu.users == 0 {
			delete(t.m, key)
		}
		t.mu.Unlock()
	}
	select {
	case tu.slots <- struct{}{}:
	case <-ctx.Done():
		leave()
		return nil, fmt.Errorf("guard: waiting to hash: %w", ctx.Err())
	}
	return func() { <-tu.slots; leave() }, nil
}

// conns counts open connections in all and per address.
type conns struct {
	max, perAddr int

	mu     sync.Mutex
	total  int
	byAddr map[string]int
}

// open counts a new connection from addr (limited is false for exempt
// addresses), or says which cap it would pass: "total" or "address".
func (c *conns) open(addr string, limited bool) (over string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.total >= c.max {
		return "total"
	}
	if limited && c.perAddr > 0 && c.byAddr[addr] >= c.perAddr {
		return "address"
	}
	c.total++
	c.byAddr[addr]++
	return ""
}

// close uncounts a connection opened with open.
func (c *conns) close(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.byAddr[addr]--; c.byAddr[addr] <= 0 {
		delete(c.byAddr, addr)
	}
}

// knownAddrs remembers, per account, the last few addresses (limit keys)
// it logged in from since the server started: failed logins of strangers
// slow those down less (see Guard.BeginLogin).
type knownAddrs struct {
	mu sync.Mutex
	m  map[string][]string
}

// knownPerAccount is how many addresses knownAddrs keeps per account.
const knownPerAccount = 4

func (k *knownAddrs) has(acct, addr string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Contains(k.m[acct], addr)
}

// add records a login of acct from addr, forgetting its oldest address
// beyond knownPerAccount, and an arbitrary account when the table is full.
func (k *knownAddrs) add(acct, addr string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = make(map[string][]string)
	}
	addrs, ok := k.m[acct]
	if !ok && len(k.m) >= maxTracked {
		for a := range k.m {
			delete(k.m, a)
			break
		}
	}
	addrs = slices.DeleteFunc(addrs, func(a string) bool { return a == addr })
	if len(addrs) >= knownPerAccount {
		addrs = addrs[1:]
	}
	k.m[acct] = append(addrs, addr)
}
