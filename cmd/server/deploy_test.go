package server

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSecretFiles checks that -db and -admin-token can come from files,
// named on the command line or in GODMMO_*_FILE, and that the command line
// still wins over the environment.
func TestSecretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	url := write("db", "postgres://godmmo:s3cret@db:5432/godmmo\n")
	token := write("token", "t0ken\r\n")
	empty := write("empty", "\n")
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		db, token string
		err       string
	}{
		{"flags", []string{"-db-file", url, "-admin-token-file", token}, nil, "postgres://godmmo:s3cret@db:5432/godmmo", "t0ken", ""},
		{"environment", nil, map[string]string{"GODMMO_DB_FILE": url, "GODMMO_ADMIN_TOKEN_FILE": token},
			"postgres://godmmo:s3cret@db:5432/godmmo", "t0ken", ""},
		{"a token file opens a non-loopback admin", []string{"-admin", "0.0.0.0:0", "-admin-token-file", token}, nil, "godmmo.db", "t0ken", ""},
		{"the file beats its flag in the environment", nil, map[string]string{"GODMMO_DB": "/data/godmmo.db", "GODMMO_DB_FILE": url},
			"postgres://godmmo:s3cret@db:5432/godmmo", "", ""},
		{"the command line beats the environment", []string{"-db", "here.db"}, map[string]string{"GODMMO_DB_FILE": url}, "here.db", "", ""},
		{"the later flag wins", []string{"-db-file", url, "-db", "here.db"}, nil, "here.db", "", ""},
		{"missing file", []string{"-db-file", filepath.Join(dir, "nothing")}, nil, "", "", "no such file"},
		{"empty file", nil, map[string]string{"GODMMO_ADMIN_TOKEN_FILE": empty}, "", "", "GODMMO_ADMIN_TOKEN_FILE"},
		{"no file named", []string{"-admin-token-file", ""}, nil, "", "", "no file named"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseExample(tc.args, env(tc.env))
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err = %v, want one mentioning %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Fatal(err)
			case tc.err == "" && (c.DB != tc.db || c.AdminToken != tc.token):
				t.Errorf("db %q, token %q; want %q, %q", c.DB, c.AdminToken, tc.db, tc.token)
			}
		})
	}
	_, err := adminTokenFromFile(env(map[string]string{"GODMMO_ADMIN_TOKEN_FILE": empty}))
	if err == nil {
		t.Error("godmmo admin took an empty token file")
	}
	lookup, err := adminTokenFromFile(env(map[string]string{"GODMMO_ADMIN_TOKEN_FILE": token, "GODMMO_ADMIN": "127.0.0.1:1"}))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := lookup("GODMMO_ADMIN_TOKEN"); v != "t0ken" {
		t.Errorf("godmmo admin reads the token %q from GODMMO_ADMIN_TOKEN_FILE, want t0ken", v)
	}
	if v, _ := lookup("GODMMO_ADMIN"); v != "127.0.0.1:1" {
		t.Errorf("GODMMO_ADMIN = %q through the token file's lookup", v)
	}
}

// TestUsage checks what a mistyped command line prints: a short usage and
// the error last; -help lists every flag and exits 0.
func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		code     int
		last     string // the last line
		maxLines int
	}{
		{[]string{"-adress", ":8081"}, 1, "godmmo: flag provided but not defined: -adress", 12},
		{[]string{"serve"}, 1, `godmmo: unexpected arguments: ["serve"]`, 12},
		{[]string{"-tick-rate", "fast"}, 1, `godmmo: invalid value "fast" for flag -tick-rate: parse error`, 12},
		{[]string{"-help"}, 0, "", 400},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := parseExample(tc.args, env(nil))
			var out bytes.Buffer
			if code := exitCode(err, &out); code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
			if !strings.HasPrefix(lines[0], "usage: godmmo") || len(lines) > tc.maxLines {
				t.Errorf("%d lines, want the usage first and at most %d:\n%s", len(lines), tc.maxLines, out.String())
			}
			if tc.last != "" && lines[len(lines)-1] != tc.last {
				t.Errorf("last line %q, want %q", lines[len(lines)-1], tc.last)
			}
			if tc.code == 0 && (!errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "-admin-token-file file")) {
				t.Errorf("-help: %v, want every flag:\n%s", err, out.String())
			}
		})
	}
}

