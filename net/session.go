package net

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/persist"
	"golang.org/x/time/rate"
)

// Close codes of our own (4000–4999 are the application's).
const (
	// StatusSlowClient closes a client whose outbox overflowed.
	StatusSlowClient websocket.StatusCode = 4001
	// StatusUnresponsive closes a client that stopped answering pings.
	StatusUnresponsive websocket.StatusCode = 4002
)

// session is one connection. Its read loop turns packets into commands; its
// write loop drains the outbox the tick fills; the owner goroutine (serve)
// closes the socket once, with the reason kick recorded.
type session struct {
	srv  *Server
	conn *websocket.Conn
	log  *slog.Logger
	out  *outbox

	ctx    context.Context // ends when the session must close
	cancel context.CancelFunc
	once   sync.Once
	code   websocket.StatusCode
	reason string

	proto ecs.Protocol
	codec Codec

	// Read-loop state.
	actor   ecs.Actor // set once playing
	playing bool
	packets *rate.Limiter // all packets
	bad     *rate.Limiter // malformed packets

	ops sessionOps // for limits and operators (net/guard.go)
}

var _ ecs.Client = (*session)(nil)

// Send queues p for the write loop without blocking. A full outbox means
// the client cannot keep up: it is kicked, never waited for.
func (s *session) Send(p ecs.Packet) bool {
	if s.out.push(p) {
		return true
	}
	if s.ctx.Err() == nil {
		s.srv.metrics.SlowClient()
		s.kick(StatusSlowClient, "too slow: outbox full")
	}
	return false
}

// kick asks the owner to close the connection with code and reason. Only the
// first call counts; it is safe from any goroutine.
func (s *session) kick(code websocket.StatusCode, reason string) {
	s.once.Do(func() {
		s.code, s.reason = code, reason
		s.cancel()
	})
}

// serve runs the connection until it ends, then takes the actor out of the world.
func (s *session) serve() {
	defer s.watchLogin()()
	var wg sync.WaitGroup
	wg.Go(s.writeLoop)
	wg.Go(s.pingLoop)
	wg.Go(s.readLoop)
	<-s.ctx.Done()
	// The server's own end also cancels ctx; this records a reason for it,
	// and orders the reads below after whichever kick came first.
	s.kick(websocket.StatusGoingAway, "server shutting down")
	if s.code == StatusUnresponsive {
		s.conn.CloseNow() //nolint:errcheck // the peer is gone; nothing to report
	} else {
		s.conn.Close(s.code, s.reason) //nolint:errcheck // the peer may already be gone
	}
	wg.Wait()
	if s.code != websocket.StatusNormalClosure && s.code != websocket.StatusGoingAway && s.code != websocket.StatusNoStatusRcvd {
		s.log.Info("connection closed", "code", s.code, "reason", s.reason)
	} else {
		s.log.Debug("connection closed", "code", s.code, "reason", s.reason)
	}
	s.ended()
	if s.playing {
		// The tick must hear of the logout even while the server stops; it
		// applies queued commands before it exits.
		if err := s.srv.queue.Push(context.Background(), ecs.Command{Kind: ecs.Despawn, Client: s, Actor: s.actor}); err != nil {
			s.log.Error("logout not applied", "actor", s.actor.ID, "err", err)
		}
		s.srv.metrics.Online(-1)
	}
}

// writeLoop writes queued messages in order until the session ends. It
// takes everything queued at once, so the outbox frees up while it writes.
func (s *session) writeLoop() {
	var batch [][]byte
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.out.ready:
		}
		batch = s.out.take(batch[:0])
		// One deadline for the burst, not one per message. Not s.ctx:
		// cancelling a write's context drops the connection without its
		// close frame.
		ctx, cancel := context.WithTimeout(context.Background(), s.srv.opts.WriteTimeout)
		for i, msg := range batch {
			if err := s.conn.Write(ctx, websocket.MessageText, msg); err != nil {
				cancel()
				s.kick(StatusUnresponsive, "write failed")
				return
			}
			s.srv.metrics.PacketOut(len(msg))
			s.ops.out.Add(1)
			batch[i] = nil
		}
		cancel()
	}
}

// pingLoop drops a connection whose peer stopped answering pings. Silence
// alone is fine: the original client sends nothing while it stands still.
func (s *session) pingLoop() {
	t := time.NewTicker(s.srv.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(s.ctx, s.srv.opts.PingTimeout)
			err := s.conn.Ping(ctx)
			cancel()
			if err != nil && s.ctx.Err() == nil {
				s.kick(StatusUnresponsive, "no answer to ping")
				return
			}
		}
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
			switch {
			case code == websocket.StatusMessageTooBig:
				s.kick(code, "message too big")
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
		if deny == "" {
			continue
		}
		s.sendPacket(s.codec.Deny(deny))
		if !malformed {
			s.log.Debug("request refused", "reason", deny)
			continue
		}
		s.srv.logBad(s.log, deny)
		if !s.bad.Allow() {
			s.kick(websocket.StatusPolicyViolation, "too many bad packets")
			return
		}
	}
}

