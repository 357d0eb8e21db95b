package persist

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// isUnique reports whether err is a unique-constraint violation, by the
// database's code rather than its message text.
func isUnique(err error) bool {
	var se *sqlite.Error
	var pe *pgconn.PgError
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
		errors.As(err, &pe) && pe.Code == "23505"
}

// createPrivate creates the database file readable by its owner only, when
// it does not exist yet. SQLite gives the -wal and -shm files it creates
// later the mode of the database file, so they are private too, whatever
// the umask.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("persist: create %s: %w", path, err)
	}
	return f.Close()
}

// LastWriteError is the error of the last batch of positions written, or
// nil when it succeeded (or none was written yet). Readiness checks use it:
// a server whose writes fail is not ready, even though reads still answer.
func (s *Store) LastWriteError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// SetPassword replaces an account's password hash.
func (s *Store) SetPassword(ctx context.Context, name string, hash []byte) error {
	res, err := s.write.ExecContext(ctx, s.q(`UPDATE accounts SET password_hash = ? WHERE {nocase username} = ?`), hash, name)
	if err != nil {
		return fmt.Errorf("persist: set password of %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteAccount removes an account (case ignored). Its actor id may then be
// given to a new account, so take the actor out of the world first.
func (s *Store) DeleteAccount(ctx context.Context, name string) error {
	res, err := s.write.ExecContext(ctx, s.q(`DELETE FROM accounts WHERE {nocase username} = ?`), name)
	if err != nil {
		return fmt.Errorf("persist: delete %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteAccountsWithPrefix removes every account whose username starts with
// prefix (case ignored) and returns the names removed. The prefix is
// compared as text, not as a LIKE pattern, so '_' and '%' are literal.
func (s *Store) DeleteAccountsWithPrefix(ctx context.Context, prefix string) ([]string, error) {
	if prefix == "" {
		return nil, errors.New("persist: delete by prefix: empty prefix")
	}
	rows, err := s.write.QueryContext(ctx,
		s.q(`DELETE FROM accounts WHERE {nocase substr(username, 1, ?)} = ? RETURNING username`), len(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("persist: delete prefix %q: %w", prefix, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return names, fmt.Errorf("persist: delete prefix %q: %w", prefix, err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return names, fmt.Errorf("persist: delete prefix %q: %w", prefix, err)
	}
	return names, nil
}

// HashCosts returns the bcrypt costs the stored accounts' password hashes
// use, each once: the server times unknown-user logins with a hash of the
// highest, so that no account answers a wrong password faster than an
// unknown name does. The cost is the two digits after "$2a$".
func (s *Store) HashCosts(ctx context.Context) ([]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT substr(password_hash, 5, 2) FROM accounts`)
	if err != nil {
		return nil, fmt.Errorf("persist: hash costs: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("persist: hash costs: %w", err)
		}
		if c, err := strconv.Atoi(string(b)); err == nil {
			out = append(out, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: hash costs: %w", err)
	}
	return out, nil
}

// BanKind says what a ban keeps out.
type BanKind string

// The kinds of ban.
const (
	// BanAccount keeps an account from logging in.
	BanAccount BanKind = "account"
	// BanAddress refuses connections from an IP address.
	BanAddress BanKind = "address"
)

// Ban is one row of the bans table.
type Ban struct {
	Kind   BanKind
	Value  string // the username or the IP address
	Reason string
	// Expires is when the ban ends; the zero time means never.
	Expires time.Time
}

// Active reports whether the ban still holds at now.
func (b Ban) Active(now time.Time) bool { return b.Expires.IsZero() || now.Before(b.Expires) }

// SaveBan stores a ban, replacing one of the same kind and value.
func (s *Store) SaveBan(ctx context.Context, b Ban) error {
	var expires sql.NullInt64
	if !b.Expires.IsZero() {
		expires = sql.NullInt64{Int64: b.Expires.Unix(), Valid: true}
	}
	conflict := "(kind, value)"
	if s.pg {
		conflict = "(kind, lower(value))"
	}
	_, err := s.write.ExecContext(ctx,
		s.q(`INSERT INTO bans (kind, value, reason, expires_at) VALUES (?, ?, ?, ?)
		 ON CONFLICT `+conflict+` DO UPDATE SET reason = excluded.reason, expires_at = excluded.expires_at`),
		string(b.Kind), b.Value, b.Reason, expires)
	if err != nil {
		return fmt.Errorf("persist: save ban of %s %q: %w", b.Kind, b.Value, err)
	}
	return nil
}

// DeleteBan lifts a ban; it reports ErrNotFound when there was none.
func (s *Store) DeleteBan(ctx context.Context, kind BanKind, value string) error {
	res, err := s.write.ExecContext(ctx, s.q(`DELETE FROM bans WHERE kind = ? AND {nocase value} = ?`), string(kind), value)
	if err != nil {
		return fmt.Errorf("persist: lift ban of %s %q: %w", kind, value, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Bans returns every ban that has not expired at now.
func (s *Store) Bans(ctx context.Context, now time.Time) ([]Ban, error) {
	rows, err := s.read.QueryContext(ctx,
		s.q(`SELECT kind, value, reason, expires_at FROM bans WHERE expires_at IS NULL OR expires_at > ? ORDER BY kind, value`), now.Unix())
	if err != nil {
		return nil, fmt.Errorf("persist: load bans: %w", err)
	}
	defer rows.Close()
	var out []Ban
	for rows.Next() {
		var b Ban
		var kind string
		var expires sql.NullInt64
		if err := rows.Scan(&kind, &b.Value, &b.Reason, &expires); err != nil {
			return nil, fmt.Errorf("persist: load bans: %w", err)
		}
		b.Kind = BanKind(kind)
		if expires.Valid {
			b.Expires = time.Unix(expires.Int64, 0)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: load bans: %w", err)
	}
	return out, nil
}
