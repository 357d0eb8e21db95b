package persist

import (
	"context"
	"fmt"
)

// migrations are applied in order; the database's user_version counts how
// many have run. Append new ones; never edit one that has shipped.
var migrations = []string{
	`CREATE TABLE accounts (
		id            INTEGER PRIMARY KEY,
		username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
		password_hash BLOB    NOT NULL,
		avatar        INTEGER NOT NULL CHECK (avatar BETWEEN 0 AND 5),
		x             REAL    NOT NULL,
		y             REAL    NOT NULL,
		created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
	)`,
	// Bans keep an account or an address out until expires_at (unix
	// seconds; NULL: until lifted).
	`CREATE TABLE bans (
		kind       TEXT    NOT NULL CHECK (kind IN ('account', 'address')),
		value      TEXT    NOT NULL COLLATE NOCASE,
		reason     TEXT    NOT NULL,
		expires_at INTEGER,
		created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
		PRIMARY KEY (kind, value)
	)`,
}

// migrate brings the schema up to date, one transaction per migration.
func (s *Store) migrate(ctx context.Context) error {
	var version int
	if err := s.write.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("persist: read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("persist: database schema version %d is newer than this server (%d)", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		tx, err := s.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("persist: migration %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback() //nolint:errcheck // the exec error is the one to report
			return fmt.Errorf("persist: migration %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
			tx.Rollback() //nolint:errcheck // the exec error is the one to report
			return fmt.Errorf("persist: migration %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("persist: migration %d: %w", v+1, err)
		}
	}
	return nil
}
