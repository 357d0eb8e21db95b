package persist

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// ClaimLease is how long a claim holds without its process renewing it: a
// process that dies leaves its players' accounts free this long after.
const ClaimLease = 10 * time.Second

// claimBook holds a SQLite store's claims. One process opens a SQLite file
// (its lock file sees to it), so its claims need no table: a map in the
// process is the whole truth. Postgres stores keep theirs in the claims
// table, which every process of the world shares.
type claimBook struct {
	lease time.Duration
	node  string

	mu   sync.Mutex
	held map[int64]uint64 // account → login
}

// SetNode names this process for its claims, so that one restarted under
// the same name frees its dead predecessor's claims at once. Call it
// before Run.
func (s *Store) SetNode(node string) { s.claims.node = node }

// Claim makes login the one that plays the account: ErrPlaying when
// another login holds it, unless that login's process stopped renewing it.
func (s *Store) Claim(ctx context.Context, account int64, login uint64) error {
	if !s.pg {
		b := &s.claims
		b.mu.Lock()
		defer b.mu.Unlock()
		if held, ok := b.held[account]; ok && held != login {
			return ErrPlaying
		}
		b.held[account] = login
		return nil
	}
	var got int64
	err := s.write.QueryRowContext(ctx, `INSERT INTO claims (account_id, login, node, expires_at)
		VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
		ON CONFLICT (account_id) DO UPDATE SET login = excluded.login, node = excluded.node, expires_at = excluded.expires_at
		WHERE claims.expires_at < now() OR claims.login = excluded.login
		RETURNING login`, account, int64(login), s.claims.node, s.claims.lease.Milliseconds()).Scan(&got)
	if err != nil {
		if isNoRows(err) {
			return ErrPlaying
		}
		return fmt.Errorf("persist: claim account %d: %w", account, err)
	}
	return nil
}

// Release gives up login's claim on the account, if it holds it.
func (s *Store) Release(ctx context.Context, account int64, login uint64) error {
	if !s.pg {
		b := &s.claims
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.held[account] == login {
			delete(b.held, account)
		}
		return nil
	}
	if _, err := s.write.ExecContext(ctx, `DELETE FROM claims WHERE account_id = $1 AND login = $2`, account, int64(login)); err != nil {
		return fmt.Errorf("persist: release account %d: %w", account, err)
	}
	return nil
}

// Playing reports whether some login holds a claim on the account now.
func (s *Store) Playing(ctx context.Context, account int64) (bool, error) {
	if !s.pg {
		b := &s.claims
		b.mu.Lock()
		defer b.mu.Unlock()
		_, ok := b.held[account]
		return ok, nil
	}
	var held bool
	if err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM claims WHERE account_id = $1 AND expires_at >= now())`,
		account).Scan(&held); err != nil {
		return false, fmt.Errorf("persist: claim on account %d: %w", account, err)
	}
	return held, nil
}

// TransferClaim hands the account's claim from login from to login to, for
// a resumed login: ErrPlaying when from holds it no more.
func (s *Store) TransferClaim(ctx context.Context, account int64, from, to uint64) error {
	if !s.pg {
		b := &s.claims
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.held[account] != from {
			return ErrPlaying
		}
		b.held[account] = to
		return nil
	}
	res, err := s.write.ExecContext(ctx, `UPDATE claims SET login = $3, node = $4, expires_at = now() + $5 * interval '1 millisecond'
		WHERE account_id = $1 AND login = $2`, account, int64(from), int64(to), s.claims.node, s.claims.lease.Milliseconds())
	if err != nil {
		return fmt.Errorf("persist: transfer claim on account %d: %w", account, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrPlaying
	}
	return nil
}

// renewClaims extends every claim of this process by a lease.
func (s *Store) renewClaims(ctx context.Context) error {
	_, err := s.write.ExecContext(ctx, `UPDATE claims SET expires_at = now() + $2 * interval '1 millisecond' WHERE node = $1`,
		s.claims.node, s.claims.lease.Milliseconds())
	if err != nil {
		return fmt.Errorf("persist: renew claims: %w", err)
	}
	return nil
}

// resetClaims frees the claims a process of this name left behind.
func (s *Store) resetClaims(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM claims WHERE node = $1`, s.claims.node); err != nil {
		return fmt.Errorf("persist: reset claims: %w", err)
	}
	return nil
}
