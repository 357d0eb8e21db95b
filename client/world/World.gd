# World is the game once logged in: the ground, every player and NPC, the
# items on the ground, a camera on the player, the chat, the inventory
# count and the emote button (when the server's mods offer them), and
# clicks or taps on the ground that walk the player. Main passes it what
# the godmmo addon says (entities entering, moving and leaving, chat, mods'
# messages); it tells Main what the player does. Entities of kinds it does
# not know and messages it does not know are left out.
extends Node2D

const Actor = preload("res://world/Actor.gd")
const Item = preload("res://world/Item.gd")

signal target_chosen(pos) # the player clicked somewhere to walk to
signal chat_submitted(text) # the player said something
signal emote_chosen(emote) # the player showed an emote (button or key)

const ACTOR_KINDS = ["player", "npc"] # drawn as actors
const ITEM_KIND = "item" # drawn as an item on the ground
const EMOTE = "wave" # what the button and the key show
const EMOTE_KEY = KEY_E

onready var actors_node = $Actors
onready var camera: Camera2D = $Camera
onready var marker = $Marker
onready var chat = $UI/Hud/Chat
onready var notice: Label = $UI/Hud/Notice
onready var inventory_label: Label = $UI/Hud/Mods/Inventory
onready var emote_button: Button = $UI/Hud/Mods/Emote

var actors = {} # entity id → Actor (players and NPCs)
var items = {} # entity id → Item
var own = null # the player's own Actor
var walks = 0 # clicks or taps on the ground that walked the player
var inventory = -1 # the items the player carries, -1 until the server says
var emotes_sent = 0
var offline = false # the connection is gone for now: clicks and chat go nowhere
# The server sends the player's own chat lines back once it took them (a v2
# server that said hello): a line shows when it comes back, not when sent.
var acks = false
var _actor_scene: PackedScene = load("res://world/Actor.tscn")


func _ready() -> void:
	chat.connect("submitted", self, "_on_chat_submitted")
	emote_button.connect("pressed", self, "_emote")


# set_commands shows the controls of the server's mods' commands it knows.
func set_commands(commands: Array) -> void:
	emote_button.visible = commands.has("emote")
	inventory_label.visible = commands.has("inventory")


# enter draws an entity that came into view: e is the addon's entity(id);
# is_own, the player's own.
func enter(e: Dictionary, is_own: bool) -> void:
	var id = e["id"]
	if actors.has(id) or items.has(id):
		return
	if e["kind"] == ITEM_KIND:
		var it = Item.new()
		it.id = id
		it.item_name = e["name"]
		it.name = "Item%d" % id
		items[id] = it
		actors_node.add_child(it)
	elif ACTOR_KINDS.has(e["kind"]) or is_own:
		var a = _actor_scene.instance()
		a.id = id
		a.is_self = is_own
		a.name = "Actor%d" % id
		actors[id] = a
		actors_node.add_child(a)
		a.apply(e)
		if is_own:
			if own != null and own != a:
				leave(own.id, false)
			own = a


# move walks an entity along the server's intent for it.
func move(id: int, intent: Dictionary) -> void:
	if actors.has(id):
		actors[id].heard(intent)
	elif items.has(id):
		items[id].position = intent["to"]


# leave takes an entity away: with a note in the chat when an actor left
# the game, quietly when it only went out of view (and always for items:
# one that leaves was picked up).
func leave(id: int, left: bool) -> void:
	if items.has(id):
		items[id].queue_free()
		items.erase(id)
		return
	var a = actors.get(id)
	if a == null:
		return # never seen: nothing to remove
	actors.erase(id)
	if left:
		chat.add_note("%s left" % a.actor_name)
	if a == own:
		own = null
	a.queue_free()


# denied shows a refusal: while playing, the server refuses only what the
# player sent: a chat line (muted, too fast, too long), an emote (too
# fast), or in theory a target.
func denied(reason: String) -> void:
	chat.add_note("not sent: " + reason)


# mod_message shows what the server's mods say: an emote over the emoter's
# head, the player's inventory count. Others are left out.
func mod_message(kind: String, id: int, data) -> void:
	if typeof(data) != TYPE_DICTIONARY:
		return
	if kind == "emote" and typeof(data.get("emote")) == TYPE_STRING and actors.has(id):
		actors[id].show_emote(data["emote"])
	elif kind == "inventory" and (typeof(data.get("count")) == TYPE_INT or typeof(data.get("count")) == TYPE_REAL):
		inventory = int(data["count"])
		inventory_label.text = "Gems: %d" % inventory
		inventory_label.visible = true


# show_offline says the connection is gone for now (the addon is
# reconnecting), and keeps the world drawn.
func show_offline(text: String) -> void:
	offline = true
	notice.text = text
	# Below the hint, which takes more lines on a narrow (phone) screen.
	var hint: Control = $UI/Hud/Hint
	notice.margin_top = hint.rect_position.y + hint.rect_size.y + 8
	notice.margin_bottom = notice.margin_top + 18
	notice.visible = true


# resumed plays on after the session was resumed (the addon already said
# every other entity left view; those still around come again).
func resumed() -> void:
	offline = false
	notice.visible = false


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
	elif event is InputEventKey and event.pressed and not event.echo and event.scancode == EMOTE_KEY and emote_button.visible:
		_emote()
		get_tree().set_input_as_handled()


func _emote() -> void:
	if offline:
		return
	emotes_sent += 1
	emit_signal("emote_chosen", EMOTE)


func _on_chat_submitted(text: String) -> void:
	if offline:
		chat.add_note("not connected: \"%s\" was not sent" % text)
		return
	if not acks:
		chat.add_line(own_name(), text) # the server does not send it back
	emit_signal("chat_submitted", text)
