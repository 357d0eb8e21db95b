package server

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/godmmo/godmmo/net/operate"

	"github.com/coder/websocket"
	netclient "github.com/godmmo/godmmo/net/client"
	"github.com/godmmo/godmmo/net/wire"
)

// apiCall sends one admin API request and decodes the JSON answer.
func apiCall(t *testing.T, base, token, method, path string, body any) (int, any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: wait}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v any
	json.NewDecoder(res.Body).Decode(&v) //nolint:errcheck // some answers are checked by status only
	return res.StatusCode, v
}

// TestAdminAPI drives every action of the JSON API against a real server
// with two players, and checks what the players and the store see.
func TestAdminAPI(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0"))
	base := "http://" + app.AdminAddr()
	ann, annID := join(t, app.Addr(), "ann", 1)
	bot, _ := join(t, app.Addr(), "loadbot-1", 2)
	dial(t, app.Addr()).register("loadbot-2", "pw", 0)
	bot.await("ann", isModelOf(annID))

	code, v := apiCall(t, base, "", http.MethodGet, "/api/players", nil)
	players, _ := v.([]any)
	if code != http.StatusOK || len(players) != 2 {
		t.Fatalf("GET /api/players: %d %v", code, v)
	}
	first, _ := players[0].(map[string]any)
	for _, k := range []string{"name", "id", "x", "y", "protocol", "address", "since", "messages_in", "messages_out"} {
		if _, ok := first[k]; !ok {
			t.Errorf("player lacks %q: %v", k, first)
		}
	}
	if first["name"] != "ann" || first["id"] != float64(annID) {
		t.Errorf("first player %v, want ann with id %d", first, annID)
	}

	steps := []struct {
		name string
		path string
		body any
		want int
	}{
		{"message to everyone", "/api/broadcast", map[string]string{"text": "restart in 5 minutes"}, http.StatusOK},
		{"empty message", "/api/broadcast", map[string]string{"text": " "}, http.StatusBadRequest},
		{"unknown field", "/api/kick", map[string]string{"nmae": "ann"}, http.StatusBadRequest},
		{"kick nobody", "/api/kick", map[string]string{"name": "nobody"}, http.StatusNotFound},
		{"mute ann", "/api/mute", map[string]string{"name": "ann", "duration": "1h"}, http.StatusOK},
		{"bad duration", "/api/mute", map[string]string{"name": "ann", "duration": "soon"}, http.StatusBadRequest},
		{"reset password", "/api/password", map[string]string{"name": "ann", "password": "new-pw"}, http.StatusOK},
		{"reset unknown", "/api/password", map[string]string{"name": "nobody", "password": "x"}, http.StatusNotFound},
		{"ban address with expiry", "/api/ban", map[string]string{"address": "192.0.2.7", "reason": "spam", "duration": "24h"}, http.StatusOK},
		{"ban bad address", "/api/ban", map[string]string{"address": "not-an-ip"}, http.StatusBadRequest},
		{"delete by prefix", "/api/delete", map[string]string{"prefix": "loadbot-"}, http.StatusOK},
	}
	for _, s := range steps {
		if code, v := apiCall(t, base, "", http.MethodPost, s.path, s.body); code != s.want {
			t.Errorf("%s: %d %v, want %d", s.name, code, v, s.want)
		}
	}
	// What the players saw: the message from "server", then ann is muted.
	p := ann.await("server message", func(p packet) bool { return p.A == "Chat" })
	if p.From != wire.ServerName || p.Text != "restart in 5 minutes" {
		t.Errorf("server message arrived as %s", p.Raw)
	}
	ann.send("Chat", "", "hello?")
	ann.await("Deny", func(p packet) bool { return p.A == "Deny" && p.Text == denial(wire.Muted) })
	if code, _ := closedWith(t, bot); code != operate.StatusKicked {
		t.Errorf("deleted bot closed with %v, want %v", code, operate.StatusKicked)
	}
	for _, n := range []string{"loadbot-1", "loadbot-2"} {
		if _, err := app.store.Account(t.Context(), n); err == nil {
			t.Errorf("%s still stored after delete by prefix", n)
		}
	}
	code, v = apiCall(t, base, "", http.MethodGet, "/api/bans", nil)
	if bans, _ := v.([]any); code != http.StatusOK || len(bans) != 1 || !strings.Contains(mustJSON(t, bans[0]), `"expires"`) {
		t.Errorf("GET /api/bans: %d %v, want one ban with an expiry", code, v)
	}
	// The new password works on the next login.
	ann.conn.CloseNow() //nolint:errcheck // leaving
	for {
		c := dial(t, app.Addr())
		c.send("Login", "ann", "new-pw")
		if p := c.next(); p.A == "Ok" {
			break
		} else if p.Text != denial(wire.LoggedIn) {
			t.Fatalf("login with the new password: %s", p.Raw)
		}
	}

	// A cross-site form post is refused.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/kick", strings.NewReader(`{"name":"ann"}`))
	req.Header.Set("Content-Type", "text/plain")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain POST: %v %v, want 415", res.StatusCode, err)
	}
}

