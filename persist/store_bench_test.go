package persist

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/godmmo/godmmo/ecs"
)

// benchSizes are the batch sizes the issue asks for: a small server, a big
// one, and every actor of a 100k world walking between two flushes.
var benchSizes = []int{1000, 10000, 100000}

// mustAccounts fills a fresh store with n accounts in one transaction (far
// quicker than n CreateAccount calls) and returns their positions.
func mustAccounts(b *testing.B, s *Store, n int) []ecs.SavedPosition {
	b.Helper()
	ctx := context.Background()
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO accounts (id, username, password_hash, avatar, x, y) VALUES (?, ?, x'00', 0, 0, 0)`)
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	batch := make([]ecs.SavedPosition, n)
	for i := range n {
		id := int64(i + 1)
		if _, err := stmt.ExecContext(ctx, id, fmt.Sprintf("bench%d", id)); err != nil {
			b.Fatal(err)
		}
		batch[i] = ecs.SavedPosition{ID: id}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return batch
}

// BenchmarkFlush times the writer's batch: n positions queued, then written
// in one transaction to a WAL-mode file, as the persist goroutine does every
// flush interval. rows/s is the figure to compare.
func BenchmarkFlush(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			s := mustOpen(b, filepath.Join(b.TempDir(), "bench.db"))
			batch := mustAccounts(b, s, n)
			ctx := context.Background()
			b.ReportAllocs()
			step := 0.0
			for b.Loop() {
				step++
				for i := range batch {
					batch[i].X, batch[i].Y = step, -step // every row really changes
				}
				s.SavePositions(batch)
				if err := s.Flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkSavePositions times the part of persisting that runs on the tick
// goroutine: handing a batch to the store, which copies it under a lock.
func BenchmarkSavePositions(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			s := mustOpen(b, filepath.Join(b.TempDir(), "bench.db"))
			batch := make([]ecs.SavedPosition, n)
			for i := range batch {
				batch[i] = ecs.SavedPosition{ID: int64(i + 1), X: 1, Y: 2}
			}
			b.ReportAllocs()
			for b.Loop() {
				s.SavePositions(batch)
				// What the writer does to take the batch, without the disk.
				s.mu.Lock()
				s.pending = make(map[int64]ecs.SavedPosition, len(s.pending))
				s.mu.Unlock()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
		})
	}
}
