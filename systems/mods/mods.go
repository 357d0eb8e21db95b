// Package mods holds the example mods, one folder each (npcs, items,
// emote), and Flags, which switches them on from the command line the way
// cmd/godmmo does. A game of its own picks the mods it wants instead.
package mods

import (
	"flag"

	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/systems/mods/emote"
	"github.com/godmmo/godmmo/systems/mods/items"
	"github.com/godmmo/godmmo/systems/mods/npcs"
)

// Flags adds the flags of the example mods (-npcs, -items, -emote; all on
// by default) and returns what builds the mods they ask for once the flags
// are parsed: a server.Game's Flags.
func Flags(fs *flag.FlagSet) func() []mod.Mod {
	n, it := npcs.DefaultConfig(), items.DefaultConfig()
	fs.IntVar(&n.Count, "npcs", n.Count, "NPCs wandering near the spawn area (0: none)")
	fs.IntVar(&it.Count, "items", it.Count, "items lying near the spawn area for players to pick up (0: none)")
	emotes := fs.Bool("emote", true, "let players show emotes")
	return func() []mod.Mod {
		var mods []mod.Mod
		if n.Count > 0 {
			mods = append(mods, npcs.Mod(n))
		}
		if it.Count > 0 {
			mods = append(mods, items.Mod(it))
		}
		if *emotes {
			mods = append(mods, emote.Mod())
		}
		return mods
	}
}
