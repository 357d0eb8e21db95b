package persist

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/persist/pgtest"
)

// mustOpen opens a store on a fresh file and closes it when the test ends.
func mustOpen(tb testing.TB, path string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// eachBackend runs test on a fresh SQLite file and on a fresh Postgres
// database, each named by what Open takes.
func eachBackend(t *testing.T, test func(t *testing.T, db string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, filepath.Join(t.TempDir(), "game.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, pgtest.Start(t).DSN())
	})
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	eachBackend(t, testAccounts)
}

func testAccounts(t *testing.T, path string) {
	ctx := t.Context()
	s := mustOpen(t, path)

	a, err := s.CreateAccount(ctx, "Tristan", []byte("hash"), 3, 10, -20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAccount(ctx, "tristan", []byte("h2"), 1, 0, 0); !errors.Is(err, ErrTaken) {
		t.Errorf("same name in another case: %v, want ErrTaken", err)
	}
	b, err := s.CreateAccount(ctx, "other", []byte("h3"), 0, 0, 0)
	if err != nil || b.ID == a.ID {
		t.Fatalf("second account %+v, %v", b, err)
	}
	got, err := s.Account(ctx, "TRISTAN")
	if err != nil {
		t.Fatal(err)
	}
	if want := (ecs.Actor{ID: a.ID, Name: "Tristan", Avatar: 3, X: 10, Y: -20}); !reflect.DeepEqual(got.Actor, want) || string(got.Hash) != "hash" {
		t.Errorf("loaded %+v %q, want %+v", got.Actor, got.Hash, want)
	}
	if _, err := s.Account(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown account: %v, want ErrNotFound", err)
	}
	if ok, err := s.Exists(ctx, "OTHER"); !ok || err != nil {
		t.Errorf("Exists(OTHER) = %v, %v", ok, err)
	}

	// Reopening keeps everything and does not re-run migrations.
	s.Close()
	s2 := mustOpen(t, path)
	if got, err := s2.Account(ctx, "tristan"); err != nil || got.Actor.ID != a.ID {
		t.Errorf("after reopen: %+v, %v", got.Actor, err)
	}
}

func TestPositionsAreBatchedAndRetried(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "game.db")
	s := mustOpen(t, path)
	a, err := s.CreateAccount(ctx, "walker", []byte("h"), 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Unwritten positions already count for logins.
	s.SavePositions([]ecs.SavedPosition{{ID: a.ID, X: 1, Y: 1}})
	s.SavePositions([]ecs.SavedPosition{{ID: a.ID, X: 2, Y: 3}})
	if got, _ := s.Account(ctx, "walker"); got.Actor.X != 2 || got.Actor.Y != 3 {
		t.Errorf("pending position not seen: %+v", got.Actor)
	}

	// A failing database keeps the batch for a retry.
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	mustExec(t, other, `CREATE TRIGGER fail BEFORE UPDATE ON accounts BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`)
	if err := s.Flush(ctx); err == nil {
		t.Fatal("flush succeeded through a failing trigger")
	}
	if got, _ := s.Account(ctx, "walker"); got.Actor.X != 2 {
		t.Errorf("position lost after a failed flush: %+v", got.Actor)
	}
	mustExec(t, other, `DROP TRIGGER fail`)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var x, y float64
	if err := other.QueryRow(`SELECT x, y FROM accounts WHERE id = ?`, a.ID).Scan(&x, &y); err != nil || x != 2 || y != 3 {
		t.Errorf("table holds %v,%v (%v), want 2,3", x, y, err)
	}
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
}

func TestRunWritesWhatArrives(t *testing.T) {
	t.Parallel()
	eachBackend(t, testRunWritesWhatArrives)
}

func testRunWritesWhatArrives(t *testing.T, db string) {
	s := mustOpen(t, db)
	a, err := s.CreateAccount(t.Context(), "w", []byte("h"), 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	written := make(chan int, 10)
	s.OnFlush(func(rows int, _ time.Duration, err error) {
		if err == nil {
			written <- rows
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }() //nolint:errcheck // returns nil
	s.SavePositions([]ecs.SavedPosition{{ID: a.ID, X: 5, Y: 6}})
	if rows := <-written; rows != 1 {
		t.Errorf("batch of %d rows, want 1", rows)
	}
	cancel()
	<-done
}
