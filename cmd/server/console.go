package server

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	stdnet "net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godmmo/godmmo/net/operate"

	"github.com/godmmo/godmmo/persist"
	dto "github.com/prometheus/client_model/go"
	"golang.org/x/time/rate"
)

//go:embed console.html
var consoleHTML []byte

// console is the operators' page and JSON API on the admin listener: the
// players online, a live map, the tick's timings and the actions (kick,
// ban, mute, message, password, delete). Every action is logged with the
// caller's address.
type console struct {
	ops     *operate.Operators
	metrics *Metrics
	// token, when set, is required of every API call: a bearer token or
	// the cookie /api/session sets. Compared in constant time.
	token string
	log   *slog.Logger
	// hosts are the admin listener's own names: without a token, a request
	// naming another Host (DNS rebinding) is refused.
	hosts []string

	ctx    context.Context // ends when the admin listener shuts down
	cancel context.CancelFunc

	// Refused requests (a wrong token, a foreign Host) are logged a line a
	// second at most, each with how many went unlogged before it.
	refusalsOnce sync.Once
	refusals     *rate.Limiter
	unlogged     atomic.Int64
}

// consoleCookie carries the admin token for the page's event stream,
// which cannot send headers.
const consoleCookie = "godmmo_admin"

// eventEvery is how often the event stream sends the world's state.
const eventEvery = 400 * time.Millisecond

// stop ends the event streams, which never go idle for a Shutdown to wait out.
func (c *console) stop() {
	if c.cancel != nil {
		c.cancel()
	}
}

func (c *console) routes(mux *http.ServeMux) {
	if c.ops == nil {
		return // a bare admin listener (metrics only)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	mux.HandleFunc("GET /{$}", c.page)
	mux.HandleFunc("POST /api/session", c.guarded(false, c.session))
	mux.HandleFunc("GET /api/players", c.guarded(true, c.players))
	mux.HandleFunc("GET /api/bans", c.guarded(true, c.bans))
	mux.HandleFunc("GET /api/events", c.guarded(true, c.events))
	for name, fn := range map[string]func(*http.Request, request) (any, error){
		"kick": c.kick, "ban": c.ban, "unban": c.unban, "mute": c.mute, "unmute": c.unmute,
		"broadcast": c.broadcast, "password": c.password, "delete": c.delete,
	} {
		mux.HandleFunc("POST /api/"+name, c.guarded(true, c.action(name, fn)))
	}
}

// page is the console itself: static, so it needs no token; its API calls do.
func (c *console) page(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Write(consoleHTML) //nolint:errcheck // the operator's browser went away
}

// sameHost refuses, when there is no token, every request naming another
// Host than the listener's own (DNS rebinding: a foreign name pointed at
// 127.0.0.1 in the operator's browser): the console and its API, and the
// metrics and profiles too, as the command line pprof shows may hold
// secrets. It wraps the admin listener's whole handler.
func (c *console) sameHost(h http.Handler) http.Handler {
	if c.token != "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.ownHost(r.Host) {
			c.logRefused(r, "admin request refused: foreign Host", "host", r.Host)
			jsonError(w, http.StatusForbidden, "Host "+r.Host+" is not this admin listener's")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// logRefused logs a refused request at warn, a line a second at most (a
// burst of five), so that guessing tokens cannot fill the disk; the line
// says how many refusals went unlogged since the last.
func (c *console) logRefused(r *http.Request, msg string, args ...any) {
	c.refusalsOnce.Do(func() { c.refusals = rate.NewLimiter(1, 5) })
	if !c.refusals.Allow() {
		c.unlogged.Add(1)
		return
	}
	c.log.Warn(msg, append([]any{"remote", r.RemoteAddr, "unlogged_before", c.unlogged.Swap(0)}, args...)...)
}

// guarded checks, before fn runs: the token (when one is set and auth is
// asked for), and that a POST is JSON from this page (a cross-site form
// cannot send application/json without a preflight that nothing here
// answers). The Host was checked by sameHost.
func (c *console) guarded(auth bool, fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				jsonError(w, http.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json)")
				return
			}
			if o := r.Header.Get("Origin"); o != "" {
				if u, err := url.Parse(o); err != nil || !strings.EqualFold(u.Host, r.Host) {
					c.log.Warn("admin request refused: cross-origin", "remote", r.RemoteAddr, "origin", o)
					jsonError(w, http.StatusForbidden, "cross-origin requests are refused")
					return
				}
			}
		}
		if auth && c.token != "" && !c.authorized(r) {
			c.logRefused(r, "admin request refused: no or wrong token", "path", r.URL.Path)
			jsonError(w, http.StatusUnauthorized, "admin token required")
			return
		}
		fn(w, r)
	}
}

