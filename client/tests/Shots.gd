# Shots plays one session in a real (rendering) build and saves pictures of
# the login screen and of the world for the docs:
#   godmmo.x86_64 res://tests/Shots.tscn --server=ws://… --shots=DIR --user=alice --peer=bob
# The Go test (cmd/server/godot_pictures_test.go) plays --peer and says a line.
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
	finish()


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
