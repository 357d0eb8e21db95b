package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMetricsAfterPlay scrapes the admin listener of a real server after a
// login and a walk, and finds the counters moved.
func TestMetricsAfterPlay(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, t.TempDir(), "-admin", "127.0.0.1:0")
	app, _ := startApp(t, cfg)
	admin := "http://" + app.AdminAddr()
	if app.AdminAddr() == "" {
		t.Fatal("admin listener not started")
	}

	alice, id := join(t, app.Addr(), "alice", 2)
	alice.send("Target", 20, 0)
	for {
		if x, _, _ := alice.await("alice's walk", isModelOf(id)).pos(); x == 20 {
			break
		}
	}

	// Counters the play above must have moved. The flush runs on its own
	// schedule, so scrape until it shows (the test's own timeout bounds this).
	want := map[string]float64{
		"godmmo_logins_total":                                1,
		"godmmo_players_online":                              1,
		"godmmo_packets_in_total":                            3, // Register, Login, Target
		"godmmo_packets_out_total":                           4, // Ok, Ok, own model, a delta
		"godmmo_bytes_in_total":                              30,
		"godmmo_bytes_out_total":                             100,
		"godmmo_tick_seconds_count":                          1,
		`godmmo_tick_stage_seconds_count{system="movement"}`: 1,
		"godmmo_flush_seconds_count":                         1,
		"godmmo_flush_rows_total":                            1,
		"go_goroutines":                                      1,
	}
	var got map[string]float64
	deadline := time.Now().Add(wait)
	for got = scrape(t, admin+"/metrics"); !allAtLeast(got, want); got = scrape(t, admin+"/metrics") {
		if time.Now().After(deadline) {
			t.Fatalf("metrics after play: %v, want at least %v", got, want)
		}
		time.Sleep(50 * time.Millisecond) // the flush and the scrape run on their own schedules
	}
	for _, name := range []string{"godmmo_login_failures_total", "godmmo_slow_client_disconnects_total",
		`godmmo_db_errors_total{op="flush"}`, "godmmo_hash_queue_length", "godmmo_command_queue_length", "godmmo_tick_overruns_total"} {
		if _, ok := got[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	// A wrong password moves the failure counter.
	mallory := dial(t, app.Addr())
	mallory.send("Login", "alice", "not her password")
	mallory.expectAction("Deny")
	if n := scrape(t, admin+"/metrics")["godmmo_login_failures_total"]; n != 1 {
		t.Errorf("godmmo_login_failures_total = %v after one wrong password, want 1", n)
	}

	for _, path := range []string{"/healthz", "/readyz", "/debug/pprof/", "/debug/pprof/cmdline"} {
		if code := get(t, admin+path); code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, code)
		}
	}
	// Nothing of it on the public game port.
	for _, path := range []string{"/metrics", "/debug/pprof/", "/healthz"} {
		if code := get(t, "http://"+app.Addr()+path); code == http.StatusOK {
			t.Errorf("game port answers GET %s with 200", path)
		}
	}
}

// TestAdminDisabled checks that -admin "" starts no listener.
func TestAdminDisabled(t *testing.T) {
	t.Parallel()
	app, _ := startApp(t, testConfig(t, t.TempDir()))
	if got := app.AdminAddr(); got != "" {
		t.Errorf("AdminAddr = %q with -admin \"\"", got)
	}
}

func TestAdminDefault(t *testing.T) {
	t.Parallel()
	cfg, err := parseExample(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Admin != "127.0.0.1:9081" {
		t.Errorf("default -admin = %q, want loopback 127.0.0.1:9081", cfg.Admin)
	}
	cfg, err = parseExample(nil, env(map[string]string{"GODMMO_ADMIN": "127.0.0.1:9999"}))
	if err != nil || cfg.Admin != "127.0.0.1:9999" {
		t.Errorf("GODMMO_ADMIN: admin = %q, err %v", cfg.Admin, err)
	}
}

func TestReadiness(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	dbDown := errors.New("disk gone")
	tests := []struct {
		name     string
		ping     error
		lastTick time.Time
		write    error // of the last position batch
		bus      error // of a process of a world split over processes
		wantErr  bool
		wantFail int
	}{
		{"ready", nil, now.Add(-100 * time.Millisecond), nil, nil, false, 0},
		{"no tick yet", nil, time.Time{}, nil, nil, true, 0},
		{"tick stopped", nil, now.Add(-3 * time.Second), nil, nil, true, 0},
		{"database down", dbDown, now, nil, nil, true, 1},
		{"writes failing", nil, now, errors.New("disk full"), nil, true, 0},
		{"region not heard from", nil, now, nil, errors.New("bus: own region west not heard from"), true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fails := 0
			r := readiness{
				ping:       func(context.Context) error { return tt.ping },
				lastTick:   func() time.Time { return tt.lastTick },
				now:        func() time.Time { return now },
				maxAge:     2 * time.Second,
				pingFailed: func() { fails++ },
				lastWrite:  func() error { return tt.write },
				bus:        func() error { return tt.bus },
			}
			err := r.check(context.Background())
			if (err != nil) != tt.wantErr {
				t.Errorf("check() = %v, want error %v", err, tt.wantErr)
			}
			if fails != tt.wantFail {
				t.Errorf("ping failures counted %d, want %d", fails, tt.wantFail)
			}
		})
	}
}

// TestMetricsFlushed checks the store hook: rows on success, an error otherwise.
func TestMetricsFlushed(t *testing.T) {
	t.Parallel()
	m := newMetrics()
	m.flushed(7, time.Millisecond, nil)
	m.flushed(3, time.Millisecond, errors.New("locked"))
	got := gather(t, m)
	if got["godmmo_flush_rows_total"] != 7 || got[`godmmo_db_errors_total{op="flush"}`] != 1 || got["godmmo_flush_seconds_count"] != 2 {
		t.Errorf("after two flushes: rows %v, errors %v, count %v", got["godmmo_flush_rows_total"],
			got[`godmmo_db_errors_total{op="flush"}`], got["godmmo_flush_seconds_count"])
	}
}

func allAtLeast(got, want map[string]float64) bool {
	for k, v := range want {
		if got[k] < v {
			return false
		}
	}
	return true
}

// gather reads a Metrics' registry in the text format, as a scrape would.
func gather(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	a, err := newAdmin("127.0.0.1:0", m, readiness{}, &console{log: log, hosts: ownHosts("127.0.0.1:0")}, log)
	if err != nil {
		t.Fatal(err)
	}
	a.close()
	rec := httptest.NewRecorder()
	a.srv.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/metrics", nil))
	return parseText(t, rec.Body)
}

// scrape fetches a Prometheus text page and returns each sample by its
// name and labels as written, e.g. `godmmo_db_errors_total{op="flush"}`.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return parseText(t, resp.Body)
}

func parseText(t *testing.T, r io.Reader) map[string]float64 {
	t.Helper()
	out := make(map[string]float64)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("bad metrics line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the status matters
	resp.Body.Close()
	return resp.StatusCode
}