// private requires the token, when there is one, for h (metrics and
// profiles); health checks stay open for load balancers.
func (c *console) private(h http.Handler) http.Handler {
	if c.token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.authorized(r) {
			c.logRefused(r, "admin request refused: no or wrong token", "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="godmmo admin"`)
			http.Error(w, "admin token required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// authorized compares the request's token with ours in constant time.
func (c *console) authorized(r *http.Request) bool {
	got := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		got = strings.TrimPrefix(h, "Bearer ")
	} else if ck, err := r.Cookie(consoleCookie); err == nil {
		got = ck.Value
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(c.token)) == 1
}

func (c *console) ownHost(host string) bool {
	if h, _, err := stdnet.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	return slices.ContainsFunc(c.hosts, func(s string) bool { return strings.EqualFold(s, host) })
}

// session trades the token for an HttpOnly cookie, so the page's event
// stream (which cannot send headers) is authorized too.
func (c *console) session(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil {
		jsonError(w, http.StatusBadRequest, "body must be {\"token\": …}")
		return
	}
	if c.token != "" && subtle.ConstantTimeCompare([]byte(req.Token), []byte(c.token)) != 1 {
		c.logRefused(r, "admin login refused: wrong token")
		jsonError(w, http.StatusUnauthorized, "wrong token")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: req.Token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (c *console) players(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, c.ops.Players())
}

// banJSON is a ban as the API shows it.
type banJSON struct {
	Kind    persist.BanKind `json:"kind"`
	Value   string          `json:"value"`
	Reason  string          `json:"reason"`
	Expires *time.Time      `json:"expires,omitempty"`
}

func (c *console) bans(w http.ResponseWriter, _ *http.Request) {
	out := []banJSON{}
	for _, b := range c.ops.Bans() {
		j := banJSON{Kind: b.Kind, Value: b.Value, Reason: b.Reason}
		if !b.Expires.IsZero() {
			e := b.Expires.UTC()
			j.Expires = &e
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, out)
}

// action wraps an operator's action: it reads and decodes the JSON body,
// runs fn, logs who did what, counts it, and answers {"ok": true, …} or
// {"error": …}.
func (c *console) action(name string, fn func(*http.Request, request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 16<<10))
		if err != nil {
			jsonError(w, http.StatusBadRequest, "reading the body: "+err.Error())
			return
		}
		req, err := decode(body)
		var res any
		if err == nil {
			res, err = fn(r, req)
		}
		c.metrics.adminAction(name)
		if err != nil {
			status := http.StatusInternalServerError
			switch {
			case errors.Is(err, operate.ErrBadRequest), errors.Is(err, errBadJSON):
				status = http.StatusBadRequest
			case errors.Is(err, operate.ErrNotOnline), errors.Is(err, persist.ErrNotFound):
				status = http.StatusNotFound
			}
			c.log.Info("admin action failed", "action", name, "remote", r.RemoteAddr, "request", redact(body), "err", err)
			jsonError(w, status, err.Error())
			return
		}
		c.log.Info("admin action", "action", name, "remote", r.RemoteAddr, "request", redact(body))
		if res == nil {
			res = map[string]bool{"ok": true}
		}
		writeJSON(w, http.StatusOK, res)
	}
}

// redact is the request body for the log, without a password.
func redact(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return truncateLog(string(body))
	}
	if _, ok := m["password"]; ok {
		m["password"] = "…"
	}
	b, _ := json.Marshal(m)
	return truncateLog(string(b))
}

func truncateLog(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

var errBadJSON = errors.New("bad JSON body")

// request is every action's body; each reads the fields it needs.
type request struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	Prefix   string `json:"prefix"`
	Reason   string `json:"reason"`
	Text     string `json:"text"`
	Password string `json:"password"`
	// Expires is an RFC 3339 time; Duration ("90m", "7d" is not Go: use "168h") is from now.
	Expires  string `json:"expires"`
	Duration string `json:"duration"`
}

func decode(body []byte) (request, error) {
	var req request
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("%w: %v", errBadJSON, err)
	}
	return req, nil
}

// until is when a ban or mute with these fields ends; zero: never.
func (req request) until() (time.Time, error) {
	switch {
	case req.Expires != "" && req.Duration != "":
		return time.Time{}, fmt.Errorf("%w: give expires or duration, not both", errBadJSON)
	case req.Expires != "":
		t, err := time.Parse(time.RFC3339, req.Expires)
		if err != nil {
			return t, fmt.Errorf("%w: expires: %v", errBadJSON, err)
		}
		return t, nil
	case req.Duration != "":
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			return time.Time{}, fmt.Errorf("%w: duration must be positive, like 30m or 24h", errBadJSON)
		}
		return time.Now().Add(d), nil
	}
	return time.Time{}, nil
}

func (c *console) kick(_ *http.Request, req request) (any, error) {
	return nil, c.ops.Kick(req.Name, req.Reason)
}

