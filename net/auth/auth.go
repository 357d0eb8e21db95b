// Package auth hashes and checks players' passwords with bcrypt, a few at
// a time: bcrypt is made to be slow, and a burst of logins must queue for
// it rather than take every core from the tick.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// ErrBusy means too many password checks are already waiting.
var ErrBusy = errors.New("auth: too many logins waiting")

// Hasher runs bcrypt on a bounded number of goroutines at once (the
// connections' own read loops), so a burst of logins queues instead of
// taking every core from the tick.
type Hasher struct {
	cost    int
	slots   chan struct{}
	waiting atomic.Int64
	maxWait int64
	dummy   []byte // compared against for unknown users, so they cost the same time
}

// New makes a Hasher of new passwords at cost, running workers hashes at
// once, with at most maxWait waiting for a turn.
func New(cost, workers, maxWait int) (*Hasher, error) {
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a password anyone has"), cost)
	if err != nil {
		return nil, fmt.Errorf("auth: bcrypt cost %d: %w", cost, err)
	}
	return &Hasher{cost: cost, slots: make(chan struct{}, workers), maxWait: int64(maxWait), dummy: dummy}, nil
}

// CostsInUse makes the hash unknown names are checked against as costly
// as the costliest of costs (the stored passwords') and new ones, so an
// unknown name costs at least as long as a wrong password, whichever
// accounts a load test added. Call it before the Hasher is used.
func (h *Hasher) CostsInUse(costs []int) error {
	highest := slices.Max(append(costs, h.cost))
	if highest == h.cost {
		return nil
	}
	d, err := bcrypt.GenerateFromPassword([]byte("not a password anyone has"), highest)
	if err != nil {
		return fmt.Errorf("auth: dummy hash at cost %d: %w", highest, err)
	}
	h.dummy = d
	return nil
}

// do runs fn in a hashing slot, waiting for one until ctx ends.
func (h *Hasher) do(ctx context.Context, fn func()) error {
	if h.waiting.Add(1) > h.maxWait {
		h.waiting.Add(-1)
		return ErrBusy
	}
	select {
	case h.slots <- struct{}{}:
		h.waiting.Add(-1)
	case <-ctx.Done():
		h.waiting.Add(-1)
		return ctx.Err()
	}
	defer func() { <-h.slots }()
	fn()
	return nil
}

// Hash returns the bcrypt hash of password; ErrBusy when too many wait.
func (h *Hasher) Hash(ctx context.Context, password string) (hash []byte, err error) {
	if werr := h.do(ctx, func() { hash, err = bcrypt.GenerateFromPassword([]byte(password), h.cost) }); werr != nil {
		return nil, werr
	}
	return hash, err
}

// Check reports whether password matches hash; a nil hash is checked against
// a dummy so unknown users take as long as wrong passwords.
func (h *Hasher) Check(ctx context.Context, hash []byte, password string) (ok bool, err error) {
	if hash == nil {
		hash = h.dummy
	}
	err = h.do(ctx, func() { ok = bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil })
	return ok, err
}

// Waiting is how many password checks wait for a slot.
func (h *Hasher) Waiting() int64 { return h.waiting.Load() }
