# Client is one player's session with a godmmo server, for any Godot 3 game
# (docs/client.md, "Use godmmo in your own Godot project"). Add it as a node
# (or an autoload), call open(url), and hear what happens through its
# signals; it knows no scene of the game.
#
# It asks for protocol v2 (the subprotocol "godmmo.v2") and falls back to
# v1 when a server does not speak it; keeps the limits and the mods' lists
# of the server's hello (limits); logs in; and when a v2 connection drops
# while playing, reconnects by itself with backoff and resumes the session
# with the server's token: the game sees reconnecting, then resumed (or
# resume_refused, or disconnected), and keeps its world drawn meanwhile.
extends Node

const Connection = preload("res://addons/godmmo/Connection.gd")
const Codec = preload("res://addons/godmmo/Codec.gd")
const CodecV1 = preload("res://addons/godmmo/CodecV1.gd")
const CodecV2 = preload("res://addons/godmmo/CodecV2.gd")
const Limits = preload("res://addons/godmmo/Limits.gd")
const Intent = preload("res://addons/godmmo/Intent.gd")

signal connected(protocol) # "v2" or "v1": register and login may be called
signal limits_changed(limits) # the server's hello (v2): a Limits
signal registered # the server took a register(); log in with login()
signal logged_in(own_id) # the player's own entity's id; its entity_entered follows
signal denied(reason) # a request was refused: a register, a login, a chat line, a mod's command
signal entity_entered(id, kind, state) # in view; kind PLAYER or a mod's kind; entity(id) has its name; entity_moved follows
signal entity_moved(id, intent) # where it walks now (Intent.gd)
signal entity_left(id, why) # LEFT the game (an item: picked up) or OUT of view
signal said(name, text) # a chat line (the player's own too, over v2, once the server took it)
signal message(kind, id, data) # a mod's message about entity id (v2 only), e.g. "emote", {"emote": "wave"}
signal reconnecting(reason) # the connection dropped while playing: trying to resume
signal resumed # the session goes on; every entity but the player's own is sent again
signal resume_refused(reason) # the server ended the session; connected: login() may be called
signal disconnected(code, reason) # the connection ended and the client stays off: the close code (-1 without one), a sentence

const V2 = "godmmo.v2"
const PLAYER = Codec.PLAYER
const LEFT = "left"
const OUT = "out"

const RESUME_FOR_MSEC = 30000 # how long to try to resume (the server's default grace)
const FIRST_RETRY_MSEC = 500 # the wait before the first attempt; it doubles after each
const MAX_RETRY_MSEC = 8000
const ATTEMPT_MSEC = 5000 # an attempt that has not resumed by then is given up

# Read these; the client sets them.
var url = "" # the server, as given to open()
var protocol = "" # "v2" or "v1" while connected
var limits = Limits.new() # the server's limits and mods' lists (its hello's, else built-in)
var hello = false # the server said hello on this connection: it sends the player's own chat lines back
var own_id = 0 # the player's own entity while logged in, else 0
var token = "" # resumes the session (v2), from the last Ok; "" for none
var pending = "" # the request waiting for an answer: "register", "login", "resume" or ""
var attempts = 0 # connections made to resume since the connection was lost
var resumes = 0 # sessions resumed on a new connection
var resuming = false # reconnecting to resume the session
# Set these before open() to change them.
var ask_v2 = true # false: ask for no subprotocol, so any server speaks v1
var resume_for_msec = RESUME_FOR_MSEC # how long to try to resume

var _connection = Connection.new()
var _codec = null
var _entities = {} # id → {id, name, avatar, kind, state, intent}
var _own_next = false # the next entity is the player's own (after a login or resume)
var _credentials = [] # [username, password] of the last login
var _resume_until = 0
var _retry_wait = FIRST_RETRY_MSEC
var _next_attempt = 0 # when to connect again; 0 while an attempt is under way
var _attempt_until = 0 # when the attempt under way is given up
var _lost_reason = ""


func _ready() -> void:
	_connection.name = "Connection"
	add_child(_connection)
	_connection.connect("connected", self, "_on_connected")
	_connection.connect("disconnected", self, "_on_disconnected")
	_connection.connect("packet_received", self, "_on_packet")


# open connects to url ("ws://host:port/" or "wss://…"): connected or
# disconnected follows.
func open(to_url: String) -> void:
	_stop_resuming()
	_forget()
	url = to_url
	_connection.open(url, [V2] if ask_v2 else [])


