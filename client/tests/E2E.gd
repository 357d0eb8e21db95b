# E2E drives the real client against a real server, as a player would.
# Roles (--role=…), run by cmd/server/godot_test.go:
#   walker  registers --user, waits for --peer, walks by a click, chats, leaves
#   stayer  registers --user, waits for --peer, watches it walk, chats, sees it leave
#   return  logs --user in again and finds it at --expect=x,y, then sees the
#           server go away (the Go test stops it after "E2E ready for shutdown")
#           and Retry fail
# With a small view (the server's -view-radius):
#   roam    registers --user next to --peer, walks away by clicks until --peer
#           has lost sight of it, back until it is in view again, says a line
#           and leaves
#   watch   registers --user, sees --peer go out of view (quietly in v2; v1
#           only knows Disconnect) and come back, hears it, sees it leave
# roam and watch tell each other how far they got by files in --sync=DIR.
# Through a proxy the Go test cuts (cmd/server/godot_resume_test.go):
#   resume  registers --user, sees --peer, says it is ready for the cut; sees
#           the world stay while reconnecting, resumes the same actor after
#           --refused connections were refused, sees --peer again, walks,
#           chats, hears --peer welcome it back
#   resume-refused  the same until reconnecting; the Resume is denied, so
#           it is back at the login screen, connected, and logs in again;
#           then a second cut after which the server is never reached
#           again: after trying for a while, the login screen
#   cut     (v1: no token) registers, sees --peer, is cut, and is back at
#           the login screen at once, without trying to reconnect
# With the example mods on (cmd/server/godot_mods_test.go):
#   npcs    registers, sees NPCs (named as such) and watches one walk,
#           drawn walking at its own pace (v2), never jumping; with
#           --want-items=none, sees no items and no mods' controls (v1)
#   gather  registers, hears its inventory (0), walks onto the nearest item
#           by clicks: the item vanishes and the count is 1
#   gather-again  logs --user in again: the count is still 1
#   emoter  registers, sees --peer, emotes with the key and the button: a
#           bubble over its own head each time
#   emote-watch  registers, sees --peer and the bubbles of its two emotes
# Every role checks the protocol spoken is --want-proto (v2 unless told);
# --proto=v1 makes the client ask for no subprotocol. With --want-limits=
# U,P,C (the server's, from the Go test) the client must have heard them in
# a hello and put them in its fields; without it, its built-in ones stay.
# The walker with --sync=DIR is muted by the Go test after it prints
# "E2E mute me" (which writes DIR/muted), and says a line that is refused.
# The stayer with --burst=N says N lines at once, one more than the
# server's chat burst, once the walker left.
extends "res://tests/Driver.gd"

const Actor = preload("res://world/Actor.gd")
const Client = preload("res://addons/godmmo/Client.gd")
const Main = preload("res://Main.gd")

# The server's Deny reasons the drivers expect (net/guard.go, net/wire/request.go).
const DENY_MUTED = "You are muted"
const DENY_CHAT_LONG = "Message must be at most 256 characters"
const DENY_CHAT_SLOW = "Slow down: too many chat lines"

const WALK = Vector2(120, -60) # where the walker clicks, from where it stands
const STEP = 100.0 # how far the roamer walks per click
const MAX_STEPS = 10

var _watch = null # the peer's Actor, watched every frame
var _watch_last = Vector2.ZERO
var _watch_path = 0.0 # how far it was drawn walking
var _watch_jumps = 0 # frames it moved faster than walking speed
var _watch_final = Vector2.ZERO # where it was drawn last
var _watch_server = Vector2.ZERO # the server's last position for it
var _last_delta = 0.0


func run():
	var role = arg("role")
	if role == "walker":
		yield(walker(), "completed")
	elif role == "stayer":
		yield(stayer(), "completed")
	elif role == "return":
		yield(returner(), "completed")
	elif role == "roam":
		yield(roamer(), "completed")
	elif role == "watch":
		yield(watcher(), "completed")
	elif role == "resume":
		yield(resumer(), "completed")
	elif role == "resume-refused":
		yield(resume_refused(), "completed")
	elif role == "cut":
		yield(cut_v1(), "completed")
	elif role == "npcs":
		yield(npc_watcher(), "completed")
	elif role == "gather":
		yield(gatherer(), "completed")
	elif role == "gather-again":
		yield(gatherer_again(), "completed")
	elif role == "emoter":
		yield(emoter(), "completed")
	elif role == "emote-watch":
		yield(emote_watcher(), "completed")
	else:
		yield(get_tree(), "idle_frame")
		check(false, "a known --role (walker, stayer, return, roam, watch, resume, resume-refused, cut, npcs, gather, gather-again, emoter, emote-watch), not %s" % role)
	finish()


