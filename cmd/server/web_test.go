package server

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// TestWebServesFilesAndGame checks that with -web the game's address serves
// the export's files to plain requests and the game to WebSocket upgrades.
func TestWebServesFilesAndGame(t *testing.T) {
	t.Parallel()
	web := t.TempDir()
	mustWrite(t, filepath.Join(web, "index.html"), "<title>godmmo web</title>")
	mustWrite(t, filepath.Join(web, "index.wasm"), "\x00asm")
	mustWrite(t, filepath.Join(web, "assets", "a.txt"), "a")
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-web", web))
	base := "http://" + app.Addr()

	for _, tc := range []struct {
		method, path string
		code         int
		body, ctype  string
	}{
		{"GET", "/", 200, "<title>godmmo web</title>", "text/html"},
		{"GET", "/index.html", 301, "", ""}, // FileServer's canonical "/"
		{"GET", "/index.wasm", 200, "\x00asm", "application/wasm"},
		{"HEAD", "/", 200, "", "text/html"},
		{"GET", "/assets/a.txt", 200, "a", "text/plain"},
		{"GET", "/assets/", 404, "", ""},          // no listings
		{"GET", "/../../etc/passwd", 307, "", ""}, // the mux cleans the path first…
		{"GET", "/etc/passwd", 404, "", ""},       // …to this
		{"GET", "/missing.js", 404, "", ""},
		{"POST", "/", 405, "", ""},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, base+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tc.code, body)
			}
			if tc.body != "" && string(body) != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tc.ctype)
			}
			if tc.code == 200 && resp.Header.Get("Cross-Origin-Embedder-Policy") != "require-corp" {
				t.Errorf("no cross-origin isolation headers: %v", resp.Header)
			}
		})
	}

	// The same address still plays: a v1 client registers and logs in at "/".
	if _, id := join(t, app.Addr(), "webby", 2); id <= 0 {
		t.Errorf("actor id %d", id)
	}
	// And so does the page it served: a browser sends its own origin.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+app.Addr()+"/", &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {"http://" + app.Addr()}},
	})
	if err != nil {
		t.Fatalf("a page from the server's own address cannot connect: %v", err)
	}
	conn.CloseNow() //nolint:errcheck // only the upgrade matters
}

// TestWebWithoutExport checks the page that says how to build the web
// export, and that the game still answers at "/".
func TestWebWithoutExport(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	resp, err := http.Get("http://" + app.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "client/build.sh web") || !strings.Contains(string(body), "-web build/web") ||
		!strings.Contains(string(body), "godot3-runner --path client") {
		t.Errorf("GET / = %d %q, want the page on building the web export", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + app.Addr() + "/index.html")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /index.html without -web = %d, want 404", resp.StatusCode)
	}
	join(t, app.Addr(), "native", 0)
}

// TestWebBadDir checks that -web must name a directory.
func TestWebBadDir(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "f")
	mustWrite(t, file, "x")
	for _, dir := range []string{file, filepath.Join(t.TempDir(), "missing")} {
		if _, err := newWebHandler(http.NotFoundHandler(), dir); err == nil {
			t.Errorf("-web %s: no error", dir)
		}
	}
}

func TestIsWebSocketUpgrade(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		conn, upgrade string
		want          bool
	}{
		{"Upgrade", "websocket", true},
		{"keep-alive, Upgrade", "WebSocket", true}, // Firefox
		{"upgrade", "h2c", false},
		{"keep-alive", "websocket", false},
		{"", "", false},
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		if tc.conn != "" {
			r.Header.Set("Connection", tc.conn)
		}
		if tc.upgrade != "" {
			r.Header.Set("Upgrade", tc.upgrade)
		}
		if got := isWebSocketUpgrade(r); got != tc.want {
			t.Errorf("Connection %q Upgrade %q: %v, want %v", tc.conn, tc.upgrade, got, tc.want)
		}
	}
}

func mustWrite(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}
