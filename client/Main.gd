# Main runs the demo game on the godmmo addon (addons/godmmo/Client.gd,
# the only way it reaches the server): it shows the login screen until the
# server lets the player in, then the world, and the login screen again
# (with the reason) when the session ends. While the addon reconnects to
# resume a dropped session, the world stays on the screen saying so. The
# limits of the server's hello go to the login form and the chat input, and
# after a hello the player's own chat lines show when the server sends them
# back, not when sent (World.acks). It asks the server's mods for the
# player's inventory once logged in, and sends the world's emotes. It also
# keeps the UI scaled to the window (ui/Screen.gd) and, in a browser page
# opened with ?state, publishes what the player sees to the page
# (web/PageState.gd).
extends Node

const ServerAddress = preload("res://addons/godmmo/ServerAddress.gd")
const Screen = preload("res://ui/Screen.gd")
const PageState = preload("res://web/PageState.gd")
const TouchText = preload("res://web/TouchText.gd")

const RECONNECTING = "Connection lost, reconnecting..."

onready var client = $Client
onready var login = $Login

var url = ""
var world = null # the World while playing
var ui_scale = 1.0 # window pixels per logical unit (ui/Screen.gd)
var _fitted = Vector2.ZERO # the logical size last set
var _credentials = [] # [username, password] of a Register, to log in with once it is Ok

# What the addon says, and what hears it here.
const CLIENT_SIGNALS = [
	["connected", "_on_connected"],
	["limits_changed", "_on_limits"],
	["registered", "_on_registered"],
	["logged_in", "_on_logged_in"],
	["denied", "_on_denied"],
	["entity_entered", "_on_entity_entered"],
	["entity_moved", "_on_entity_moved"],
	["entity_left", "_on_entity_left"],
	["said", "_on_said"],
	["message", "_on_message"],
	["reconnecting", "_on_reconnecting"],
	["resumed", "_on_resumed"],
	["resume_refused", "_on_resume_refused"],
	["disconnected", "_on_disconnected"],
]


func _ready() -> void:
	get_tree().root.connect("size_changed", self, "_fit_screen")
	_fit_screen()
	if PageState.wanted():
		add_child(PageState.new())
	if TouchText.wanted():
		var touch = TouchText.new()
		add_child(touch)
		touch.add(login.server, "Server (ws://host:port/)")
		touch.add(login.username, "Username")
		touch.add(login.password, "Password")
	url = ServerAddress.resolve(OS.get_cmdline_args())
	client.ask_v2 = wants_v2(OS.get_cmdline_args())
	for s in CLIENT_SIGNALS:
		client.connect(s[0], self, s[1])
	login.connect("register_requested", self, "_on_register_requested")
	login.connect("login_requested", self, "_on_login_requested")
	login.connect("retry_requested", self, "_connect_to_server")
	_connect_to_server()


# wants_v2: ask for protocol v2 unless started with --proto=v1 (then the
# server speaks v1, the original client's).
static func wants_v2(args: Array) -> bool:
	for a in args:
		if typeof(a) == TYPE_STRING and a == "--proto=v1":
			return false
	return true


# _fit_screen scales the UI to the window: see ui/Screen.gd.
func _fit_screen() -> void:
	var window = OS.window_size
	if window.x <= 0 or window.y <= 0:
		return
	var s = Screen.scale_for(window, Screen.device_pixel_ratio())
	var size = Screen.logical_size(window, s)
	if s == ui_scale and size == _fitted:
		return # set_screen_stretch resizes the root, which calls this again
	ui_scale = s
	_fitted = size
	get_tree().set_screen_stretch(SceneTree.STRETCH_MODE_2D, SceneTree.STRETCH_ASPECT_EXPAND, size)


# _connect_to_server connects to the address on the login screen (what
# --server= or the page said, unless the player changed it).
func _connect_to_server() -> void:
	var typed = login.server_address()
	if typed != "":
		url = ServerAddress.normalize(typed)
	login.show_connecting(url)
	client.open(url)


func _on_connected(_protocol: String) -> void:
	login.apply_limits(client.limits)
	login.show_connected()


# _on_limits takes the limits of the server's hello, and knows it sends the
# player's own chat lines back.
func _on_limits(limits) -> void:
	login.apply_limits(limits)
	if world != null:
		world.chat.set_max_length(limits.chat)
		world.acks = true


func _on_register_requested(username: String, password: String, avatar_id: int) -> void:
	_credentials = [username, password]
	client.register(username, password, avatar_id)


func _on_login_requested(username: String, password: String) -> void:
	client.login(username, password)


# _on_registered logs in at once: registering does not (docs/protocol.md).
func _on_registered() -> void:
	login.show_busy("Registered. Logging in...")
	client.login(_credentials[0], _credentials[1])
	_credentials = []


func _on_denied(reason: String) -> void:
	if world != null:
		world.denied(reason) # in play, a Deny refused a chat line or a command (World.gd)
	else:
		_credentials = []
		login.show_answer(reason, true)


func _on_logged_in(_own_id: int) -> void:
	world = load("res://world/World.tscn").instance()
	world.connect("target_chosen", client, "walk_to")
	world.connect("chat_submitted", client, "say")
	world.connect("emote_chosen", self, "_on_emote_chosen")
	add_child(world)
	world.acks = client.hello
	world.chat.set_max_length(client.limits.chat)
	world.set_commands(client.limits.commands)
	if TouchText.wanted():
		var touch = TouchText.new()
		world.add_child(touch)
		touch.add(world.chat.input, "Say something")
		world.chat.input.placeholder_text = "Tap to type, then Send"
	login.visible = false
	if client.limits.commands.has("inventory"):
		client.send("inventory") # the items mod answers with the count


func _on_emote_chosen(emote: String) -> void:
	client.send("emote", [emote])


func _on_entity_entered(id: int, _kind: String, _state) -> void:
	if world != null:
		world.enter(client.entity(id), id == client.own_id)


func _on_entity_moved(id: int, intent: Dictionary) -> void:
	if world != null:
		world.move(id, intent)


func _on_entity_left(id: int, why: String) -> void:
	if world != null:
		world.leave(id, why == client.LEFT)


func _on_said(sender: String, text: String) -> void:
	if world != null:
		world.chat.add_line(sender, text)


func _on_message(kind: String, id: int, data) -> void:
	if world != null:
		world.mod_message(kind, id, data)


func _on_reconnecting(_reason: String) -> void:
	world.show_offline(RECONNECTING)


func _on_resumed() -> void:
	world.acks = client.hello
	world.resumed()


# _on_resume_refused: the server ended the session; the connection stays
# open for a Login.
func _on_resume_refused(reason: String) -> void:
	_leave_world()
	login.visible = true
	login.show_connected()
	login.show_answer(reason, true)


# _on_disconnected goes back to the login screen, saying why.
func _on_disconnected(_code: int, reason: String) -> void:
	_credentials = []
	if world != null:
		_leave_world()
		reason = "Disconnected. %s. Log in again." % reason.trim_suffix(".")
	print("godmmo: ", reason)
	login.visible = true
	login.show_offline(reason)


func _leave_world() -> void:
	if world != null:
		world.queue_free()
		world = null
