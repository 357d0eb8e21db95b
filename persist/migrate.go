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

// pgMigrations are the same schema in Postgres's dialect, plus the claims
// that only several processes need. Usernames and banned values are
// unique and looked up without case through indexes on lower().
var pgMigrations = []string{
	`CREATE TABLE accounts (
		id            BIGSERIAL        PRIMARY KEY,
		username      TEXT             NOT NULL,
		password_hash BYTEA            NOT NULL,
		avatar        INTEGER          NOT NULL CHECK (avatar BETWEEN 0 AND 5),
		x             DOUBLE PRECISION NOT NULL,
		y             DOUBLE PRECISION NOT NULL,
		created_at    TIMESTAMPTZ      NOT NULL DEFAULT now()
	);
	CREATE UNIQUE INDEX accounts_username ON accounts (lower(username))`,
	`CREATE TABLE bans (
		kind       TEXT        NOT NULL CHECK (kind IN ('account', 'address')),
		value      TEXT        NOT NULL,
		reason     TEXT        NOT NULL,
		expires_at BIGINT,
		created_at TIMESTAMPTZ NOT NULL DEFAULT now()
	);
	CREATE UNIQUE INDEX bans_key ON bans (kind, lower(value))`,
	// A claim says which login plays an account, from which process, until
	// when: the process renews its claims while it runs.
	`CREATE TABLE claims (
		account_id BIGINT      PRIMARY KEY,
		login      BIGINT      NOT NULL,
		node       TEXT        NOT NULL,
		expires_at TIMESTAMPTZ NOT NULL
	);
	CREATE INDEX claims_node ON claims (node)`,
}

// migrate brings the schema up to date, one transaction per migration,
// and checks that the database takes writes.
func (s *Store) migrate(ctx context.Context) error {
	var err error
	if s.pg {
		err = s.migratePostgres(ctx)
	} else {
		err = s.migrateSQLite(ctx)
	}
	if err != nil {
		return err
	}
	return s.checkWritable(ctx)
}

// checkWritable fails when the database takes no writes (a read-only
// file, directory or mount; a Postgres role, database or server that is
// read-only): the server would start and say ready while every
// registration failed. The write it tries is rolled back.
func (s *Store) checkWritable(ctx context.Context) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err == nil {
		defer tx.Rollback() //nolint:errcheck // nothing was written
		_, err = tx.ExecContext(ctx, s.q(`UPDATE bans SET reason = reason WHERE value = ?`), "")
	}
	if err != nil {
		return fmt.Errorf("persist: the database takes no writes (read-only?): %w", err)
	}
	return nil
}

func (s *Store) migrateSQLite(ctx context.Context) error {
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

// pgMigrationLock is the advisory lock that makes processes starting
// together migrate one after the other.
const pgMigrationLock = 0x676f646d6d6f // "godmmo"

// migratePostgres applies the pending migrations in one transaction that
// holds the migration lock, so two processes starting at once cannot both
// apply one.
func (s *Store) migratePostgres(ctx context.Context) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("persist: migrate: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var version int
	for _, q := range []string{
		`SELECT pg_advisory_xact_lock(` + fmt.Sprint(pgMigrationLock) + `)`,
		`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`,
		`INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("persist: migrate: %w", err)
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version); err != nil {
		return fmt.Errorf("persist: read schema version: %w", err)
	}
	if version > len(pgMigrations) {
		return fmt.Errorf("persist: database schema version %d is newer than this server (%d)", version, len(pgMigrations))
	}
	for v := version; v < len(pgMigrations); v++ {
		if _, err := tx.ExecContext(ctx, pgMigrations[v]); err != nil {
			return fmt.Errorf("persist: migration %d: %w", v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = $1`, len(pgMigrations)); err != nil {
		return fmt.Errorf("persist: migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("persist: migrate: %w", err)
	}
	return nil
}