func walker():
	var user = arg("user")
	var peer = arg("peer")
	var avatar = int(arg("avatar", "0"))
	yield(register_and_login(user, "pw-" + user, avatar), "completed")
	if not in_world():
		return
	var world = main.world
	var own = world.own
	check(own.actor_name == user and own.name_label.text == user, "own actor is named %s" % user)
	check(own.avatar_id == avatar, "own actor has avatar %d" % avatar)
	var ok = yield(wait_until("waiting for " + peer, self, "sees", [peer], 20), "completed")
	check(ok, "sees " + peer)

	# Walk by clicking on the ground.
	var start = own.position
	var target = start + WALK
	click(screen_of(world, target))
	check(own.goal.distance_to(target) < 1.0, "the click walks to the point under the cursor")
	yield(sleep(0.4), "completed")
	var walked = start.distance_to(target) - own.position.distance_to(target)
	check(walked > 10, "the player walks toward the click at once (%.1f units in 0.4 s)" % walked)
	ok = yield(wait_until("walking", self, "near", [own, target, 0.5], 6), "completed")
	check(ok, "the player reaches the click")
	ok = yield(wait_until("server position", self, "own_server_near", [target, 5.0], 5), "completed")
	check(ok, "the server's position ends at the click (%s)" % own.server_pos)
	check(own.position.distance_to(own.server_pos) <= Actor.RUBBER_BAND, "client and server agree within the rubber band")

	# Clicks on the chat never walk.
	var before = own.position
	click_control(world.chat.history)
	click_control(world.chat.input)
	yield(sleep(0.4), "completed")
	check(own.goal == before and own.position == before, "clicks on the chat do not move the player")

	yield(send_lines(user), "completed")
	yield(hear_lines(peer), "completed")
	check_own_once(user)
	yield(send_long_line(user), "completed")
	if arg("sync") != "":
		yield(say_muted(user), "completed")
	print("E2E position %.3f %.3f" % [own.server_pos.x, own.server_pos.y])


func stayer():
	var user = arg("user")
	var peer = arg("peer")
	var ok = yield(join(peer), "completed")
	if not ok:
		return
	watch(main.world.actor_named(peer))
	check(_watch.name_label.text == peer, "%s's name is shown" % peer)
	yield(hear_lines(peer), "completed")
	yield(send_lines(user), "completed")
	ok = yield(wait_until("waiting for %s to leave" % peer, self, "gone", [peer], 20), "completed")
	check(ok, "%s's actor is removed when it disconnects" % peer)
	check(chat_has("* %s left" % peer), "the chat says %s left" % peer)
	check_own_once(user)
	if arg("burst") != "":
		yield(say_burst(user, int(arg("burst"))), "completed")
	# Said before it left, a line the server relayed would be here now.
	check(count_lines("%s: %s" % [peer, MUTED_LINE]) == 0, "%s's refused line never reached us" % peer)
	check(_watch_path > 50, "saw %s walk (%.1f units)" % [peer, _watch_path])
	check(_watch_jumps == 0, "%s was drawn walking, never jumping (%d jumps)" % [peer, _watch_jumps])
	check(_watch_final.distance_to(_watch_server) < 6, "%s was drawn where the server put it (%s, %s)" % [peer, _watch_final, _watch_server])


func returner():
	var user = arg("user")
	var expect = arg("expect", "0,0").split_floats(",")
	var ok = yield(wait_until("connecting", self, "online"), "completed")
	check(ok, "login screen connects")
	check_protocol()
	yield(check_limits(), "completed")
	var login = main.login
	type(login.username, user)
	# A password of more bytes than the server takes (but no more
	# characters) is not sent, and the player is told why.
	var bytes = main.client.limits.password
	for _i in range(bytes / 2 + 1):
		type(login.password, "é")
	check(login.password.text.length() == bytes / 2 + 1, "the password field takes %d characters" % login.password.text.length())
	click_control(login.login_button)
	check(main.client.pending == "", "a password over %d bytes is not sent" % bytes)
	check(status_has("at most %d bytes" % bytes), "saying why: " + login.status.text)
	login.password.text = ""
	type(login.password, "wrong")
	click_control(login.login_button)
	ok = yield(wait_until("a wrong password", self, "status_has", ["Username or password incorrect"]), "completed")
	check(ok, "a wrong password shows the server's Deny reason")
	var panel_rect = login.panel.get_global_rect()
	login.password.text = ""
	type(login.password, "pw-" + user)
	press_enter()
	ok = yield(wait_until("logging in again", self, "in_world"), "completed")
	check(ok, "Enter in the password field logs in")
	if not ok:
		return
	var own = main.world.own
	var at = Vector2(expect[0], expect[1])
	check(own.position.distance_to(at) < 5, "back where it stopped: %s, expected %s" % [own.position, at])
	print("E2E ready for shutdown")
	ok = yield(wait_until("the server going away", self, "back_at_login", [], 20), "completed")
	check(ok, "losing the connection goes back to the login screen")
	check(login.status.text != "", "with the reason: " + login.status.text)
	check(main.client.attempts == 0, "a server shutting down ends the session: no attempt to resume (%d)" % main.client.attempts)
	check(login.panel.get_global_rect() == panel_rect, "the login panel does not move when Retry appears (%s, was %s)" % [login.panel.get_global_rect(), panel_rect])
	click_control(login.retry_button)
	ok = yield(wait_until("retrying", self, "status_has", ["Cannot reach the server"]), "completed")
	check(ok, "Retry tries again and says the server is unreachable")
	check(login.retry_button.visible and login.login_button.disabled, "Retry stays offered, Login stays off")
	# The Server field is where the client connects: Enter in it connects
	# to what was typed (a loopback port nothing listens on).
	var elsewhere = "ws://127.0.0.1:1/"
	login.server.text = ""
	type(login.server, elsewhere)
	press_enter()
	ok = yield(wait_until("connecting elsewhere", self, "status_has", ["Cannot reach the server at " + elsewhere]), "completed")
	check(ok, "Enter in the Server field connects to the address typed there")
	check(main.url == elsewhere, "the client's address is now %s" % main.url)


