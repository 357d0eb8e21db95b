package server

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	_ "modernc.org/sqlite"
)

// TestCrashLosesAtMostOneFlush runs the real binary, lets players walk, kills
// it with SIGKILL and checks the database: every account is there, every
// position is at most one flush interval old, and the file is intact.
func TestCrashLosesAtMostOneFlush(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server binary")
	}
	t.Parallel()
	const flush = 500 * time.Millisecond
	cmd, addr, db := startBinary(t, "-flush-every", flush.String())

	// Accounts that never log in, and walkers heading east in a straight line.
	for i := range 3 {
		dial(t, addr).register(fmt.Sprintf("idle%d", i), "pw", i)
	}
	type sample struct {
		at time.Time
		x  float64
	}
	const walkers = 4
	var mu sync.Mutex
	seen := make([][]sample, walkers)
	ids := make([]int64, walkers)
	ctx, stopReading := context.WithCancel(context.Background())
	defer stopReading()
	var wg sync.WaitGroup
	// Kill once every walker has been seen walking for four flush intervals.
	mark := time.Now().Add(4 * flush)
	walked := make(chan struct{}, walkers)
	reported := make([]bool, walkers)
	for i := range walkers {
		c, id := join(t, addr, fmt.Sprintf("walker%d", i), i)
		ids[i] = id
		c.send("Target", 50000, 0)
		wg.Go(func() {
			for {
				select {
				case p := <-c.in:
					if x, _, ok := p.pos(); ok && p.A == "ModelDelta" && p.actorID() == id {
						now := time.Now()
						mu.Lock()
						seen[i] = append(seen[i], sample{now, x})
						if now.After(mark) && !reported[i] {
							reported[i] = true
							walked <- struct{}{}
						}
						mu.Unlock()
					}
				case <-ctx.Done():
					return
				}
			}
		})
	}
	for range walkers {
		select {
		case <-walked:
		case <-time.After(30 * time.Second):
			t.Fatal("walkers not seen walking for four flush intervals")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	cmd.Wait() //nolint:errcheck // killed on purpose
	stopReading()
	wg.Wait()

	store, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var check string
	if err := store.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	var accounts int
	if err := store.QueryRow(`SELECT count(*) FROM accounts`).Scan(&accounts); err != nil || accounts != 3+walkers {
		t.Fatalf("%d accounts after the crash (%v), want %d", accounts, err, 3+walkers)
	}
	// The saved x must be one the walker had no earlier than one flush
	// interval (plus a tick and some delivery slack) before the kill.
	oldest := killed.Add(-flush - 250*time.Millisecond)
	for i, id := range ids {
		var x float64
		if err := store.QueryRow(`SELECT x FROM accounts WHERE id = ?`, id).Scan(&x); err != nil {
			t.Fatal(err)
		}
		var floor float64
		for _, s := range seen[i] {
			if s.at.Before(oldest) {
				floor = s.x
			}
		}
		last := seen[i][len(seen[i])-1].x
		if x < floor || x > last+10 {
			t.Errorf("walker %d saved at x=%.2f; it was at %.2f one flush before the kill and %.2f at the end", i, x, floor, last)
		}
	}
}

// startBinary builds and starts the server as a child process on a free
// loopback port with a fresh database, and returns it with its address and
// database file. The process is killed when the test ends.
func startBinary(t *testing.T, args ...string) (cmd *exec.Cmd, addr, db string) {
	t.Helper()
	return startBinaryOn(t, "", args...)
}

// startBinaryOn is startBinary on the database db ("": a fresh one).
func startBinaryOn(t *testing.T, db string, args ...string) (cmd *exec.Cmd, addr, _ string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "godmmo")
	if out, err := exec.Command("go", "build", "-o", bin, "../godmmo").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if db == "" {
		db = filepath.Join(dir, "game.db")
	}
	args = append([]string{"-addr", "127.0.0.1:0", "-admin", "", "-db", db, "-bcrypt-cost", "4",
		"-bounds", "-100000,-100000,100000,100000"}, args...)
	cmd = exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck // may have exited already
	return cmd, listenAddr(t, stderr), db
}

// TestSIGTERMStopsCleanly checks the orderly stop: connections are closed
// with 1001, every position is written, and the process exits 0.
func TestSIGTERMStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and signals the server binary")
	}
	t.Parallel()
	cmd, addr, db := startBinary(t, "-flush-every", "1h")
	c, id := join(t, addr, "stopper", 2)
	c.send("Target", 14, 0)
	for {
		if x, _, _ := c.await("own walk", isModelOf(id)).pos(); x == 14 {
			break
		}
	}
	// Stopped mid-walk: what is saved is where the client was last told it is.
	c.send("Target", 5000, 0)
	lastSent := 0.0
	for lastSent <= 20 {
		lastSent, _, _ = c.await("own walk", isModelOf(id)).pos()
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	<-c.done
	if got := websocket.CloseStatus(c.err); got != websocket.StatusGoingAway {
		t.Errorf("client closed with %v, want 1001", c.err)
	}
	for len(c.in) > 0 {
		if p := <-c.in; isModelOf(id)(p) {
			lastSent, _, _ = p.pos()
		}
	}
	store, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var x float64
	if err := store.QueryRow(`SELECT x FROM accounts WHERE id = ?`, id).Scan(&x); err != nil || x <= 20 || math.Abs(x-lastSent) > 0.005 {
		t.Errorf("saved x = %v (%v), want the last position sent, %v, although the flush interval never passed", x, err, lastSent)
	}
}

// listenAddr reads the server's log until it says where it listens.
func listenAddr(t *testing.T, log interface{ Read([]byte) (int, error) }) string {
	t.Helper()
	re := regexp.MustCompile(`godmmo listening"? url=ws://([^/ ]+)/`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(log)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case a := <-found:
		return a
	case <-time.After(30 * time.Second):
		t.Fatal("server did not say where it listens")
		return ""
	}
}