// TestHealth asks a real server's /readyz the way the container's health
// check does, and checks the answers when nothing listens there and when
// the admin listener is off.
func TestHealth(t *testing.T) {
	t.Parallel()
	app, stop := startApp(t, testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0"))
	_, port, _ := strings.Cut(app.AdminAddr(), ":")
	// A player in the world: the tick has run, so the server is ready.
	join(t, app.Addr(), "healthy", 1)
	var out bytes.Buffer
	ctx := context.Background()
	if err := runHealth(ctx, nil, env(map[string]string{"GODMMO_ADMIN": app.AdminAddr()}), &out); err != nil || out.String() != "ready\n" {
		t.Fatalf("godmmo health: %v %q", err, out.String())
	}
	// A server on every interface is asked on loopback.
	if err := runHealth(ctx, []string{"-admin", "0.0.0.0:" + port}, env(nil), &out); err != nil {
		t.Errorf("godmmo health -admin 0.0.0.0:%s: %v", port, err)
	}
	if err := runHealth(ctx, nil, env(map[string]string{"GODMMO_ADMIN": ""}), &out); err == nil || !strings.Contains(err.Error(), "admin listener is off") {
		t.Errorf("godmmo health with GODMMO_ADMIN empty: %v", err)
	}
	stop()
	if err := runHealth(ctx, []string{"-admin", app.AdminAddr()}, env(nil), &out); err == nil {
		t.Error("godmmo health passed with the server stopped")
	}
}

// TestStartLog checks that the first lines a server logs say where the
// game, the web client and the console are, and how other machines reach it.
func TestStartLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		want, not []string // regular expressions over the log
		lan       bool     // each LAN address is logged
	}{
		{"loopback", []string{"-admin", "127.0.0.1:0"},
			[]string{`msg="godmmo listening" url=ws://127\.0\.0\.1:\d+/`, `msg="admin console" url=http://127\.0\.0\.1:\d+/\n`,
				`msg="only this machine can connect; for a phone or another machine on the LAN, start with -addr :\d+"`},
			[]string{`/metrics`, `web client`}, false},
		{"every interface, with the web client", []string{"-addr", ":0", "-web", t.TempDir()},
			[]string{`msg="godmmo listening" url=ws://127\.0\.0\.1:\d+/`, `msg="web client" url=http://127\.0\.0\.1:\d+/`},
			[]string{`only this machine`, `admin console`}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			cfg := testConfig(t, t.TempDir(), tc.args...)
			ctx, cancel := context.WithCancel(context.Background())
			app, err := NewApp(ctx, cfg, newLogger(&log, cfg))
			if err != nil {
				t.Fatal(err)
			}
			cancel() // Run logs where everything is, then stops at once
			if err := app.Run(ctx); err != nil {
				t.Fatal(err)
			}
			for _, re := range tc.want {
				if !regexp.MustCompile(re).MatchString(log.String()) {
					t.Errorf("no %s in the log:\n%s", re, log.String())
				}
			}
			for _, re := range tc.not {
				if regexp.MustCompile(re).MatchString(log.String()) {
					t.Errorf("%s in the log:\n%s", re, log.String())
				}
			}
			for _, lan := range lanAddrs(4) {
				if tc.lan && !strings.Contains(log.String(), "url=ws://"+lan.String()+":") {
					t.Errorf("the LAN address %s is not in the log:\n%s", lan, log.String())
				}
			}
		})
	}
}

// TestServiceUnit checks deploy/godmmo.service with systemd-analyze: verify
// must say nothing, and the sandboxing must keep its exposure score low.
// verify also checks that ExecStart names an executable file, so a copy of
// the unit is verified with ExecStart pointing at a freshly built godmmo
// instead of /usr/local/bin/godmmo.
func TestServiceUnit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server binary")
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed (apt-get install systemd): the service unit is not checked")
	}
	t.Parallel()
	unit, err := os.ReadFile("../godmmo/deploy/godmmo.service")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "godmmo")
	if out, err := exec.Command("go", "build", "-o", bin, "../godmmo").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	const execStart = "\nExecStart=/usr/local/bin/godmmo\n"
	if !bytes.Contains(unit, []byte(execStart)) {
		t.Fatalf("deploy/godmmo.service has no %q", strings.TrimSpace(execStart))
	}
	copied := filepath.Join(dir, "godmmo.service")
	if err := os.WriteFile(copied, bytes.Replace(unit, []byte(execStart), []byte("\nExecStart="+bin+"\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("systemd-analyze", "verify", copied).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	if out, err := exec.Command("systemd-analyze", "security", "--offline=true", "--threshold=20", copied).CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 (%v):\n%s", err, out)
	}
}

// TestVersionRevision checks that -version tells the revision given with
// -ldflags when the toolchain stamps none (-buildvcs=false), as in images
// and release binaries.
func TestVersionRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "godmmo")
	const rev = "0123456789abcdef-dirty"
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-ldflags", "-X github.com/godmmo/godmmo/cmd/server.revision="+rev, "-o", bin, "../godmmo").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-version").Output()
	if err != nil || !strings.Contains(string(out), "(revision "+rev+", go") {
		t.Errorf("godmmo -version: %q %v, want revision %s", out, err, rev)
	}
}
