package net

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestFailures walks the failed-login throttle through its states: free,
// slowed down past half the limit, locked at the limit, and free again as
// the level drains after the lockout.
func TestFailures(t *testing.T) {
	t.Parallel()
	f := newFailures(10, 10*time.Minute, 5*time.Minute)
	now := time.Unix(0, 0)
	steps := []struct {
		fails     int           // failures to add at now
		advance   time.Duration // then move the clock
		slow      bool
		lockedFor time.Duration
	}{
		{fails: 4, slow: false},
		{fails: 2, slow: true},
		{fails: 4, lockedFor: 5 * time.Minute},
		{advance: 4 * time.Minute, lockedFor: time.Minute},
		{advance: time.Minute, slow: false}, // lockout over; the level it kept (max/2) drained during it
		{advance: 10 * time.Minute, slow: false},
	}
	for i, s := range steps {
		for range s.fails {
			f.fail("k", now)
		}
		now = now.Add(s.advance)
		delay, locked := f.check("k", now)
		if locked != s.lockedFor || (delay > 0) != s.slow {
			t.Errorf("step %d: delay %v, locked %v; want slow %v, locked %v", i, delay, locked, s.slow, s.lockedFor)
		}
	}
	if d, l := f.check("other", now); d != 0 || l != 0 {
		t.Errorf("an untouched key is throttled: %v %v", d, l)
	}
}

func TestLimitKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ addr, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::ffff", "2001:db8:1:2::/64"},
		{"not an ip", "not an ip"},
	}
	for _, tc := range tests {
		if got := limitKey(tc.addr); got != tc.want {
			t.Errorf("limitKey(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	if remoteIP("[::ffff:192.0.2.1]:5000") != "192.0.2.1" {
		t.Errorf("remoteIP of an IPv4-mapped address = %q", remoteIP("[::ffff:192.0.2.1]:5000"))
	}
}

// TestForeignOriginLogged checks that a page of another site is refused
// with 403 and logged at warn, naming the flag that would allow it.
func TestForeignOriginLogged(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	s := &Server{log: log, guard: newGuard(Options{}, log)}
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8081/", nil)
	req.Host = "127.0.0.1:8081"
	req.Header.Set("Origin", "https://other.example")
	rec := httptest.NewRecorder()
	if _, ok := s.admit(rec, req); ok || rec.Code != http.StatusForbidden {
		t.Fatalf("foreign origin admitted (%v) or answered %d", ok, rec.Code)
	}
	if line := buf.String(); !strings.Contains(line, "level=WARN") || !strings.Contains(line, "-origins") {
		t.Errorf("log line %q: want a warning naming -origins", line)
	}
}
