// Package tutorial is the tutorial game's own commands, registered as any
// mod's are: Target (walk to a point) and Chat (say a line to the players
// near). The server registers it first, so the original client can play;
// a game of its own may leave it out and bring its own.
package tutorial

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/godmmo/godmmo/ecs"
	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/net/wire"
)

// The tutorial's refusals, in the original server's words where it had them.
const (
	TargetMissing = "Target needs 2 payloads (p0 to p1)"
	TargetRange   = "Target must be two numbers within the world"
	ChatMissing   = "Chat needs 2 payloads (p0 to p1)"
	ChatNotText   = "Chat needs a text message in p1"
	ChatSlow      = "Slow down: too many chat lines"
)

// maxTarget bounds a target's coordinates before they are clamped to the
// world: beyond it a number is surely not a place.
const maxTarget = 1e9

// Config is what the operator sets of the tutorial's commands.
type Config struct {
	// ChatRate is how many chat lines a second one account may say after
	// a burst of ChatBurst (across its connections and resumes); 0: no
	// limit.
	ChatRate  float64
	ChatBurst int
}

// DefaultConfig is one line a second after five.
func DefaultConfig() Config { return Config{ChatRate: 1, ChatBurst: 5} }

// Mod returns the tutorial's commands:
//   - Target: {"a": "Target", "p0": x, "p1": y} (v1), ["Target", x, y] (v2):
//     the player walks to x, y, kept inside the world. No limit of its own:
//     a click is a packet, and packets are limited.
//   - Chat: {"a": "Chat", "p0": sender, "p1": text} (v1; the sender is
//     ignored), ["Chat", text] (v2): every player who can see the speaker
//     hears the line. A line that shows nothing is dropped unanswered (and
//     not counted against the limit); a muted player is refused.
func Mod(cfg Config) mod.Mod {
	return mod.Func("tutorial", func(r *mod.Registry) error {
		if err := r.Command(mod.Command{Name: wire.ActTarget, Rate: math.Inf(1), Burst: 1, Check: checkTarget, Handle: target}); err != nil {
			return err
		}
		rate := cfg.ChatRate
		if rate == 0 {
			rate = math.Inf(1)
		}
		return r.Command(mod.Command{Name: wire.ActChat, Rate: rate, Burst: max(1, cfg.ChatBurst), Slow: ChatSlow, Speech: true,
			Check: checkChat, Handle: say})
	})
}

// checkTarget takes two finite numbers and passes them on as [x,y].
func checkTarget(args []json.RawMessage) (json.RawMessage, string) {
	if len(args) < 2 {
		return nil, TargetMissing
	}
	x, ok1 := number(args[0])
	y, ok2 := number(args[1])
	if !ok1 || !ok2 || math.Abs(x) > maxTarget || math.Abs(y) > maxTarget {
		return nil, TargetRange
	}
	// The client's own numbers, as it wrote them: valid JSON, and no
	// formatting on the connection.
	data := append(append(append(append(make(json.RawMessage, 0, len(args[0])+len(args[1])+3), '['), args[0]...), ','), args[1]...)
	return append(data, ']'), ""
}

// Target is the command a click queues for the tick: the actor id of
// login walks to x, y. Tools and tests that drive a tick without a
// connection send it.
func Target(login uint64, id int64, x, y float64) ecs.Command {
	return ecs.Command{Kind: ecs.ModCommand, Login: login, Actor: ecs.Actor{ID: id}, Name: wire.ActTarget, Data: targetData(x, y)}
}

// Say is the command a chat line queues for the tick, as Target is a click's.
func Say(login uint64, id int64, text string) ecs.Command {
	data, _ := json.Marshal(text) // a string always marshals
	return ecs.Command{Kind: ecs.ModCommand, Login: login, Actor: ecs.Actor{ID: id}, Name: wire.ActChat, Data: data}
}

// targetData is a Target's checked arguments, as its handler reads them.
func targetData(x, y float64) json.RawMessage {
	b := append(strconv.AppendFloat([]byte{'['}, x, 'g', -1, 64), ',')
	return append(strconv.AppendFloat(b, y, 'g', -1, 64), ']')
}

// target walks the player to where targetData says. It parses the two
// numbers itself: a Target is the commonest command, and this is the tick.
func target(c mod.Call) {
	d := c.Data
	for i := 1; i < len(d)-1; i++ {
		if d[i] != ',' {
			continue
		}
		x, err1 := strconv.ParseFloat(string(d[1:i]), 64)
		y, err2 := strconv.ParseFloat(string(d[i+1:len(d)-1]), 64)
		if err1 == nil && err2 == nil {
			x, y = c.World.Bounds.Clamp(x, y)
			c.World.SetTarget(c.Entity, x, y)
			return
		}
	}
	c.Deny(TargetRange)
}

// number reads a finite JSON number; null is none.
func number(raw json.RawMessage) (float64, bool) {
	var f *float64
	if json.Unmarshal(raw, &f) != nil || f == nil || math.IsInf(*f, 0) || math.IsNaN(*f) {
		return 0, false
	}
	return *f, true
}

// checkChat takes the sender (ignored) and a line the wire may carry.
func checkChat(args []json.RawMessage) (json.RawMessage, string) {
	if len(args) < 2 {
		return nil, ChatMissing
	}
	var text *string
	if json.Unmarshal(args[1], &text) != nil || text == nil {
		return nil, ChatNotText
	}
	if deny := wire.ChatText(*text); deny.Refused() {
		return nil, deny.Text()
	}
	deny, blank := wire.ScreenChat(*text)
	switch {
	case deny.Refused():
		return nil, deny.Text()
	case blank:
		return nil, mod.Ignore
	}
	data, err := json.Marshal(*text)
	if err != nil {
		return nil, ChatNotText
	}
	return data, ""
}

// say relays a line to the players who can see the speaker.
func say(c mod.Call) {
	var text string
	if json.Unmarshal(c.Data, &text) != nil {
		c.Deny(ChatNotText)
		return
	}
	c.World.Say(c.Entity, text)
}
