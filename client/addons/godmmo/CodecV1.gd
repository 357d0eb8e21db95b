# CodecV1 speaks wire protocol v1 (docs/protocol.md), the original tutorial
# client's: one {"a": action, "p0": …} object per message, actors as models
# and deltas that say where an actor is, not where it goes.
extends "res://addons/godmmo/Codec.gd"


func _init() -> void:
	version = "v1"


func register(username: String, password: String, avatar: int) -> String:
	return _packet("Register", [username, password, avatar])


func login(username: String, password: String) -> String:
	return _packet("Login", [username, password])


func chat(sender: String, text: String) -> String:
	return _packet("Chat", [sender, text])


func target(pos: Vector2) -> String:
	return _packet("Target", [pos.x, pos.y])


# command writes a mod's command like the core's actions: {"a": name, "p0": …}.
func command(name: String, args: Array) -> String:
	return _packet(name, args)


# _packet writes {"a": action, "p0": …, "p1": …} with the keys in that order:
# the original client and server read payloads by position.
func _packet(action: String, payloads: Array) -> String:
	var parts = PoolStringArray(['"a":' + to_json(action)])
	for i in range(payloads.size()):
		parts.append('"p%d":%s' % [i, to_json(payloads[i])])
	return "{" + parts.join(",") + "}"


# decode reads one v1 packet: one message.
func decode(text: String) -> Array:
	return [_decode(text)]


func _decode(text: String) -> Dictionary:
	var d = parse(text)
	if d == null:
		return ignored("not JSON: " + text.substr(0, 80))
	if typeof(d) != TYPE_DICTIONARY or typeof(d.get("a")) != TYPE_STRING:
		return ignored("no action: " + text.substr(0, 80))
	var p = []
	while d.has("p%d" % p.size()):
		p.append(d["p%d" % p.size()])
	match d["a"]:
		"Ok":
			return {"kind": MSG_OK}
		"Deny":
			if p.size() >= 1:
				return {"kind": MSG_DENY, "reason": str(p[0])}
		"Chat":
			if p.size() >= 2:
				return {"kind": MSG_CHAT, "sender": str(p[0]), "text": str(p[1])}
		"Disconnect":
			# v1 has no "out of view": an actor that leaves a view is
			# Disconnected too, and sent in full again when it comes back.
			if p.size() >= 1 and is_number(p[0]):
				return {"kind": MSG_GONE, "id": int(p[0])}
		"ModelDelta":
			if p.size() >= 1 and typeof(p[0]) == TYPE_DICTIONARY:
				return _actor(p[0])
	return ignored("unexpected packet: " + text.substr(0, 80))


func _actor(m: Dictionary) -> Dictionary:
	if not is_number(m.get("id")):
		return ignored("model without id")
	var msg = actor_msg(int(m["id"]))
	if is_number(m.get("avatar_id")):
		msg["avatar"] = int(m["avatar_id"])
	var ie = m.get("instanced_entity")
	if typeof(ie) == TYPE_DICTIONARY:
		# A position counts only with both coordinates. v1 says where an
		# actor is; the client walks it there.
		if is_number(ie.get("x")) and is_number(ie.get("y")):
			msg["has_pos"] = true
			msg["x"] = float(ie["x"])
			msg["y"] = float(ie["y"])
			msg["tx"] = msg["x"]
			msg["ty"] = msg["y"]
		var ent = ie.get("entity")
		if typeof(ent) == TYPE_DICTIONARY and typeof(ent.get("name")) == TYPE_STRING:
			msg["name"] = ent["name"]
	return msg
