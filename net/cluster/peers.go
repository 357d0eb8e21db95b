package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Every process of a world, region or not, says it is alive on the procs
// subject as often as a region does. A region evicts the actors whose
// connections a process held once that process has been silent for
// DeadAfter; operators' actions (Ask) go to every process heard lately.

// procMsg is a process's heartbeat.
type procMsg struct {
	Name string
	// Inc is the process's incarnation: a restarted process is another one.
	Inc uint64
}

// peers are the processes heard from, by incarnation.
type peers struct {
	mu   sync.Mutex
	last map[uint64]time.Time
}

func newPeers() *peers { return &peers{last: make(map[uint64]time.Time)} }

// heard notes a heartbeat of incarnation inc.
func (p *peers) heard(inc uint64, now time.Time) {
	p.mu.Lock()
	p.last[inc] = now
	p.mu.Unlock()
}

// alive reports whether inc was heard from within after.
func (p *peers) alive(inc uint64, now time.Time, after time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.last[inc]
	return ok && now.Sub(t) < after
}

// count is how many processes were heard from within after; it forgets
// those silent for longer.
func (p *peers) count(now time.Time, after time.Duration) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for inc, t := range p.last {
		if now.Sub(t) >= after {
			delete(p.last, inc)
		}
	}
	return len(p.last)
}

// excuse counts every process as heard now: while this process is cut off
// from the bus, silence says nothing about the others.
func (p *peers) excuse(now time.Time) {
	p.mu.Lock()
	for inc := range p.last {
		p.last[inc] = now
	}
	p.mu.Unlock()
}

// beatProc says this process is alive.
func (n *Node) beatProc() {
	if data, err := encode(procMsg{Name: n.cfg.Name, Inc: n.inc}); err == nil {
		n.nc.Publish(n.subj.procs(), data) //nolint:errcheck // a missed heartbeat is the message
	}
}

// ErrBusDown is returned by Ask while this process is cut off from the bus.
var ErrBusDown = errors.New("cluster: the bus is down")

// Operate makes this process answer operators' actions asked of the whole
// world (Ask) with fn's answer to each. Call it once, before Run.
func (n *Node) Operate(fn func(action []byte) []byte) error {
	_, err := n.nc.Subscribe(n.subj.ops(), func(m *nats.Msg) {
		if m.Reply != "" {
			m.Respond(fn(m.Data)) //nolint:errcheck // the asker counts the answers it got
		}
	})
	if err != nil {
		return fmt.Errorf("cluster: subscribe to operators' actions: %w", err)
	}
	return nil
}

// Ask sends an operator's action to every process of the world, this one
// included, and returns their answers: all of those heard from lately, or
// as many as came before ctx ended or a second passed.
func (n *Node) Ask(ctx context.Context, action []byte) ([][]byte, error) {
	if !n.nc.IsConnected() {
		return nil, ErrBusDown
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	inbox := nats.NewInbox()
	sub, err := n.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, fmt.Errorf("cluster: ask: %w", err)
	}
	defer sub.Unsubscribe() //nolint:errcheck // done with it
	want := max(1, n.peers.count(time.Now(), n.cfg.DeadAfter))
	if err := n.nc.PublishRequest(n.subj.ops(), inbox, action); err != nil {
		return nil, fmt.Errorf("cluster: ask: %w", err)
	}
	var out [][]byte
	for len(out) < want {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			if len(out) == 0 {
				return nil, fmt.Errorf("cluster: ask: no process answered: %w", err)
			}
			n.log.Warn("operator's action: some processes did not answer", "answers", len(out), "processes", want)
			break
		}
		out = append(out, m.Data)
	}
	return out, nil
}
