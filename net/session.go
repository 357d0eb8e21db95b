package net

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/net/auth"
	"github.com/godmmo/godmmo/net/held"
	"github.com/godmmo/godmmo/net/resume"
	"github.com/godmmo/godmmo/net/view"
	"github.com/godmmo/godmmo/net/wire"
	"github.com/godmmo/godmmo/persist"
	"golang.org/x/time/rate"
)

// Close codes of our own (4000–4999 are the application's).
const (
	// StatusSlowClient closes a client whose outbox overflowed.
	StatusSlowClient websocket.StatusCode = 4001
	// StatusUnresponsive closes a client that stopped answering pings.
	StatusUnresponsive websocket.StatusCode = 4002
	// StatusResumed closes a connection whose session was resumed on another.
	StatusResumed websocket.StatusCode = 4003
	// StatusLost closes a client whose actor left the world under it, as
	// when the region that simulated it went down.
	StatusLost websocket.StatusCode = 4013
)

// session is one connection. Its read loop turns packets into commands; its
// write loop writes the read loop's replies and, once the player is in the
// world, what its view renders; the owner goroutine (serve) closes the
// socket once, with the reason kick recorded.
type session struct {
	srv  *Server
	conn *websocket.Conn
	held *held.Conn
	log  *slog.Logger
	out  *outbox

	ctx    context.Context // ends when the session must close
	cancel context.CancelFunc
	once   sync.Once
	code   websocket.StatusCode
	reason string

	codec wire.Codec
	// play hands the player's view from the read loop (which logs in) to
	// the write loop (which renders it).
	play chan *view.View

	// Read-loop state.
	actor   ecs.Actor // set once playing
	login   uint64    // this login's number (ecs.Command.Login), which its commands carry
	token   string    // resumes this login (v2), while playing
	playing bool
	packets *rate.Limiter // all packets
	bad     *rate.Limiter // malformed packets

	ops  sessionOps                // for limits and operators (conn.go)
	seen atomic.Pointer[view.View] // the view, for operators' reads of the position
	// peerClosed: the client sent a close frame, and the read loop ended.
	peerClosed atomic.Bool
}

// kick asks the owner to close the connection with code and reason. Only the
// first call counts; it is safe from any goroutine.
func (s *session) kick(code websocket.StatusCode, reason string) {
	s.once.Do(func() {
		s.code, s.reason = code, reason
		s.cancel()
	})
}

// Resumed closes a connection whose login was resumed on another.
func (s *session) Resumed() { s.kick(StatusResumed, "resumed on another connection") }

// slow gives up on a client that cannot keep up: it is closed, never waited for.
func (s *session) slow() {
	if s.ctx.Err() == nil {
		s.srv.metrics.SlowClient()
		s.kick(StatusSlowClient, "too slow: fell behind the world")
	}
}

// viewEnded closes a client whose view can go on no more.
func (s *session) viewEnded(why view.End) {
	switch why {
	case view.Slow:
		s.slow()
	case view.Gone:
		s.kick(StatusLost, "your part of the world went down; log in again")
	}
}

// serve runs the connection until it ends, then takes the actor out of the
// world. Its goroutine is the session's writer and owner; the reader has
// one of its own, and pings run on a timer.
func (s *session) serve() {
	defer s.watchLogin()()
	if hello := s.codec.Hello(); hello != nil {
		s.reply(hello)
	}
	read := make(chan struct{})
	stopPings := s.pings()
	go func() { defer close(read); s.readLoop() }()
	s.writeLoop() // until the session must close; its last words go out before the close frame
	dropped := s.code == StatusUnresponsive || s.code == websocket.StatusAbnormalClosure
	left := false
	if s.peerClosed.Load() {
		// The client closed and its read loop is done: the actor leaves
		// before the close frame goes back, so a client that logs in again
		// as soon as its close completes finds its account free.
		<-read
		s.leave(dropped)
		left = true
	}
	if dropped {
		s.conn.CloseNow() //nolint:errcheck // the peer is gone; nothing to report
	} else {
		s.conn.Close(s.code, s.reason) //nolint:errcheck // the peer may already be gone
	}
	stopPings()
	<-read
	if !left {
		s.leave(dropped)
	}
}

