package server

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/net/wire"
)

// timedRequest is one request of a timing comparison and the answer it must get.
type timedRequest struct {
	send func(i int)
	want string // the action, or the Deny text
}

// answerTimes sends a and b alternately n times each, so that the load of
// a shared machine falls on both alike, and returns the median time of
// each one's answer.
func answerTimes(t *testing.T, c *client, n int, a, b timedRequest) (time.Duration, time.Duration) {
	t.Helper()
	var ds [2][]time.Duration
	for i := range n {
		for k, r := range []timedRequest{a, b} {
			start := time.Now()
			r.send(i)
			p := c.next()
			ds[k] = append(ds[k], time.Since(start))
			got := p.A
			if p.A == "Deny" {
				got = p.Text
			}
			if got != r.want {
				t.Fatalf("answer %s, want %s", p.Raw, r.want)
			}
		}
	}
	for k := range ds {
		slices.Sort(ds[k])
	}
	return ds[0][n/2], ds[1][n/2]
}

// TestNoEnumeration checks that answers do not tell which usernames exist:
// Register of a taken name costs a hash like a free one, and Login of an
// unknown name costs like a wrong password even when the server's
// -bcrypt-cost is lower than the accounts' (it hashes at theirs).
func TestNoEnumeration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	app, stop := startApp(t, testConfig(t, dir, "-bcrypt-cost", "10"))
	c := dial(t, app.Addr())
	c.register("known", "pw-known", 0)
	free, taken := answerTimes(t, c, 5,
		timedRequest{func(i int) { c.send("Register", fmt.Sprintf("free%d", i), "pw", 0) }, "Ok"},
		timedRequest{func(int) { c.send("Register", "known", "pw", 0) }, denial(wire.Taken)})
	t.Logf("register: free name %v, taken name %v", free, taken)
	if taken < free/2 {
		t.Errorf("Register of a taken name answers in %v, a free one in %v: names can be told apart", taken, free)
	}
	stop()

	// The same accounts, served with a cheaper cost for new passwords.
	app, _ = startApp(t, testConfig(t, dir, "-bcrypt-cost", "4"))
	c = dial(t, app.Addr())
	wrong, unknown := answerTimes(t, c, 5,
		timedRequest{func(int) { c.send("Login", "known", "not it") }, denial(wire.Credentials)},
		timedRequest{func(int) { c.send("Login", "nobody", "not it") }, denial(wire.Credentials)})
	t.Logf("login: wrong password %v, unknown name %v", wrong, unknown)
	if unknown < wrong/2 {
		t.Errorf("Login of an unknown name answers in %v, a wrong password in %v: names can be told apart", unknown, wrong)
	}
}

// TestLoginDuringStorm has one address guess passwords on many connections
// at once while a player logs in from another: the hash queue holds at most
// -hashes-per-addr of the storm's hashes, so the player waits behind those
// only, not behind the whole storm. (The failed-login throttles are off
// here, to test the queue alone; they would lock the storm out.)
func TestLoginDuringStorm(t *testing.T) {
	t.Parallel()
	const storm = 60
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-bcrypt-cost", "10", "-exempt", "",
		"-login-fails-per-addr", "0", "-login-fails-per-account", "0", "-max-conns-per-addr", "100"))
	setup := dialFrom(t, app.Addr(), "127.0.0.3")
	for i := range 6 {
		setup.register(fmt.Sprintf("player%d", i), "pw", 0)
	}

	// Calm: one login's time.
	calm, _ := timeLogin(t, app, "player5")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	answers := make(chan struct{}, 1024)
	for range storm {
		c, _, err := tryDial(app.Addr(), "127.0.0.2")
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer c.conn.CloseNow() //nolint:errcheck // the storm ends
			guess := []byte(`{"a":"Login","p0":"player0","p1":"guess"}`)
			for ctx.Err() == nil {
				if c.conn.Write(ctx, websocket.MessageBinary, guess) != nil {
					return
				}
				if _, _, err := c.conn.Read(ctx); err != nil {
					return
				}
				select {
				case answers <- struct{}{}:
				default:
				}
			}
		})
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	// The storm is under way once its guesses are being answered.
	for range 20 {
		select {
		case <-answers:
		case <-time.After(wait):
			t.Fatal("the storm's guesses are not answered")
		}
	}
	// What keeps the player's login quick is that the storm may hold at
	// most -hashes-per-addr hashes in the queue: check that, each time a
	// login waits, and log the times (the machine decides those).
	var ds []time.Duration
	for i := range 5 {
		d, waiting := timeLogin(t, app, fmt.Sprintf("player%d", i))
		ds = append(ds, d)
		if waiting > 2+1 {
			t.Errorf("%d hashes waited while a player logged in: the storm holds more than its 2", waiting)
		}
	}
	slices.Sort(ds)
	t.Logf("login alone %v; during a storm of %d connections from another address %v (median of 5)", calm, storm, ds[len(ds)/2])
}

// timeLogin logs a player in from its own address and returns how long the
// Login took to answer, and the most hashes seen waiting meanwhile.
func timeLogin(t *testing.T, app *App, name string) (time.Duration, int64) {
	t.Helper()
	c := dialFrom(t, app.Addr(), "127.0.0.3")
	start := time.Now()
	c.send("Login", name, "pw")
	waiting := app.game.Server.HashWaiting()
	awaitOn(t, c.in, c.done, func() error { return c.err }, 30*time.Second, "login's Ok", func(p packet) bool { return p.A == "Ok" })
	return time.Since(start), max(waiting, app.game.Server.HashWaiting())
}