func roamer():
	var user = arg("user")
	var peer = arg("peer")
	yield(register_and_login(user, "pw-" + user, int(arg("avatar", "0"))), "completed")
	if not in_world():
		return
	var ok = yield(wait_until("waiting for " + peer, self, "sees", [peer], 20), "completed")
	check(ok, "sees %s at the start" % peer)
	if not ok:
		return
	var home = main.world.actor_named(peer).position

	# Away, a click at a time, until the peer has lost sight of us.
	var steps = 0
	while not synced("lost") and steps < MAX_STEPS:
		yield(walk_by(Vector2(STEP, 0)), "completed")
		steps += 1
	var away = main.world.own.position.distance_to(home)
	check(synced("lost"), "%s lost sight of %s %.0f units away" % [peer, user, away])
	ok = yield(wait_until("losing sight of " + peer, self, "gone", [peer], 10), "completed")
	check(ok, "%s is out of view too" % peer)
	check_out_of_view(peer)

	# Back, a click at a time, until we see each other again.
	steps = 0
	while not sees(peer) and steps < MAX_STEPS:
		yield(walk_by(Vector2(-STEP, 0)), "completed")
		steps += 1
	var back = main.world.own.position.distance_to(home)
	check(sees(peer), "sees %s again %.0f units away" % [peer, back])
	if not sees(peer):
		return
	var other = main.world.actor_named(peer)
	check(other.position.distance_to(home) < 1, "%s is drawn where it stood (%s, %s)" % [peer, other.position, home])
	ok = yield(wait_until("%s seeing %s again" % [peer, user], self, "synced", ["seen"], 20), "completed")
	check(ok, "%s sees %s again" % [peer, user])

	# Chat reaches whoever sees us; then leave.
	type(main.world.chat.input, "back from away")
	click_control(main.world.chat.send_button)
	ok = yield(wait_until("%s hearing %s" % [peer, user], self, "synced", ["heard"], 20), "completed")
	check(ok, "%s hears %s once back in view" % [peer, user])


func watcher():
	var user = arg("user")
	var peer = arg("peer")
	yield(register_and_login(user, "pw-" + user, int(arg("avatar", "0"))), "completed")
	if not in_world():
		return
	var ok = yield(wait_until("waiting for " + peer, self, "sees", [peer], 20), "completed")
	check(ok, "sees %s at the start" % peer)
	if not ok:
		return
	var own = main.world.own
	watch(main.world.actor_named(peer))
	ok = yield(wait_until("%s going out of view" % peer, self, "gone", [peer], 60), "completed")
	check(ok, "%s goes out of view" % peer)
	if not ok:
		return
	var out = _watch_final.distance_to(own.position)
	check(out > 100, "%s went out of view %.0f units away" % [peer, out])
	check_out_of_view(peer)
	sync("lost")

	ok = yield(wait_until("%s coming back" % peer, self, "sees", [peer], 60), "completed")
	check(ok, "%s comes back into view" % peer)
	if not ok:
		return
	watch(main.world.actor_named(peer))
	var back = _watch.position.distance_to(own.position)
	# Views have a margin: an actor comes into view nearer than it leaves.
	check(back < out and back > 50, "%s comes back into view walking in, %.0f units away" % [peer, back])
	sync("seen")
	ok = yield(wait_until("chat from " + peer, self, "chat_has", ["%s: back from away" % peer], 20), "completed")
	check(ok, "hears %s once it is back in view" % peer)
	sync("heard")
	ok = yield(wait_until("%s leaving" % peer, self, "gone", [peer], 20), "completed")
	check(ok, "%s's actor is removed when it leaves the game" % peer)
	var left = count_lines("* %s left" % peer)
	check(left == (1 if main.client.protocol == "v2" else 2), "leaving the game is said in the chat (%d lines say so)" % left)
	check(_watch_path > 100, "saw %s walk (%.1f units)" % [peer, _watch_path])
	check(_watch_jumps == 0, "%s was drawn walking, never jumping (%d jumps)" % [peer, _watch_jumps])
	check(_watch_final.distance_to(_watch_server) < 6, "%s was drawn where the server put it (%s, %s)" % [peer, _watch_final, _watch_server])