// sendPacket sends one packet from the read loop, as a message of its own
// (a batch of one in v2).
func (s *session) sendPacket(p []byte) {
	if s.codec.Batched() {
		p = s.codec.AppendBatch(nil, []ecs.Packet{{Bytes: p}})
	}
	s.Send(ecs.Packet{Bytes: p})
}

// handle acts on one packet. It returns a Deny reason, or "", and whether
// the packet was malformed (not a valid request in the session's state)
// rather than refused (a wrong password, a taken name): the answer is a Deny
// either way, which never closes the connection, as the original client
// quits when its socket closes; malformed ones are logged and limited.
func (s *session) handle(msg []byte) (deny string, malformed bool) {
	p, err := s.codec.Decode(msg)
	if err != nil {
		return DenyNotPacket, true
	}
	r, deny := ParseRequest(p)
	if deny != "" {
		return deny, true
	}
	switch r.Action {
	case ActRegister:
		if s.playing {
			return DenyLoggedIn, true
		}
		return s.register(r), false
	case ActLogin:
		if s.playing {
			return DenyLoggedIn, true
		}
		return s.login(r), false
	}
	if !s.playing {
		return DenyNotLoggedIn, true
	}
	c := ecs.Command{Client: s, Actor: s.actor}
	switch r.Action {
	case ActChat:
		if strings.TrimSpace(r.Text) == "" {
			return "", false // blank lines are dropped
		}
		if deny, drop := s.screenChat(r.Text); drop || deny != "" {
			return deny, false
		}
		c.Kind, c.Text = ecs.Say, r.Text
	case ActTarget:
		c.Kind, c.X, c.Y = ecs.SetTarget, r.X, r.Y
	}
	s.push(c)
	return "", false
}

// push queues a command for the tick, waiting while the queue is full.
func (s *session) push(c ecs.Command) bool {
	if err := s.srv.queue.Push(s.ctx, c); err != nil {
		s.kick(websocket.StatusGoingAway, "server stopping")
		return false
	}
	return true
}

func (s *session) register(r Request) string {
	ctx := s.ctx
	deny, reserved := s.beforeRegister(r.Username)
	if deny != "" && !reserved {
		return deny
	}
	// Hash before looking the name up, so "taken" costs what a free name does.
	done, err := s.hashTurn()
	if err != nil {
		return ""
	}
	hash, err := s.srv.hash.hash(ctx, r.Password)
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
		return DenyTaken
	case err != nil:
		return s.dbFailed("register", err)
	}
	s.log.Info("account created", "username", r.Username)
	s.srv.guard.metrics.Registered()
	s.sendPacket(s.codec.Ok())
	return ""
}

func (s *session) login(r Request) string {
	ctx := s.ctx
	if deny := s.beforeLogin(r.Username); deny != "" {
		return deny
	}
	acc, err := s.srv.store.Account(ctx, r.Username)
	known := err == nil
	if err != nil && !errors.Is(err, persist.ErrNotFound) {
		return s.dbFailed("login", err)
	}
	done, err := s.hashTurn()
	if err != nil {
		return ""
	}
	ok, err := s.srv.hash.check(ctx, acc.Hash, r.Password)
	done()
	if err != nil {
		return s.hashFailed(err)
	}
	if !known || !ok {
		s.srv.metrics.Login(false)
		s.loginFailed(r.Username)
		return DenyCredentials
	}
	if deny := s.accountBanned(acc.Actor.Name); deny != "" {
		s.srv.metrics.Login(false)
		return deny
	}
	reply := make(chan bool, 1)
	if !s.push(ecs.Command{Kind: ecs.Spawn, Client: s, Actor: acc.Actor, Proto: s.proto, Reply: reply}) {
		return ""
	}
	select {
	case admitted := <-reply:
		if !admitted {
			s.srv.metrics.Login(false)
			s.log.Info("login refused", "username", acc.Actor.Name, "reason", "already logged in")
			return DenyLoggedIn
		}
	case <-s.ctx.Done():
		// The tick may still admit us; it will then hear our Despawn, as
		// serve sends one whenever playing is set. Wait for its answer.
		if <-reply {
			s.actor, s.playing = acc.Actor, true
			s.srv.metrics.Online(1)
			s.admitted(acc.Actor)
		}
		return ""
	}
	s.actor, s.playing = acc.Actor, true
	s.admitted(acc.Actor)
	s.srv.metrics.Login(true)
	s.srv.metrics.Online(1)
	s.log = s.log.With("actor", acc.Actor.ID, "username", acc.Actor.Name)
	s.log.Info("logged in")
	return ""
}

// dbFailed reports a database error met by a request and answers it, unless
// the session is ending anyway.
func (s *session) dbFailed(op string, err error) string {
	if s.ctx.Err() != nil {
		return ""
	}
	s.srv.metrics.DatabaseError()
	s.log.Error(op+" failed", "err", err)
	return DenyUnavailable
}

func (s *session) hashFailed(err error) string {
	if errors.Is(err, errBusy) {
		return DenyBusy
	}
	if s.ctx.Err() != nil {
		return ""
	}
	s.log.Error("password hashing", "err", err)
	return DenyUnavailable
}
