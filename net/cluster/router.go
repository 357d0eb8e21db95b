package cluster

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/godmmo/godmmo/ecs"
)

// Push sends a session's command to the region that holds its actor: a
// login to the region that owns the cell the actor was saved in, the rest
// to the region this node last heard it from. A login or a resume whose
// region is down or cut off fails at once with ecs.ErrUnreachable, and one
// that goes unanswered is answered Unreachable: never a hang.
func (n *Node) Push(ctx context.Context, c ecs.Command) error {
	region := ""
	if c.Kind == ecs.Spawn {
		region = n.cfg.Regions.At(c.Actor.X, c.Actor.Y)
	} else {
		region = n.owner(c.Actor.ID)
	}
	if region == "" && c.Kind == ecs.Despawn {
		// Nobody here knows where it is: every region hears it, and only
		// the one that holds it for this login acts on it.
		for _, r := range n.cfg.Regions.Names() {
			n.send(r, c) //nolint:errcheck // best effort, logged
		}
		return nil
	}
	if region == "" {
		if c.Kind == ecs.Rejoin {
			return ecs.ErrUnreachable
		}
		return nil // about an actor no region holds: nothing to do
	}
	return n.send(region, c)
}

// send publishes c to region; a command that expects an answer becomes a
// request, answered on c.Reply by a goroutine of the node's.
func (n *Node) send(region string, c ecs.Command) error {
	data, err := encodeCommand(c, n.inc)
	if err != nil {
		return err
	}
	if c.Kind != ecs.Spawn && c.Kind != ecs.Rejoin {
		if err := n.nc.Publish(n.subj.cmd(region), data); err != nil {
			n.log.Warn("command not sent", "region", region, "kind", c.Kind, "err", err)
			return nil // lost like a packet on a dropped connection
		}
		return nil
	}
	if !n.Up(region) {
		return ecs.ErrUnreachable
	}
	n.wg.Go(func() {
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.Timeout)
		defer cancel()
		adm, err := n.ask1(ctx, region, data)
		if err != nil {
			n.log.Warn("login not answered", "region", region, "actor", c.Actor.ID, "err", err)
			adm = ecs.Admission{Unreachable: true}
		}
		if adm.OK {
			n.setOwner(c.Actor.ID, region)
		}
		c.Reply.Answer(adm)
	})
	return nil
}

// ask1 sends one request to a region and decodes its admission.
func (n *Node) ask1(ctx context.Context, region string, data []byte) (ecs.Admission, error) {
	var adm ecs.Admission
	msg, err := n.nc.RequestWithContext(ctx, n.subj.cmd(region), data)
	if err != nil {
		return adm, fmt.Errorf("cluster: request to region %s: %w", region, err)
	}
	if err := json.Unmarshal(msg.Data, &adm); err != nil {
		return adm, fmt.Errorf("%w: admission: %w", errBadMessage, err)
	}
	return adm, checkActor(&adm.Actor)
}
