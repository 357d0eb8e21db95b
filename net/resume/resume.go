// Package resume keeps the resume tickets of v2 logins, so a player whose
// connection dropped (a phone changing networks, a tunnel) gets its actor
// back on a new connection, where it stood, with no password and without
// anyone else seeing it leave.
package resume

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/godmmo/godmmo/ecs"
)

// Tickets keeps the resume tokens of v2 logins. A token names a login: it
// is handed to the client with the login's Ok, and after a connection drops
// without a clean close the login's actor stays in the world, idle, for the
// grace period, so a new connection that presents the token gets the same
// actor back with no password and nobody else sees it leave. A token works
// once: resuming hands out the next one. A clean close, the end of the
// grace period, a password login of the account (which takes the parked
// actor over: TakeParked), or an operator's kick, ban, password reset or
// delete of its account (End) ends it.
type Tickets struct {
	grace time.Duration
	// logout takes a login's actor out of the world.
	logout func(actor ecs.Actor, login uint64)
	log    *slog.Logger

	mu      sync.Mutex
	parked  map[int64]string // actor id → token of its parked ticket
	tickets map[string]*Ticket
	stopped bool
}

// Ticket is one login a token resumes.
type Ticket struct {
	Actor ecs.Actor
	Login uint64
	addr  string      // the address it was issued to, for address bans
	owner Owner       // the connection playing it; nil while parked
	timer *time.Timer // ends a parked ticket
	ended bool        // an operator ended it while its connection played: it parks no more
}

// Owner is the connection that plays a ticket's login.
type Owner interface {
	// Resumed closes the connection: its login was resumed on another.
	Resumed()
}

// New keeps tickets whose actors wait grace for a resume once their
// connection dropped; logout takes a login's actor out of the world.
func New(grace time.Duration, logout func(ecs.Actor, uint64), log *slog.Logger) *Tickets {
	return &Tickets{grace: grace, logout: logout, log: log, tickets: make(map[string]*Ticket), parked: make(map[int64]string)}
}

// newToken is 128 random bits, in hex.
func newToken() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// Issue gives owner, a connection from addr playing actor as login, a token.
func (r *Tickets) Issue(owner Owner, addr string, actor ecs.Actor, login uint64) string {
	t := newToken()
	r.mu.Lock()
	r.tickets[t] = &Ticket{Actor: actor, addr: addr, Login: login, owner: owner}
	r.mu.Unlock()
	return t
}

// Leave is told that owner, holding token, ended. A dropped connection
// parks the ticket for the grace period and reports that the actor must
// stay; any other end spends the token, and the actor leaves as usual. A
// connection whose ticket was taken over by a resume must not log it out either.
func (r *Tickets) Leave(owner Owner, token string, dropped bool) (stay bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.tickets[token]
	if !ok || c.owner != owner {
		return !ok && token != "" // resumed elsewhere: the actor plays on there
	}
	if !dropped || r.stopped || r.grace <= 0 || c.ended {
		r.drop(token, c)
		return false
	}
	c.owner = nil
	r.parked[c.Actor.ID] = token
	c.timer = time.AfterFunc(r.grace, func() { r.expire(token, c) })
	return true
}

// expire ends a ticket still parked when its grace period is over: the actor
// logs out.
func (r *Tickets) expire(token string, c *Ticket) {
	r.mu.Lock()
	if r.tickets[token] != c || c.owner != nil {
		r.mu.Unlock()
		return
	}
	r.drop(token, c)
	r.mu.Unlock()
	r.logout(c.Actor, c.Login)
}

// drop forgets the ticket c of token. r.mu is held.
func (r *Tickets) drop(token string, c *Ticket) {
	delete(r.tickets, token)
	if r.parked[c.Actor.ID] == token {
		delete(r.parked, c.Actor.ID)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
}

// Take spends token for a resume and returns its ticket; the connection that
// still plays it, if it is not yet known to be gone, is told to close.
func (r *Tickets) Take(token string) (Ticket, bool) {
	r.mu.Lock()
	c, ok := r.tickets[token]
	if ok && c.ended {
		ok = false // its session plays on until it leaves, and no further
	} else if ok {
		r.drop(token, c)
	}
	r.mu.Unlock()
	if !ok {
		return Ticket{}, false
	}
	if c.owner != nil {
		c.owner.Resumed()
	}
	return *c, true
}

// End ends the tickets whose actors (or addresses) match, for an operator:
// a parked one's actor logs out now, and one still played parks no more
// when its connection drops, nor resumes. It returns how many parked actors
// it logged out, and how many tickets it ended whose sessions play on.
func (r *Tickets) End(match func(actor ecs.Actor, addr string) bool) (parked, playing int) {
	r.mu.Lock()
	var out []*Ticket
	for t, c := range r.tickets {
		switch {
		case !match(c.Actor, c.addr):
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
		r.logout(c.Actor, c.Login)
	}
	return len(out), playing
}

// TakeParked spends the token of actor id's ticket if it is parked (its
// connection dropped), for a password login that takes the actor over.
func (r *Tickets) TakeParked(id int64) (Ticket, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	token, ok := r.parked[id]
	if !ok {
		return Ticket{}, false
	}
	c := r.tickets[token]
	r.drop(token, c)
	return *c, true
}

// Stop ends every parked ticket now, logging its actor out, and every later
// one as it comes: the server is shutting down.
func (r *Tickets) Stop() {
	r.mu.Lock()
	r.stopped = true
	var parked []*Ticket
	for t, c := range r.tickets {
		if c.owner == nil {
			parked = append(parked, c)
			r.drop(t, c)
		}
	}
	r.mu.Unlock()
	for _, c := range parked {
		r.logout(c.Actor, c.Login)
	}
}