func resumer():
	var user = arg("user")
	var peer = arg("peer")
	var world = yield(until_cut(user, peer), "completed")
	if world == null:
		return
	var id = world.own.id
	var token = main.client.token
	var cut_at = OS.get_ticks_msec()
	var walks = world.walks
	click(screen_of(world, world.own.position + WALK))
	check(world.walks == walks, "a click while reconnecting does not walk")

	var ok = yield(wait_until("resuming", self, "resumed", [], 40), "completed")
	check(ok, "the session is resumed")
	if not ok:
		return
	var took = (OS.get_ticks_msec() - cut_at) / 1000.0
	var refused = int(arg("refused", "0"))
	check(main.client.attempts == refused + 1, "resumed on attempt %d, after %d refused" % [main.client.attempts, refused])
	# Backoff: 0.5 s, then 1 s, 2 s… between attempts.
	var least = 0.0
	var gap = Client.FIRST_RETRY_MSEC / 1000.0
	for _i in range(refused + 1):
		least += gap
		gap *= 2
	check(took >= least - 0.1, "attempts backed off: resumed %.1f s after the cut, at least %.1f s" % [took, least])
	check(main.world == world and main.world.own != null and main.world.own.id == id, "the same world and the same actor (%d)" % id)
	check(main.client.token != token and is_token(main.client.token), "a new token")
	check(not world.notice.visible, "the notice is gone")
	ok = yield(wait_until("seeing %s again" % peer, self, "sees", [peer], 10), "completed")
	check(ok, "sees %s again: the server sent everyone in view again" % peer)
	check(world.actors.size() == 2, "each actor once (%d)" % world.actors.size())
	check(count_lines("* %s left" % peer) == 0, "nobody left meanwhile")

	# Play on: walk and talk.
	var own = world.own
	var target = own.position + WALK
	click(screen_of(world, target))
	ok = yield(wait_until("walking after the resume", self, "own_server_near", [target, 5.0], 10), "completed")
	check(ok, "the server walks the resumed actor to the click (%s)" % own.server_pos)
	check(main.client.hello and world.acks, "the new connection said hello too: own lines show once the server took them")
	type(world.chat.input, "back again")
	click_control(world.chat.send_button)
	check_shown_on_ack("%s: back again" % user, "after the resume")
	ok = yield(wait_until("%s welcoming us back" % peer, self, "chat_has", ["%s: welcome back" % peer], 20), "completed")
	check(ok, "hears %s after the resume" % peer)
	check(count_lines("%s: back again" % user) == 1, "own line shown once")


func resume_refused():
	var user = arg("user")
	var peer = arg("peer")
	var world = yield(until_cut(user, peer), "completed")
	if world == null:
		return
	var ok = yield(wait_until("the Resume being refused", self, "status_has", ["That session has ended"], 40), "completed")
	check(ok, "a refused Resume says so on the login screen: " + main.login.status.text)
	check(main.world == null and main.client.token == "" and main.client.resumes == 0, "the world and the token are gone")
	ok = yield(wait_until("connected", self, "online"), "completed")
	check(ok, "the login screen is connected: no Retry needed")
	check(main.login.username.text == user and main.login.password.text != "", "the username and password are still there")
	main.login.password.grab_focus()
	press_enter()
	ok = yield(wait_until("logging in again", self, "in_world"), "completed")
	check(ok, "Enter logs in again")
	ok = yield(wait_until("seeing " + peer, self, "sees", [peer], 10), "completed")
	check(ok, "sees %s again" % peer)
	if not ok:
		return

	# Cut again, and the server never comes back: after trying for
	# resume_for_msec (shortened here), the login screen with the reason.
	check(is_token(main.client.token), "the new Login has a token too")
	main.client.resume_for_msec = 4000
	world = main.world
	print("E2E ready for the second cut")
	ok = yield(wait_until("the second cut", self, "reconnecting", [], 20), "completed")
	check(ok, "the second cut says so in the world")
	var cut_at = OS.get_ticks_msec()
	ok = yield(wait_until("giving up", self, "back_at_login", [], 20), "completed")
	check(ok, "when the server cannot be reached again, the login screen")
	var took = (OS.get_ticks_msec() - cut_at) / 1000.0
	check(status_has("could not be reached again"), "saying so: " + main.login.status.text)
	# Attempts at 0.5, 1.5 and 3.5 s; the next would be at 7.5 s, past 4 s.
	check(main.client.attempts == 3, "gave up after %d attempts, want 3" % main.client.attempts)
	check(took >= 3.4 and took < 8, "gave up %.1f s after the cut" % took)


