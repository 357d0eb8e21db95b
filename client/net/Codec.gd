# Codec is the one place that knows wire protocol v1 (shared/PROTOCOL.md):
# it turns the client's requests into v1 JSON text and v1 JSON text into
# plain messages (Dictionaries with a "kind") the rest of the client reads.
# A later protocol version is a second codec with the same functions.
extends Reference

const SPEED = 70.0 # units per second every actor walks at
const RUBBER_BAND = 200.0 # farther than this from the server, an actor jumps

# Message kinds decode() returns.
const MSG_OK = "ok" # {}
const MSG_DENY = "deny" # {reason}
const MSG_ACTOR = "actor" # {id, avatar, name, has_pos, x, y}; avatar -1 / name null when absent
const MSG_CHAT = "chat" # {sender, text}
const MSG_GONE = "gone" # {id}
const MSG_IGNORED = "ignored" # {why}: not understood; the client carries on


static func register(username: String, password: String, avatar: int) -> String:
	return _packet("Register", [username, password, avatar])


static func login(username: String, password: String) -> String:
	return _packet("Login", [username, password])


static func chat(sender: String, text: String) -> String:
	return _packet("Chat", [sender, text])


static func target(pos: Vector2) -> String:
	return _packet("Target", [pos.x, pos.y])


# _packet writes {"a": action, "p0": …, "p1": …} with the keys in that order:
# the original client and server read payloads by position.
static func _packet(action: String, payloads: Array) -> String:
	var parts = PoolStringArray(['"a":' + to_json(action)])
	for i in range(payloads.size()):
		parts.append('"p%d":%s' % [i, to_json(payloads[i])])
	return "{" + parts.join(",") + "}"


# decode reads one v1 packet. It never fails: what it does not understand
# comes back as an MSG_IGNORED message saying why.
static func decode(text: String) -> Dictionary:
	# validate_json, unlike JSON.parse, does not log an engine error.
	if validate_json(text) != "":
		return _ignored("not JSON: " + text.substr(0, 80))
	var d = parse_json(text)
	if typeof(d) != TYPE_DICTIONARY or typeof(d.get("a")) != TYPE_STRING:
		return _ignored("no action: " + text.substr(0, 80))
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
			if p.size() >= 1 and _is_number(p[0]):
				return {"kind": MSG_GONE, "id": int(p[0])}
		"ModelDelta":
			if p.size() >= 1 and typeof(p[0]) == TYPE_DICTIONARY:
				return _actor(p[0])
	return _ignored("unexpected packet: " + text.substr(0, 80))


static func _actor(m: Dictionary) -> Dictionary:
	if not _is_number(m.get("id")):
		return _ignored("model without id")
	var msg = {"kind": MSG_ACTOR, "id": int(m["id"]), "avatar": -1, "name": null, "has_pos": false, "x": 0.0, "y": 0.0}
	if _is_number(m.get("avatar_id")):
		msg["avatar"] = int(m["avatar_id"])
	var ie = m.get("instanced_entity")
	if typeof(ie) == TYPE_DICTIONARY:
		# A position counts only with both coordinates.
		if _is_number(ie.get("x")) and _is_number(ie.get("y")):
			msg["has_pos"] = true
			msg["x"] = float(ie["x"])
			msg["y"] = float(ie["y"])
		var ent = ie.get("entity")
		if typeof(ent) == TYPE_DICTIONARY and typeof(ent.get("name")) == TYPE_STRING:
			msg["name"] = ent["name"]
	return msg


static func _ignored(why: String) -> Dictionary:
	return {"kind": MSG_IGNORED, "why": why}


static func _is_number(v) -> bool:
	return typeof(v) == TYPE_INT or typeof(v) == TYPE_REAL
