# Actor is one player's or NPC's figure in the world: its avatar, its name
# (an NPC's in another colour), an emote's bubble over its head, and how it
# moves between what the server says. The server says where an actor is and
# where it walks to (v2: its intent; v1: only where it is, so there it
# "walks to" where it is). The client walks its own copy of the server's
# actor along that intent (server_pos), and draws:
# - every other actor walking toward the server's target for it;
# - the player's own actor walking at once toward a click (prediction).
# Either jumps only when more than RUBBER_BAND units from the server's
# position, so they never teleport on each packet.
extends Node2D

const Avatars = preload("res://avatars/Avatars.gd")
const Intent = preload("res://addons/godmmo/Intent.gd")

const RADIUS = 16.0
const SPEED = 70.0 # a player's speed, for the player's own predicted walk
const RUBBER_BAND = 200.0 # farther than this from the server, an actor jumps
const BUBBLE_MSEC = 3000 # how long an emote shows
const SETTLE_AFTER = 0.5 # seconds the server's actor must stand still before an idle own actor walks to it
const OWN_NAME_COLOR = Color(1, 0.9, 0.45)
const NPC_NAME_COLOR = Color(0.6, 0.85, 1)
const BUBBLE_STYLE_COLOR = Color(1, 1, 1, 0.92)

var id = -1
var is_self = false
var avatar_id = 0
var actor_name = ""
var kind = "player" # or "npc"
var emote = "" # the emote in the bubble, "" when none shows
var emotes = 0 # emotes shown since it came into view
var goal = Vector2.ZERO # where the drawn actor is walking to
var speed = SPEED # how fast, in units per second, as the server said
var server_pos = Vector2.ZERO # where the server has the actor: as last heard, walked on along its intent
var server_goal = Vector2.ZERO # where the server has it walk to
var placed = false # a position has been heard of

var _server_still = 0.0 # seconds since server_pos last changed
var _emote_until = 0 # OS.get_ticks_msec() when the bubble goes

onready var name_label: Label = $Name
onready var bubble: Label = $Bubble


func _ready() -> void:
	if is_self:
		name_label.add_color_override("font_color", OWN_NAME_COLOR)
	var style = StyleBoxFlat.new()
	style.bg_color = BUBBLE_STYLE_COLOR
	style.set_corner_radius_all(6)
	style.content_margin_left = 6
	style.content_margin_right = 6
	style.content_margin_top = 2
	style.content_margin_bottom = 2
	bubble.add_stylebox_override("normal", style)


# apply takes an entity's looks: the addon's entity(id) ({name, avatar, kind}).
func apply(e: Dictionary) -> void:
	if e["avatar"] != avatar_id:
		avatar_id = e["avatar"]
		update()
	actor_name = e["name"]
	name_label.text = actor_name
	kind = e["kind"]
	if kind != "player" and not is_self:
		name_label.add_color_override("font_color", NPC_NAME_COLOR)


# heard takes where the server has the actor walk now (the addon's
# intent), placing it where the intent has it at msec (now by default): a
# walk the server sent late is already under way.
func heard(intent: Dictionary, msec: int = -1) -> void:
	var at = Intent.position_at(intent, OS.get_ticks_msec() if msec < 0 else msec)
	_heard(at, intent["to"], intent["speed"])


# show_emote shows emote in a bubble over the actor's head for a while.
func show_emote(what: String) -> void:
	emote = what
	emotes += 1
	bubble.text = what
	bubble.visible = true
	_emote_until = OS.get_ticks_msec() + BUBBLE_MSEC


# walk_to predicts the player's own walk toward a clicked point.
func walk_to(p: Vector2) -> void:
	goal = p
	_server_still = 0.0 # the server will move too: give it time to say so


func is_walking() -> bool:
	return position != goal


func _heard(p: Vector2, target: Vector2, walk_speed: float) -> void:
	if p != server_pos or target != server_goal:
		_server_still = 0.0
	server_pos = p
	server_goal = target
	speed = walk_speed
	if not placed:
		placed = true
		position = p
		goal = target
		return
	if not is_self:
		goal = target
	if position.distance_to(p) > RUBBER_BAND:
		position = p
		goal = target


func _process(delta: float) -> void:
	if emote != "" and OS.get_ticks_msec() >= _emote_until:
		emote = ""
		bubble.visible = false
	var was = server_pos
	server_pos = server_pos.move_toward(server_goal, speed * delta)
	if server_pos != was:
		_server_still = 0.0
	else:
		_server_still += delta
	if is_self and placed and not is_walking() and _server_still > SETTLE_AFTER and position.distance_to(server_pos) > 1.0:
		# The server stopped somewhere else (say, at the edge of the world).
		goal = server_pos
	# The player's own walk is predicted even if the server said speed 0.
	var s = speed if speed > 0 or not is_self else SPEED
	position = position.move_toward(goal, s * delta)


func _draw() -> void:
	Avatars.draw(self, avatar_id, Vector2(0, -RADIUS), RADIUS)
