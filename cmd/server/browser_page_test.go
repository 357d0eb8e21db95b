package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	netclient "github.com/godmmo/godmmo/net/client"
	"github.com/godmmo/godmmo/net/wire"
)

// wsTestPage is a page that plays over v2 from JavaScript: it opens a
// WebSocket to {{GAME}} (its own host when "") asking for godmmo.v2,
// registers and logs in as {{USER}}, and keeps what happens in window.result.
const wsTestPage = `<!doctype html><meta charset="utf-8"><title>v2 page</title>
<script>
window.result = {opened: false, protocol: "", closed: 0, loggedIn: false, packets: []};
const game = {{GAME}} || location.host;
const ws = new WebSocket("ws://" + game + "/", "godmmo.v2");
let oks = 0;
ws.onopen = () => {
	result.opened = true;
	result.protocol = ws.protocol;
	ws.send(JSON.stringify(["Register", {{USER}}, "pw-" + {{USER}}, 1]));
};
ws.onmessage = ev => {
	for (const p of JSON.parse(ev.data)) {
		result.packets.push(p);
		if (p[0] === "ok" && ++oks === 1) ws.send(JSON.stringify(["Login", {{USER}}, "pw-" + {{USER}}]));
		else if (p[0] === "ok") result.loggedIn = true;
	}
};
ws.onclose = ev => { result.closed = ev.code || 1006; };
</script>`

// pageResult is window.result of wsTestPage.
type pageResult struct {
	Opened   bool
	Protocol string
	Closed   int
	LoggedIn bool
	Packets  []json.RawMessage
}

// TestBrowserPage loads a page served by -web in headless Chromium: from
// the server's own origin it negotiates godmmo.v2, registers, logs in and
// sees another player (a Go client over a real WebSocket) arrive, walk
// and talk; the same page from another origin (a second HTTP server on
// another loopback port) is refused.
func TestBrowserPage(t *testing.T) {
	skipWithoutChromium(t)
	web := t.TempDir()
	writePage := func(dir, game, user string) {
		page := wsTestPage
		for k, v := range map[string]string{"GAME": game, "USER": user} {
			b, _ := json.Marshal(v)
			page = strings.ReplaceAll(page, "{{"+k+"}}", string(b))
		}
		if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writePage(web, "", "pagey")
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-web", web))

	t.Run("SameOrigin", func(t *testing.T) {
		ctx := newBrowser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate("http://"+app.Addr()+"/")); err != nil {
			t.Fatal(err)
		}
		r := pollResult(t, ctx, "the login", func(r pageResult) bool { return r.LoggedIn || r.Closed != 0 })
		if !r.LoggedIn || r.Protocol != "godmmo.v2" {
			t.Fatalf("the page: protocol %q, logged in %v, closed %d, packets %v", r.Protocol, r.LoggedIn, r.Closed, r.Packets)
		}
		mover, moverID := join(t, app.Addr(), "mover", 2)
		pollResult(t, ctx, "mover coming into view", func(r pageResult) bool {
			return hasPacket(t, r, func(p v2packet) bool { return v2is(netclient.Enter, moverID)(p) && p.Name == "mover" })
		})
		mover.send("Target", 40, -30)
		pollResult(t, ctx, "mover's walk", func(r pageResult) bool {
			return hasPacket(t, r, func(p v2packet) bool { return v2is(netclient.Move, moverID)(p) && p.TX == 40 && p.TY == -30 })
		})
		mover.send("Chat", "mover", "hello, page")
		pollResult(t, ctx, "mover's line", func(r pageResult) bool {
			return hasPacket(t, r, func(p v2packet) bool { return p.Kind == netclient.Chat && p.From == "mover" && p.Text == "hello, page" })
		})
	})

	t.Run("ForeignOrigin", func(t *testing.T) {
		foreign := t.TempDir()
		writePage(foreign, app.Addr(), "stranger")
		other := httptest.NewServer(http.FileServer(http.Dir(foreign))) // 127.0.0.1, another port
		t.Cleanup(other.Close)
		ctx := newBrowser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(other.URL+"/")); err != nil {
			t.Fatal(err)
		}
		r := pollResult(t, ctx, "the handshake's end", func(r pageResult) bool { return r.Opened || r.Closed != 0 })
		if r.Opened {
			t.Fatalf("a page from %s opened a WebSocket to the game at %s (protocol %q)", other.URL, app.Addr(), r.Protocol)
		}
	})
}

// pollResult reads window.result until cond holds, failing after a while.
func pollResult(t *testing.T, ctx context.Context, what string, cond func(pageResult) bool) pageResult {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.result || {})`))
		if err != nil {
			t.Fatalf("read the page's result: %v", err)
		}
		var r pageResult
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			t.Fatalf("page result %q: %v", raw, err)
		}
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s; the page has %s", what, raw)
		}
		time.Sleep(50 * time.Millisecond) // poll interval; the condition is what passes
	}
}

// hasPacket reports whether a packet the page got matches, failing the
// test if one is not v2.
func hasPacket(t *testing.T, r pageResult, match func(v2packet) bool) bool {
	t.Helper()
	if len(r.Packets) == 0 {
		return false
	}
	ps, err := v2Packets(netclient.NewDecoder(wire.V2, nil), []byte(mustJSON(t, r.Packets)))
	if err != nil {
		t.Fatalf("the page got: %v", err)
	}
	return slices.ContainsFunc(ps, match)
}