func cut_v1():
	var user = arg("user")
	var peer = arg("peer")
	yield(register_and_login(user, "pw-" + user, int(arg("avatar", "0"))), "completed")
	if not in_world():
		return
	check(main.client.token == "", "v1 has no resume token")
	var ok = yield(wait_until("waiting for " + peer, self, "sees", [peer], 20), "completed")
	check(ok, "sees " + peer)
	print("E2E ready for the cut, actor %d" % main.world.own.id)
	ok = yield(wait_until("the connection being cut", self, "back_at_login", [], 20), "completed")
	check(ok, "a cut connection without a token goes back to the login screen")
	check(status_has("Disconnected. Connection lost"), "saying so: " + main.login.status.text)
	check(main.client.attempts == 0, "without trying to reconnect (%d attempts)" % main.client.attempts)


# until_cut registers and logs in, waits for peer, says the driver is
# ready for the cut, and waits for the world to say it is reconnecting; it
# returns the World (null when something failed).
func until_cut(user: String, peer: String):
	yield(register_and_login(user, "pw-" + user, int(arg("avatar", "0"))), "completed")
	if not in_world():
		return null
	check(is_token(main.client.token), "the Ok of the Login carries a resume token (%s)" % main.client.token)
	var ok = yield(wait_until("waiting for " + peer, self, "sees", [peer], 20), "completed")
	check(ok, "sees " + peer)
	if not ok:
		return null
	var world = main.world
	print("E2E ready for the cut, actor %d" % world.own.id)
	ok = yield(wait_until("the connection being cut", self, "reconnecting", [], 20), "completed")
	check(ok, "a cut connection says so in the world")
	if not ok:
		return null
	check(main.world == world and world.notice.text == Main.RECONNECTING, "the world stays, saying: " + world.notice.text)
	check(sees(peer) and world.own != null, "the world still shows the player and " + peer)
	check(not main.login.visible, "no login screen while reconnecting")
	return world


func npc_watcher():
	var ok = yield(join(), "completed")
	if not ok:
		return
	ok = yield(wait_until("an NPC walking", self, "walking_npc", [], 30), "completed")
	check(ok, "sees an NPC walking")
	if not ok:
		return
	var npc = walking_npc()
	check(npc.kind == "npc" and npc.actor_name.find("(NPC ") != -1, "it is an NPC and named as one: " + npc.actor_name)
	check(npc.name_label.get_color("font_color") == npc.NPC_NAME_COLOR, "its name is drawn in the NPCs' colour")
	if main.client.protocol == "v2":
		check(npc.speed > 0 and npc.speed < Actor.SPEED, "it walks at its own pace (%.1f units/s)" % npc.speed)
	watch(npc)
	ok = yield(wait_until("%s walking" % npc.actor_name, self, "watched_path_over", [30.0], 20), "completed")
	check(ok, "saw %s walk %.1f units" % [npc.actor_name, _watch_path])
	check(_watch_jumps == 0, "%s was drawn walking, never jumping (%d jumps)" % [npc.actor_name, _watch_jumps])
	if arg("want-items") == "none":
		# v1 is never sent objects, nor a hello offering commands.
		check(main.world.items.empty(), "no items (%d)" % main.world.items.size())
		check(not main.world.emote_button.visible and not main.world.inventory_label.visible, "no emote button, no count")


# walking_npc is an NPC in view with a way to walk yet, or null: over v2
# the server's intent for it; over v1 (where the server says only where it
# is) the lead point it is drawn walking to.
func walking_npc():
	if main.world == null:
		return null
	for a in main.world.actors.values():
		if a.kind == "npc" and a.placed and (a.server_pos.distance_to(a.server_goal) > 40 or a.position.distance_to(a.goal) > 20):
			return a
	return null


func watched_path_over(units: float) -> bool:
	return is_instance_valid(_watch) and _watch_path > units


