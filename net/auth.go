package net

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// errBusy means too many password checks are already waiting.
var errBusy = errors.New("net: too many logins waiting")

// hasher runs bcrypt on a bounded number of goroutines at once (the
// connections' own read loops), so a burst of logins queues instead of
// taking every core from the tick.
type hasher struct {
	cost    int
	slots   chan struct{}
	waiting atomic.Int64
	maxWait int64
	dummy   []byte // compared against for unknown users, so they cost the same time
}

func newHasher(cost, workers, maxWait int) (*hasher, error) {
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a password anyone has"), cost)
	if err != nil {
		return nil, fmt.Errorf("net: bcrypt cost %d: %w", cost, err)
	}
	return &hasher{cost: cost, slots: make(chan struct{}, workers), maxWait: int64(maxWait), dummy: dummy}, nil
}

// do runs fn in a hashing slot, waiting for one until ctx ends.
func (h *hasher) do(ctx context.Context, fn func()) error {
	if h.waiting.Add(1) > h.maxWait {
		h.waiting.Add(-1)
		return errBusy
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

// hash returns the bcrypt hash of password.
func (h *hasher) hash(ctx context.Context, password string) (hash []byte, err error) {
	if werr := h.do(ctx, func() { hash, err = bcrypt.GenerateFromPassword([]byte(password), h.cost) }); werr != nil {
		return nil, werr
	}
	return hash, err
}

// check reports whether password matches hash; a nil hash is checked against
// a dummy so unknown users take as long as wrong passwords.
func (h *hasher) check(ctx context.Context, hash []byte, password string) (ok bool, err error) {
	if hash == nil {
		hash = h.dummy
	}
	err = h.do(ctx, func() { ok = bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil })
	return ok, err
}

// Waiting is how many password checks wait for a slot.
func (h *hasher) Waiting() int64 { return h.waiting.Load() }
