# CodecV2 speaks wire protocol v2 (docs/protocol-v2.md): requests are JSON
# arrays ["Action", …]; a server message is an array of packets headed by
# ["T", tick], the tick it was written at, and movement comes as intent (at
# x, y at a tick, walking to tx, ty at speed): how many ticks the message
# came after the intent's is how late its news is (an actor message's late).
extends "res://addons/godmmo/Codec.gd"

const RATE = 20 # the server's ticks per second, unless its hello says otherwise

var rate = RATE # ticks per second, as the server's hello says
var _tick = -1 # the tick of the message being decoded, -1 for none


func _init() -> void:
	version = "v2"


func register(username: String, password: String, avatar: int) -> String:
	return to_json(["Register", username, password, avatar])


func login(username: String, password: String) -> String:
	return to_json(["Login", username, password])


# chat sends only the text: the server knows who speaks.
func chat(_sender: String, text: String) -> String:
	return to_json(["Chat", text])


func target(pos: Vector2) -> String:
	return to_json(["Target", pos.x, pos.y])


func command(name: String, args: Array) -> String:
	return to_json([name] + args)


func resume(token: String) -> String:
	return to_json(["Resume", token])


# decode reads one message: each of its packets a message, but for its
# ["T", tick], which says how late the others are.
func decode(text: String) -> Array:
	var batch = parse(text)
	if typeof(batch) != TYPE_ARRAY or batch.empty():
		return [ignored("not a batch of packets: " + text.substr(0, 80))]
	_tick = -1 # a message without a T is news of now
	var out = []
	for p in batch:
		if typeof(p) == TYPE_ARRAY and p.size() >= 2 and typeof(p[0]) == TYPE_STRING and p[0] == "T" and is_number(p[1]):
			_tick = p[1]
		else:
			out.append(_packet(p))
	return out


# _packet reads one packet; elements past the known ones are ignored, so a
# later server may add some.
func _packet(p) -> Dictionary:
	if typeof(p) != TYPE_ARRAY or p.empty() or typeof(p[0]) != TYPE_STRING:
		return ignored("not a packet: " + to_json(p).substr(0, 80))
	match p[0]:
		"hello":
			if p.size() >= 2 and typeof(p[1]) == TYPE_DICTIONARY:
				var r = p[1].get("rate")
				rate = int(r) if is_number(r) and r >= 1 and r == floor(r) else RATE
				return {"kind": MSG_HELLO, "limits": _limits(p[1])}
		"ok":
			# The Ok of a Login or a Resume carries the token that resumes
			# the session (servers before resuming send none).
			if p.size() >= 2 and typeof(p[1]) == TYPE_STRING and p[1] != "":
				return {"kind": MSG_OK, "token": p[1]}
			return {"kind": MSG_OK}
		"deny":
			if p.size() >= 2:
				return {"kind": MSG_DENY, "reason": str(p[1])}
		"C":
			if p.size() >= 3:
				return {"kind": MSG_CHAT, "sender": str(p[1]), "text": str(p[2])}
		"L":
			if p.size() >= 2 and is_number(p[1]):
				return {"kind": MSG_OUT, "id": int(p[1])}
		"Q":
			if p.size() >= 2 and is_number(p[1]):
				return {"kind": MSG_GONE, "id": int(p[1])}
		"E":
			# ["E", id, name, avatar, x, y, tx, ty, speed, tick], or for an
			# entity no player plays […, speed, kind, state, tick].
			if p.size() >= 9 and typeof(p[2]) == TYPE_STRING and _numbers(p, [1, 3]) and _intent(p, 4):
				var msg = _move(p, 4, 9)
				msg["name"] = p[2]
				msg["avatar"] = int(p[3])
				msg["entity"] = PLAYER
				if p.size() >= 11 and typeof(p[9]) == TYPE_STRING and p[9] != "":
					msg["entity"] = p[9]
					msg["state"] = p[10]
					msg["late"] = _late(p, 11)
				return msg
		"m":
			# ["m", name, id, data]
			if p.size() >= 4 and typeof(p[1]) == TYPE_STRING and is_number(p[2]):
				return {"kind": MSG_MOD, "name": p[1], "id": int(p[2]), "data": p[3]}
		"M":
			# ["M", id, x, y, tx, ty, speed, tick]
			if p.size() >= 7 and is_number(p[1]) and _intent(p, 2):
				return _move(p, 2, 7)
	return ignored("unexpected packet: " + to_json(p).substr(0, 80))


# _limits reads the limits a hello names: those that are whole numbers
# from 1 up; others (and names it does not know) are left out. The lists of
# the server's mods (commands, messages, kinds) keep their strings.
func _limits(d: Dictionary) -> Dictionary:
	var out = {}
	for k in ["username", "password", "chat"]:
		var v = d.get(k)
		if is_number(v) and v >= 1 and v == floor(v):
			out[k] = int(v)
	for k in ["commands", "messages", "kinds"]:
		if typeof(d.get(k)) == TYPE_ARRAY:
			var names = []
			for n in d[k]:
				if typeof(n) == TYPE_STRING:
					names.append(n)
			out[k] = names
	return out


# _intent: p[at…at+4] are x, y, tx, ty and a speed that is not negative.
func _intent(p: Array, at: int) -> bool:
	return _numbers(p, [at, at + 1, at + 2, at + 3, at + 4]) and p[at + 4] >= 0


# _move is the actor message of the intent at p[at…at+4], with the tick at
# p[tick].
func _move(p: Array, at: int, tick: int) -> Dictionary:
	var msg = actor_msg(int(p[1]))
	msg["has_pos"] = true
	msg["x"] = float(p[at])
	msg["y"] = float(p[at + 1])
	msg["tx"] = float(p[at + 2])
	msg["ty"] = float(p[at + 3])
	msg["speed"] = float(p[at + 4])
	msg["late"] = _late(p, tick)
	return msg


# _late is how many seconds before the message's tick the tick at p[at]
# is: 0 when either is not said (an older server), or the packet's is later.
func _late(p: Array, at: int) -> float:
	if _tick < 0 or p.size() <= at or not is_number(p[at]):
		return 0.0
	return max(0.0, _tick - p[at]) / float(rate)


func _numbers(p: Array, at: Array) -> bool:
	for i in at:
		if not is_number(p[i]):
			return false
	return true
