# Actor is one player's figure in the world: its avatar, its name, and how it
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
const Codec = preload("res://net/Codec.gd")

const RADIUS = 16.0
const SETTLE_AFTER = 0.5 # seconds the server's actor must stand still before an idle own actor walks to it
const OWN_NAME_COLOR = Color(1, 0.9, 0.45)

var id = -1
var is_self = false
var avatar_id = 0
var actor_name = ""
var goal = Vector2.ZERO # where the drawn actor is walking to
var speed = Codec.SPEED # how fast, in units per second, as the server said
var server_pos = Vector2.ZERO # where the server has the actor: as last heard, walked on along its intent
var server_goal = Vector2.ZERO # where the server has it walk to
var placed = false # a position has been heard of

var _server_still = 0.0 # seconds since server_pos last changed

onready var name_label: Label = $Name


func _ready() -> void:
	if is_self:
		name_label.add_color_override("font_color", OWN_NAME_COLOR)


# apply takes what a message says about this actor (Codec.MSG_ACTOR).
func apply(msg: Dictionary) -> void:
	if msg["avatar"] >= 0 and msg["avatar"] != avatar_id:
		avatar_id = msg["avatar"]
		update()
	if msg["name"] != null:
		actor_name = msg["name"]
		name_label.text = actor_name
	if msg["has_pos"]:
		_heard(Vector2(msg["x"], msg["y"]), Vector2(msg["tx"], msg["ty"]), msg["speed"])


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
	if position.distance_to(p) > Codec.RUBBER_BAND:
		position = p
		goal = target


func _process(delta: float) -> void:
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
	var s = speed if speed > 0 or not is_self else Codec.SPEED
	position = position.move_toward(goal, s * delta)


func _draw() -> void:
	Avatars.draw(self, avatar_id, Vector2(0, -RADIUS), RADIUS)
