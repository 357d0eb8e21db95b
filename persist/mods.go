package persist

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/godmmo/godmmo/ecs/mod"
)

// A mod keeps its own tables in the world's database (mod.DB): the Store
// runs the mods' migrations once each, and lends them its handles, with
// queries written for SQLite (? placeholders) adapted to Postgres.

var _ mod.DB = (*Store)(nil)

// Exec runs a statement that writes, on the writer's handle.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	if _, err := s.write.ExecContext(ctx, s.q(query), args...); err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	return nil
}

// QueryRow runs a query that reads one row.
func (s *Store) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.read.QueryRowContext(ctx, s.q(query), args...)
}

// MigrateMods applies the mods' migrations that have not run yet, each in
// a transaction with its record in mod_migrations; on Postgres under the
// migration lock, so processes starting together apply each once.
func (s *Store) MigrateMods(ctx context.Context, steps []mod.Migration) error {
	for _, m := range steps {
		if err := s.migrateMod(ctx, m); err != nil {
			return fmt.Errorf("persist: mod %s migration %s: %w", m.Mod, m.Name, err)
		}
	}
	return nil
}

func (s *Store) migrateMod(ctx context.Context, m mod.Migration) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if s.pg {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+fmt.Sprint(pgMigrationLock)+`)`); err != nil {
			return err
		}
	}
	// Under the lock: Postgres's IF NOT EXISTS does not keep two processes
	// creating the table at once from colliding.
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS mod_migrations (mod TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (mod, name))`); err != nil {
		return err
	}
	var done int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM mod_migrations WHERE mod = ? AND name = ?`), m.Mod, m.Name).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO mod_migrations (mod, name) VALUES (?, ?)`), m.Mod, m.Name); err != nil {
		return err
	}
	return tx.Commit()
}