// TestAdminToken checks the token: refused without it or with a wrong one,
// accepted as a bearer token and as the cookie the page gets.
func TestAdminToken(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0", "-admin-token", "s3cret"))
	base := "http://" + app.AdminAddr()
	tests := []struct {
		token string
		want  int
	}{{"", http.StatusUnauthorized}, {"wrong", http.StatusUnauthorized}, {"s3cret", http.StatusOK}}
	for _, tc := range tests {
		if code, _ := apiCall(t, base, tc.token, http.MethodGet, "/api/players", nil); code != tc.want {
			t.Errorf("token %q: %d, want %d", tc.token, code, tc.want)
		}
	}
	if code, _ := apiCall(t, base, "", http.MethodPost, "/api/session", map[string]string{"token": "wrong"}); code != http.StatusUnauthorized {
		t.Errorf("session with a wrong token: %d", code)
	}
	res, err := http.Post(base+"/api/session", "application/json", strings.NewReader(`{"token":"s3cret"}`))
	if err != nil || res.StatusCode != http.StatusOK || len(res.Cookies()) != 1 {
		t.Fatalf("session: %v %v", res.StatusCode, err)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/players", nil)
	req.AddCookie(res.Cookies()[0])
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("with the cookie: %v %v", res.StatusCode, err)
	}
	// The page and health checks are open; metrics and profiles are not.
	for path, want := range map[string]int{"/": 200, "/healthz": 200, "/metrics": 401, "/debug/pprof/cmdline": 401} {
		if code := get(t, base+path); code != want {
			t.Errorf("GET %s without the token: %d, want %d", path, code, want)
		}
	}
	if code, _ := apiCall(t, base, "s3cret", http.MethodGet, "/metrics", nil); code != http.StatusOK {
		t.Errorf("GET /metrics with the token: %d", code)
	}
}

// TestAdminForeignHost: without a token, every path of the admin listener
// refuses a request naming another Host (DNS rebinding), the metrics and
// the profiles (whose command line may hold a password) as much as the API,
// and answers its own names.
func TestAdminForeignHost(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0"))
	port := app.AdminAddr()[strings.LastIndex(app.AdminAddr(), ":"):]
	for _, path := range []string{"/", "/api/players", "/metrics", "/debug/pprof/cmdline", "/debug/pprof/", "/healthz", "/readyz"} {
		for host, want := range map[string]int{"attacker.example" + port: http.StatusForbidden, "localhost" + port: http.StatusOK, app.AdminAddr(): http.StatusOK} {
			req, _ := http.NewRequest(http.MethodGet, "http://"+app.AdminAddr()+path, nil)
			req.Host = host
			res, err := (&http.Client{Timeout: wait}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("GET %s with Host %s: %d, want %d", path, host, res.StatusCode, want)
			}
			if want == http.StatusForbidden && bytes.Contains(body, []byte("-admin")) {
				t.Errorf("GET %s with Host %s shows the command line: %q", path, host, body)
			}
		}
	}
}

