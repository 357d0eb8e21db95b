# Main runs the client: it connects, shows the login screen until the server
# lets the player in, then the world, and the login screen again (with the
# reason) when the connection ends. When a v2 connection drops while
# playing, it keeps the world on the screen and reconnects by itself to
# resume the session with the server's token (see _start_resuming); only when
# the server refuses the token, or it cannot be reached in resume_for_msec,
# is it the login screen again. Packets go through the codec of the
# protocol the server chose (see net/Protocol.gd), both ways. The limits of
# the server's hello (net/Limits.gd) go to the login form and the chat
# input, and after a hello the player's own chat lines show when the server
# sends them back, not when sent (World.acks). It also keeps
# the UI scaled to the window (ui/Screen.gd) and, in a browser page opened
# with ?state, publishes what the player sees to the page (web/PageState.gd).
extends Node

const Codec = preload("res://net/Codec.gd")
const Protocol = preload("res://net/Protocol.gd")
const ServerAddress = preload("res://net/ServerAddress.gd")
const Screen = preload("res://ui/Screen.gd")
const PageState = preload("res://web/PageState.gd")
const TouchText = preload("res://web/TouchText.gd")

enum Pending { NONE, REGISTER, LOGIN, RESUME }

const Connection = preload("res://net/Connection.gd")
const Limits = preload("res://net/Limits.gd")

const RESUME_FOR_MSEC = 30000 # how long to try to resume (the server's default grace)
const FIRST_RETRY_MSEC = 500 # the wait before the first attempt; it doubles after each
const MAX_RETRY_MSEC = 8000
const ATTEMPT_MSEC = 5000 # an attempt that has not resumed by then is given up
const RECONNECTING = "Connection lost, reconnecting..."

onready var connection = $Connection
onready var login = $Login

var url = ""
var codec = null # the chosen protocol's codec, once connected
var world = null # the World while playing
var ui_scale = 1.0 # window pixels per logical unit (ui/Screen.gd)
var _fitted = Vector2.ZERO # the logical size last set
var _pending = Pending.NONE
var _credentials = [] # [username, password] of a Register, to log in with once it is Ok
var token = "" # resumes the session in play (v2), from the last Ok; "" for none
var resumes = 0 # sessions resumed on a new connection
var attempts = 0 # connections made to resume since the connection was lost
var resume_for_msec = RESUME_FOR_MSEC # how long to try (a test may shorten it)
var _resuming = false # reconnecting to resume the session
var _resume_until = 0 # OS.get_ticks_msec() when to stop trying
var _retry_wait = FIRST_RETRY_MSEC
var _next_attempt = 0 # when to connect again; 0 while an attempt is under way
var _attempt_until = 0 # when the attempt under way is given up
var _lost_reason = "" # how the connection was lost, for the login screen
var limits = Limits.new() # what the server takes (its hello's, or the built-in ones)
var hello = false # the server said hello on this connection


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
	connection.connect("connected", self, "_on_connected")
	connection.connect("disconnected", self, "_on_disconnected")
	connection.connect("packet_received", self, "_on_packet")
	login.connect("register_requested", self, "_on_register_requested")
	login.connect("login_requested", self, "_on_login_requested")
	login.connect("retry_requested", self, "_connect_to_server")
	_connect_to_server()


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
	_resuming = false
	var typed = login.server_address()
	if typed != "":
		url = ServerAddress.normalize(typed)
	login.show_connecting(url)
	connection.open(url, Protocol.requested(OS.get_cmdline_args()))


func _on_connected(protocol: String) -> void:
	codec = Protocol.codec_for(protocol)
	print("godmmo: connected to %s, speaking protocol %s" % [url, codec.version])
	hello = false
	if _resuming:
		print("godmmo: resuming the session")
		_pending = Pending.RESUME
		connection.send(codec.resume(token))
		return
	limits.reset() # maybe another server: its limits come with its hello
	login.apply_limits(limits)
	login.show_connected()


func _on_disconnected(reason: String) -> void:
	_pending = Pending.NONE
	_credentials = []
	if _resuming:
		if connection.ended == Connection.End.CLOSED:
			_end_session(reason) # the server ended it: a shutdown, a kick
		else:
			print("godmmo: reconnecting failed: ", reason)
			_retry()
		return
	if world != null and token != "" and connection.ended == Connection.End.LOST:
		_start_resuming(reason)
		return
	_end_session(reason)


# _end_session goes back to the login screen, saying why.
func _end_session(reason: String) -> void:
	_resuming = false
	token = ""
	if world != null:
		world.queue_free()
		world = null
		reason = "Disconnected. %s. Log in again." % reason.trim_suffix(".")
	print("godmmo: ", reason)
	login.visible = true
	login.show_offline(reason)