// leave ends the session's part: it is counted and logged, and its actor
// leaves the world, or stays parked for a resume when the connection dropped.
func (s *session) leave(dropped bool) {
	select {
	case v := <-s.play: // a login admitted as the writer stopped: nobody renders it
		v.Close()
	default:
	}
	if s.code != websocket.StatusNormalClosure && s.code != websocket.StatusGoingAway && s.code != websocket.StatusNoStatusRcvd && s.code != websocket.StatusAbnormalClosure {
		s.log.Info("connection closed", closeAttrs(s.code, s.reason)...)
	} else {
		s.log.Debug("connection closed", closeAttrs(s.code, s.reason)...)
	}
	s.ended()
	if s.playing && s.token != "" && s.srv.resume.Leave(s, s.token, dropped) {
		s.log.Info("actor kept for a resume", "grace", s.srv.opts.ResumeGrace)
		s.srv.metrics.Online(-1)
	} else if s.playing {
		s.srv.logout(s.actor, s.login)
		s.srv.metrics.Online(-1)
	}
}

// writeLoop writes until the session ends: the read loop's replies, and
// what the view renders each time it is woken (when the bus has delivered
// something due, or the views' clock says something put off is due). A
// burst of messages leaves in one write system call. When the server shuts
// down it renders and writes once more, so clients hear the world's last
// positions.
func (s *session) writeLoop() {
	var (
		v     *view.View
		ready <-chan struct{}
		msgs  [][]byte
	)
	defer func() {
		if v != nil {
			v.Close()
		}
	}()
	for {
		select {
		case <-s.ctx.Done():
			// The server's own end also cancels ctx; this records a reason
			// for it, and orders the read of s.code after whichever kick
			// came first.
			s.kick(websocket.StatusGoingAway, "server shutting down")
			if s.code == websocket.StatusGoingAway && v != nil {
				s.write(s.collect(msgs[:0], v), time.Second)
			}
			return
		case v = <-s.play:
			ready = v.Ready()
		case <-ready:
		case <-s.out.ready:
		}
		msgs = s.collect(msgs[:0], v)
		if !s.write(msgs, s.srv.opts.WriteTimeout) {
			return
		}
		clear(msgs)
	}
}

// collect appends the replies queued and what the view (if playing) renders.
func (s *session) collect(msgs [][]byte, v *view.View) [][]byte {
	msgs = s.out.take(msgs)
	if v != nil {
		msgs = v.Render(msgs)
	}
	return msgs
}

// write writes msgs in one burst within timeout, and reports whether the
// connection is still good.
func (s *session) write(msgs [][]byte, timeout time.Duration) bool {
	if len(msgs) == 0 {
		return true
	}
	s.held.Hold()
	for _, msg := range msgs {
		// Held, so no deadline here: the burst's is on the flush. Not
		// s.ctx: cancelling a write's context drops the connection
		// without its close frame.
		if err := s.conn.Write(context.Background(), websocket.MessageText, msg); err != nil {
			s.held.Flush(time.Now()) //nolint:errcheck // already failing
			s.kick(StatusUnresponsive, "write failed")
			return false
		}
		s.srv.metrics.PacketOut(len(msg))
		s.ops.out.Add(1)
	}
	if err := s.held.Flush(time.Now().Add(timeout)); err != nil {
		s.kick(StatusUnresponsive, "write failed")
		return false
	}
	return true
}

// pings drops a connection whose peer stopped answering pings. Silence
// alone is fine: the original client sends nothing while it stands still.
// The pings run on a timer, so an idle session costs no goroutine for
// them; stop ends them, waiting for one under way.
func (s *session) pings() (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		running sync.WaitGroup
		t       *time.Timer
	)
	ping := func() {
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		running.Add(1)
		mu.Unlock()
		defer running.Done()
		ctx, cancel := context.WithTimeout(s.ctx, s.srv.opts.PingTimeout)
		err := s.conn.Ping(ctx)
		cancel()
		if err != nil && s.ctx.Err() == nil {
			s.kick(StatusUnresponsive, "no answer to ping")
			return
		}
		mu.Lock()
		if !stopped {
			t.Reset(s.srv.opts.PingInterval)
		}
		mu.Unlock()
	}
	mu.Lock()
	t = time.AfterFunc(s.srv.opts.PingInterval, ping)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
		running.Wait()
	}
}

