package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/net/client"
	"github.com/godmmo/godmmo/net/wire"
)

// The Deny texts a bot expects (PROTOCOL.md).
const (
	denyTaken    = "This username is already taken"
	denyLoggedIn = "You are already logged in"
	// loginTries is how often a bot retries a login its own name still
	// holds, 100 ms apart.
	loginTries = 20
)

// bot is one simulated player. Its run goroutine logs in and then clicks and
// chats on timers (the only writer); its read goroutine, owned by run,
// reads everything the server sends and measures.
type bot struct {
	sw       *swarm
	index    int
	name     string
	password string
	rng      *rand.Rand // run goroutine only

	// Live counters the progress line reads.
	messagesIn, packetsIn, bytesIn, packetsOut atomic.Int64
	playing                                    atomic.Bool

	mu      sync.Mutex // guards what both goroutines touch, below
	stats   botStats
	pos     [2]float64 // v1: the last own position; v2: where the bot walks to
	home    [2]float64 // where the bot spawned: the middle of its area with -spread
	pending struct {
		active bool
		x, y   float64
		sent   time.Time
	}
	awaitOwn bool // Login was sent: the first ModelDelta after Ok is the bot's own

	login   chan client.Event // Ok, Deny and the own model, while logging in
	closing atomic.Bool       // the bot is closing: a read error is expected
}

func newBot(sw *swarm, i int) *bot {
	name := fmt.Sprintf("%s%d", sw.cfg.prefix, i)
	return &bot{
		sw: sw, index: i, name: name, password: "loadbot-" + name,
		rng:   rand.New(rand.NewPCG(sw.cfg.seed, uint64(i))),
		login: make(chan client.Event, 8),
		stats: botStats{url: sw.cfg.urls[(i-1)%len(sw.cfg.urls)]},
	}
}

// run plays until ctx ends or the server drops the bot, then closes.
func (b *bot) run(ctx context.Context) {
	r := newReader(b)
	proto := wire.V1
	if b.sw.cfg.v2() {
		proto = wire.V2
	}
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, _, err := client.Dial(dialCtx, b.stats.url, proto, &client.Options{Positions: r.positions()})
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			b.fail("dial: " + errKind(err))
		}
		return
	}
	b.mu.Lock()
	b.stats.connected = true
	b.mu.Unlock()

	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		b.readLoop(ctx, conn, r)
	}()
	defer func() {
		b.closing.Store(true)
		if err := conn.Close(websocket.StatusNormalClosure, "loadbot done"); err != nil {
			conn.CloseNow() //nolint:errcheck // already closing
		}
		<-readDone
	}()

	if !b.enter(ctx, conn, readDone) {
		return
	}
	start := time.Now()
	b.playing.Store(true)
	b.play(ctx, conn, readDone)
	b.playing.Store(false)
	b.mu.Lock()
	b.stats.playing = time.Since(start)
	b.stats.playFrom, b.stats.playTo = start.Sub(b.sw.start), b.sw.since()
	b.mu.Unlock()
}