func gatherer():
	var ok = yield(join(), "completed")
	if not ok:
		return
	var world = main.world
	check(main.client.limits.commands.has("inventory"), "the server offers the inventory command")
	ok = yield(wait_until("the inventory count", self, "inventory_is", [0]), "completed")
	check(ok and world.inventory_label.visible and world.inventory_label.text == "Gems: 0", "asked after login, the count shows: " + world.inventory_label.text)
	ok = yield(wait_until("items in view", self, "sees_items"), "completed")
	check(ok, "sees items on the ground (%d)" % world.items.size())
	if not ok:
		return
	var item = nearest_item()
	check(item != null, "an item a click can reach")
	if item == null:
		return
	var id = item.id
	var at = item.position
	check(not actor_at_item(at), "no actor stands on the item")
	print("E2E gathering item %d at %.1f %.1f, %.0f units away" % [id, at.x, at.y, world.own.position.distance_to(at)])
	click(screen_of(world, at))
	ok = yield(wait_until("picking up item %d" % id, self, "item_gone", [id], 60), "completed")
	check(ok, "the item vanishes once the player walks onto it")
	# Items on the way may be picked up too.
	ok = yield(wait_until("the count going up", self, "inventory_over", [0], 10), "completed")
	check(ok and world.inventory_label.text == "Gems: %d" % world.inventory, "the count on the screen went up: " + world.inventory_label.text)
	check(count_lines("* gem left") == 0, "picking up says nothing in the chat")
	print("E2E gathered %d" % world.inventory)


func gatherer_again():
	var user = arg("user")
	var ok = yield(wait_until("connecting", self, "online"), "completed")
	check(ok, "login screen connects")
	type(main.login.username, user)
	type(main.login.password, "pw-" + user)
	press_enter()
	ok = yield(wait_until("logging in again", self, "in_world"), "completed")
	check(ok, "logs in again")
	if not ok:
		return
	var want = int(arg("want-count", "1"))
	ok = yield(wait_until("the inventory count", self, "inventory_is", [want]), "completed")
	check(ok and main.world.inventory_label.text == "Gems: %d" % want, "the count survived logging out and in: " + main.world.inventory_label.text)


func inventory_is(n: int) -> bool:
	return main.world != null and main.world.inventory == n


func inventory_over(n: int) -> bool:
	return main.world != null and main.world.inventory > n


func sees_items() -> bool:
	return main.world != null and not main.world.items.empty()


func item_gone(id: int) -> bool:
	return main.world != null and not main.world.items.has(id)


# nearest_item is the nearest item a click can reach: not under a control.
func nearest_item():
	var best = null
	var world = main.world
	var own = world.own.position
	var hud = [world.chat, world.get_node("UI/Hud/Mods"), world.get_node("UI/Hud/Hint")]
	for it in world.items.values():
		var at = screen_of(world, it.position)
		var free = get_viewport().get_visible_rect().has_point(at)
		for c in hud:
			var r = c.get_global_rect()
			var a = screen_of(c, r.position)
			free = free and not Rect2(a, screen_of(c, r.end) - a).grow(8).has_point(at)
		if free and (best == null or own.distance_to(it.position) < own.distance_to(best.position)):
			best = it
	return best


func actor_at_item(at: Vector2) -> bool:
	for a in main.world.actors.values():
		if not a.is_self and a.position.distance_to(at) < 30:
			return true
	return false


func emoter():
	var peer = arg("peer")
	var ok = yield(join(peer), "completed")
	if not ok:
		return
	var world = main.world
	check(world.emote_button.visible, "the emote button shows (the server offers emotes)")
	ok = yield(wait_until("%s ready" % peer, self, "synced", ["ready"], 20), "completed")
	check(ok, "%s sees us" % peer)
	_key(KEY_E, 0)
	ok = yield(wait_until("own emote", self, "own_emotes", [1], 10), "completed")
	check(ok and world.own.emote == "wave" and world.own.bubble.visible, "the E key shows a bubble over our head: " + world.own.bubble.text)
	click_control(world.emote_button)
	ok = yield(wait_until("own second emote", self, "own_emotes", [2], 10), "completed")
	check(ok, "the button emotes too")
	check(refusals() == [], "no emote refused: %s" % str(refusals()))
	ok = yield(wait_until("%s seeing both" % peer, self, "synced", ["seen"], 20), "completed")
	check(ok, "%s saw both emotes" % peer)


# refusals are the chat's "not sent" lines.
func refusals() -> Array:
	var out = []
	for l in main.world.chat.lines:
		if l.begins_with("* not sent: "):
			out.append(l)
	return out


func own_emotes(n: int) -> bool:
	return main.world != null and main.world.own != null and main.world.own.emotes >= n


func emote_watcher():
	var peer = arg("peer")
	var ok = yield(join(peer), "completed")
	if not ok:
		return
	var other = main.world.actor_named(peer)
	sync("ready")
	ok = yield(wait_until("%s's first emote" % peer, self, "emotes_of", [other, 1], 20), "completed")
	check(ok and other.emote == "wave" and other.bubble.visible and other.bubble.text == "wave", "a bubble over %s's head says wave" % peer)
	ok = yield(wait_until("%s's second emote" % peer, self, "emotes_of", [other, 2], 20), "completed")
	check(ok, "and its second emote")
	check(main.world.own.emotes == 0, "no bubble over our own head")
	sync("seen")


