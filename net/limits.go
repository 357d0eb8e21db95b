package net

import (
	"context"
	"fmt"
	"net/netip"
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
	// ChatPerSecond and ChatBurst bound one player's chat lines.
	ChatPerSecond float64
	ChatBurst     int
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
		ChatPerSecond:        1,
		ChatBurst:            5,
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

// check says how long a login for key must wait before it is answered
// (slow down), or how long it stays refused (locked > 0).
func (f *failures) check(key string, now time.Time) (delay, locked time.Duration) {
	if f == nil || f.max <= 0 {
		return 0, 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.m[key]
	if !ok {
		return 0, 0
	}
	if now.Before(st.locked) {
		return 0, st.locked.Sub(now)
	}
	f.drain(st, now)
	half := float64(f.max) / 2
	if st.level > half {
		delay = min(2*time.Second, time.Duration((st.level-half)*float64(200*time.Millisecond)))
	}
	return delay, 0
}

// fail counts a failed login for key and reports whether it locked key out.
func (f *failures) fail(key string, now time.Time) bool {
	if f == nil || f.max <= 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.m[key]
	if !ok {
		f.makeRoom(now)
		st = &failState{at: now}
		f.m[key] = st
	}
	f.drain(st, now)
	st.level++
	// The max-th failure in a row locks, though the level drained a little
	// between them: a level above max-1 is that many failures.
	if st.level > float64(f.max)-1 {
		st.locked = now.Add(f.lockout)
		st.level = float64(f.max) / 2 // after the lockout, slowed down at once
		return true
	}
	return false
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

// buckets is a token bucket per key (registrations per address).
type buckets struct {
	every rate.Limit
	burst int

	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func newBuckets(perHour int) *buckets {
	if perHour <= 0 {
		return nil
	}
	return &buckets{every: rate.Limit(float64(perHour) / 3600), burst: perHour, m: make(map[string]*rate.Limiter)}
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
		return nil, fmt.Errorf("net: waiting to hash: %w", ctx.Err())
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
