package net

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/godmmo/godmmo/ecs"
)

// resumer keeps the resume tokens of v2 sessions. A token names a login: it
// is handed to the client with the login's Ok, and after a connection drops
// without a clean close the login's actor stays in the world, idle, for the
// grace period, so a new connection that presents the token gets the same
// actor back with no password and nobody else sees it leave. A token works
// once: resuming hands out the next one. A clean close, the end of the
// grace period, a password login of the account (which takes the parked
// actor over: takeParked), or an operator's kick, ban, password reset or
// delete of its account (end) ends it.
type resumer struct {
	grace time.Duration
	// logout takes a login's actor out of the world.
	logout func(actor ecs.Actor, login uint64)
	log    *slog.Logger

	mu      sync.Mutex
	parked  map[int64]string // actor id → token of its parked ticket
	tickets map[string]*ticket
	stopped bool
}

// ticket is one login a token resumes.
type ticket struct {
	actor ecs.Actor
	addr  string // the address it was issued to, for address bans
	login uint64
	owner *session    // the session playing it; nil while parked
	timer *time.Timer // ends a parked ticket
	ended bool        // an operator ended it while its session played: it parks no more
}

func newResumer(grace time.Duration, logout func(ecs.Actor, uint64), log *slog.Logger) *resumer {
	return &resumer{grace: grace, logout: logout, log: log, tickets: make(map[string]*ticket), parked: make(map[int64]string)}
}

// newToken is 128 random bits, in hex.
func newToken() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// issue gives session s, playing actor as login, a token.
func (r *resumer) issue(s *session, actor ecs.Actor, login uint64) string {
	t := newToken()
	s.ops.mu.Lock()
	addr := s.ops.addr
	s.ops.mu.Unlock()
	r.mu.Lock()
	r.tickets[t] = &ticket{actor: actor, addr: addr, login: login, owner: s}
	r.mu.Unlock()
	return t
}

// leave is told that session s, holding token, ended. A dropped connection
// parks the ticket for the grace period and reports that the actor must
// stay; any other end spends the token, and the actor leaves as usual. A
// session whose ticket was taken over by a resume must not log it out either.
func (r *resumer) leave(s *session, token string, dropped bool) (stay bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.tickets[token]
	if !ok || c.owner != s {
		return !ok && token != "" // resumed elsewhere: the actor plays on there
	}
	if !dropped || r.stopped || r.grace <= 0 || c.ended {
		r.drop(token, c)
		return false
	}
	c.owner = nil
	r.parked[c.actor.ID] = token
	c.timer = time.AfterFunc(r.grace, func() { r.expire(token, c) })
	return true
}

// expire ends a ticket still parked when its grace period is over: the actor
// logs out.
func (r *resumer) expire(token string, c *ticket) {
	r.mu.Lock()
	if r.tickets[token] != c || c.owner != nil {
		r.mu.Unlock()
		return
	}
	r.drop(token, c)
	r.mu.Unlock()
	r.logout(c.actor, c.login)
}

// drop forgets the ticket c of token. r.mu is held.
func (r *resumer) drop(token string, c *ticket) {
	delete(r.tickets, token)
	if r.parked[c.actor.ID] == token {
		delete(r.parked, c.actor.ID)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
}

// take spends token for a resume and returns its ticket; the session that
// still plays it, if its connection is not yet known to be gone, is told to
// close.
func (r *resumer) take(token string) (ticket, bool) {
	r.mu.Lock()
	c, ok := r.tickets[token]
	if ok && c.ended {
		ok = false // its session plays on until it leaves, and no further
	} else if ok {
		r.drop(token, c)
	}
	r.mu.Unlock()
	if !ok {
		return ticket{}, false
	}
	if c.owner != nil {
		c.owner.kick(StatusResumed, "resumed on another connection")
	}
	return *c, true
}

// end ends the tickets whose actors (or addresses) match, for an operator:
// a parked one's actor logs out now, and one still played parks no more
// when its connection drops, nor resumes. It returns how many parked actors
// it logged out, and how many tickets it ended whose sessions play on.
func (r *resumer) end(match func(actor ecs.Actor, addr string) bool) (parked, playing int) {
	r.mu.Lock()
	var out []*ticket
	for t, c := range r.tickets {
		switch {
		case !match(c.actor, c.addr):
		case c.owner == nil:
			r.drop(t, c)
			out = append(out, c)
		default:
			c.ended = true
			playing++
		}
	}
	r.mu.Unlock()
	for _, c := range out {
		r.logout(c.actor, c.login)
	}
	return len(out), playing
}

// takeParked spends the token of actor id's ticket if it is parked (its
// connection dropped), for a password login that takes the actor over.
func (r *resumer) takeParked(id int64) (ticket, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	token, ok := r.parked[id]
	if !ok {
		return ticket{}, false
	}
	c := r.tickets[token]
	r.drop(token, c)
	return *c, true
}

// stop ends every parked ticket now, logging its actor out, and every later
// one as it comes: the server is shutting down.
func (r *resumer) stop() {
	r.mu.Lock()
	r.stopped = true
	var parked []*ticket
	for t, c := range r.tickets {
		if c.owner == nil {
			parked = append(parked, c)
			r.drop(t, c)
		}
	}
	r.mu.Unlock()
	for _, c := range parked {
		r.logout(c.actor, c.login)
	}
}
