# Intent is where an entity is at a moment: the server says where it was
# at a tick and where it walks to at what speed (v2; v1 says only where it
# is), and every game draws it from that. An intent is a Dictionary that
# Client.gd emits with entity_moved: {"from": Vector2, "to": Vector2,
# "speed": units per second, "msec": OS.get_ticks_msec() when the entity
# was at "from"}: when the news was heard, less how late the server sent
# it, so position_at is where the entity is from the first frame.
#   const Intent = preload("res://addons/godmmo/Intent.gd")
#   node.position = Intent.position_at(intent, OS.get_ticks_msec())
extends Reference


# position_at is where intent puts its entity at msec: from "from" toward
# "to" at "speed", standing at "to" once there.
static func position_at(intent: Dictionary, msec: int) -> Vector2:
	var seconds = max(0, msec - intent["msec"]) / 1000.0
	return intent["from"].move_toward(intent["to"], intent["speed"] * seconds)


# is_walking says whether intent's entity is still on its way at msec.
static func is_walking(intent: Dictionary, msec: int) -> bool:
	return position_at(intent, msec) != intent["to"]


# make is an intent whose entity was at from at msec.
static func make(from: Vector2, to: Vector2, speed: float, msec: int) -> Dictionary:
	return {"from": from, "to": to, "speed": speed, "msec": msec}
