// Package persist keeps accounts and actor positions in SQLite (one process,
// the default) or in Postgres (several processes of one world). Accounts
// are written at once, in a transaction; positions are collected from the
// tick and written in batches by one writer goroutine, so the tick never
// waits on the disk and a crash loses at most one flush interval of
// walking. Claims make one login at a time play an account, across every
// process that shares the database.
package persist

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/godmmo/godmmo/ecs"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Errors callers tell apart.
var (
	// ErrTaken means the username belongs to another account (case ignored).
	ErrTaken = errors.New("persist: username taken")
	// ErrNotFound means no account has that username.
	ErrNotFound = errors.New("persist: account not found")
	// ErrLocked means another process has the database open.
	ErrLocked = errors.New("persist: database locked by another server")
	// ErrPlaying means another login plays the account.
	ErrPlaying = errors.New("persist: account playing elsewhere")
)

// Account is a stored account with its actor.
type Account struct {
	Actor ecs.Actor
	// Hash is the bcrypt hash of the password.
	Hash []byte
}

// Store is the database. Open it, run its writer with Run, and Close it last.
type Store struct {
	write *sql.DB // SQLite: one connection, as it has one writer; Postgres: the pool
	read  *sql.DB // SQLite: the readers; Postgres: the same pool
	pg    bool
	log   *slog.Logger

	mu       sync.Mutex
	pending  map[int64]ecs.SavedPosition // newest unsaved position per actor
	inflight map[int64]ecs.SavedPosition // the batch being written now
	wake     chan struct{}
	onFlush  func(rows int, d time.Duration, err error)
	lastErr  error // of the last position batch; nil once one succeeds

	lock *fileLock // held while open, so a second server cannot share the file

	claims claimBook
}

