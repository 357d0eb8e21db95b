# Shots plays one session in a real (rendering) build and saves pictures of
# the login screen, of the world, and of the world with the example mods
# (NPCs, items, and emotes over the player's and --peer's heads) for the docs:
#   godmmo.x86_64 res://tests/Shots.tscn --server=ws://… --shots=DIR --user=alice --peer=bob
# The Go test (cmd/server/godot_pictures_test.go) plays --peer, says a
# line, and waves once the player waved.
extends "res://tests/Driver.gd"


func run():
	var user = arg("user", "alice")
	var peer = arg("peer", "bob")
	var dir = arg("shots", "user://")
	var ok = yield(wait_until("connecting", self, "online"), "completed")
	check(ok, "connects to " + main.url)
	check_protocol()
	var login = main.login
	type(login.username, user)
	type(login.password, "pw-" + user)
	click_control(login.avatars.buttons[int(arg("avatar", "2"))])
	yield(shot(dir.plus_file("login.png")), "completed")
	click_control(login.register_button)
	ok = yield(wait_until("registering and logging in", self, "in_world"), "completed")
	check(ok, "registered and logged in")
	ok = yield(wait_until("waiting for " + peer, self, "sees", [peer], 20), "completed")
	check(ok, "sees " + peer)
	if not ok:
		finish()
		return
	var chat = main.world.chat
	type(chat.input, "hi %s!" % peer)
	click_control(chat.send_button)
	ok = yield(wait_until("a line from " + peer, self, "heard_from", [peer], 20), "completed")
	check(ok, "hears " + peer)
	var other = main.world.actor_named(peer)
	ok = yield(wait_until(peer + " settling", self, "settled", [other], 10), "completed")
	check(ok, "%s stands where the server says" % peer)
	yield(shot(dir.plus_file("world.png")), "completed")
	ok = yield(wait_until("NPCs and items in view", self, "sees_mods"), "completed")
	check(ok, "sees NPCs and items")
	click_control(main.world.emote_button)
	ok = yield(wait_until("own emote", self, "emoted", [main.world.own]), "completed")
	check(ok, "waves")
	ok = yield(wait_until(peer + "'s emote", self, "emoted", [other]), "completed")
	check(ok, "%s waves" % peer)
	yield(shot(dir.plus_file("mods.png")), "completed")
	finish()


func sees_mods() -> bool:
	var npcs = 0
	for a in main.world.actors.values():
		if a.kind == "npc":
			npcs += 1
	return npcs >= 2 and main.world.items.size() >= 3


func emoted(a) -> bool:
	return is_instance_valid(a) and a.emote != ""


func heard_from(peer: String) -> bool:
	for line in main.world.chat.lines:
		if line.begins_with(peer + ": "):
			return true
	return false


# shot saves what the window shows once the next frame is drawn.
func shot(path: String):
	yield(sleep(0.3), "completed")
	yield(VisualServer, "frame_post_draw")
	var img = get_viewport().get_texture().get_data()
	img.flip_y()
	check(img.save_png(path) == OK, "saved " + path)