# close ends the connection and the session without a disconnected signal.
func close() -> void:
	_stop_resuming()
	_forget()
	_connection.close()
	protocol = ""


func is_open() -> bool:
	return _connection.is_open()


# is_playing: logged in, on a connection or reconnecting to resume.
func is_playing() -> bool:
	return own_id != 0


# register asks for a new account (avatar 0–5); registered or denied follows.
func register(username: String, password: String, avatar: int) -> bool:
	pending = "register"
	return _connection.send(_codec.register(username, password, avatar)) if _codec != null else false


# login logs in; logged_in or denied follows.
func login(username: String, password: String) -> bool:
	pending = "login"
	_credentials = [username, password]
	return _connection.send(_codec.login(username, password)) if _codec != null else false


# walk_to sends the player's entity walking to p (the server clamps it to the world).
func walk_to(p: Vector2) -> bool:
	return _send_playing(_codec.target(p) if _codec != null else "")


# say sends a chat line.
func say(text: String) -> bool:
	var sender = ""
	if own_id != 0 and _entities.has(own_id):
		sender = _entities[own_id]["name"]
	return _send_playing(_codec.chat(sender, text) if _codec != null else "")


# send sends a mod's command with its arguments, e.g. send("emote",
# ["wave"]); what the mod answers comes as message, a refusal as denied.
# The server's commands are in limits.commands (v2).
func send(command: String, args: Array = []) -> bool:
	return _send_playing(_codec.command(command, args) if _codec != null else "")


# entity is what the client knows of an entity in view: {id, name, avatar,
# kind, state, intent}, or null.
func entity(id: int):
	return _entities.get(id)


# entity_ids are the entities in view, the player's own included.
func entity_ids() -> Array:
	return _entities.keys()


# position_of is where the server has entity id at msec (now by default).
func position_of(id: int, msec: int = -1) -> Vector2:
	var e = _entities.get(id)
	if e == null:
		return Vector2.ZERO
	return Intent.position_at(e["intent"], OS.get_ticks_msec() if msec < 0 else msec)


func _send_playing(text: String) -> bool:
	if text == "" or resuming or own_id == 0:
		return false
	return _connection.send(text)


func _on_connected(chosen: String) -> void:
	_codec = CodecV2.new() if chosen == V2 else CodecV1.new()
	protocol = _codec.version
	print("godmmo: connected to %s, speaking protocol %s" % [url, protocol])
	hello = false
	if resuming:
		print("godmmo: resuming the session")
		pending = "resume"
		_connection.send(_codec.resume(token))
		return
	limits.reset() # maybe another server: its limits come with its hello
	emit_signal("connected", protocol)


func _on_disconnected(reason: String) -> void:
	pending = ""
	if resuming:
		if _connection.ended == Connection.End.CLOSED:
			_end(reason) # the server ended it: a shutdown, a kick
		else:
			print("godmmo: reconnecting failed: ", reason)
			_retry()
		return
	if own_id != 0 and token != "" and _connection.ended == Connection.End.LOST:
		_start_resuming(reason)
		return
	_end(reason)


# _end ends the session and says why.
func _end(reason: String) -> void:
	_stop_resuming()
	_forget()
	protocol = ""
	print("godmmo: ", reason)
	emit_signal("disconnected", _connection.close_code, reason)


func _forget() -> void:
	token = ""
	own_id = 0
	pending = ""
	_own_next = false
	_entities.clear()


func _stop_resuming() -> void:
	resuming = false
	_next_attempt = 0
	_attempt_until = 0


# _start_resuming reconnects: after FIRST_RETRY_MSEC, then twice as long
# after each failed attempt (up to MAX_RETRY_MSEC), until resume_for_msec
# have passed.
func _start_resuming(reason: String) -> void:
	print("godmmo: %s; reconnecting to resume the session" % reason)
	resuming = true
	_lost_reason = reason
	_resume_until = OS.get_ticks_msec() + resume_for_msec
	_retry_wait = FIRST_RETRY_MSEC
	attempts = 0
	emit_signal("reconnecting", reason)
	_retry()


# _retry waits for the next attempt, or gives up when the time is over.
func _retry() -> void:
	_attempt_until = 0
	var now = OS.get_ticks_msec()
	if now + _retry_wait > _resume_until:
		_end("%s, and the server could not be reached again" % _lost_reason.trim_suffix("."))
		return
	_next_attempt = now + _retry_wait
	_retry_wait = min(_retry_wait * 2, MAX_RETRY_MSEC)


