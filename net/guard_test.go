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

func TestInvisibleAndBidi(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text      string
		invisible bool
		bidi      bool
	}{
		{"hello", false, false},
		{"   ", true, false},
		{"\u200b", true, false}, // zero-width space
		{"\u200b\u200c\u200d\u2060", true, false},
		{"\u3164\u3164", true, false}, // Hangul filler
		{"\u2800", true, false},       // braille blank
		{"\ufe0f\u0301", true, false}, // a variation selector and a mark with nothing to mark
		{"a\u200b", false, false},
		{"é", false, false},
		{"abc\u202edcba", false, true},  // right-to-left override
		{"\u202a", true, true},          // an embedding alone is both
		{"x\u2066y\u2069", false, true}, // isolates
		{"\u200f", true, false},         // a mark (not an override) shows nothing
	}
	for _, tc := range tests {
		if got := invisible(tc.text); got != tc.invisible {
			t.Errorf("invisible(%+q) = %v, want %v", tc.text, got, tc.invisible)
		}
		if got := hasBidiOverride(tc.text); got != tc.bidi {
			t.Errorf("hasBidiOverride(%+q) = %v, want %v", tc.text, got, tc.bidi)
		}
	}
}

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