// readLoop reads and handles packets until the connection fails or closes.
func (s *session) readLoop() {
	for {
		// Not s.ctx: a cancelled read drops the connection without its
		// close frame. Close (from serve) ends a pending read.
		typ, msg, err := s.conn.Read(context.Background())
		if err != nil {
			code := websocket.CloseStatus(err)
			refused := s.held.Refusal()
			var peer *held.PeerClose
			switch {
			case errors.As(refused, &peer):
				s.peerClosed.Store(true)
				s.kick(peer.Code, "closed by client")
			case errors.Is(refused, held.ErrFrameFlood):
				s.kick(websocket.StatusPolicyViolation, "too many frames")
			case errors.Is(refused, held.ErrCloseReason):
				s.kick(websocket.StatusInvalidFramePayloadData, "close reason is not UTF-8")
			case errors.Is(refused, held.ErrCloseCode):
				s.kick(websocket.StatusProtocolError, "invalid close frame")
			case code == websocket.StatusMessageTooBig, errors.Is(err, websocket.ErrMessageTooBig):
				s.kick(websocket.StatusMessageTooBig, "message too big")
			case code != -1:
				s.kick(code, "closed by client")
			default:
				s.kick(readFailure(err))
			}
			return
		}
		s.srv.metrics.PacketIn(len(msg))
		if !s.received(typ, msg) {
			return
		}
		if !s.packets.Allow() {
			s.kick(websocket.StatusPolicyViolation, "too many packets")
			return
		}
		deny, malformed := s.handle(msg)
		if !deny.Refused() {
			continue
		}
		s.reply(s.codec.Deny(deny))
		if !malformed {
			s.log.Debug("request refused", "reason", deny.Text())
			continue
		}
		s.srv.logBad(s.log, deny.Text())
		if !s.bad.Allow() {
			s.kick(websocket.StatusPolicyViolation, "too many bad packets")
			return
		}
	}
}

// reply queues a whole message from the read loop; a client that lets its
// replies pile up is too slow.
func (s *session) reply(msg []byte) {
	if !s.out.push(msg) {
		s.slow()
	}
}

// handle acts on one packet. It returns why it refused it, if it did, and whether
// the packet was malformed (not a valid request in the session's state)
// rather than refused (a wrong password, a taken name): the answer is a Deny
// either way, which never closes the connection, as the original client
// quits when its socket closes; malformed ones are logged and limited.
func (s *session) handle(msg []byte) (deny wire.Refusal, malformed bool) {
	p, err := s.codec.Decode(msg)
	if err != nil {
		return wire.Refusal{Code: wire.NotPacket}, true
	}
	r, deny := wire.ParseRequest(p, s.srv.opts.Wire.Mods.Commands())
	if deny.Refused() {
		return deny, true
	}
	switch r.Action {
	case wire.ActRegister:
		if s.playing {
			return wire.Refusal{Code: wire.LoggedIn}, true
		}
		return s.register(r), false
	case wire.ActLogin:
		if s.playing {
			return wire.Refusal{Code: wire.LoggedIn}, true
		}
		return s.logIn(r), false
	case wire.ActResume:
		if !s.codec.Resumable() {
			return wire.Refusal{Code: wire.UnknownAction, Arg: r.Action}, true
		}
		if s.playing {
			return wire.Refusal{Code: wire.LoggedIn}, true
		}
		return s.resume(r), false
	}
	if !s.playing {
		return wire.Refusal{Code: wire.NotLoggedIn}, true
	}
	// A command: ParseRequest found it registered and its check passed it.
	if r.Ignore {
		return wire.Refusal{}, false
	}
	if deny := s.srv.guard.Command(r.Command, s.actor.Name); deny.Refused() {
		return deny, false
	}
	s.push(ecs.Command{Kind: ecs.ModCommand, Login: s.login, Actor: s.actor, Name: r.Action, Data: r.Data})
	return wire.Refusal{}, false
}

// push queues a command for the tick, waiting while the queue is full.
func (s *session) push(c ecs.Command) bool {
	if err := s.srv.queue.Push(s.ctx, c); err != nil {
		s.kick(websocket.StatusGoingAway, "server stopping")
		return false
	}
	return true
}

