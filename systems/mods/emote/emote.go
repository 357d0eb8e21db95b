// Package emote is an example mod: a player shows an emote (a wave, a
// laugh…) over its head to everyone who can see it. It is a client command
// with a checked argument, a rate limit, and a message to the players near.
package emote

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/godmmo/godmmo/ecs/mod"
)

// Emotes are the emotes a player may show.
var Emotes = []string{"wave", "laugh", "dance", "cheer", "shrug", "heart"}

// Shown is the message everyone who can see the player gets:
// ["m", "emote", id, {"emote": "wave"}] in v2.
type Shown struct {
	Emote string `json:"emote"`
}

// Mod returns the emote mod: ["emote", "wave"] (v2) or
// {"a": "emote", "p0": "wave"} (v1), at most one a second after a burst of three.
func Mod() mod.Mod {
	return mod.Func("emote", func(r *mod.Registry) error {
		if err := r.Message(mod.Message{Name: "emote"}); err != nil {
			return err
		}
		return r.Command(mod.Command{Name: "emote", Rate: 1, Burst: 3, Check: check,
			Handle: func(c mod.Call) { c.World.Tell(c.Entity, "emote", c.Data, 0) }})
	})
}

// deny is the reason a bad emote is refused, in the mod's words.
var deny = "Emote must be one of: " + strings.Join(Emotes, ", ")

// check takes one argument, a known emote's name.
func check(args []json.RawMessage) (json.RawMessage, string) {
	var name string
	if len(args) != 1 || json.Unmarshal(args[0], &name) != nil || !slices.Contains(Emotes, name) {
		return nil, deny
	}
	data, err := json.Marshal(Shown{Emote: name})
	if err != nil {
		return nil, deny
	}
	return data, ""
}