func emotes_of(a, n: int) -> bool:
	return is_instance_valid(a) and a.emotes >= n


# join registers and logs --user in with --avatar and, given a peer, waits
# until it sees it; false when either failed.
func join(peer: String = ""):
	var user = arg("user")
	yield(register_and_login(user, "pw-" + user, int(arg("avatar", "0"))), "completed")
	if not in_world():
		return false
	if peer == "":
		return true
	var ok = yield(wait_until("waiting for " + peer, self, "sees", [peer], 20), "completed")
	check(ok, "sees " + peer)
	return ok


func reconnecting() -> bool:
	return main.world != null and main.world.offline


func resumed() -> bool:
	return main.client.resumes > 0 and main.world != null and not main.world.offline


# is_token: 32 hex digits.
func is_token(t: String) -> bool:
	if t.length() != 32:
		return false
	for i in range(t.length()):
		if "0123456789abcdef".find(t[i]) == -1:
			return false
	return true


# watch starts watching how an actor is drawn, every frame (see observe).
func watch(actor) -> void:
	_watch = actor
	_watch_last = actor.position
	_watch_final = actor.position
	_watch_server = actor.server_pos


# check_out_of_view checks what the chat says about an actor that went out
# of view: nothing in v2 (it did not leave the game); v1 knows only
# Disconnect, which says it left.
func check_out_of_view(peer: String) -> void:
	var left = count_lines("* %s left" % peer)
	if main.client.protocol == "v2":
		check(left == 0, "going out of view is not leaving: the chat is quiet (%d lines)" % left)
	else:
		check(left == 1, "v1: out of view is a Disconnect, said in the chat (%d lines)" % left)


# walk_by clicks the ground offset from the player and waits until it is there.
func walk_by(offset: Vector2):
	var own = main.world.own
	var target = own.position + offset
	click(screen_of(main.world, target))
	var ok = yield(wait_until("walking to %s" % target, self, "near", [own, target, 0.5], 10), "completed")
	check(ok, "walks to %s" % target)


# sync leaves a mark in --sync=DIR for the other driver.
func sync(mark: String) -> void:
	var f = File.new()
	var err = f.open(arg("sync").plus_file(arg("user") + "." + mark), File.WRITE)
	check(err == OK, "mark %s written (%d)" % [mark, err])
	if err == OK:
		f.store_line(mark)
		f.close()


# synced: the peer left the mark.
func synced(mark: String) -> bool:
	return File.new().file_exists(arg("sync").plus_file(arg("peer") + "." + mark))


# send_lines says a plain line with the Send button and a BBCode one with
# Enter. Both show as typed: in v2 once the server sends them back (not
# when sent), in v1 at once.
func send_lines(user: String):
	var chat = main.world.chat
	var lines = ["%s: hello from %s" % [user, user], "%s: %s" % [user, bbcode(user)]]
	type(chat.input, "hello from " + user)
	click_control(chat.send_button)
	check(chat.input.text == "", "the input line is emptied (Send button)")
	check_shown_on_ack(lines[0], "Send button")
	type(chat.input, bbcode(user))
	press_enter()
	check(chat.input.text == "", "the input line is emptied (Enter)")
	check_shown_on_ack(lines[1], "Enter")
	if main.world.acks:
		var ok = yield(wait_until("own lines back from the server", self, "chat_has_all", [lines], 10), "completed")
		check(ok, "v2: own lines shown once the server took them")
	yield(get_tree(), "idle_frame")


# check_shown_on_ack checks, right after a line was sent, that it shows at
# once without acknowledgements (v1) and not yet with them (v2: no packet
# can have come in since it was sent).
func check_shown_on_ack(line: String, how: String) -> void:
	if main.world.acks:
		check(not chat_has(line), "v2: own line not shown when sent (%s)" % how)
	else:
		check(chat_has(line), "v1: own line shown at once (%s)" % how)


func chat_has_all(lines: Array) -> bool:
	for l in lines:
		if not chat_has(l):
			return false
	return true


# send_long_line types a line longer than the chat's limit key by key: the
# input stops at the limit (in v2 the hello's), and the server takes the
# line (v2: it comes back whole).
func send_long_line(user: String):
	var chat = main.world.chat
	var want = main.client.limits.chat
	var typed = ""
	for i in range(want + 4):
		typed += "abcdefghij"[i % 10]
	type(chat.input, typed)
	check(chat.input.max_length == want and chat.input.text == typed.substr(0, want), "the chat input takes %d characters (%d typed)" % [want, chat.input.text.length()])
	press_enter()
	var line = "%s: %s" % [user, typed.substr(0, want)]
	check_shown_on_ack(line, "a line as long as the limit")
	var ok = yield(wait_until("the long line", self, "chat_has", [line], 10), "completed")
	check(ok and count_lines(line) == 1, "a line of %d characters is shown once" % want)
	check(not chat_has("* not sent: " + DENY_CHAT_LONG), "the server took it")
	print("E2E long line %d" % want)