// enter registers (an existing account is fine) and logs in, measuring the
// login from Login sent to the bot's own full model.
func (b *bot) enter(ctx context.Context, conn *client.Conn, readDone <-chan struct{}) bool {
	wait := func() (client.Event, bool) {
		t := time.NewTimer(30 * time.Second)
		defer t.Stop()
		select {
		case p := <-b.login:
			return p, true
		case <-readDone:
		case <-ctx.Done():
		case <-t.C:
			b.fail("login: no answer within 30s")
		}
		return client.Event{}, false
	}
	if !b.send(ctx, conn, "Register", b.name, b.password, b.index%6) {
		return false
	}
	p, ok := wait()
	if !ok {
		return false
	}
	b.mu.Lock()
	switch {
	case p.Kind == client.Ok:
		b.stats.registered = true
	case p.Kind == client.Deny && p.Text == denyTaken:
		b.stats.taken = true
	default:
		b.stats.fail("register: " + describe(p))
		b.mu.Unlock()
		return false
	}
	b.awaitOwn = true
	b.mu.Unlock()

	sent := time.Now()
	// A previous bot of the same name may still be logging out: the server
	// says so, and a second later it has.
	for try := 0; ; try++ {
		if !b.send(ctx, conn, "Login", b.name, b.password) {
			return false
		}
		if p, ok = wait(); !ok {
			return false
		}
		if p.Kind != client.Deny || p.Text != denyLoggedIn || try == loginTries {
			break
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	if p.Kind != client.Ok {
		b.fail("login: " + describe(p))
		return false
	}
	if p, ok = wait(); !ok {
		return false
	}
	if p.Kind != client.Enter || !p.HasPos {
		b.fail("login: first packet after Ok is not the own full model")
		return false
	}
	b.mu.Lock()
	b.stats.loggedIn = true
	b.stats.login.add(time.Since(sent))
	b.mu.Unlock()
	return true
}

// play clicks every moveEvery and chats every chatEvery, each starting at a
// random phase so the bots do not click in lockstep.
func (b *bot) play(ctx context.Context, conn *client.Conn, readDone <-chan struct{}) {
	cfg := b.sw.cfg
	var moveT, chatT *time.Timer
	var moveC, chatC <-chan time.Time // nil, never ready, when the bots do not click or chat
	if cfg.moveEvery > 0 {
		moveT = time.NewTimer(time.Duration(b.rng.Int64N(int64(cfg.moveEvery))))
		defer moveT.Stop()
		moveC = moveT.C
	}
	if cfg.chatEvery > 0 {
		chatT = time.NewTimer(time.Duration(b.rng.Int64N(int64(cfg.chatEvery))))
		defer chatT.Stop()
		chatC = chatT.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-readDone:
			return
		case <-moveC:
			moveT.Reset(cfg.moveEvery)
			if !b.click(ctx, conn) {
				return
			}
		case <-chatC:
			chatT.Reset(cfg.chatEvery)
			b.mu.Lock()
			b.stats.chatsSent++
			b.mu.Unlock()
			if !b.chat(ctx, conn, fmt.Sprintf("%s%d", b.sw.chatTag, b.sw.since())) {
				return
			}
		}
	}
}

// click sends the bot to a random point it can reach before the next click,
// so that in a server that keeps up it stands still when it clicks and the
// first step it is shown is the answer to that click.
func (b *bot) click(ctx context.Context, conn *client.Conn) bool {
	b.mu.Lock()
	if b.pending.active {
		b.stats.neverMoved++
	}
	x, y := b.target(b.pos[0], b.pos[1])
	b.pending.active, b.pending.x, b.pending.y, b.pending.sent = true, x, y, time.Now()
	b.stats.targets++
	b.mu.Unlock()
	return b.send(ctx, conn, "Target", x, y)
}

// target picks a point inside the area (±area around the origin, or around
// the bot's spawn point with -spread), at least 10 units from x, y and at
// most reach away, rounded to the decimals the wire keeps (v1 2, v2 1).
func (b *bot) target(x, y float64) (float64, float64) {
	cfg := b.sw.cfg
	var cx, cy float64
	if cfg.spread {
		cx, cy = b.home[0], b.home[1]
	}
	scale := 100.0
	if cfg.v2() {
		scale = 10
	}
	reach := max(20, cfg.speed*cfg.moveEvery.Seconds()*0.8)
	for range 32 {
		a := b.rng.Float64() * 2 * math.Pi
		d := 10 + b.rng.Float64()*(reach-10)
		tx, ty := x+d*math.Cos(a), y+d*math.Sin(a)
		if math.Abs(tx-cx) <= cfg.area && math.Abs(ty-cy) <= cfg.area {
			return math.Round(tx*scale) / scale, math.Round(ty*scale) / scale
		}
	}
	// Stuck far outside the area (e.g. an old position): head for its middle.
	return math.Round(cx*scale) / scale, math.Round(cy*scale) / scale
}

// send writes one request, as the original client does.
func (b *bot) send(ctx context.Context, conn *client.Conn, action string, args ...any) bool {
	return b.sent(ctx, func(ctx context.Context) error { return conn.Send(ctx, action, args...) })
}

// chat says a line.
func (b *bot) chat(ctx context.Context, conn *client.Conn, line string) bool {
	return b.sent(ctx, func(ctx context.Context) error { return conn.Chat(ctx, b.name, line) })
}

// sent runs one write with a deadline and counts it, or its error.
func (b *bot) sent(ctx context.Context, write func(context.Context) error) bool {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := write(wctx); err != nil {
		if ctx.Err() == nil && !b.closing.Load() {
			b.fail("write: " + errKind(err))
		}
		return false
	}
	b.packetsOut.Add(1)
	return true
}

// viewErrors counts errors of the server's view.
func (b *bot) viewErrors(errs ViewErrors) {
	if errs == (ViewErrors{}) {
		return
	}
	b.mu.Lock()
	b.stats.view.add(errs)
	b.mu.Unlock()
}

func (b *bot) fail(kind string) {
	b.mu.Lock()
	b.stats.fail(kind)
	b.mu.Unlock()
}

// readLoop reads until the connection ends, counting, and hands each
// packet to r.
func (b *bot) readLoop(ctx context.Context, conn *client.Conn, r *reader) {
	for {
		size, n, err := conn.Read(context.Background(), r.packet)
		switch {
		case errors.Is(err, client.ErrMalformed):
			b.fail("protocol: " + err.Error())
		case err != nil:
			if !b.closing.Load() && ctx.Err() == nil {
				b.mu.Lock()
				b.stats.disconnect = closeKind(err)
				b.mu.Unlock()
			}
			return
		}
		b.messagesIn.Add(1)
		b.bytesIn.Add(int64(size))
		b.packetsIn.Add(int64(n))
	}
}

// movedToward reports whether the step from prev to now heads for target:
// it lands on it, or goes in its direction (actors walk straight lines, and
// the wire's 2 decimals bend a 3.5-unit step by well under 0.1°).
func movedToward(prev, now, target [2]float64) bool {
	sx, sy := now[0]-prev[0], now[1]-prev[1]
	step := math.Hypot(sx, sy)
	if step < 0.005 {
		return false
	}
	if math.Abs(now[0]-target[0]) <= 0.01 && math.Abs(now[1]-target[1]) <= 0.01 {
		return true
	}
	tx, ty := target[0]-prev[0], target[1]-prev[1]
	dist := math.Hypot(tx, ty)
	if dist < 0.005 {
		return false
	}
	return (sx*tx+sy*ty)/(step*dist) > 0.999
}

// heard measures a line another bot of this run said.
func (b *bot) heard(p client.Event) {
	rest, ok := strings.CutPrefix(p.Text, b.sw.chatTag)
	if !ok || p.From == b.name {
		return // someone else's swarm, or its own line coming back (v2)
	}
	sent, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return
	}
	d := b.sw.since() - time.Duration(sent)
	b.mu.Lock()
	b.stats.chatsReceived++
	b.stats.chat.add(d)
	b.mu.Unlock()
}

