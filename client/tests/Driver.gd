# Driver is the base of the test drivers: it runs the real Main scene, reads
# --name=value arguments, drives the UI with real input events, counts checks
# and guards the run with a watchdog. Godot exits 0 even after script errors,
# so the exit code is 1 until finish() sees every check pass.
extends Node

var main = null # the game under test
var passed = 0
var failed = 0
var step = "starting" # what the driver is waiting for, for the watchdog
var _args = {}
var _deadline = 0
var _done = false


func _ready() -> void:
	OS.exit_code = 1
	Engine.target_fps = 60 # real time, just not a busy loop
	for a in OS.get_cmdline_args():
		if a.begins_with("--") and a.find("=") > 2:
			var i = a.find("=")
			_args[a.substr(2, i - 2)] = a.substr(i + 1, a.length())
	_deadline = OS.get_ticks_msec() + int(arg("timeout", "60")) * 1000
	main = load(game_scene()).instance()
	set_up(main)
	get_tree().root.call_deferred("add_child", main)
	call_deferred("_begin")


# game_scene is the scene under test: the demo unless a driver says otherwise.
func game_scene() -> String:
	return "res://Main.tscn"


# set_up prepares the game before it enters the tree.
func set_up(_game: Node) -> void:
	pass


func _begin() -> void:
	print("driver: role=%s user=%s" % [arg("role"), arg("user")])
	run()


# run is the test itself, a coroutine; drivers override it and end with finish().
func run():
	yield(get_tree(), "idle_frame")
	finish()


func _process(delta: float) -> void:
	observe(delta)
	if not _done and OS.get_ticks_msec() > _deadline:
		failed += 1
		print("FAIL: watchdog: timed out while %s" % step)
		finish()


# observe runs every frame, for drivers that watch something.
func observe(_delta: float) -> void:
	pass


# arg is the value of --name=value on the command line, or default.
func arg(name: String, default: String = "") -> String:
	return _args.get(name, default)


func check(ok: bool, what: String) -> void:
	if ok:
		passed += 1
		print("ok: " + what)
	else:
		failed += 1
		print("FAIL: " + what)


func finish() -> void:
	if _done:
		return
	_done = true
	print("%d passed, %d failed" % [passed, failed])
	OS.exit_code = 0 if failed == 0 else 1
	get_tree().quit(OS.exit_code)


# wait_until is a coroutine: it yields frames until obj.method(args…) is
# true (then returns true) or timeout seconds pass (false).
func wait_until(what: String, obj: Object, method: String, args: Array = [], timeout: float = 10.0):
	step = what
	var end = OS.get_ticks_msec() + int(timeout * 1000)
	while true:
		yield(get_tree(), "idle_frame")
		if obj.callv(method, args):
			return true
		if OS.get_ticks_msec() > end:
			print("driver: gave up waiting: " + what)
			return false


# sleep is a coroutine that lets seconds of real time pass.
func sleep(seconds: float):
	var end = OS.get_ticks_msec() + int(seconds * 1000)
	while OS.get_ticks_msec() < end:
		yield(get_tree(), "idle_frame")


# screen_of maps a point of item's canvas to window coordinates.
func screen_of(item: CanvasItem, p: Vector2) -> Vector2:
	return item.get_viewport_transform().xform(p)


# click presses and releases the left mouse button at a window position.
func click(at: Vector2) -> void:
	for down in [true, false]:
		var ev = InputEventMouseButton.new()
		ev.button_index = BUTTON_LEFT
		ev.pressed = down
		ev.position = at
		ev.global_position = at
		Input.parse_input_event(ev)


# click_control clicks the middle of a Control, as a player would.
func click_control(c: Control) -> void:
	var r = c.get_global_rect()
	click(screen_of(c, r.position + r.size / 2))


# type focuses a LineEdit and types text into it key by key.
func type(line: LineEdit, text: String) -> void:
	line.grab_focus()
	for i in range(text.length()):
		_key(0, text.ord_at(i))