func (c *console) ban(r *http.Request, req request) (any, error) {
	until, err := req.until()
	if err != nil {
		return nil, err
	}
	b := persist.Ban{Kind: persist.BanAccount, Value: req.Name, Reason: req.Reason, Expires: until}
	switch {
	case req.Name != "" && req.Address != "":
		return nil, fmt.Errorf("%w: ban a name or an address, one at a time", errBadJSON)
	case req.Address != "":
		b.Kind, b.Value = persist.BanAddress, req.Address
	case req.Name == "":
		return nil, fmt.Errorf("%w: name or address required", errBadJSON)
	}
	n, err := c.ops.Ban(r.Context(), b)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ok": true, "closed": n}, nil
}

func (c *console) unban(r *http.Request, req request) (any, error) {
	if req.Address != "" {
		return nil, c.ops.Unban(r.Context(), persist.BanAddress, req.Address)
	}
	return nil, c.ops.Unban(r.Context(), persist.BanAccount, req.Name)
}

func (c *console) mute(_ *http.Request, req request) (any, error) {
	until, err := req.until()
	if err != nil {
		return nil, err
	}
	return nil, c.ops.Mute(req.Name, until)
}

func (c *console) unmute(_ *http.Request, req request) (any, error) {
	c.ops.Unmute(req.Name)
	return nil, nil
}

func (c *console) broadcast(_ *http.Request, req request) (any, error) {
	n, err := c.ops.Broadcast(req.Text)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ok": true, "players": n}, nil
}

func (c *console) password(r *http.Request, req request) (any, error) {
	return nil, c.ops.ResetPassword(r.Context(), req.Name, req.Password)
}

func (c *console) delete(r *http.Request, req request) (any, error) {
	switch {
	case req.Prefix != "" && req.Name != "":
		return nil, fmt.Errorf("%w: delete a name or a prefix, one at a time", errBadJSON)
	case req.Prefix != "":
		names, err := c.ops.DeleteAccountsWithPrefix(r.Context(), req.Prefix)
		if err != nil {
			return nil, err
		}
		if names == nil {
			names = []string{}
		}
		return map[string]any{"ok": true, "deleted": names}, nil
	case req.Name == "":
		return nil, fmt.Errorf("%w: name or prefix required", errBadJSON)
	}
	return nil, c.ops.DeleteAccount(r.Context(), req.Name)
}

// state is one event of the stream: the players and the tick's timings
// since the previous event, from the same histograms /metrics serves.
type state struct {
	Time    time.Time            `json:"time"`
	Players []operate.PlayerInfo `json:"players"`
	TickMS  float64              `json:"tick_ms"`  // mean tick time since the last event
	Ticks   float64              `json:"ticks"`    // ticks since the last event
	StageMS map[string]float64   `json:"stage_ms"` // mean time per system since the last event
	Overrun float64              `json:"overruns"` // overruns since the last event
}

// events streams the state as server-sent events until the page goes
// away or the listener shuts down.
func (c *console) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		jsonError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	t := time.NewTicker(eventEvery)
	defer t.Stop()
	var prev timings
	prev = c.timings()
	for {
		now := c.timings()
		st := state{Time: time.Now().UTC(), Players: c.ops.Players(), StageMS: map[string]float64{}}
		if d := now.tickCount - prev.tickCount; d > 0 {
			st.Ticks, st.TickMS = d, (now.tickSum-prev.tickSum)/d*1000
		}
		for name, s := range now.stages {
			p := prev.stages[name]
			if d := s[1] - p[1]; d > 0 {
				st.StageMS[name] = (s[0] - p[0]) / d * 1000
			}
		}
		st.Overrun = now.overruns - prev.overruns
		prev = now
		b, err := json.Marshal(st)
		if err != nil {
			return
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return
		}
		flusher.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// timings are the tick histograms' sums and counts at one moment.
type timings struct {
	tickSum, tickCount, overruns float64
	stages                       map[string][2]float64 // sum, count
}

func (c *console) timings() timings {
	t := timings{stages: map[string][2]float64{}}
	families, err := c.metrics.Registry().Gather()
	if err != nil {
		return t
	}
	for _, f := range families {
		switch f.GetName() {
		case "godmmo_tick_seconds":
			for _, m := range f.GetMetric() {
				t.tickSum, t.tickCount = m.GetHistogram().GetSampleSum(), float64(m.GetHistogram().GetSampleCount())
			}
		case "godmmo_tick_overruns_total":
			for _, m := range f.GetMetric() {
				t.overruns = m.GetCounter().GetValue()
			}
		case "godmmo_tick_stage_seconds":
			for _, m := range f.GetMetric() {
				t.stages[label(m, "system")] = [2]float64{m.GetHistogram().GetSampleSum(), float64(m.GetHistogram().GetSampleCount())}
			}
		}
	}
	return t
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the caller went away
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
