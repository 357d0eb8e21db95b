package persist

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/persist/pgtest"
)

// TestOperatorRows checks the rows the operators' actions write: password
// resets, deletes by name and by prefix (with '_' taken literally), bans
// with and without expiry.
func TestOperatorRows(t *testing.T) {
	t.Parallel()
	eachBackend(t, testOperatorRows)
}

func testOperatorRows(t *testing.T, db string) {
	ctx := t.Context()
	s := mustOpen(t, db)
	for _, n := range []string{"loadbot-1", "LOADBOT-2", "loadbotx", "load_bot", "loadXbot", "alice"} {
		if _, err := s.CreateAccount(ctx, n, []byte("h"), 0, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetPassword(ctx, "ALICE", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Account(ctx, "alice"); string(a.Hash) != "new" {
		t.Errorf("hash after SetPassword = %q", a.Hash)
	}
	if err := s.SetPassword(ctx, "nobody", []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetPassword(nobody) = %v, want ErrNotFound", err)
	}
	deleted, err := s.DeleteAccountsWithPrefix(ctx, "loadbot-")
	slices.Sort(deleted)
	if err != nil || !slices.Equal(deleted, []string{"LOADBOT-2", "loadbot-1"}) {
		t.Errorf("delete loadbot-: %v, %v", deleted, err)
	}
	if deleted, _ := s.DeleteAccountsWithPrefix(ctx, "load_"); !slices.Equal(deleted, []string{"load_bot"}) {
		t.Errorf("delete load_ took %v, want only load_bot ('_' is not a wildcard)", deleted)
	}
	if err := s.DeleteAccount(ctx, "loadXbot"); err != nil {
		t.Error(err)
	}
	if err := s.DeleteAccount(ctx, "loadXbot"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if ok, _ := s.Exists(ctx, "loadbotx"); !ok {
		t.Error("loadbotx was deleted by a prefix it does not have")
	}

	now := time.Unix(1_800_000_000, 0)
	bans := []Ban{
		{Kind: BanAccount, Value: "alice", Reason: "cheat"},
		{Kind: BanAddress, Value: "192.0.2.1", Reason: "spam", Expires: now.Add(time.Hour)},
		{Kind: BanAddress, Value: "192.0.2.2", Reason: "old", Expires: now.Add(-time.Hour)},
	}
	for _, b := range bans {
		if err := s.SaveBan(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	// Saving again replaces.
	if err := s.SaveBan(ctx, Ban{Kind: BanAccount, Value: "ALICE", Reason: "cheat again"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Bans(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Reason != "cheat again" || !got[1].Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("bans in force: %+v", got)
	}
	if err := s.DeleteBan(ctx, BanAccount, "Alice"); err != nil {
		t.Error(err)
	}
	if err := s.DeleteBan(ctx, BanAccount, "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("lifting twice: %v, want ErrNotFound", err)
	}
}

// TestLock checks that a second Open of one file fails while the first
// holds it, and succeeds once it is closed.
func TestLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "game.db")
	s := mustOpen(t, path)
	if _, err := Open(context.Background(), path, s.log); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	s.Close()
	mustOpen(t, path)
}

// TestLastWriteError checks that a failed batch of positions is reported
// until one succeeds.
func TestLastWriteError(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := mustOpen(t, filepath.Join(t.TempDir(), "game.db"))
	a, err := s.CreateAccount(ctx, "walker", []byte("h"), 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, `CREATE TRIGGER no_moves BEFORE UPDATE OF x ON accounts BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	s.SavePositions([]ecs.SavedPosition{{ID: a.ID, X: 1, Y: 2}})
	if err := s.Flush(ctx); err == nil || s.LastWriteError() == nil {
		t.Fatalf("Flush = %v, LastWriteError = %v, want both failing", err, s.LastWriteError())
	}
	if _, err := s.write.ExecContext(ctx, `DROP TRIGGER no_moves`); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil || s.LastWriteError() != nil {
		t.Errorf("after recovery: Flush = %v, LastWriteError = %v", err, s.LastWriteError())
	}
}

// TestReadOnlyRefused: a database that takes no writes fails Open, saying
// so, instead of a server that starts, says ready and fails every
// registration: an immutable SQLite file, and a Postgres database whose
// transactions are read-only.
func TestReadOnlyRefused(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "game.db")
		s := mustOpen(t, path)
		s.Close()
		if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
			t.Skipf("cannot make the file immutable here (chattr +i: %v %s)", err, out)
		}
		t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() }) //nolint:errcheck // best effort
		s, err := Open(t.Context(), path, slog.New(slog.DiscardHandler))
		if err == nil {
			s.Close()
			t.Fatal("a read-only database opened")
		}
		if !strings.Contains(err.Error(), "read-only") {
			t.Errorf("error %q does not say the database is read-only", err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Start(t).DSN()
		s := mustOpen(t, dsn)
		if _, err := s.write.ExecContext(t.Context(), `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$`); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s, err := Open(t.Context(), dsn, slog.New(slog.DiscardHandler))
		if err == nil {
			s.Close()
			t.Fatal("a read-only database opened")
		}
		if !strings.Contains(err.Error(), "read-only") {
			t.Errorf("error %q does not say the database is read-only", err)
		}
	})
}

// TestFilesIgnoredByGit: every file a running store keeps beside its
// database (the database, its WAL and shared memory, its lock) matches a
// pattern of the repository's .gitignore, so a server run in a checkout
// leaves the build clean.
func TestFilesIgnoredByGit(t *testing.T) {
	t.Parallel()
	ignore, err := os.ReadFile("../.gitignore")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := mustOpen(t, filepath.Join(dir, "godmmo.db"))
	if _, err := s.CreateAccount(t.Context(), "ann", []byte("h"), 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("only %d files beside a running store: %v", len(files), files)
	}
	for _, f := range files {
		ignored := false
		for _, p := range strings.Split(string(ignore), "\n") {
			if ok, _ := filepath.Match(strings.TrimSpace(p), f.Name()); ok && !strings.Contains(p, "/") {
				ignored = true
			}
		}
		if !ignored {
			t.Errorf("%s is not ignored by .gitignore", f.Name())
		}
	}
}
