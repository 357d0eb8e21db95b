# Unit checks what needs no server: the v1 codec, the server address, how
# actors move between server positions, and what the world does with
# messages. Run: godot3-server --path client res://tests/Unit.tscn
extends Node

const Codec = preload("res://net/Codec.gd")
const ServerAddress = preload("res://net/ServerAddress.gd")

var passed = 0
var failed = 0


func _ready() -> void:
	OS.exit_code = 1
	test_encode()
	test_decode_models()
	test_decode_others()
	test_server_address()
	test_other_actor()
	test_own_actor()
	test_world()
	print("%d passed, %d failed" % [passed, failed])
	OS.exit_code = 0 if failed == 0 else 1
	get_tree().quit(OS.exit_code)


func eq(got, want, what: String) -> void:
	if same(got, want):
		passed += 1
	else:
		failed += 1
		print("FAIL: %s: got %s, want %s" % [what, str(got), str(want)])


# same compares by value (== compares Dictionaries by reference in 3.x).
func same(a, b) -> bool:
	if typeof(a) != typeof(b):
		return false
	if typeof(a) == TYPE_DICTIONARY:
		if a.size() != b.size():
			return false
		for k in a:
			if not b.has(k) or not same(a[k], b[k]):
				return false
		return true
	if typeof(a) == TYPE_ARRAY:
		if a.size() != b.size():
			return false
		for i in range(a.size()):
			if not same(a[i], b[i]):
				return false
		return true
	return a == b


func test_encode() -> void:
	eq(Codec.register("al\"ice", "pw", 3), '{"a":"Register","p0":"al\\"ice","p1":"pw","p2":3}', "Register, keys in order, avatar an int")
	eq(Codec.login("alice", "pw"), '{"a":"Login","p0":"alice","p1":"pw"}', "Login")
	eq(Codec.chat("alice", "[b]hi[/b]\n"), '{"a":"Chat","p0":"alice","p1":"[b]hi[/b]\\n"}', "Chat")
	eq(Codec.target(Vector2(120.5, -60)), '{"a":"Target","p0":120.5,"p1":-60}', "Target")


func test_decode_models() -> void:
	var full = Codec.decode('{"a":"ModelDelta","p0":{"id":12,"model_type":"Actor","avatar_id":3,"instanced_entity":{"id":12,"model_type":"InstancedEntity","x":198.21,"y":78.42,"entity":{"id":12,"model_type":"Entity","name":"tristan"}}}}')
	eq(full["kind"], Codec.MSG_ACTOR, "full model kind")
	eq(full["id"], 12, "full model id is an int")
	eq(full["avatar"], 3, "full model avatar")
	eq(full["name"], "tristan", "full model name")
	eq(full["has_pos"], true, "full model has a position")
	eq(Vector2(full["x"], full["y"]), Vector2(198.21, 78.42), "full model position")
	var delta = Codec.decode('{"a":"ModelDelta","p0":{"id":12,"model_type":"Actor","instanced_entity":{"id":12,"model_type":"InstancedEntity","x":200.5,"y":78.42}}}')
	eq([delta["avatar"], delta["name"], delta["has_pos"], delta["x"]], [-1, null, true, 200.5], "delta: position only")
	var half = Codec.decode('{"a":"ModelDelta","p0":{"id":12,"model_type":"Actor","instanced_entity":{"id":12,"x":1}}}')
	eq(half["has_pos"], false, "a position needs both x and y")
	eq(Codec.decode('{"a":"ModelDelta","p0":{"model_type":"Actor"}}')["kind"], Codec.MSG_IGNORED, "a model without id")


func test_decode_others() -> void:
	eq(Codec.decode('{"a":"Ok"}'), {"kind": Codec.MSG_OK}, "Ok")
	eq(Codec.decode('{"a":"Deny","p0":"This username is already taken"}'), {"kind": Codec.MSG_DENY, "reason": "This username is already taken"}, "Deny")
	eq(Codec.decode('{"a":"Chat","p0":"bob","p1":"[i]x[/i]"}'), {"kind": Codec.MSG_CHAT, "sender": "bob", "text": "[i]x[/i]"}, "Chat")
	eq(Codec.decode('{"a":"Disconnect","p0":7}'), {"kind": Codec.MSG_GONE, "id": 7}, "Disconnect")
	for bad in ['', 'nope', '[1]', '{"p0":1}', '{"a":"Dance"}', '{"a":"Chat","p0":"x"}', '{"a":"Disconnect","p0":"7"}']:
		eq(Codec.decode(bad)["kind"], Codec.MSG_IGNORED, "ignored: " + bad)


