// Command godmmo is the game server: an authoritative world that Godot
// clients of the original tutorial (and the project's own) play in, with
// the example mods (NPCs, items, emotes) on unless its flags turn them off.
// It is all a game of its own needs in a main: the server, and its mods.
package main

import (
	"os"

	"github.com/godmmo/godmmo/cmd/server"
	"github.com/godmmo/godmmo/systems/mods"
)

func main() {
	os.Exit(server.Main(server.Game{Flags: mods.Flags}))
}
