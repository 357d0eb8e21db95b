package main

import (
	"bytes"
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
	own     int64      // the bot's actor id, 0 until known
	pos     [2]float64 // v1: the last own position; v2: where the bot walks to
	home    [2]float64 // where the bot spawned: the middle of its area with -spread
	pending struct {
		active bool
		x, y   float64
		sent   time.Time
	}
	awaitOwn bool // Login was sent: the first ModelDelta after Ok is the bot's own

	login   chan serverPacket // Ok, Deny and the own model, while logging in
	closing atomic.Bool       // the bot is closing: a read error is expected
}

func newBot(sw *swarm, i int) *bot {
	name := fmt.Sprintf("%s%d", sw.cfg.prefix, i)
	return &bot{
		sw: sw, index: i, name: name, password: "loadbot-" + name,
		rng:   rand.New(rand.NewPCG(sw.cfg.seed, uint64(i))),
		login: make(chan serverPacket, 8),
		stats: botStats{url: sw.cfg.urls[(i-1)%len(sw.cfg.urls)]},
	}
}

// run plays until ctx ends or the server drops the bot, then closes.
func (b *bot) run(ctx context.Context) {
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	var opts *websocket.DialOptions
	if b.sw.cfg.v2() {
		opts = &websocket.DialOptions{Subprotocols: []string{subprotocolV2}}
	}
	conn, _, err := websocket.Dial(dialCtx, b.stats.url, opts)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			b.fail("dial: " + errKind(err))
		}
		return
	}
	if b.sw.cfg.v2() && conn.Subprotocol() != subprotocolV2 {
		b.fail("dial: the server did not accept " + subprotocolV2)
		conn.CloseNow() //nolint:errcheck // giving up on it
		return
	}
	conn.SetReadLimit(1 << 20)
	b.mu.Lock()
	b.stats.connected = true
	b.mu.Unlock()

	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		if b.sw.cfg.v2() {
			b.readLoopV2(ctx, conn)
		} else {
			b.readLoop(ctx, conn)
		}
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
func (b *bot) enter(ctx context.Context, conn *websocket.Conn, readDone <-chan struct{}) bool {
	wait := func() (serverPacket, bool) {
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
		return serverPacket{}, false
	}
	if !b.send(ctx, conn, b.packet("Register", b.name, b.password, b.index%6)) {
		return false
	}
	p, ok := wait()
	if !ok {
		return false
	}
	b.mu.Lock()
	switch {
	case p.kind == kindOk:
		b.stats.registered = true
	case p.kind == kindDeny && p.text == denyTaken:
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
		if !b.send(ctx, conn, b.packet("Login", b.name, b.password)) {
			return false
		}
		if p, ok = wait(); !ok {
			return false
		}
		if p.kind != kindDeny || p.text != denyLoggedIn || try == loginTries {
			break
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	if p.kind != kindOk {
		b.fail("login: " + describe(p))
		return false
	}
	if p, ok = wait(); !ok {
		return false
	}
	if p.kind != kindModel || !p.full || !p.hasPos {
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
func (b *bot) play(ctx context.Context, conn *websocket.Conn, readDone <-chan struct{}) {
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
			if !b.send(ctx, conn, b.chatPacket(fmt.Sprintf("%s%d", b.sw.chatTag, b.sw.since()))) {
				return
			}
		}
	}
}

// click sends the bot to a random point it can reach before the next click,
// so that in a server that keeps up it stands still when it clicks and the
// first step it is shown is the answer to that click.
func (b *bot) click(ctx context.Context, conn *websocket.Conn) bool {
	b.mu.Lock()
	if b.pending.active {
		b.stats.neverMoved++
	}
	x, y := b.target(b.pos[0], b.pos[1])
	b.pending.active, b.pending.x, b.pending.y, b.pending.sent = true, x, y, time.Now()
	b.stats.targets++
	b.mu.Unlock()
	return b.send(ctx, conn, b.packet("Target", x, y))
}

// packet encodes a client packet in the run's protocol.
func (b *bot) packet(action string, payloads ...any) []byte {
	if b.sw.cfg.v2() {
		return clientPacketV2(action, payloads...)
	}
	return clientPacket(action, payloads...)
}

// chatPacket says msg: v1's Chat carries the sender's name first, v2's only the line.
func (b *bot) chatPacket(msg string) []byte {
	if b.sw.cfg.v2() {
		return clientPacketV2("Chat", msg)
	}
	return clientPacket("Chat", b.name, msg)
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

// send writes one packet in a binary frame, as the original client does.
func (b *bot) send(ctx context.Context, conn *websocket.Conn, msg []byte) bool {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := conn.Write(wctx, websocket.MessageBinary, msg); err != nil {
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

// readLoop reads until the connection ends, counting and measuring.
func (b *bot) readLoop(ctx context.Context, conn *websocket.Conn) {
	var buf bytes.Buffer
	known := make(map[int64]struct{})
	expectOwn := false
	isOwn := func(id int64) bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return id == b.own || (expectOwn && b.own == 0)
	}
	for {
		typ, msg, ok := b.readMessage(ctx, conn, &buf)
		if !ok {
			return
		}
		b.packetsIn.Add(1)
		if typ != websocket.MessageText {
			b.fail("protocol: server sent a binary frame")
		}
		p, err := parsePacket(msg, isOwn)
		if err != nil {
			b.fail("protocol: " + err.Error())
			continue
		}
		switch p.kind {
		case kindOk, kindDeny:
			b.answer(p, &expectOwn)
		case kindModel:
			b.model(p, known, &expectOwn)
		case kindDisconnect:
			if _, ok := known[p.id]; !ok {
				b.viewErrors(ViewErrors{UnknownLeaves: 1})
			}
			delete(known, p.id)
		case kindChat:
			b.chat(p)
		}
	}
}

// model tracks which actors the bot knows and measures its own moves.
func (b *bot) model(p serverPacket, known map[int64]struct{}, expectOwn *bool) {
	if p.full {
		if _, ok := known[p.id]; ok {
			b.viewErrors(ViewErrors{Duplicates: 1})
		}
		known[p.id] = struct{}{}
	} else if _, ok := known[p.id]; !ok {
		b.fail("protocol: delta before the full model")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if *expectOwn && b.own == 0 {
		*expectOwn = false
		if !p.full {
			b.stats.fail("protocol: first model after Ok is a delta")
		}
		b.own = p.id
		b.pos = [2]float64{p.x, p.y}
		b.home = b.pos
		b.forward(p)
		return
	}
	if p.id != b.own || !p.hasPos {
		return
	}
	prev := b.pos
	b.pos = [2]float64{p.x, p.y}
	if b.pending.active && movedToward(prev, b.pos, [2]float64{b.pending.x, b.pending.y}) {
		b.pending.active = false
		b.stats.moved++
		b.stats.move.add(time.Since(b.pending.sent))
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

// chat measures a line another bot of this run said.
func (b *bot) chat(p serverPacket) {
	rest, ok := strings.CutPrefix(p.text, b.sw.chatTag)
	if !ok || p.from == b.name {
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
func (b *bot) forward(p serverPacket) {
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
func describe(p serverPacket) string {
	switch p.kind {
	case kindDeny:
		return "Deny " + strconv.Quote(p.text)
	case kindOk:
		return "unexpected Ok"
	case kindModel:
		return "unexpected ModelDelta"
	}
	return "unexpected packet"
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

// readMessage reads the next whole message into buf and counts it. It
// reports false when the connection ended, noting why unless the bot was
// closing it itself or the run had ended (a write the end of the run cut
// short closes the connection before the bot starts closing it).
func (b *bot) readMessage(ctx context.Context, conn *websocket.Conn, buf *bytes.Buffer) (websocket.MessageType, []byte, bool) {
	typ, r, err := conn.Reader(context.Background())
	if err == nil {
		buf.Reset()
		_, err = buf.ReadFrom(r)
	}
	if err != nil {
		if !b.closing.Load() && ctx.Err() == nil {
			b.mu.Lock()
			b.stats.disconnect = closeKind(err)
			b.mu.Unlock()
		}
		return 0, nil, false
	}
	b.messagesIn.Add(1)
	b.bytesIn.Add(int64(buf.Len()))
	return typ, buf.Bytes(), true
}

// answer handles an Ok or Deny: in play a Deny is an error; before, it
// answers the bot's request, and an Ok to a login means the next full model
// is the bot's own actor.
func (b *bot) answer(p serverPacket, expectOwn *bool) {
	if b.playing.Load() {
		if p.kind == kindDeny {
			b.fail("deny in play: " + p.text)
		}
		return
	}
	b.mu.Lock()
	*expectOwn = p.kind == kindOk && b.awaitOwn
	b.mu.Unlock()
	b.forward(p)
}