func _process(_delta: float) -> void:
	if not resuming:
		return
	var now = OS.get_ticks_msec()
	if _next_attempt > 0 and now >= _next_attempt:
		_next_attempt = 0
		_attempt_until = now + ATTEMPT_MSEC
		attempts += 1
		print("godmmo: reconnecting to %s (attempt %d)" % [url, attempts])
		_connection.open(url, [V2], false) # only v2 resumes
	elif _attempt_until > 0 and now >= _attempt_until:
		print("godmmo: reconnecting timed out")
		_connection.close()
		pending = ""
		_retry()


func _on_packet(text: String) -> void:
	for msg in _codec.decode(text):
		_handle(msg)


func _handle(msg: Dictionary) -> void:
	var kind = msg["kind"]
	if kind == Codec.MSG_IGNORED:
		print("godmmo: ignored a packet: ", msg["why"])
	elif kind == Codec.MSG_HELLO:
		hello = true
		limits.heard(msg["limits"])
		print("godmmo: the server takes usernames of up to %d characters, passwords of up to %d bytes, chat lines of up to %d characters" % [limits.username, limits.password, limits.chat])
		emit_signal("limits_changed", limits)
	elif kind == Codec.MSG_OK:
		_on_ok(msg)
	elif kind == Codec.MSG_DENY:
		_on_deny(msg["reason"])
	elif kind == Codec.MSG_ACTOR:
		_on_entity(msg)
	elif kind == Codec.MSG_CHAT:
		emit_signal("said", msg["sender"], msg["text"])
	elif kind == Codec.MSG_GONE:
		_remove(msg["id"], LEFT)
	elif kind == Codec.MSG_OUT:
		_remove(msg["id"], OUT)
	elif kind == Codec.MSG_MOD:
		emit_signal("message", msg["name"], msg["id"], msg["data"])


func _on_ok(msg: Dictionary) -> void:
	var was = pending
	pending = ""
	if was == "register":
		emit_signal("registered")
	elif was == "login":
		token = msg.get("token", "")
		_own_next = true
	elif was == "resume":
		print("godmmo: session resumed")
		_stop_resuming()
		token = msg.get("token", "")
		resumes += 1
		# The server sends the player's own entity, then everyone in view
		# again: forget the others (those still around come back).
		for id in _entities.keys():
			if id != own_id:
				_remove(id, OUT)
		_own_next = true
		emit_signal("resumed")


func _on_deny(reason: String) -> void:
	var was = pending
	pending = ""
	if was == "resume":
		print("godmmo: resuming refused: ", reason)
		_stop_resuming()
		_forget()
		emit_signal("resume_refused", reason)
		return
	emit_signal("denied", reason)


func _on_entity(msg: Dictionary) -> void:
	var id = msg["id"]
	if _own_next:
		_own_next = false
		if own_id != id:
			if own_id != 0:
				_remove(own_id, OUT) # not the entity it had: start over with this one
			own_id = id
			emit_signal("logged_in", id)
	var e = _entities.get(id)
	var entered = e == null
	if entered:
		if msg["name"] == null:
			return # news of an entity never seen in full: nothing to show
		e = {"id": id, "name": msg["name"], "avatar": int(max(msg["avatar"], 0)), "kind": msg["entity"], "state": msg["state"], "intent": null}
		_entities[id] = e
	else:
		if msg["name"] != null:
			e["name"] = msg["name"]
		if msg["avatar"] >= 0:
			e["avatar"] = msg["avatar"]
	var now = OS.get_ticks_msec()
	if msg["has_pos"]:
		# A walk the server sent late started that much before it arrived,
		# so the intent puts the entity where it is now, not where it was.
		var started = now - int(round(msg["late"] * 1000.0))
		e["intent"] = Intent.make(Vector2(msg["x"], msg["y"]), Vector2(msg["tx"], msg["ty"]), msg["speed"], started)
	elif e["intent"] == null:
		e["intent"] = Intent.make(Vector2.ZERO, Vector2.ZERO, 0.0, now)
	if entered:
		emit_signal("entity_entered", id, e["kind"], e["state"])
	if msg["has_pos"] or entered:
		emit_signal("entity_moved", id, e["intent"])


func _remove(id: int, why: String) -> void:
	if not _entities.has(id):
		return # never seen: nothing to remove
	_entities.erase(id)
	emit_signal("entity_left", id, why)