func (s *session) register(r wire.Request) wire.Refusal {
	ctx := s.ctx
	deny, reserved := s.srv.guard.BeforeRegister(s.log, s.ops.peer, r.Username)
	if deny.Refused() && !reserved {
		return deny
	}
	// Hash before looking the name up, so "taken" costs what a free name does.
	done, err := s.srv.guard.HashTurn(ctx, s.ops.peer)
	if err != nil {
		return wire.Refusal{}
	}
	hash, err := s.srv.hash.Hash(ctx, r.Password)
	done()
	if err != nil {
		return s.hashFailed(err)
	}
	if reserved {
		return deny
	}
	x, y := s.srv.spawnPoint()
	_, err = s.srv.store.CreateAccount(ctx, r.Username, hash, r.Avatar, x, y)
	switch {
	case errors.Is(err, persist.ErrTaken):
		return wire.Refusal{Code: wire.Taken}
	case err != nil:
		return s.dbFailed("register", err)
	}
	s.log.Info("account created", "username", r.Username)
	s.srv.guard.Metrics().Registered()
	s.reply(s.codec.Ok())
	return wire.Refusal{}
}

// logIn logs in with a password.
func (s *session) logIn(r wire.Request) wire.Refusal {
	ctx := s.ctx
	try, deny := s.srv.guard.BeginLogin(ctx, s.log, s.ops.peer, r.Username)
	if deny.Refused() {
		return deny
	}
	if try.Nobody() {
		s.srv.metrics.Login(false)
		try.Failed()
		return wire.Refusal{Code: wire.Credentials}
	}
	acc, err := s.srv.store.Account(ctx, r.Username)
	known := err == nil
	if err != nil && !errors.Is(err, persist.ErrNotFound) {
		try.Void()
		return s.dbFailed("login", err)
	}
	done, err := s.srv.guard.HashTurn(ctx, s.ops.peer)
	if err != nil {
		try.Void()
		return wire.Refusal{}
	}
	ok, err := s.srv.hash.Check(ctx, acc.Hash, r.Password)
	done()
	if err != nil {
		try.Void()
		return s.hashFailed(err)
	}
	if !known || !ok {
		s.srv.metrics.Login(false)
		try.Failed()
		return wire.Refusal{Code: wire.Credentials}
	}
	try.Succeeded()
	if deny := s.srv.guard.AccountBanned(s.log, acc.Actor.Name); deny.Refused() {
		s.srv.metrics.Login(false)
		return deny
	}
	// An actor parked for a resume (its v2 connection dropped) is taken
	// over where it stands: the client may have lost its token with the app.
	if c, ok := s.srv.resume.TakeParked(acc.Actor.ID); ok {
		if deny := s.rejoin(c); deny.Refused() {
			s.srv.metrics.Login(false)
			return deny
		}
		s.srv.metrics.Login(true)
		s.log.Info("logged in, taking over the actor kept for a resume")
		return wire.Refusal{}
	}
	if acc.Actor.Mods, err = s.srv.opts.Wire.Mods.LoadPlayer(ctx, s.srv.store, acc.Actor.ID); err != nil {
		return s.dbFailed("login", err)
	}
	login := s.srv.logins.Add(1)
	// The account is claimed first, in the store every process of the
	// world shares: one login plays it at a time, wherever it connected.
	switch err := s.srv.store.Claim(ctx, acc.Actor.ID, login); {
	case errors.Is(err, persist.ErrPlaying):
		s.srv.metrics.Login(false)
		s.log.Info("login refused", "username", acc.Actor.Name, "reason", "playing on another server")
		return wire.Refusal{Code: wire.LoggedIn}
	case err != nil:
		return s.dbFailed("login", err)
	}
	if deny := s.enter(ecs.Command{Kind: ecs.Spawn, Actor: acc.Actor}, acc.Actor, login, wire.LoggedIn); deny.Refused() || s.ctx.Err() != nil {
		if !s.playing {
			s.srv.release(acc.Actor.ID, login)
		}
		if s.ctx.Err() != nil {
			return wire.Refusal{}
		}
		s.srv.metrics.Login(false)
		s.log.Info("login refused", "username", acc.Actor.Name, "reason", deny.Text())
		return deny
	}
	s.srv.metrics.Login(true)
	s.log.Info("logged in")
	return wire.Refusal{}
}