// Open opens the database and migrates it: a postgres:// (or
// postgresql://) URL is a Postgres database, which several processes may
// share; anything else is the path of a SQLite file, created if needed,
// which one process at a time may open.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	if strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://") {
		return openPostgres(ctx, path, log)
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	if err := createPrivate(path); err != nil {
		lock.release()
		return nil, err
	}
	s, err := open(ctx, path, log)
	if err != nil {
		lock.release()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	dsn := func(extra string) string {
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
			"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)" + extra
	}
	write, err := sql.Open("sqlite", dsn("&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("persist: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn("&_pragma=query_only(1)"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("persist: open %s: %w", path, err)
	}
	s := newStore(write, read, false, log)
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func newStore(write, read *sql.DB, pg bool, log *slog.Logger) *Store {
	return &Store{write: write, read: read, pg: pg, log: log, pending: make(map[int64]ecs.SavedPosition),
		wake: make(chan struct{}, 1), claims: claimBook{lease: ClaimLease, held: make(map[int64]uint64)}}
}

// openPostgres opens a pool on the Postgres database at url.
func openPostgres(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("persist: open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetConnMaxIdleTime(time.Minute)
	s := newStore(db, db, true, log)
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// q adapts a query written for SQLite, with ? placeholders, to the
// database: Postgres numbers its placeholders, and compares usernames and
// banned values without case by lower() (its indexes are on lower()),
// where SQLite's columns ignore case themselves. Queries write such a
// comparison as "{nocase col} = ?".
func (s *Store) q(query string) string {
	for {
		i := strings.Index(query, "{nocase ")
		if i < 0 {
			break
		}
		j := i + strings.IndexByte(query[i:], '}')
		col := query[i+len("{nocase ") : j]
		rest := query[j+1:]
		if s.pg {
			k := strings.IndexByte(rest, '?')
			query = query[:i] + "lower(" + col + ")" + rest[:k] + "lower(?)" + rest[k+1:]
		} else {
			query = query[:i] + col + " COLLATE NOCASE" + rest
		}
	}
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// OnFlush sets a hook told of every batch written (for metrics). Set it before Run.
func (s *Store) OnFlush(fn func(rows int, d time.Duration, err error)) { s.onFlush = fn }

// Close closes the database. Call Flush first: Close does not write pending positions.
func (s *Store) Close() error {
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	if s.lock != nil {
		s.lock.release()
		s.lock = nil
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.read.PingContext(ctx)
}

// CreateAccount stores a new account whose actor starts at spawn, and returns it.
func (s *Store) CreateAccount(ctx context.Context, name string, hash []byte, avatar int, spawnX, spawnY float64) (ecs.Actor, error) {
	a := ecs.Actor{Name: name, Avatar: avatar, X: spawnX, Y: spawnY}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return a, fmt.Errorf("persist: create account: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	err = tx.QueryRowContext(ctx,
		s.q(`INSERT INTO accounts (username, password_hash, avatar, x, y) VALUES (?, ?, ?, ?, ?) RETURNING id`),
		name, hash, avatar, spawnX, spawnY).Scan(&a.ID)
	if err != nil {
		if isUnique(err) {
			return a, ErrTaken
		}
		return a, fmt.Errorf("persist: create account: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return a, fmt.Errorf("persist: create account: %w", err)
	}
	return a, nil
}

// Account loads an account by username (case ignored). Its position is the
// newest known, including one still waiting to be written.
func (s *Store) Account(ctx context.Context, name string) (Account, error) {
	var acc Account
	a := &acc.Actor
	err := s.read.QueryRowContext(ctx, s.q(`SELECT id FROM accounts WHERE {nocase username} = ?`), name).Scan(&a.ID)
	if isNoRows(err) {
		return acc, ErrNotFound
	}
	if err != nil {
		return acc, fmt.Errorf("persist: load account %q: %w", name, err)
	}
	// Look at the unwritten positions before the table: if none is waiting
	// now, the table already holds the newest position.
	p, unsaved := s.unsaved(a.ID)
	err = s.read.QueryRowContext(ctx, s.q(`SELECT username, password_hash, avatar, x, y FROM accounts WHERE id = ?`), a.ID).
		Scan(&a.Name, &acc.Hash, &a.Avatar, &a.X, &a.Y)
	if err != nil {
		return acc, fmt.Errorf("persist: load account %q: %w", name, err)
	}
	if unsaved {
		a.X, a.Y = p.X, p.Y
	}
	return acc, nil
}

// Exists reports whether an account has that username (case ignored).
func (s *Store) Exists(ctx context.Context, name string) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, s.q(`SELECT count(*) FROM accounts WHERE {nocase username} = ?`), name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("persist: look up %q: %w", name, err)
	}
	return n > 0, nil
}

// SavePositions queues positions for the writer and returns at once; the
// newest position of an actor replaces an older one still waiting. It is
// safe to call from the tick.
func (s *Store) SavePositions(batch []ecs.SavedPosition) {
	s.mu.Lock()
	for _, p := range batch {
		s.pending[p.ID] = p
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run is the writer: it writes queued positions whenever some arrive, until
// ctx ends. A failed batch is logged, kept and retried. On Postgres it also
// frees the claims a predecessor of this process's name left, then renews
// this process's claims every third of a lease.
func (s *Store) Run(ctx context.Context) error {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	var renew <-chan time.Time
	if s.pg {
		if err := s.resetClaims(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("freeing a predecessor's claims failed; they expire by themselves", "err", err)
		}
		t := time.NewTicker(s.claims.lease / 3)
		defer t.Stop()
		renew = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-renew:
			if err := s.renewClaims(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("renewing claims failed; will retry", "err", err)
			}
			continue
		case <-s.wake:
		case <-retry.C:
		}
		if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("writing positions failed; will retry", "err", err)
			retry.Reset(time.Second)
		}
	}
}

// Flush writes every queued position now, in one transaction.
func (s *Store) Flush(ctx context.Context) error {
	s.mu.Lock()
	if len(s.pending) == 0 {
		s.mu.Unlock()
		return nil
	}
	batch := s.pending
	s.pending = make(map[int64]ecs.SavedPosition, len(batch))
	s.inflight = batch
	s.mu.Unlock()

	start := time.Now()
	err := s.writePositions(ctx, batch)
	if s.onFlush != nil {
		s.onFlush(len(batch), time.Since(start), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight = nil
	s.lastErr = err
	if err != nil {
		for id, p := range batch {
			if _, newer := s.pending[id]; !newer {
				s.pending[id] = p
			}
		}
	}
	return err
}

// unsaved returns the newest position of actor id not yet in the table.
func (s *Store) unsaved(id int64) (ecs.SavedPosition, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pending[id]; ok {
		return p, true
	}
	p, ok := s.inflight[id]
	return p, ok
}

func (s *Store) writePositions(ctx context.Context, batch map[int64]ecs.SavedPosition) error {
	if s.pg {
		// One statement, one round trip, however many rows.
		ids, xs, ys := make([]int64, 0, len(batch)), make([]float64, 0, len(batch)), make([]float64, 0, len(batch))
		for _, p := range batch {
			ids, xs, ys = append(ids, p.ID), append(xs, p.X), append(ys, p.Y)
		}
		_, err := s.write.ExecContext(ctx, `UPDATE accounts AS a SET x = v.x, y = v.y
			FROM unnest($1::bigint[], $2::float8[], $3::float8[]) AS v(id, x, y) WHERE a.id = v.id`, ids, xs, ys)
		if err != nil {
			return fmt.Errorf("persist: write positions: %w", err)
		}
		return nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("persist: write positions: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	stmt, err := tx.PrepareContext(ctx, `UPDATE accounts SET x = ?, y = ? WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("persist: write positions: %w", err)
	}
	defer stmt.Close()
	for _, p := range batch {
		if _, err := stmt.ExecContext(ctx, p.X, p.Y, p.ID); err != nil {
			return fmt.Errorf("persist: write position of %d: %w", p.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("persist: write positions: %w", err)
	}
	return nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
