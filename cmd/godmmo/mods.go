package main

import (
	"flag"

	"github.com/godmmo/godmmo/ecs/mod"
	"github.com/godmmo/godmmo/systems/mods/emote"
	"github.com/godmmo/godmmo/systems/mods/items"
	"github.com/godmmo/godmmo/systems/mods/npcs"
)

// modFlags adds the flags of the example mods the server runs by default,
// and returns what builds the mods they ask for once the flags are parsed.
func modFlags(fs *flag.FlagSet) func() []mod.Mod {
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