# _start_resuming keeps the world on the screen, says the connection is
# lost, and reconnects: after FIRST_RETRY_MSEC, then twice as long after
# each failed attempt (up to MAX_RETRY_MSEC), until resume_for_msec have
# passed.
func _start_resuming(reason: String) -> void:
	print("godmmo: %s; reconnecting to resume the session" % reason)
	_resuming = true
	_lost_reason = reason
	_resume_until = OS.get_ticks_msec() + resume_for_msec
	_retry_wait = FIRST_RETRY_MSEC
	attempts = 0
	world.show_offline(RECONNECTING)
	_retry()


# _retry waits for the next attempt, or gives up when the time is over.
func _retry() -> void:
	_attempt_until = 0
	var now = OS.get_ticks_msec()
	if now + _retry_wait > _resume_until:
		_end_session("%s, and the server could not be reached again" % _lost_reason.trim_suffix("."))
		return
	_next_attempt = now + _retry_wait
	_retry_wait = min(_retry_wait * 2, MAX_RETRY_MSEC)


func _process(_delta: float) -> void:
	if not _resuming:
		return
	var now = OS.get_ticks_msec()
	if _next_attempt > 0 and now >= _next_attempt:
		_next_attempt = 0
		_attempt_until = now + ATTEMPT_MSEC
		attempts += 1
		print("godmmo: reconnecting to %s (attempt %d)" % [url, attempts])
		connection.open(url, [Protocol.V2], false) # only v2 resumes
	elif _attempt_until > 0 and now >= _attempt_until:
		print("godmmo: reconnecting timed out")
		connection.close()
		_pending = Pending.NONE
		_retry()


# _resumed carries on playing on the new connection.
func _resumed(next_token: String) -> void:
	print("godmmo: session resumed")
	_resuming = false
	_attempt_until = 0
	_pending = Pending.NONE
	token = next_token
	resumes += 1
	world.acks = hello
	world.resumed()


# _resume_refused ends the session the server would not resume; the
# connection stays open for a Login.
func _resume_refused(reason: String) -> void:
	print("godmmo: resuming refused: ", reason)
	_resuming = false
	_attempt_until = 0
	_pending = Pending.NONE
	token = ""
	world.queue_free()
	world = null
	login.visible = true
	login.show_connected()
	login.show_answer(reason, true)


func _on_register_requested(username: String, password: String, avatar_id: int) -> void:
	_pending = Pending.REGISTER
	_credentials = [username, password]
	connection.send(codec.register(username, password, avatar_id))


func _on_login_requested(username: String, password: String) -> void:
	_pending = Pending.LOGIN
	connection.send(codec.login(username, password))


func _on_packet(text: String) -> void:
	for msg in codec.decode(text):
		_handle(msg)


func _handle(msg: Dictionary) -> void:
	var kind = msg["kind"]
	if kind == Codec.MSG_IGNORED:
		print("godmmo: ignored a packet: ", msg["why"])
	elif kind == Codec.MSG_HELLO:
		_on_hello(msg["limits"])
	elif _pending == Pending.RESUME:
		if kind == Codec.MSG_OK:
			_resumed(msg.get("token", ""))
		elif kind == Codec.MSG_DENY:
			_resume_refused(msg["reason"])
		# nothing else comes before the answer
	elif world != null:
		world.apply(msg) # in play, a Deny refused a chat line (World.gd)
	elif kind == Codec.MSG_OK:
		if _pending == Pending.REGISTER:
			# Registering does not log in (docs/protocol.md): do it now.
			login.show_busy("Registered. Logging in...")
			_on_login_requested(_credentials[0], _credentials[1])
			_credentials = []
			return
		elif _pending == Pending.LOGIN:
			token = msg.get("token", "")
			_enter_world()
		_pending = Pending.NONE
	elif kind == Codec.MSG_DENY:
		_pending = Pending.NONE
		_credentials = []
		login.show_answer(msg["reason"], true)


# _on_hello takes the limits of the server's hello, and knows it sends the
# player's own chat lines back.
func _on_hello(said: Dictionary) -> void:
	hello = true
	limits.heard(said)
	print("godmmo: the server takes usernames of up to %d characters, passwords of up to %d bytes, chat lines of up to %d characters" % [limits.username, limits.password, limits.chat])
	login.apply_limits(limits)
	if world != null:
		world.chat.set_max_length(limits.chat)
		world.acks = true


func _enter_world() -> void:
	world = load("res://world/World.tscn").instance()
	world.connect("target_chosen", self, "_on_target_chosen")
	world.connect("chat_submitted", self, "_on_chat_submitted")
	add_child(world)
	world.acks = hello
	world.chat.set_max_length(limits.chat)
	if TouchText.wanted():
		var touch = TouchText.new()
		world.add_child(touch)
		touch.add(world.chat.input, "Say something")
		world.chat.input.placeholder_text = "Tap to type, then Send"
	login.visible = false


func _on_target_chosen(pos: Vector2) -> void:
	connection.send(codec.target(pos))


func _on_chat_submitted(text: String) -> void:
	connection.send(codec.chat(world.own_name(), text))