const MUTED_LINE = "can anyone hear me"


# say_muted waits for the Go test to mute the player and says a line: v2
# shows it only as not sent, with the server's reason; v1 shows it at once
# (as the original client did) and then the reason.
func say_muted(user: String):
	print("E2E mute me")
	var ok = yield(wait_until("being muted", self, "muted_mark", [], 20), "completed")
	check(ok, "the Go test muted the player")
	var chat = main.world.chat
	type(chat.input, MUTED_LINE)
	press_enter()
	check(chat.input.text == "", "the input line is emptied")
	var line = "%s: %s" % [user, MUTED_LINE]
	check_shown_on_ack(line, "a muted line")
	ok = yield(wait_until("the refusal", self, "chat_has", ["* not sent: " + DENY_MUTED], 10), "completed")
	check(ok, "a refused line says why it was not sent: " + PoolStringArray(chat.lines).join(" | "))
	var shown = count_lines(line)
	if main.world.acks:
		check(shown == 0, "v2: a refused line is not shown as said (%d)" % shown)
	else:
		check(shown == 1, "v1: the line was shown when sent (%d)" % shown)


# say_burst says n lines in one frame, more than the server lets a player
# say at once, so at least one is refused (Slow down). v2: each line shows
# once as said or once as not sent, those said in the order typed. v1: all
# show at once, and the refusals follow.
func say_burst(user: String, n: int):
	var chat = main.world.chat
	for i in range(n):
		type(chat.input, "burst %d" % i)
		press_enter()
	var ok = yield(wait_until("answers to %d lines" % n, self, "burst_answered", [user, n]), "completed")
	check(ok, "the burst is answered")
	var said = burst_said(user)
	var refused = count_lines("* not sent: " + DENY_CHAT_SLOW)
	if main.world.acks:
		check(refused >= 1 and said.size() + refused == n, "v2: a burst of %d: %d said, %d not sent" % [n, said.size(), refused])
	else:
		check(refused >= 1 and said.size() == n, "v1: a burst of %d: %d shown at once, %d not sent" % [n, said.size(), refused])
	var in_order = true
	for i in range(1, said.size()):
		in_order = in_order and said[i] > said[i - 1]
	check(in_order, "the lines said show once each, in the order typed: %s" % str(said))


# burst_said is the numbers of the burst's lines shown as said, in order.
func burst_said(user: String) -> Array:
	var said = []
	for l in main.world.chat.lines:
		if l.begins_with("%s: burst " % user):
			said.append(int(l.split(" ")[2]))
	return said


func burst_answered(user: String, n: int) -> bool:
	var refused = count_lines("* not sent: " + DENY_CHAT_SLOW)
	if main.world.acks:
		return burst_said(user).size() + refused >= n
	return refused >= 1


func muted_mark() -> bool:
	return File.new().file_exists(arg("sync").plus_file("muted"))


# hear_lines waits for peer's two lines and checks markup stays literal.
func hear_lines(peer: String):
	var ok = yield(wait_until("chat from " + peer, self, "chat_has", ["%s: hello from %s" % [peer, peer]], 20), "completed")
	check(ok, "hears " + peer)
	ok = yield(wait_until("BBCode chat from " + peer, self, "chat_has", ["%s: %s" % [peer, bbcode(peer)]], 10), "completed")
	check(ok, "hears %s's BBCode line" % peer)
	var history = main.world.chat.history
	check(not history.bbcode_enabled and history.text.find(bbcode(peer)) != -1, "BBCode is shown literally: " + history.text.replace("\n", " | "))


# check_own_once: each own line is shown exactly once (v1: when said, the
# server does not send it back; v2: when the server sent it back).
func check_own_once(user: String) -> void:
	for l in ["hello from " + user, bbcode(user)]:
		var n = count_lines("%s: %s" % [user, l])
		check(n == 1, "own line shown exactly once (%d copies): %s" % [n, l])


func bbcode(user: String) -> String:
	return "[b]bold[/b] [color=red]%s[/color] [url=http://example.com]link[/url]" % user


func observe(delta: float) -> void:
	if _watch == null or not is_instance_valid(_watch):
		return
	# The actor may run before or after the driver in a frame: allow the
	# longer of this frame and the last.
	var dt = max(delta, _last_delta)
	_last_delta = delta
	var p = _watch.position
	var step = p.distance_to(_watch_last)
	if step > Actor.SPEED * dt * 1.05 + 0.05:
		_watch_jumps += 1
		print("driver: %s moved %.1f units in %.3f s" % [_watch.actor_name, step, delta])
	_watch_path += step
	_watch_last = p
	_watch_final = p
	_watch_server = _watch.server_pos