func test_server_address() -> void:
	eq(ServerAddress.resolve([]), "ws://127.0.0.1:8081/", "default is loopback")
	eq(ServerAddress.resolve(["res://Main.tscn", "--", "--server=ws://10.0.0.2:9000"]), "ws://10.0.0.2:9000/", "--server wins")
	eq(ServerAddress.normalize("example.org:8081"), "ws://example.org:8081/", "scheme added")
	eq(ServerAddress.normalize("wss://example.org/game"), "wss://example.org/game", "path kept")


func pos_msg(id: int, x: float, y: float) -> Dictionary:
	return {"kind": Codec.MSG_ACTOR, "id": id, "avatar": -1, "name": null, "has_pos": true, "x": x, "y": y}


func new_actor(is_self: bool):
	var a = load("res://world/Actor.tscn").instance()
	a.is_self = is_self
	add_child(a)
	a.set_process(false) # stepped by hand below
	return a


func test_other_actor() -> void:
	var a = new_actor(false)
	a.apply(pos_msg(1, 0, 0))
	eq(a.position, Vector2(0, 0), "other: the first position places it")
	a.apply(pos_msg(1, 100, 0))
	eq(a.position, Vector2(0, 0), "other: a new position does not teleport it")
	a._process(0.5)
	eq(a.position, Vector2(35, 0), "other: walks toward it at 70 units/s")
	a._process(2.0)
	eq(a.position, Vector2(100, 0), "other: stops there")
	a.apply(pos_msg(1, 301, 0))
	eq(a.position, Vector2(301, 0), "other: jumps when more than 200 units away")
	a.queue_free()


func test_own_actor() -> void:
	var a = new_actor(true)
	a.apply(pos_msg(1, 0, 0))
	a.walk_to(Vector2(50, 0))
	a._process(0.5)
	eq(a.position, Vector2(35, 0), "own: walks toward the click at once")
	a.apply(pos_msg(1, 10, 0))
	eq(a.position, Vector2(35, 0), "own: the server being behind does not pull it back")
	eq(a.goal, Vector2(50, 0), "own: nor change where it goes")
	a.apply(pos_msg(1, 300, 0))
	eq(a.position, Vector2(300, 0), "own: rubber band beyond 200 units")
	a.apply(pos_msg(1, 320, 0))
	a._process(0.2)
	eq(a.position, Vector2(300, 0), "own: at rest, a server a little off is trusted only once it stays put")
	a._process(0.4)
	eq(a.position, Vector2(320, 0), "own: then it walks to where the server stopped")
	a.queue_free()


func test_world() -> void:
	var w = load("res://world/World.tscn").instance()
	add_child(w)
	w.apply({"kind": Codec.MSG_ACTOR, "id": 5, "avatar": 1, "name": "me", "has_pos": true, "x": 1.0, "y": 2.0})
	w.apply({"kind": Codec.MSG_ACTOR, "id": 9, "avatar": 4, "name": "[b]bob[/b]", "has_pos": true, "x": 30.0, "y": 0.0})
	eq(w.own != null and w.own.id == 5, true, "world: the first actor is the player")
	eq(w.actors[9].name_label.text, "[b]bob[/b]", "world: names are shown as they are")
	w.apply({"kind": Codec.MSG_CHAT, "sender": "[b]bob[/b]", "text": "hi\n[i]x[/i]"})
	w.apply({"kind": Codec.MSG_GONE, "id": 9})
	w.apply({"kind": Codec.MSG_GONE, "id": 12345})
	eq(w.actors.has(9), false, "world: Disconnect removes the actor")
	eq(w.chat.lines, ["[b]bob[/b]: hi [i]x[/i]", "* [b]bob[/b] left"], "world: chat lines, literal, one per message")
	w.chat.input.text = "  hello  "
	w.chat._on_send()
	eq(w.chat.lines[-1], "me: hello", "world: own lines show at once under the server's name")
	w.queue_free()