// forward hands a login-phase packet to the run goroutine; it never blocks
// the reader (the run goroutine reads at most three).
func (b *bot) forward(p client.Event) {
	select {
	case b.login <- p:
	default:
	}
}

// finish copies the live counters into the stats; call after run returned.
func (b *bot) finish() *botStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.messagesIn = b.messagesIn.Load()
	b.stats.packetsIn = b.packetsIn.Load()
	b.stats.bytesIn = b.bytesIn.Load()
	b.stats.packetsOut = b.packetsOut.Load()
	return &b.stats
}

// describe names an unexpected packet for the error counts.
func describe(p client.Event) string {
	if p.Kind == client.Deny {
		return "Deny " + strconv.Quote(p.Text)
	}
	return "unexpected " + p.Kind.String()
}

// closeKind names why a connection ended, by close code where there is one.
func closeKind(err error) string {
	if code := websocket.CloseStatus(err); code != -1 {
		var ce websocket.CloseError
		if errors.As(err, &ce) && ce.Reason != "" {
			return fmt.Sprintf("%d %s", int(code), ce.Reason)
		}
		return fmt.Sprintf("%d %s", int(code), code)
	}
	return "connection lost: " + errKind(err)
}

// errKind shortens an error to its kind, so counts group instead of listing
// every address and port.
func errKind(err error) string {
	s := err.Error()
	for _, k := range []string{"connection refused", "connection reset", "broken pipe", "timeout", "deadline exceeded", "EOF", "too many open files"} {
		if strings.Contains(s, k) {
			return k
		}
	}
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// answer handles an Ok or Deny: in play a Deny is an error; before, it
// answers the bot's request, and an Ok to a login means the next full model
// is the bot's own actor.
func (b *bot) answer(p client.Event, expectOwn *bool) {
	if b.playing.Load() {
		if p.Kind == client.Deny {
			b.fail("deny in play: " + p.Text)
		}
		return
	}
	b.mu.Lock()
	*expectOwn = p.Kind == client.Ok && b.awaitOwn
	b.mu.Unlock()
	b.forward(p)
}
