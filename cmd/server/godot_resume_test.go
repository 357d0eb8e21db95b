//go:build linux

package server

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	netclient "github.com/godmmo/godmmo/net/client"
)

// testGodotResume cuts a Godot client's connection in the middle of play
// (a proxy between it and the server resets both TCP connections, with no
// close frame) and refuses its first two connections afterwards: the
// client keeps the world drawn, says it is reconnecting, tries again with
// backoff, resumes the session on the third connection with the same actor,
// and walks and chats. A second player, a Go client over v2, sees no Q and
// no new E of that actor at any time, and Q at once when the client quits.
func testGodotResume(t *testing.T, proj *godotProject) {
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	proxy := newCutProxy(t, app.Addr())
	bob := joinV2(t, app.Addr(), "bob", 4)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hook, ready := lineValue("E2E ready for the cut, actor ")
	carol := startGodot(ctx, t, "carol", proj.godotArgs("res://tests/E2E.tscn", "--timeout=90", "--server=ws://"+proxy.Addr(),
		"--role=resume", "--user=carol", "--peer=bob", "--avatar=1", "--refused=2"), hook)
	carol.logIfFailed(t)
	id := awaitActorLine(t, carol, ready)
	bob.await("carol in view", v2is(netclient.Enter, id))

	if n := proxy.cut(); n != 1 {
		t.Errorf("the cut ended %d client connections, want 1", n)
	}
	cutAt := time.Now()
	proxy.awaitRefused(2, 20*time.Second, carol.done)
	proxy.up()

	// Bob sees carol walk and hears her, and never sees her leave or
	// come in again: the server kept her actor while she was away.
	seen := map[netclient.Kind]int{} // packets about carol's actor, by kind
	counted := func(match func(v2packet) bool) func(v2packet) bool {
		return func(p v2packet) bool {
			if p.ID == id {
				seen[p.Kind]++
			}
			return match(p)
		}
	}
	awaitV2(t, bob, 60*time.Second, "carol's line after the resume", counted(func(p v2packet) bool {
		return p.Kind == netclient.Chat && p.From == "carol" && p.Text == "back again"
	}))
	t.Logf("carol spoke again %v after the cut", time.Since(cutAt).Round(10*time.Millisecond))
	bob.send("Chat", "welcome back")
	carol.mustWait(t)
	if seen[netclient.Move] == 0 {
		t.Error("bob saw carol's actor make no move after the cut")
	}
	// Carol's client quit with a clean close: she leaves at once.
	awaitV2(t, bob, 10*time.Second, "carol's Q once her client quit", counted(v2is(netclient.Quit, id)))
	if n := seen[netclient.Enter]; n != 0 {
		t.Errorf("bob saw carol's actor come into view %d times after the cut, want 0", n)
	}
	if n := seen[netclient.Quit]; n != 1 {
		t.Errorf("bob saw carol's actor leave %d times, want once, when her client quit", n)
	}
}

// testGodotResumeRefused cuts the connection and keeps refusing new ones
// until the server's grace period is over (the second player sees the
// actor leave): the client's next Resume is denied, and it goes back to the
// login screen, connected, with the server's reason; a Login plays again.
// Then a second cut, after which every connection is refused: the client
// (told to try for 4 s) makes three attempts and shows the login screen.
func testGodotResumeRefused(t *testing.T, proj *godotProject) {
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-resume-grace", "1s"))
	proxy := newCutProxy(t, app.Addr())
	bob := joinV2(t, app.Addr(), "bob", 4)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first, ready := lineValue("E2E ready for the cut, actor ")
	second, again := lineSignal("E2E ready for the second cut")
	dave := startGodot(ctx, t, "dave", proj.godotArgs("res://tests/E2E.tscn", "--timeout=90", "--server=ws://"+proxy.Addr(),
		"--role=resume-refused", "--user=dave", "--peer=bob", "--avatar=3"), func(line string) { first(line); second(line) })
	dave.logIfFailed(t)
	id := awaitActorLine(t, dave, ready)
	bob.await("dave in view", v2is(netclient.Enter, id))
	if n := proxy.cut(); n != 1 {
		t.Errorf("the cut ended %d client connections, want 1", n)
	}
	awaitV2(t, bob, 20*time.Second, "dave's Q after the grace period", v2is(netclient.Quit, id))
	proxy.up()
	awaitV2(t, bob, 60*time.Second, "dave back after a Login", v2is(netclient.Enter, id))

	// A second cut, and the server is never reached again.
	select {
	case <-again:
	case <-dave.done:
		dave.mustWait(t)
		t.Fatal("dave ended before the second cut")
	case <-time.After(60 * time.Second):
		t.Fatal("dave was not ready for the second cut within 60s")
	}
	if n := proxy.cut(); n != 1 {
		t.Errorf("the second cut ended %d client connections, want 1", n)
	}
	proxy.awaitRefused(3, 20*time.Second, dave.done)
	dave.mustWait(t)
	select {
	case <-proxy.refused:
		t.Error("dave tried a fourth time")
	default:
	}
}

