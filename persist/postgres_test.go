package persist

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/persist/pgtest"
)

// TestPostgresSharedByProcesses: two stores on one database, as two
// processes of a world, migrate together, see one another's accounts,
// share one namespace of usernames, and let one login at a time play an
// account, until it lets go or its process stops renewing.
func TestPostgresSharedByProcesses(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pgtest.Start(t).DSN()
	var wg sync.WaitGroup
	stores := make([]*Store, 2)
	for i := range stores {
		wg.Go(func() { stores[i] = mustOpen(t, dsn) })
	}
	wg.Wait()
	a, b := stores[0], stores[1]
	a.SetNode("west")
	b.SetNode("east")

	acc, err := a.CreateAccount(ctx, "Ann", []byte("h"), 1, 5, 6)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateAccount(ctx, "ann", []byte("h"), 1, 0, 0); !errors.Is(err, ErrTaken) {
		t.Errorf("the same name through the other process: %v, want ErrTaken", err)
	}
	if got, err := b.Account(ctx, "ANN"); err != nil || got.Actor.ID != acc.ID {
		t.Fatalf("the other process loads %+v, %v", got.Actor, err)
	}

	for _, step := range []struct {
		what string
		do   func() error
		want error
	}{
		{"west claims", func() error { return a.Claim(ctx, acc.ID, 1) }, nil},
		{"west claims again", func() error { return a.Claim(ctx, acc.ID, 1) }, nil},
		{"east claims too", func() error { return b.Claim(ctx, acc.ID, 2) }, ErrPlaying},
		{"west hands it to a resumed login", func() error { return a.TransferClaim(ctx, acc.ID, 1, 3) }, nil},
		{"the old login hands it again", func() error { return a.TransferClaim(ctx, acc.ID, 1, 4) }, ErrPlaying},
		{"the old login lets go", func() error { return a.Release(ctx, acc.ID, 1) }, nil},
		{"east still cannot", func() error { return b.Claim(ctx, acc.ID, 2) }, ErrPlaying},
		{"the resumed login lets go", func() error { return a.Release(ctx, acc.ID, 3) }, nil},
		{"east claims", func() error { return b.Claim(ctx, acc.ID, 2) }, nil},
	} {
		if err := step.do(); !errors.Is(err, step.want) {
			t.Fatalf("%s: %v, want %v", step.what, err, step.want)
		}
	}

	// A process that stops renewing loses its claims after a lease; one
	// restarted under the same name frees them at once.
	b.claims.lease = 50 * time.Millisecond
	if err := b.Claim(ctx, acc.ID, 2); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for a.Claim(ctx, acc.ID, 5) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the lapsed claim still holds")
		}
		time.Sleep(20 * time.Millisecond)
	}
	again := mustOpen(t, dsn)
	again.SetNode("west")
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); again.Run(runCtx) }() //nolint:errcheck // returns nil
	deadline = time.Now().Add(5 * time.Second)
	for b.Claim(ctx, acc.ID, 6) != nil {
		if time.Now().After(deadline) {
			t.Fatal("west's restart did not free its claims")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
}

// TestPostgresModMigrationsTogether: the processes of a world start
// together and apply their mods' migrations at once; each is applied once,
// and none fails (Postgres's CREATE TABLE IF NOT EXISTS alone collides when
// two run it at the same moment).
func TestPostgresModMigrationsTogether(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pgtest.Start(t).DSN()
	steps := []mod.Migration{{Mod: "gems", Name: "1", SQL: `CREATE TABLE gems (id INTEGER PRIMARY KEY)`}}
	const n = 6
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = mustOpen(t, dsn)
	}
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() { errs <- s.MigrateMods(ctx, steps) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a process's mod migrations: %v", err)
		}
	}
	var applied int
	if err := stores[0].QueryRow(ctx, `SELECT count(*) FROM mod_migrations WHERE mod = 'gems'`).Scan(&applied); err != nil || applied != 1 {
		t.Errorf("recorded %d times (%v), want once", applied, err)
	}
}

// TestPostgresOutage: while the server is down, logins' reads fail, the
// positions walked are kept, and once it is back the writer writes them.
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pg := pgtest.Start(t)
	s := mustOpen(t, pg.DSN())
	acc, err := s.CreateAccount(ctx, "walker", []byte("h"), 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	written := make(chan error, 100)
	s.OnFlush(func(_ int, _ time.Duration, err error) { written <- err })
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); s.Run(runCtx) }() //nolint:errcheck // returns nil
	defer func() { stop(); <-done }()

	pg.Stop(t)
	if _, err := s.Account(ctx, "walker"); err == nil {
		t.Error("a login's read succeeded with the database down")
	}
	s.SavePositions([]ecs.SavedPosition{{ID: acc.ID, X: 12, Y: 34}})
	if err := <-written; err == nil {
		t.Fatal("a batch was written with the database down")
	}
	pg.Start(t)
	for err := range written {
		if err == nil {
			break
		}
	}
	s2 := mustOpen(t, pg.DSN())
	if got, err := s2.Account(ctx, "walker"); err != nil || got.Actor.X != 12 || got.Actor.Y != 34 {
		t.Errorf("after the outage: %+v, %v", got.Actor, err)
	}
}

// TestHashCosts: the bcrypt costs the stored hashes use, each once, on
// both kinds of database.
func TestHashCosts(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, db string) {
		s := mustOpen(t, db)
		if costs, err := s.HashCosts(t.Context()); err != nil || len(costs) != 0 {
			t.Fatalf("no accounts: %v, %v", costs, err)
		}
		for i, h := range []string{"$2a$10$abc", "$2a$04$abc", "$2a$04$def", "$2a$12$x"} {
			if _, err := s.CreateAccount(t.Context(), fmt.Sprint("user", i), []byte(h), 0, 0, 0); err != nil {
				t.Fatal(err)
			}
		}
		costs, err := s.HashCosts(t.Context())
		slices.Sort(costs)
		if err != nil || !slices.Equal(costs, []int{4, 10, 12}) {
			t.Errorf("costs %v, %v; want [4 10 12]", costs, err)
		}
	})
}
