package guard

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFailures walks the failed-login throttle through its states: free,
// slowed down past half the limit, locked once the limit is used, and free
// again as the level drains after the lockout; an attempt given back does
// not count, and an entry that may not lock is only slowed.
func TestFailures(t *testing.T) {
	t.Parallel()
	f := newFailures(10, 10*time.Minute, 5*time.Minute)
	now := time.Unix(0, 0)
	steps := []struct {
		attempts  int           // attempts before the checked one, at now
		advance   time.Duration // then move the clock
		slow      bool          // the checked attempt is slowed down
		lockedFor time.Duration // or refused for this long
	}{
		{attempts: 5, slow: false},
		{attempts: 0, slow: true},                 // the 7th: past half
		{attempts: 3, lockedFor: 5 * time.Minute}, // the 11th
		{advance: 4 * time.Minute, lockedFor: time.Minute},
		{advance: time.Minute, slow: false}, // lockout over; the level it kept (max/2) drained during it
	}
	for i, s := range steps {
		for range s.attempts {
			if _, l := f.reserve("k", now, true); l != 0 {
				t.Fatalf("step %d: locked early", i)
			}
		}
		now = now.Add(s.advance)
		delay, locked := f.reserve("k", now, true)
		if locked != s.lockedFor || (delay > 0) != s.slow {
			t.Errorf("step %d: delay %v, locked %v; want slow %v, locked %v", i, delay, locked, s.slow, s.lockedFor)
		}
	}
	for range 3 {
		f.reserve("given back", now, true)
		f.refund("given back", now)
	}
	if f.full("given back", now) || f.full("k", now) {
		t.Error("full after attempts given back, or after the lockout")
	}
	for i := range 30 {
		if _, l := f.reserve("owner", now, false); l != 0 {
			t.Fatalf("attempt %d of a key that may not lock: locked %v", i, l)
		}
	}
	if d, _ := f.reserve("owner", now, false); d != 2*time.Second {
		t.Errorf("a key that may not lock, 30 failures in: delayed %v, want 2s", d)
	}
}

// TestFailuresReserveAtOnce makes many attempts at once: exactly the limit
// get through, whatever their order, as each is counted when it starts.
func TestFailuresReserveAtOnce(t *testing.T) {
	t.Parallel()
	f := newFailures(10, 10*time.Minute, 5*time.Minute)
	now := time.Unix(0, 0)
	var through atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, locked := f.reserve("k", now, true); locked == 0 {
				through.Add(1)
			}
		})
	}
	wg.Wait()
	if n := through.Load(); n != 10 {
		t.Errorf("%d of 50 attempts at once got through, want 10", n)
	}
}

// TestFailuresPace checks that attempts past half the limit take turns,
// each waiting a little longer than the one before; that past the limit
// one attempt per window/max goes, the others told when to retry; and that
// an attempt that does not wait is never held up.
func TestFailuresPace(t *testing.T) {
	t.Parallel()
	f := newFailures(10, 10*time.Minute, 5*time.Minute)
	now := time.Unix(0, 0)
	var last time.Duration
	for i := range 10 {
		d, retry := f.pace("k", now, true)
		if retry != 0 || (i > 5 && d <= last) {
			t.Errorf("attempt %d waits %v (retry %v), the one before %v", i, d, retry, last)
		}
		last = d
	}
	if _, retry := f.pace("k", now, true); retry == 0 {
		t.Error("past the limit, an attempt while the turn is taken goes")
	}
	now = now.Add(time.Hour) // the level drains to zero
	for range 10 {
		f.pace("k", now, false)
	}
	d, retry := f.pace("k", now, true)
	if d != 2*time.Second || retry != 0 {
		t.Errorf("the first attempt past the limit: wait %v, retry %v; want 2s, 0", d, retry)
	}
	if _, retry := f.pace("k", now.Add(10*time.Second), true); retry < 40*time.Second || retry > time.Minute {
		t.Errorf("the next, 10 s later: retry in %v, want about 50 s", retry)
	}
	if _, retry := f.pace("k", now.Add(61*time.Second), true); retry != 0 {
		t.Errorf("the next, a minute later: retry in %v, want none", retry)
	}
	if d, retry := f.pace("k", now, false); d != 0 || retry != 0 {
		t.Errorf("an attempt that does not wait: %v, %v", d, retry)
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
	g := New(nil, nil, nil, nil, log)
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8081/", nil)
	req.Host = "127.0.0.1:8081"
	req.Header.Set("Origin", "https://other.example")
	rec := httptest.NewRecorder()
	if _, ok := g.Admit(rec, req); ok || rec.Code != http.StatusForbidden {
		t.Fatalf("foreign origin admitted (%v) or answered %d", ok, rec.Code)
	}
	if line := buf.String(); !strings.Contains(line, "level=WARN") || !strings.Contains(line, "-origins") {
		t.Errorf("log line %q: want a warning naming -origins", line)
	}
}

// TestLongLoginName: a login name longer than any account's is refused
// without becoming a key of the per-account tables (only the address's
// failure counts), so a spray of long names costs no memory there.
func TestLongLoginName(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	g := New(nil, nil, nil, nil, log)
	try, deny := g.BeginLogin(t.Context(), log, PeerOf("192.0.2.1:5000"), strings.Repeat("x", 4000))
	if deny.Refused() || !try.Nobody() {
		t.Fatalf("BeginLogin: deny %q, account key %q", deny.Text(), try.acct)
	}
	try.Failed()
	if len(g.pairFails.m) != 0 || len(g.acctFails.m) != 0 || len(g.addrFails.m) != 1 {
		t.Errorf("tables: %d pair, %d account, %d address entries; want 0, 0, 1", len(g.pairFails.m), len(g.acctFails.m), len(g.addrFails.m))
	}
}