// TestAdminRefusalsLogThrottled guesses the admin token many times: the
// log gets a few lines, the last saying how many went unlogged, not a
// line per guess.
func TestAdminRefusalsLogThrottled(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	app, _ := startAppLog(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0", "-admin-token", "s3cret"), slog.New(slog.NewTextHandler(&logs, nil)))
	base := "http://" + app.AdminAddr()
	for i := range 100 {
		if code, _ := apiCall(t, base, "", http.MethodPost, "/api/session", map[string]string{"token": fmt.Sprint("guess", i)}); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
		if code, _ := apiCall(t, base, fmt.Sprint("guess", i), http.MethodGet, "/api/players", nil); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	lines := strings.Count(logs.String(), "refused")
	if lines == 0 || lines > 20 {
		t.Errorf("200 wrong tokens logged %d lines, want a few:\n%s", lines, logs.String())
	}
}

// TestAdminCommand runs `godmmo admin` against a real server.
func TestAdminCommand(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0", "-admin-token", "tok"))
	c, _ := join(t, app.Addr(), "loadbot-7", 0)
	dial(t, app.Addr()).register("mallory", "pw", 0)
	vars := map[string]string{"GODMMO_ADMIN": app.AdminAddr(), "GODMMO_ADMIN_TOKEN": "tok"}
	tests := []struct {
		args  []string
		stdin string
		want  string // in the output
		ok    bool
	}{
		{[]string{"players"}, "", "loadbot-7", true},
		{[]string{"players", "-json"}, "", `"name":"loadbot-7"`, true},
		{[]string{"say", "hello", "all"}, "", `"players":1`, true},
		{[]string{"kick", "nobody"}, "", "", false},
		{[]string{"ban", "-for", "1h", "-address", "192.0.2.1"}, "", `"ok":true`, true},
		{[]string{"bans"}, "", "192.0.2.1", true},
		{[]string{"ban", "mallory", "-reason", "spam", "-for", "1h"}, "", `"ok":true`, true}, // flags after the name, as usage shows
		{[]string{"bans"}, "", `"reason":"spam","value":"mallory"`, true},
		{[]string{"ban", "nobody"}, "", "", false},
		{[]string{"reset-password", "loadbot-7"}, "from stdin\n", `"ok":true`, true},
		{[]string{"delete", "-prefix", "loadbot-"}, "", `"deleted":["loadbot-7"]`, true},
		{[]string{"frobnicate"}, "", "", false},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		err := runAdmin(context.Background(), tc.args, env(vars), strings.NewReader(tc.stdin), &out, io.Discard)
		if (err == nil) != tc.ok || !strings.Contains(out.String(), tc.want) {
			t.Errorf("godmmo admin %v: %v, output %q; want ok %v and %q", tc.args, err, out.String(), tc.ok, tc.want)
		}
	}
	if _, err := closedWith(t, c); err != "account deleted" {
		t.Errorf("deleted player's close reason %q", err)
	}
	var out bytes.Buffer
	if err := runAdmin(context.Background(), []string{"players"}, env(map[string]string{"GODMMO_ADMIN": app.AdminAddr()}), strings.NewReader(""), &out, io.Discard); err == nil {
		t.Error("admin without the token succeeded")
	}
}

// TestBroadcastV2 checks that a v2 player gets the operators' message as a
// chat line from "server" in its own protocol.
func TestBroadcastV2(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+app.Addr()+"/", &websocket.DialOptions{Subprotocols: []string{wire.SubprotocolV2}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow() //nolint:errcheck // test cleanup
	for _, msg := range []string{`["Register","vee","pw",0]`, `["Login","vee","pw"]`} {
		if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	// The login is done once the server lists the player.
	for len(app.game.Server.Operators().Players()) == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the v2 player never logged in")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if n, err := app.game.Server.Operators().Broadcast("hello v2"); err != nil || n != 1 {
		t.Fatalf("Broadcast: %d, %v", n, err)
	}
	for {
		_, msg, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("no server message: %v", err)
		}
		if strings.Contains(string(msg), `["C","server","hello v2"]`) {
			return
		}
	}
}

// TestOperatorsEndResume: a ban, a kick, a password reset or a delete of an
// account whose v2 connection dropped without a close frame takes its
// parked actor out of the world at once and its token resumes nothing; a
// deleted account's name is free only once its actor has left.
func TestOperatorsEndResume(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0"))
	base := "http://" + app.AdminAddr()
	watcher, _ := join(t, app.Addr(), "watcher", 0)
	for _, tc := range []struct {
		name, path string
		body       map[string]string
	}{
		{"banned", "/api/ban", map[string]string{"name": "banned", "reason": "spam"}},
		{"kicked", "/api/kick", map[string]string{"name": "kicked"}},
		{"reset", "/api/password", map[string]string{"name": "reset", "password": "new"}},
		{"deleted", "/api/delete", map[string]string{"name": "deleted"}},
	} {
		player, id, token := loginV2(t, app.Addr(), tc.name)
		watcher.await(tc.name, isModelOf(id))
		player.conn.CloseNow() //nolint:errcheck // the connection drops: no close frame
		if code, v := apiCall(t, base, "", http.MethodPost, tc.path, tc.body); code != http.StatusOK {
			t.Fatalf("%s: %d %v", tc.path, code, v)
		}
		watcher.await(tc.name+" leaving", func(p packet) bool { return p.A == "Disconnect" && p.actorID() == id })
		if _, ans := resumeV2(t, app.Addr(), token); ans.Kind != netclient.Deny {
			t.Errorf("%s: resume answered %v", tc.name, ans)
		}
	}

	// A password reset while the player plays: it plays on, its token no
	// longer resumes, and when its connection drops its actor is not kept.
	live, id, token := loginV2(t, app.Addr(), "live")
	watcher.await("live", isModelOf(id))
	if code, v := apiCall(t, base, "", http.MethodPost, "/api/password", map[string]string{"name": "live", "password": "new"}); code != http.StatusOK {
		t.Fatalf("reset: %d %v", code, v)
	}
	if _, ans := resumeV2(t, app.Addr(), token); ans.Kind != netclient.Deny {
		t.Errorf("resume with a live token after a reset answered %v", ans)
	}
	live.send("Target", 5, 5)
	watcher.await("live walking on", isModelOf(id))
	live.conn.CloseNow() //nolint:errcheck // the connection drops: no close frame
	watcher.await("live leaving without a grace", func(p packet) bool { return p.A == "Disconnect" && p.actorID() == id })

	again := dial(t, app.Addr())
	again.register("deleted", "pw2", 3)
	id = again.login("deleted", "pw2").actorID()
	watcher.await("the new deleted", func(p packet) bool { return isModelOf(id)(p) && p.full() })
}

// TestAdminArgs: flags are read before and after the name, and nothing
// after "--" is a flag.
func TestAdminArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args   []string
		reason string
		rest   string
	}{
		{[]string{"-reason", "spam", "bob"}, "spam", "bob"},
		{[]string{"bob", "-reason", "spam"}, "spam", "bob"},
		{[]string{"bob", "being", "rude"}, "", "bob being rude"},
		{[]string{"bob", "--", "-reason", "x"}, "", "bob -reason x"},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		reason := fs.String("reason", "", "")
		rest, err := parseInterspersed(fs, tc.args)
		if err != nil || *reason != tc.reason || strings.Join(rest, " ") != tc.rest {
			t.Errorf("%q: reason %q, rest %q, %v; want %q, %q", tc.args, *reason, rest, err, tc.reason, tc.rest)
		}
	}
}