# press_enter presses Enter on whatever has the keyboard focus.
func press_enter() -> void:
	_key(KEY_ENTER, 0)


func _key(scancode: int, unicode: int) -> void:
	for down in [true, false]:
		var ev = InputEventKey.new()
		ev.scancode = scancode
		ev.unicode = unicode
		ev.pressed = down
		Input.parse_input_event(ev)


# Conditions for wait_until.

func online() -> bool:
	return main.client.is_open() and not main.login.login_button.disabled


func status_has(text: String) -> bool:
	return main.login.visible and main.login.status.text.find(text) != -1


func in_world() -> bool:
	return main.world != null and main.world.own != null and main.world.own.placed


func sees(actor_name: String) -> bool:
	return main.world != null and main.world.actor_named(actor_name) != null


func gone(actor_name: String) -> bool:
	return main.world != null and main.world.actor_named(actor_name) == null


func chat_has(line: String) -> bool:
	return main.world != null and main.world.chat.lines.has(line)


func near(node: Node2D, p: Vector2, within: float) -> bool:
	return is_instance_valid(node) and node.position.distance_to(p) <= within


# settled: the actor is drawn where the server last put it.
func settled(node: Node2D) -> bool:
	return is_instance_valid(node) and node.position.distance_to(node.server_pos) < 0.5


func own_server_near(p: Vector2, within: float) -> bool:
	return in_world() and main.world.own.server_pos.distance_to(p) <= within


func back_at_login() -> bool:
	return main.world == null and main.login.visible and main.login.retry_button.visible


# count_lines is how many chat lines are line.
func count_lines(line: String) -> int:
	return 0 if main.world == null else main.world.chat.lines.count(line)


# check_protocol checks the client speaks the protocol --want-proto names
# (v2 unless told).
func check_protocol() -> void:
	var want = arg("want-proto", "v2")
	var got = main.client.protocol
	check(got == want, "speaks protocol %s, want %s" % [got, want])


# check_limits checks the limits the client keeps: over v2 (--want-proto)
# the ones the server said in its hello, which --want-limits=U,P,C names
# when given; over v1 its built-in ones, with no hello. The login form
# takes them.
func check_limits():
	var l = main.client.limits
	var got = "%d,%d,%d" % [l.username, l.password, l.chat]
	var want = arg("want-limits")
	if arg("want-proto", "v2") == "v2":
		var ok = yield(wait_until("the server's hello", self, "heard_hello"), "completed")
		check(ok and l.from_server, "the server said hello")
		got = "%d,%d,%d" % [l.username, l.password, l.chat]
	else:
		yield(get_tree(), "idle_frame")
		check(not main.client.hello and not l.from_server, "no hello over v1")
		var d = l.DEFAULTS
		want = "%d,%d,%d" % [d["username"], d["password"], d["chat"]]
	if want != "":
		check(got == want, "the client's limits are %s, want %s" % [got, want])
	var fields = "%d,%d" % [main.login.username.max_length, main.login.password.max_length]
	check(fields == "%d,%d" % [l.username, l.password], "the login form takes them: username, password %s" % fields)


func heard_hello() -> bool:
	return main.client.hello


# Steps shared by drivers.

# register_and_login registers through the login screen's controls, which
# log in at once: Register by a click after typing and picking an avatar.
func register_and_login(user: String, password: String, avatar: int):
	var ok = yield(wait_until("connecting", self, "online"), "completed")
	check(ok, "login screen connects to " + main.url)
	check_protocol()
	yield(check_limits(), "completed")
	var login = main.login
	type(login.username, user)
	type(login.password, password)
	check(login.password.secret, "password field is masked")
	click_control(login.avatars.buttons[avatar])
	check(login.avatars.selected == avatar, "avatar %d picked by a click" % avatar)
	click_control(login.register_button)
	ok = yield(wait_until("registering and logging in", self, "in_world"), "completed")
	check(ok, "Register logs in at once")
