# PageState publishes what the player sees to the web page, as JSON in
# window.godmmoState, ten times a second: the screen (login or world), the
# status line, the world's notice (reconnecting), where the controls are on
# the canvas, how many characters each text field takes, the actors, the
# chat, the items on the ground, the inventory count, emotes shown over
# actors and which field has the keyboard. It runs only in a browser, and only when
# the page was opened with ?state in its address (Main adds it then), so an
# end-to-end test can find the controls to click and see what came of it;
# the clicks and keys themselves still go through the browser's real input
# events. Every rectangle and position on the canvas is in canvas pixels
# (device pixels: divide by dpr for CSS pixels).
extends Node

const Screen = preload("res://ui/Screen.gd")

const EVERY_MSEC = 100

var _next = 0


# wanted reports whether the page asked for its state (?state in the URL).
static func wanted() -> bool:
	if not (OS.has_feature("JavaScript") and Engine.has_singleton("JavaScript")):
		return false
	var search = Engine.get_singleton("JavaScript").eval("window.location.search")
	return typeof(search) == TYPE_STRING and search.find("state") != -1


func _process(_delta: float) -> void:
	var now = OS.get_ticks_msec()
	if now < _next:
		return
	_next = now + EVERY_MSEC
	Engine.get_singleton("JavaScript").eval("window.godmmoState = " + to_json(state()) + ";")


# state is what is published, from Main (this node's parent).
func state() -> Dictionary:
	var main = get_parent()
	var login = main.login
	var s = {
		"msec": OS.get_ticks_msec(),
		"dpr": Screen.device_pixel_ratio(),
		"scale": main.ui_scale,
		"window": [OS.window_size.x, OS.window_size.y],
		"screen": "world" if main.world != null else "login",
		"online": main.client.is_open(),
		"proto": main.client.protocol,
		"server": login.server.text,
		"status": login.status.text,
		"rects": {},
		"max_length": {},
		"focus": "",
	}
	var controls = {}
	if main.world == null:
		controls = {
			"server": login.server, "username": login.username, "password": login.password,
			"register": login.register_button, "login": login.login_button, "retry": login.retry_button,
			"panel": login.panel,
		}
		for i in range(login.avatars.buttons.size()):
			controls["avatar%d" % i] = login.avatars.buttons[i]
		s["avatar"] = login.avatars.selected
	else:
		var world = main.world
		var chat = world.chat
		controls = {"chat": chat, "chat_input": chat.input, "chat_send": chat.send_button, "chat_history": chat.history, "emote": world.emote_button}
		s["chat"] = chat.lines
		s["walks"] = world.walks
		s["notice"] = world.notice.text if world.notice.visible else ""
		s["resumes"] = main.client.resumes
		s["inventory"] = world.inventory
		s["emotes_sent"] = world.emotes_sent
		var actors = []
		for a in world.actors.values():
			var at = world.get_viewport_transform().xform(a.position)
			actors.append({"id": a.id, "name": a.actor_name, "self": a.is_self, "kind": a.kind, "emote": a.emote, "x": a.position.x, "y": a.position.y, "sx": at.x, "sy": at.y})
		s["actors"] = actors
		var items = []
		for it in world.items.values():
			var at = world.get_viewport_transform().xform(it.position)
			items.append({"id": it.id, "x": it.position.x, "y": it.position.y, "sx": at.x, "sy": at.y})
		s["items"] = items
	for key in controls:
		var c: Control = controls[key]
		if not c.is_visible_in_tree():
			continue
		var r = c.get_global_rect()
		var xf = c.get_viewport_transform()
		var a = xf.xform(r.position)
		var b = xf.xform(r.end)
		s["rects"][key] = [a.x, a.y, b.x - a.x, b.y - a.y]
		if c is LineEdit:
			s["max_length"][key] = c.max_length
		if c.has_focus():
			s["focus"] = key
	return s
