package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/net"
)

// browserWait bounds each step of a browser test.
const browserWait = 20 * time.Second

// step runs chromedp actions with a deadline, failing the test with what.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one chromedp action that returns a value, with a deadline.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// closedWith waits for c's connection to end and returns its close code and reason.
func closedWith(t *testing.T, c *client) (websocket.StatusCode, string) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(wait):
		t.Fatal("connection not closed")
	}
	var ce websocket.CloseError
	if !errors.As(c.err, &ce) {
		t.Fatalf("connection ended without a close frame: %v", c.err)
	}
	return ce.Code, ce.Reason
}

// TestConsoleInBrowser drives the admin console in headless Chromium: the
// page lists a walking bot and its dot moves on the map, the tick chart
// fills, Kick closes the bot's connection with the typed reason, and Ban
// closes it again and keeps it from logging back in.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0"))
	ctx := newBrowser(t)

	bot, _ := join(t, app.Addr(), "walker", 1)
	bot.send("Target", 2000, 0) // a walk of half a minute
	step(t, ctx, "console lists the bot",
		chromedp.Navigate("http://"+app.AdminAddr()+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#players tr[data-name="walker"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.chart[data-name="tick"]`)),
	)
	x0 := value(t, ctx, "dot drawn", chromedp.Poll[float64](`godmmoConsole.dots.walker && godmmoConsole.dots.walker.wx + 1e-9`))
	value(t, ctx, "dot moves on the map",
		chromedp.Poll[bool](fmt.Sprintf(`godmmoConsole.dots.walker && godmmoConsole.dots.walker.wx > %g + 20`, x0)))

	step(t, ctx, "kick",
		chromedp.SendKeys(chromedp.CSS(`#reason`), "time for bed"),
		chromedp.Click(chromedp.CSS(`#players tr[data-name="walker"] button.kick`)),
	)
	if code, reason := closedWith(t, bot); code != net.StatusKicked || reason != "time for bed" {
		t.Errorf("kicked bot closed with %v %q, want %v %q", code, reason, net.StatusKicked, "time for bed")
	}
	step(t, ctx, "kicked bot leaves the list",
		chromedp.WaitNotPresent(chromedp.CSS(`#players tr[data-name="walker"]`)))

	bot = dial(t, app.Addr())
	bot.login("walker", "pw-walker")
	value(t, ctx, "clear the reason", chromedp.Evaluate[string](`document.getElementById("reason").value = ""`))
	step(t, ctx, "ban",
		chromedp.WaitVisible(chromedp.CSS(`#players tr[data-name="walker"]`)),
		chromedp.SendKeys(chromedp.CSS(`#reason`), "cheating"),
		chromedp.Click(chromedp.CSS(`#players tr[data-name="walker"] button.ban`)),
	)
	if code, reason := closedWith(t, bot); code != net.StatusBanned || reason != "banned: cheating" {
		t.Errorf("banned bot closed with %v %q, want %v %q", code, reason, net.StatusBanned, "banned: cheating")
	}
	again := dial(t, app.Addr())
	again.send("Login", "walker", "pw-walker")
	again.expectDeny("This account is banned: cheating")
	step(t, ctx, "ban listed", chromedp.WaitVisible(chromedp.CSS(`#bans tr`)))
	bans := value(t, ctx, "bans table", chromedp.Text(chromedp.CSS(`#bans`)))
	if !strings.Contains(bans, "walker") || !strings.Contains(bans, "cheating") {
		t.Errorf("bans table %q lacks the ban", bans)
	}
}
