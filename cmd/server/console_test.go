package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/godmmo/godmmo/net/operate"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
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
	ctx := newBrowser(t, chromedp.WindowSize(1280, 900))

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
	if code, reason := closedWith(t, bot); code != operate.StatusKicked || reason != "time for bed" {
		t.Errorf("kicked bot closed with %v %q, want %v %q", code, reason, operate.StatusKicked, "time for bed")
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
	if code, reason := closedWith(t, bot); code != operate.StatusBanned || reason != "banned: cheating" {
		t.Errorf("banned bot closed with %v %q, want %v %q", code, reason, operate.StatusBanned, "banned: cheating")
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

// TestConsoleTokenAndMapInBrowser opens the console of a server with an
// admin token: the page asks for it, then shows the players over its
// cookie; the mouse wheel zooms the map and dragging pans it.
func TestConsoleTokenAndMapInBrowser(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0", "-admin-token", "open-sesame"))
	ctx := newBrowser(t, chromedp.WindowSize(1280, 900))
	join(t, app.Addr(), "ann", 0)

	step(t, ctx, "asks for the token",
		chromedp.Navigate("http://"+app.AdminAddr()+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), "wrong"),
		chromedp.Click(chromedp.CSS(`#login-form button`)),
	)
	value(t, ctx, "wrong token refused", chromedp.Poll[bool](`document.getElementById("login-err").textContent.includes("wrong token")`))
	value(t, ctx, "clear the token", chromedp.Evaluate[string](`document.getElementById("token").value = ""`))
	step(t, ctx, "right token opens it",
		chromedp.SendKeys(chromedp.CSS(`#token`), "open-sesame"),
		chromedp.Click(chromedp.CSS(`#login-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`#players tr[data-name="ann"]`)),
	)

	scale := value(t, ctx, "map scale", chromedp.Evaluate[float64](`godmmoConsole.view.scale`))
	value(t, ctx, "wheel zooms in", chromedp.Evaluate[bool](`(() => {
		const c = document.getElementById("map");
		c.dispatchEvent(new WheelEvent("wheel", {deltaY: -300, clientX: 100, clientY: 100, bubbles: true, cancelable: true}));
		return true;
	})()`))
	if got := value(t, ctx, "map scale", chromedp.Evaluate[float64](`godmmoConsole.view.scale`)); got <= scale*2 {
		t.Errorf("scale %v after zooming in from %v", got, scale)
	}
	cx := value(t, ctx, "map centre", chromedp.Evaluate[float64](`godmmoConsole.view.cx`))
	value(t, ctx, "drag pans", chromedp.Evaluate[bool](`(() => {
		const c = document.getElementById("map");
		const ev = (type, x) => c.dispatchEvent(new PointerEvent(type, {clientX: x, clientY: 200, pointerId: 1, bubbles: true}));
		ev("pointerdown", 300); ev("pointermove", 200); ev("pointerup", 200);
		return true;
	})()`))
	if got := value(t, ctx, "map centre", chromedp.Evaluate[float64](`godmmoConsole.view.cx`)); got <= cx {
		t.Errorf("dragging left moved the centre from %v to %v, want it further right", cx, got)
	}
}