// resume takes over the actor of the login a token names, after its
// connection dropped (or while it is still closing): no password, and no
// one else sees the actor leave.
func (s *session) resume(r wire.Request) wire.Refusal {
	c, ok := s.srv.resume.Take(r.Token)
	if !ok {
		return wire.Refusal{Code: wire.Resumed}
	}
	if deny := s.rejoin(c); deny.Refused() {
		return deny
	}
	s.log.Info("resumed")
	return wire.Refusal{}
}

// rejoin plays the actor of ticket c, already taken from the resume tickets, as a
// new login of this session: the account's claim passes to it, and the
// tick hands the actor over where it stands.
func (s *session) rejoin(c resume.Ticket) wire.Refusal {
	login := s.srv.logins.Add(1)
	switch err := s.srv.store.TransferClaim(s.ctx, c.Actor.ID, c.Login, login); {
	case errors.Is(err, persist.ErrPlaying):
		return wire.Refusal{Code: wire.Resumed}
	case err != nil:
		return s.dbFailed("resume", err)
	}
	// A Rejoin the tick refuses names a login that no longer plays the actor.
	if deny := s.enter(ecs.Command{Kind: ecs.Rejoin, Login: c.Login, Actor: c.Actor}, c.Actor, login, wire.Resumed); deny.Refused() {
		if !s.playing {
			s.srv.release(c.Actor.ID, login)
		}
		return deny
	}
	return wire.Refusal{}
}

// enter asks the tick to let this session play actor, by cmd (a Spawn or a
// Rejoin, which it completes with the new login's number), and on success starts
// playing: a resume token where the protocol has them, and the view, whose
// first words are the Ok and the own actor. It returns why the tick
// refused: refused (the code the caller gives a refusal of cmd), or that
// the actor's region cannot be reached; the zero Refusal when admitted, or
// when the session is ending anyway.
func (s *session) enter(cmd ecs.Command, actor ecs.Actor, login uint64, refused wire.Code) wire.Refusal {
	cmd.Reply = ecs.NewReply()
	if cmd.Kind == ecs.Spawn {
		cmd.Login = login
	} else {
		cmd.NewLogin = login
	}
	if err := s.srv.queue.Push(s.ctx, cmd); errors.Is(err, ecs.ErrUnreachable) {
		return wire.Refusal{Code: wire.Unreachable}
	} else if err != nil {
		s.kick(websocket.StatusGoingAway, "server stopping")
		return wire.Refusal{}
	}
	var adm ecs.Admission
	select {
	case adm = <-cmd.Reply.C():
	case <-s.ctx.Done():
		// The tick may still admit us; it will then hear our Despawn, as
		// serve sends one whenever playing is set. Wait for its answer.
		if adm = <-cmd.Reply.C(); adm.OK {
			s.actor, s.login, s.playing = actor, login, true
			s.srv.metrics.Online(1)
			s.admitted(actor)
		}
		return wire.Refusal{}
	}
	switch {
	case adm.Unreachable:
		return wire.Refusal{Code: wire.Unreachable}
	case !adm.OK:
		return wire.Refusal{Code: refused}
	}
	s.actor, s.login, s.playing = actor, login, true
	if s.codec.Resumable() {
		s.token = s.srv.resume.Issue(s, s.ops.peer.Addr, actor, login)
	}
	v := s.srv.views.New(s.codec.NewRenderer(), adm.Actor, adm.Tick, s.token, s.viewEnded)
	s.seen.Store(v)
	s.play <- v
	s.admitted(actor)
	s.srv.metrics.Online(1)
	s.log = s.log.With("actor", actor.ID, "username", actor.Name)
	return wire.Refusal{}
}

// dbFailed reports a database error met by a request and answers it, unless
// the session is ending anyway.
func (s *session) dbFailed(op string, err error) wire.Refusal {
	if s.ctx.Err() != nil {
		return wire.Refusal{}
	}
	s.srv.metrics.DatabaseError()
	s.log.Error(op+" failed", "err", err)
	return wire.Refusal{Code: wire.Unavailable}
}

func (s *session) hashFailed(err error) wire.Refusal {
	if errors.Is(err, auth.ErrBusy) {
		return wire.Refusal{Code: wire.Busy}
	}
	if s.ctx.Err() != nil {
		return wire.Refusal{}
	}
	s.log.Error("password hashing", "err", err)
	return wire.Refusal{Code: wire.Unavailable}
}
