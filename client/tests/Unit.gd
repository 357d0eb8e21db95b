# Unit checks the scripts that need no server: the v1 codec and the server
# address. Run: godot3-server --path client res://tests/Unit.tscn
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
