# World is the game once logged in: the ground, every actor, a camera on the
# player, the chat, and clicks or taps on the ground that walk the player.
# It hears decoded messages from Main and tells Main what the player does.
extends Node2D

const Codec = preload("res://net/Codec.gd")

signal target_chosen(pos) # the player clicked somewhere to walk to
signal chat_submitted(text) # the player said something

onready var actors_node = $Actors
onready var camera: Camera2D = $Camera
onready var marker = $Marker
onready var chat = $UI/Hud/Chat
onready var notice: Label = $UI/Hud/Notice

var actors = {} # actor id → Actor
var own = null # the player's own Actor, the first actor heard of
var walks = 0 # clicks or taps on the ground that walked the player
var offline = false # the connection is gone for now: clicks and chat go nowhere
# The server sends the player's own chat lines back once it took them (a v2
# server that said hello): a line shows when it comes back, not when sent.
var acks = false
var _own_next = false # the next actor to come is the player's own (after a resume)
var _actor_scene: PackedScene = load("res://world/Actor.tscn")


func _ready() -> void:
	chat.connect("submitted", self, "_on_chat_submitted")


# apply takes one decoded message (see Codec.gd) meant for the world.
func apply(msg: Dictionary) -> void:
	var kind = msg["kind"]
	if kind == Codec.MSG_ACTOR:
		_apply_actor(msg)
	elif kind == Codec.MSG_CHAT:
		chat.add_line(msg["sender"], msg["text"])
	elif kind == Codec.MSG_GONE:
		_remove(msg["id"], true)
	elif kind == Codec.MSG_OUT:
		_remove(msg["id"], false)
	elif kind == Codec.MSG_DENY:
		# While playing, the server refuses only what the player sent: a
		# chat line (muted, too fast, too long) or, in theory, a target.
		chat.add_note("not sent: " + msg["reason"])


# show_offline says the connection is gone for now (Main is reconnecting),
# and keeps the world drawn.
func show_offline(text: String) -> void:
	offline = true
	notice.text = text
	# Below the hint, which takes more lines on a narrow (phone) screen.
	var hint: Control = $UI/Hud/Hint
	notice.margin_top = hint.rect_position.y + hint.rect_size.y + 8
	notice.margin_bottom = notice.margin_top + 18
	notice.visible = true


# resumed starts over on a new connection that resumed the session: the
# server sends the player's own actor first, then everyone in view again,
# so every other actor is forgotten (those still around come back).
func resumed() -> void:
	offline = false
	notice.visible = false
	for id in actors.keys():
		if actors[id] != own:
			_remove(id, false)
	_own_next = true


# own_name is the name the server knows the player by.
func own_name() -> String:
	if own == null or own.actor_name == "":
		return "me"
	return own.actor_name


# actor_named finds an actor by name, or null.
func actor_named(actor_name: String):
	for a in actors.values():
		if a.actor_name == actor_name:
			return a
	return null


func _apply_actor(msg: Dictionary) -> void:
	if _own_next:
		_own_next = false
		if own != null and own.id != msg["id"]:
			_remove(own.id, false) # not the actor it had: start over with this one
	var a = actors.get(msg["id"])
	if a == null:
		if msg["name"] == null:
			return # news of an actor never seen in full: nothing to draw
		a = _actor_scene.instance()
		a.id = msg["id"]
		a.is_self = own == null
		a.name = "Actor%d" % a.id
		actors[a.id] = a
		actors_node.add_child(a)
		if a.is_self:
			own = a
	a.apply(msg)


# _remove takes an actor away: with a note in the chat when it left the
# game, quietly when it only went out of view.
func _remove(id: int, left: bool) -> void:
	var a = actors.get(id)
	if a == null:
		return # never seen: nothing to remove
	actors.erase(id)
	if left:
		chat.add_note("%s left" % a.actor_name)
	if a == own:
		own = null
	a.queue_free()


func _process(_delta: float) -> void:
	if own != null:
		camera.position = own.position


func _unhandled_input(event: InputEvent) -> void:
	if event is InputEventMouseButton and event.pressed and event.button_index == BUTTON_LEFT:
		chat.release_input_focus()
		if own != null and not offline:
			var p = get_canvas_transform().affine_inverse().xform(event.position)
			own.walk_to(p)
			marker.show_at(p)
			walks += 1
			emit_signal("target_chosen", p)
		get_tree().set_input_as_handled()
	elif event is InputEventKey and event.pressed and (event.scancode == KEY_ENTER or event.scancode == KEY_KP_ENTER):
		chat.focus_input()
		get_tree().set_input_as_handled()


func _on_chat_submitted(text: String) -> void:
	if offline:
		chat.add_note("not connected: \"%s\" was not sent" % text)
		return
	if not acks:
		chat.add_line(own_name(), text) # the server does not send it back
	emit_signal("chat_submitted", text)
