# Actor is one player's figure in the world: its avatar, its name, and how it
# moves between what the server says. The player's own actor walks at once
# toward a click (prediction); every other actor walks toward the last
# position the server sent. Either jumps only when more than RUBBER_BAND
# units from the server's position.
extends Node2D

const Avatars = preload("res://avatars/Avatars.gd")
const Codec = preload("res://net/Codec.gd")

const RADIUS = 16.0
const SETTLE_AFTER = 0.5 # seconds the server's position must stay put before an idle own actor walks to it
const OWN_NAME_COLOR = Color(1, 0.9, 0.45)

var id = -1
var is_self = false
var avatar_id = 0
var actor_name = ""
var goal = Vector2.ZERO # where the actor is walking to
var server_pos = Vector2.ZERO # the last position the server sent
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
		_heard(Vector2(msg["x"], msg["y"]))


# walk_to predicts the player's own walk toward a clicked point.
func walk_to(p: Vector2) -> void:
	goal = p


func is_walking() -> bool:
	return position != goal


func _heard(p: Vector2) -> void:
	if p != server_pos:
		_server_still = 0.0
	server_pos = p
	if not placed:
		placed = true
		position = p
		goal = p
		return
	if not is_self:
		goal = p
	if position.distance_to(p) > Codec.RUBBER_BAND:
		position = p
		goal = p


func _process(delta: float) -> void:
	_server_still += delta
	if is_self and placed and not is_walking() and _server_still > SETTLE_AFTER and position.distance_to(server_pos) > 1.0:
		# The server stopped somewhere else (say, at the edge of the world).
		goal = server_pos
	position = position.move_toward(goal, Codec.SPEED * delta)


func _draw() -> void:
	Avatars.draw(self, avatar_id, Vector2(0, -RADIUS), RADIUS)