// logIfFailed logs the process's output when t fails before mustWait did:
// at the end of the test, once the process is stopped.
func (p *godotProc) logIfFailed(t *testing.T) {
	t.Cleanup(func() {
		p.cancel()
		<-p.done
		p.mu.Lock()
		defer p.mu.Unlock()
		if t.Failed() {
			t.Logf("--- %s log ---\n%s", p.name, strings.Join(p.lines, "\n"))
		}
	})
}

// testGodotCutV1 cuts a v1 client's connection: v1 has no resuming, so
// the client goes back to the login screen at once, having made no attempt
// to reconnect, and the other player sees it leave.
func testGodotCutV1(t *testing.T, proj *godotProject) {
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	proxy := newCutProxy(t, app.Addr())
	bob := joinV2(t, app.Addr(), "bob", 4)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hook, ready := lineValue("E2E ready for the cut, actor ")
	erin := startGodot(ctx, t, "erin", proj.godotArgs("res://tests/E2E.tscn", "--timeout=40", "--server=ws://"+proxy.Addr(),
		"--proto=v1", "--want-proto=v1", "--role=cut", "--user=erin", "--peer=bob", "--avatar=5"), hook)
	erin.logIfFailed(t)
	id := awaitActorLine(t, erin, ready)
	bob.await("erin in view", v2is(netclient.Enter, id))
	if n := proxy.cut(); n != 1 {
		t.Errorf("the cut ended %d client connections, want 1", n)
	}
	awaitV2(t, bob, 10*time.Second, "erin's Q", v2is(netclient.Quit, id))
	erin.mustWait(t)
}

// joinV2 registers and logs in a v2 player and returns it with its own E read.
func joinV2(tb testing.TB, addr, name string, avatar int) *v2client {
	tb.Helper()
	c := dialV2(tb, addr)
	c.send("Register", name, "pw-"+name, avatar)
	c.await("the Ok of Register", v2is(netclient.Ok, 0))
	c.send("Login", name, "pw-"+name)
	c.await("the Ok of Login", v2is(netclient.Ok, 0))
	c.await("own E", v2is(netclient.Enter, 0))
	return c
}

// lineValue returns an onLine hook and a channel that gets the rest of the
// first line that starts with prefix.
func lineValue(prefix string) (func(string), <-chan string) {
	ch := make(chan string, 1)
	var once sync.Once
	return func(line string) {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			once.Do(func() { ch <- rest })
		}
	}, ch
}

// awaitActorLine waits for the actor id a driver prints, failing the test
// with the driver's log when it ends first.
func awaitActorLine(t *testing.T, p *godotProc, ready <-chan string) int64 {
	t.Helper()
	select {
	case s := <-ready:
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			t.Fatalf("bad actor id %q", s)
		}
		return id
	case <-p.done:
		p.mustWait(t)
		t.Fatalf("%s ended before it was ready for the cut", p.name)
	case <-time.After(60 * time.Second):
		t.Fatalf("%s was not ready for the cut within 60s", p.name)
	}
	return 0
}
