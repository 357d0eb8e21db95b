# Unit checks what needs no server: the addon's codecs (mods' packets
# included), intents, and what its Client makes of packets (signals), which
# protocol the demo asks for, the server address, how actors move between
# what the server says, what the world does with entities, chat and mods'
# messages, and the server's limits in the login form and the chat.
# Run: godot3-server --path client res://tests/Unit.tscn
extends Node

const Codec = preload("res://addons/godmmo/Codec.gd")
const CodecV1 = preload("res://addons/godmmo/CodecV1.gd")
const CodecV2 = preload("res://addons/godmmo/CodecV2.gd")
const ServerAddress = preload("res://addons/godmmo/ServerAddress.gd")
const Limits = preload("res://addons/godmmo/Limits.gd")
const Intent = preload("res://addons/godmmo/Intent.gd")
const Client = preload("res://addons/godmmo/Client.gd")
const Main = preload("res://Main.gd")
const Screen = preload("res://ui/Screen.gd")

var passed = 0
var failed = 0
var v1 = CodecV1.new()
var v2 = CodecV2.new()


func _ready() -> void:
	OS.exit_code = 1
	test_encode_v1()
	test_decode_v1_models()
	test_decode_v1_others()
	test_encode_v2()
	test_decode_v2()
	test_decode_v2_bad()
	test_hello()
	test_protocol()
	test_mods_wire()
	test_intent()
	test_late_walk()
	test_client()
	test_server_address()
	test_screen()
	test_other_actor_v1()
	test_other_actor_v2()
	test_own_actor_v1()
	test_own_actor_v2()
	test_world()
	test_world_acks()
	test_limits_in_fields()
	print("%d passed, %d failed" % [passed, failed])
	OS.exit_code = 0 if failed == 0 else 1
	get_tree().quit(OS.exit_code)


func eq(got, want, what: String) -> void:
	if same(got, want):
		passed += 1
	else:
		failed += 1
		print("FAIL: %s: got %s, want %s" % [what, str(got), str(want)])


# close_to compares Vector2s to a hundredth of a unit.
func close_to(got: Vector2, want: Vector2, what: String) -> void:
	if got.distance_to(want) < 0.01:
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


# one decodes text that must hold exactly one message.
func one(codec, text: String) -> Dictionary:
	var msgs = codec.decode(text)
	if msgs.size() != 1:
		failed += 1
		print("FAIL: %s decodes to %d messages, want 1" % [text, msgs.size()])
		return Codec.ignored("")
	return msgs[0]


func test_encode_v1() -> void:
	eq(v1.version, "v1", "v1 codec")
	eq(v1.register("al\"ice", "pw", 3), '{"a":"Register","p0":"al\\"ice","p1":"pw","p2":3}', "Register, keys in order, avatar an int")
	eq(v1.login("alice", "pw"), '{"a":"Login","p0":"alice","p1":"pw"}', "Login")
	eq(v1.chat("alice", "[b]hi[/b]\n"), '{"a":"Chat","p0":"alice","p1":"[b]hi[/b]\\n"}', "Chat")
	eq(v1.target(Vector2(120.5, -60)), '{"a":"Target","p0":120.5,"p1":-60}', "Target")


func test_decode_v1_models() -> void:
	var full = one(v1, '{"a":"ModelDelta","p0":{"id":12,"model_type":"Actor","avatar_id":3,"instanced_entity":{"id":12,"model_type":"InstancedEntity","x":198.21,"y":78.42,"entity":{"id":12,"model_type":"Entity","name":"tristan"}}}}')
	eq(full["kind"], Codec.MSG_ACTOR, "full model kind")
	eq(full["id"], 12, "full model id is an int")
	eq(full["avatar"], 3, "full model avatar")
	eq(full["name"], "tristan", "full model name")
	eq(full["has_pos"], true, "full model has a position")
	eq(Vector2(full["x"], full["y"]), Vector2(198.21, 78.42), "full model position")
	eq([full["tx"], full["ty"], full["speed"]], [full["x"], full["y"], Codec.SPEED], "v1: an actor walks to where it is said to be")
	var delta = one(v1, '{"a":"ModelDelta","p0":{"id":12,"model_type":"Actor","instanced_entity":{"id":12,"model_type":"InstancedEntity","x":200.5,"y":78.42}}}')
	eq([delta["avatar"], delta["name"], delta["has_pos"], delta["x"], delta["tx"]], [-1, null, true, 200.5, 200.5], "delta: position only")
	var half = one(v1, '{"a":"ModelDelta","p0":{"id":12,"model_type":"Actor","instanced_entity":{"id":12,"x":1}}}')
	eq(half["has_pos"], false, "a position needs both x and y")
	eq(one(v1, '{"a":"ModelDelta","p0":{"model_type":"Actor"}}')["kind"], Codec.MSG_IGNORED, "a model without id")


func test_decode_v1_others() -> void:
	eq(v1.decode('{"a":"Ok"}'), [{"kind": Codec.MSG_OK}], "Ok")
	eq(one(v1, '{"a":"Deny","p0":"This username is already taken"}'), {"kind": Codec.MSG_DENY, "reason": "This username is already taken"}, "Deny")
	eq(one(v1, '{"a":"Chat","p0":"bob","p1":"[i]x[/i]"}'), {"kind": Codec.MSG_CHAT, "sender": "bob", "text": "[i]x[/i]"}, "Chat")
	eq(one(v1, '{"a":"Disconnect","p0":7}'), {"kind": Codec.MSG_GONE, "id": 7}, "Disconnect")
	for bad in ['', 'nope', '[1]', '{"p0":1}', '{"a":"Dance"}', '{"a":"Chat","p0":"x"}', '{"a":"Disconnect","p0":"7"}', '[["ok"]]']:
		eq(one(v1, bad)["kind"], Codec.MSG_IGNORED, "v1 ignores: " + bad)


func test_encode_v2() -> void:
	eq(v2.version, "v2", "v2 codec")
	eq(v2.register("al\"ice", "pw", 3), '["Register","al\\"ice","pw",3]', "v2 Register, avatar an int")
	eq(v2.login("alice", "pw"), '["Login","alice","pw"]', "v2 Login")
	eq(v2.chat("alice", "[b]hi[/b]\n"), '["Chat","[b]hi[/b]\\n"]', "v2 Chat: the text only")
	eq(v2.target(Vector2(120.5, -60)), '["Target",120.5,-60]', "v2 Target")
	eq(v2.resume("0123456789abcdef0123456789abcdef"), '["Resume","0123456789abcdef0123456789abcdef"]', "v2 Resume")
	eq(v1.resume("0123456789abcdef0123456789abcdef"), "", "v1 cannot resume")


func test_decode_v2() -> void:
	var msgs = v2.decode('[["ok"],["E",12,"tristan",3,198.2,78.4,400,78.4,70]]')
	eq(msgs.size(), 2, "a batch is one message per packet")
	eq(msgs[0], {"kind": Codec.MSG_OK}, "ok")
	eq(one(v2, '[["ok","0123456789abcdef0123456789abcdef"]]'), {"kind": Codec.MSG_OK, "token": "0123456789abcdef0123456789abcdef"}, "ok with a resume token")
	eq(one(v2, '[["ok",7]]'), {"kind": Codec.MSG_OK}, "ok: a token is a string")
	var e = msgs[1]
	eq([e["kind"], e["id"], e["name"], e["avatar"], e["has_pos"]], [Codec.MSG_ACTOR, 12, "tristan", 3, true], "E: who")
	eq([e["x"], e["y"], e["tx"], e["ty"], e["speed"]], [198.2, 78.4, 400.0, 78.4, 70.0], "E: intent")
	var m = one(v2, '[["M",7,1.5,-2,3,4,70]]')
	eq([m["kind"], m["id"], m["name"], m["avatar"]], [Codec.MSG_ACTOR, 7, null, -1], "M: no looks")
	eq([m["x"], m["y"], m["tx"], m["ty"], m["speed"]], [1.5, -2.0, 3.0, 4.0, 70.0], "M: intent")
	eq(one(v2, '[["C","[b]bob[/b]","hi"]]'), {"kind": Codec.MSG_CHAT, "sender": "[b]bob[/b]", "text": "hi"}, "C")
	eq(one(v2, '[["deny","This username is already taken"]]'), {"kind": Codec.MSG_DENY, "reason": "This username is already taken"}, "deny")
	eq(v2.decode('[["L",7],["Q",8]]'), [{"kind": Codec.MSG_OUT, "id": 7}, {"kind": Codec.MSG_GONE, "id": 8}], "L is out of view, Q left")
	eq(one(v2, '[["M",7,1,2,3,4,70,"later"]]')["kind"], Codec.MSG_ACTOR, "elements a later server adds are ignored")


func test_decode_v2_bad() -> void:
	for bad in ['', 'nope', '{}', '[]', '{"a":"Ok"}', '"ok"']:
		eq(one(v2, bad)["kind"], Codec.MSG_IGNORED, "v2 ignores: " + bad)
	for bad in ['[1]', '[[]]', '[[1]]', '[["Dance"]]', '[["E",1,"x",0,1,2,3,4]]', '[["E",1,2,0,1,2,3,4,70]]', '[["M",1,0,0,0,0,-1]]', '[["M","1",0,0,0,0,70]]', '[["L"]]', '[["Q","7"]]', '[["C","x"]]', '[["deny"]]']:
		eq(one(v2, bad)["kind"], Codec.MSG_IGNORED, "v2 ignores the packet: " + bad)
	var kinds = []
	for msg in v2.decode('[["ok"],["Dance"],["L",3]]'):
		kinds.append(msg["kind"])
	eq(kinds, [Codec.MSG_OK, Codec.MSG_IGNORED, Codec.MSG_OUT], "a bad packet does not spoil its batch")


func test_hello() -> void:
	eq(one(v2, '[["hello",{"username":32,"password":72,"chat":256}]]'), {"kind": Codec.MSG_HELLO, "limits": {"username": 32, "password": 72, "chat": 256}}, "hello: the limits, as ints")
	eq(one(v2, '[["hello",{"chat":300,"later":1}]]'), {"kind": Codec.MSG_HELLO, "limits": {"chat": 300}}, "hello: names it does not know are ignored")
	eq(one(v2, '[["hello",{"username":0,"password":7.5,"chat":"256"}]]'), {"kind": Codec.MSG_HELLO, "limits": {}}, "hello: only whole numbers from 1")
	for bad in ['[["hello"]]', '[["hello",256]]', '[["hello",[32,72,256]]]']:
		eq(one(v2, bad)["kind"], Codec.MSG_IGNORED, "v2 ignores the packet: " + bad)
	eq(one(v1, '[["hello",{"chat":256}]]')["kind"], Codec.MSG_IGNORED, "v1 has no hello")
	var l = Limits.new()
	eq([l.username, l.password, l.chat, l.from_server], [32, 64, 200, false], "limits: the built-in ones")
	l.heard({"password": 72, "chat": 256})
	eq([l.username, l.password, l.chat, l.from_server], [32, 72, 256, true], "limits: a hello's replace those it names")
	l.reset()
	eq([l.username, l.password, l.chat, l.from_server], [32, 64, 200, false], "limits: reset to the built-in ones")


func test_protocol() -> void:
	eq(Main.wants_v2([]), true, "asks for v2 by default")
	eq(Main.wants_v2(["res://Main.tscn", "--proto=v2"]), true, "--proto=v2 asks for v2")
	eq(Main.wants_v2(["res://Main.tscn", "--", "--proto=v1"]), false, "--proto=v1 asks for nothing")


# test_mods_wire: the mods' packets both ways (docs/protocol-v2.md).
func test_mods_wire() -> void:
	eq(v2.command("emote", ["wave"]), '["emote","wave"]', "v2: a mod's command")
	eq(v2.command("inventory", []), '["inventory"]', "v2: a mod's command without arguments")
	eq(v1.command("emote", ["wave"]), '{"a":"emote","p0":"wave"}', "v1: a mod's command")
	var npc = one(v2, '[["E",-3,"Bran (NPC 3)",2,10,20,30,20,40,"npc",null]]')
	eq([npc["id"], npc["name"], npc["entity"], npc["state"], npc["speed"]], [-3, "Bran (NPC 3)", "npc", null, 40.0], "E of an NPC: its kind, its own speed")
	var gem = one(v2, '[["E",-9,"gem",0,5,6,5,6,0,"item",{"item":"gem"}]]')
	eq([gem["entity"], gem["state"]], ["item", {"item": "gem"}], "E of an item: its kind and state")
	eq(one(v2, '[["E",4,"ann",1,0,0,0,0,70]]')["entity"], "player", "E of a player: kind player")
	eq(one(v2, '[["m","emote",12,{"emote":"wave"}]]'), {"kind": Codec.MSG_MOD, "name": "emote", "id": 12, "data": {"emote": "wave"}}, "m: a mod's message")
	for bad in ['[["m"]]', '[["m",1,2,3]]', '[["m","emote","12",{}]]', '[["m","emote",12]]']:
		eq(one(v2, bad)["kind"], Codec.MSG_IGNORED, "v2 ignores the packet: " + bad)
	var h = one(v2, '[["hello",{"username":32,"password":72,"chat":256,"commands":["emote",3],"messages":["emote"],"kinds":["npc","item"]}]]')
	eq(h["limits"], {"username": 32, "password": 72, "chat": 256, "commands": ["emote"], "messages": ["emote"], "kinds": ["npc", "item"]}, "hello: the mods' lists, strings only")
	var l = Limits.new()
	l.heard(h["limits"])
	eq([l.commands, l.kinds], [["emote"], ["npc", "item"]], "limits: the mods' lists")
	l.reset()
	eq([l.commands, l.messages, l.kinds], [[], [], []], "limits: no lists after a reset")
	var actor = one(v1, '{"a":"ModelDelta","p0":{"id":-4,"model_type":"Actor","avatar_id":1,"instanced_entity":{"x":1,"y":2,"entity":{"name":"Ada (NPC 4)"}}}}')
	eq(actor["entity"], "npc", "v1: an actor with a negative id is an NPC")


func test_intent() -> void:
	var i = Intent.make(Vector2(0, 0), Vector2(100, 0), 40.0, 1000)
	eq(Intent.position_at(i, 1000), Vector2(0, 0), "intent: where it was heard")
	eq(Intent.position_at(i, 1500), Vector2(20, 0), "intent: walks at its speed")
	eq(Intent.position_at(i, 9000), Vector2(100, 0), "intent: stops at its target")
	eq(Intent.position_at(i, 500), Vector2(0, 0), "intent: not before it was heard")
	eq([Intent.is_walking(i, 2000), Intent.is_walking(i, 4000)], [true, false], "intent: walking until there")


# test_late_walk: a walk the server sends late (["T", now] 4 ticks after the
# M's or E's tick, as when others' walks are coalesced) is placed where the
# actor is when it arrives, not where it was (docs/protocol-v2.md, Movement).
func test_late_walk() -> void:
	var c2 = CodecV2.new()
	eq(c2.rate, 20, "late: 20 ticks a second before a hello")
	one(c2, '[["hello",{"username":32,"password":72,"chat":256,"rate":10}]]')
	eq(c2.rate, 10, "late: the hello's rate")
	one(c2, '[["hello",{"rate":0}]]')
	eq(c2.rate, 20, "late: a rate that is not a whole number from 1 is not taken")
	one(c2, '[["hello",{"rate":20}]]')
	var msgs = c2.decode('[["T",104],["M",7,0,0,100,0,70,100],["E",8,"ann",1,5,6,5,6,70,104],["E",-3,"Bran",2,1,2,3,4,40,"npc",null,103],["C","ann","hi"]]')
	eq(msgs.size(), 4, "late: T is no message of its own")
	eq([msgs[0]["late"], msgs[1]["late"], msgs[2]["late"]], [0.2, 0.0, 0.05], "late: the ticks of M, a player's E and an NPC's E, before the message's")
	eq([msgs[2]["entity"], msgs[2]["speed"]], ["npc", 40.0], "late: an NPC's E is still read by its kind")
	eq(one(c2, '[["M",7,0,0,100,0,70,100]]')["late"], 0.0, "late: a message without T is news of now")
	eq(one(c2, '[["T",99],["M",7,0,0,100,0,70,100]]')["late"], 0.0, "late: never early")
	eq(one(c2, '[["T",104],["M",7,0,0,100,0,70]]')["late"], 0.0, "late: an M without a tick (an older server) is news of now")
	msgs = c2.decode('[["T","x"],["M",7,0,0,100,0,70,100]]')
	eq([msgs[0]["kind"], msgs[1]["late"]], [Codec.MSG_IGNORED, 0.0], "late: a T that is not a number is ignored and says nothing")

	# The addon's Client: its intent puts the actor 0.2 s along its walk
	# (14 units at 70/s) the moment the message arrives.
	var c = Client.new()
	add_child(c)
	c._codec = CodecV2.new()
	c._on_packet('[["hello",{"rate":20}]]')
	var before = OS.get_ticks_msec()
	c._on_packet('[["T",104],["E",7,"ann",1,0,0,100,0,70,100]]')
	var after = OS.get_ticks_msec()
	var at_arrival = [c.position_of(7, before).x, c.position_of(7, after).x]
	eq(at_arrival[0] <= 14.0 and 14.0 <= at_arrival[1] and at_arrival[1] - at_arrival[0] < 1.0, true, "late: placed 14 units along when it arrives (%s)" % str(at_arrival))
	var i = c.entity(7)["intent"]
	close_to(Intent.position_at(i, i["msec"] + 1200), Vector2(84, 0), "late: then walks on at its speed: 1 s after it arrived, 84 units along")
	c._on_packet('[["E",9,"bo",1,0,0,100,0,70,100]]')
	eq(c.position_of(9, c.entity(9)["intent"]["msec"]), Vector2(0, 0), "late: without T, where the packet says")
	c.queue_free()

	# The demo's actor: drawn where the server's actor is now, and walking
	# on from there, never back.
	var a = new_actor(false)
	var walk = Intent.make(Vector2(0, 0), Vector2(100, 0), 70.0, 800)
	a.heard(walk, 1000)
	eq([a.position, a.server_pos, a.goal], [Vector2(14, 0), Vector2(14, 0), Vector2(100, 0)], "late: the actor placed 0.2 s along its walk")
	a._process(0.5)
	close_to(a.position, Vector2(49, 0), "late: it walks on from there")
	close_to(a.server_pos, Intent.position_at(walk, 1500), "late: as the server's actor does")
	a.queue_free()


# test_client: what the addon's Client signals for the packets of a session.
func test_client() -> void:
	var c = Client.new()
	add_child(c)
	var heard = []
	var arity = {"registered": 0, "logged_in": 1, "denied": 1, "entity_moved": 2, "entity_left": 2, "said": 2, "entity_entered": 3, "message": 3}
	for s in arity:
		c.connect(s, self, "_heard%d" % arity[s], [s, heard])
	c._codec = CodecV2.new()
	c.pending = "register"
	c._on_packet('[["ok"]]')
	c.pending = "login"
	c._on_packet('[["ok","0123456789abcdef0123456789abcdef"],["E",5,"ann",1,0,0,10,0,70]]')
	eq(c.own_id, 5, "client: the first entity after a login's Ok is the player's own")
	eq(c.token, "0123456789abcdef0123456789abcdef", "client: the token kept")
	c._on_packet('[["E",-3,"Bran (NPC 3)",2,10,20,30,20,40,"npc",null],["E",-9,"gem",0,5,6,5,6,0,"item",{"item":"gem"}],["E",-7,"x",0,1,1,1,1,0,"later",{}]]')
	c._on_packet('[["M",-3,11,20,0,20,40],["m","emote",5,{"emote":"wave"}],["m","later",5,[1]],["C","ann","hi"],["Q",-9],["L",-3],["Q",12345],["deny","Slow down"]]')
	var names = []
	for h in heard:
		names.append(h[0])
	eq(names, ["registered", "logged_in", "entity_entered", "entity_moved", "entity_entered", "entity_moved", "entity_entered", "entity_moved", "entity_entered", "entity_moved", "entity_moved", "message", "message", "said", "entity_left", "entity_left", "denied"], "client: the signals, in order")
	eq(heard[1][1], [5], "client: logged_in with the own id")
	eq(heard[2][1], [5, "player", null], "client: the player's own entity entered")
	eq(heard[4][1], [-3, "npc", null], "client: an NPC entered")
	eq(heard[6][1], [-9, "item", {"item": "gem"}], "client: an item entered with its state")
	eq(heard[8][1], [-7, "later", {}], "client: an unknown kind is still reported (a game may ignore it)")
	var moved = heard[10][1]
	eq([moved[0], moved[1]["from"], moved[1]["to"], moved[1]["speed"]], [-3, Vector2(11, 20), Vector2(0, 20), 40.0], "client: entity_moved with the intent")
	eq(heard[11][1], ["emote", 5, {"emote": "wave"}], "client: a mod's message")
	eq(heard[14][1], [-9, Client.LEFT], "client: Q is left")
	eq(heard[15][1], [-3, Client.OUT], "client: L is out of view")
	eq(heard[16][1], ["Slow down"], "client: denied")
	eq(c.entity(5)["name"], "ann", "client: entity() has the name")
	eq(c.entity(-9), null, "client: a picked up item is gone")
	eq(c.entity_ids().size(), 2, "client: own and the unknown kind are left")
	eq(c.walk_to(Vector2(1, 2)), false, "client: nothing sent without a connection")
	c.queue_free()


# The handlers of test_client's signals, by how many arguments they carry;
# each notes [the signal's name, its arguments].
func _heard0(name: String, into: Array) -> void:
	into.append([name, []])


func _heard1(a, name: String, into: Array) -> void:
	into.append([name, [a]])


func _heard2(a, b, name: String, into: Array) -> void:
	into.append([name, [a, b]])


func _heard3(a, b, c, name: String, into: Array) -> void:
	into.append([name, [a, b, c]])


func test_server_address() -> void:
	eq(ServerAddress.resolve([]), "ws://127.0.0.1:8081/", "default is loopback")
	eq(ServerAddress.resolve(["res://Main.tscn", "--", "--server=ws://10.0.0.2:9000"]), "ws://10.0.0.2:9000/", "--server wins")
	eq(ServerAddress.normalize("example.org:8081"), "ws://example.org:8081/", "scheme added")
	eq(ServerAddress.normalize("wss://example.org/game"), "wss://example.org/game", "path kept")


func test_screen() -> void:
	# [window pixels, device pixel ratio, logical size wanted]
	for c in [
		[Vector2(1024, 600), 1.0, Vector2(1024, 600)], # the desktop layout, unscaled
		[Vector2(2048, 1200), 2.0, Vector2(1024, 600)], # the same on a HiDPI screen
		[Vector2(1280, 800), 1.0, Vector2(1024, 640)], # bigger: scaled up, wider
		[Vector2(1170, 2532), 3.0, Vector2(340, 736)], # phone, portrait: 340 across
		[Vector2(2532, 1170), 3.0, Vector2(736, 340)], # phone, landscape
	]:
		var s = Screen.scale_for(c[0], c[1])
		eq(Screen.logical_size(c[0], s), c[2], "%s px at %sx is %s units" % [c[0], c[1], c[2]])
	var phone = Screen.scale_for(Vector2(390, 844), 1.0)
	eq(phone > 1.1, true, "a phone's UI is larger than a desktop's, not shrunk (%.2f CSS px per unit)" % phone)


# pos is what v1 says: where the actor is (the addon's intent to walk there).
func pos(x: float, y: float) -> Dictionary:
	return intent(x, y, x, y)


# intent is what v2 says: where the actor is and where it walks to.
func intent(x: float, y: float, tx: float, ty: float) -> Dictionary:
	return Intent.make(Vector2(x, y), Vector2(tx, ty), 70.0, OS.get_ticks_msec())


# entity is what the addon's entity(id) holds.
func entity(id: int, name: String, x: float, y: float, kind: String = "player") -> Dictionary:
	return {"id": id, "name": name, "avatar": 1, "kind": kind, "state": null, "intent": pos(x, y)}


# hear gives actor a what the server says, heard at the intent's own msec.
func hear(a, i: Dictionary) -> void:
	a.heard(i, i["msec"])


# enter puts an entity into the world as Main does: entered, then moved.
func enter(w, e: Dictionary, is_own: bool = false) -> void:
	w.enter(e, is_own)
	w.move(e["id"], e["intent"])


func new_actor(is_self: bool):
	var a = load("res://world/Actor.tscn").instance()
	a.is_self = is_self
	add_child(a)
	a.set_process(false) # stepped by hand below
	return a


func test_other_actor_v1() -> void:
	var a = new_actor(false)
	hear(a, pos(0, 0))
	eq(a.position, Vector2(0, 0), "other: the first position places it")
	hear(a, pos(100, 0))
	eq(a.position, Vector2(0, 0), "other: a new position does not teleport it")
	a._process(0.5)
	eq(a.position, Vector2(35, 0), "other: walks toward it at 70 units/s")
	a._process(2.0)
	eq(a.position, Vector2(100, 0), "other: stops there")
	hear(a, pos(301, 0))
	eq(a.position, Vector2(301, 0), "other: jumps when more than 200 units away")
	a.queue_free()


func test_other_actor_v2() -> void:
	var a = new_actor(false)
	hear(a, intent(0, 0, 100, 0))
	eq([a.position, a.goal], [Vector2(0, 0), Vector2(100, 0)], "intent: placed where it is, walking to its target")
	a._process(0.5)
	eq(a.position, Vector2(35, 0), "intent: walks at the speed it was sent")
	eq(a.server_pos, Vector2(35, 0), "intent: the server's actor walks the same")
	# The server says it turned a little ahead of where it is drawn.
	hear(a, intent(37, 0, 37, 100))
	eq([a.position, a.goal], [Vector2(35, 0), Vector2(37, 100)], "intent: a new intent nearby turns it without a jump")
	a._process(1.0)
	close_to(a.position, Vector2(35, 0).move_toward(Vector2(37, 100), 70), "intent: walks to the new target")
	close_to(a.server_pos, Vector2(37, 70), "intent: the server's actor walks from where it was said to be")
	a._process(2.0)
	eq(a.position, Vector2(37, 100), "intent: stops at the target, where the server's actor stops")
	eq(a.server_pos, Vector2(37, 100), "intent: the server's actor stops there too")
	hear(a, intent(400, 100, 500, 100))
	eq([a.position, a.goal], [Vector2(400, 100), Vector2(500, 100)], "intent: jumps when more than 200 units away, and walks on")
	a.queue_free()


func test_own_actor_v1() -> void:
	var a = new_actor(true)
	hear(a, pos(0, 0))
	a.walk_to(Vector2(50, 0))
	a._process(0.5)
	eq(a.position, Vector2(35, 0), "own: walks toward the click at once")
	hear(a, pos(10, 0))
	eq(a.position, Vector2(35, 0), "own: the server being behind does not pull it back")
	eq(a.goal, Vector2(50, 0), "own: nor change where it goes")
	hear(a, pos(300, 0))
	eq(a.position, Vector2(300, 0), "own: rubber band beyond 200 units")
	hear(a, pos(320, 0))
	a._process(0.2)
	eq(a.position, Vector2(300, 0), "own: at rest, a server a little off is trusted only once it stays put")
	a._process(0.4)
	eq(a.position, Vector2(320, 0), "own: then it walks to where the server stopped")
	a.queue_free()


func test_own_actor_v2() -> void:
	var a = new_actor(true)
	hear(a, intent(0, 0, 0, 0))
	a._process(1.0)
	a.walk_to(Vector2(50, 0))
	a._process(0.5)
	eq(a.position, Vector2(35, 0), "own v2: walks toward the click at once")
	eq(a.server_pos, Vector2(0, 0), "own v2: the server's actor waits for the server")
	a._process(0.3)
	eq(a.goal, Vector2(50, 0), "own v2: a click gives the server time to answer")
	hear(a, intent(4, 0, 50, 0))
	eq([a.position, a.goal], [Vector2(50, 0), Vector2(50, 0)], "own v2: the server's intent, behind, does not pull it back")
	a._process(0.5)
	close_to(a.server_pos, Vector2(39, 0), "own v2: the server's actor walks on its intent")
	a._process(1.0)
	eq(a.server_pos, Vector2(50, 0), "own v2: and stops at its target")
	# The server cut the walk short (say, at the world's edge).
	a.walk_to(Vector2(150, 0))
	hear(a, intent(50, 0, 100, 0))
	a._process(1.0)
	eq([a.position, a.server_pos], [Vector2(120, 0), Vector2(100, 0)], "own v2: predicted past where the server stops")
	a._process(0.4)
	eq(a.goal, Vector2(150, 0), "own v2: trusts a server a little off only once it stands still a while")
	a._process(0.2)
	eq(a.position, Vector2(150, 0), "own v2: reaches the click")
	a._process(0.1)
	eq(a.goal, Vector2(100, 0), "own v2: then walks to where the server stopped")
	a._process(1.0)
	eq(a.position, Vector2(100, 0), "own v2: and stands there")
	hear(a, intent(400, 0, 450, 0))
	eq([a.position, a.goal], [Vector2(400, 0), Vector2(450, 0)], "own v2: rubber band beyond 200 units, onto the server's walk")
	a.queue_free()


func test_world() -> void:
	var w = load("res://world/World.tscn").instance()
	add_child(w)
	enter(w, entity(5, "me", 1, 2), true)
	enter(w, entity(9, "[b]bob[/b]", 30, 0))
	enter(w, entity(10, "carol", 40, 0))
	w.move(11, intent(50, 0, 60, 0))
	eq(w.own != null and w.own.id == 5, true, "world: the player's own actor")
	eq(w.actors[9].name_label.text, "[b]bob[/b]", "world: names are shown as they are")
	eq(w.actors.has(11), false, "world: news of an entity never entered is dropped")
	w.chat.add_line("[b]bob[/b]", "hi\n[i]x[/i]")
	w.leave(9, true)
	w.leave(12345, true)
	w.leave(10, false)
	w.leave(12345, false)
	eq(w.actors.has(9), false, "world: leaving the game removes the actor")
	eq(w.actors.has(10), false, "world: out of view removes the actor")
	eq(w.chat.lines, ["[b]bob[/b]: hi [i]x[/i]", "* [b]bob[/b] left"], "world: chat lines, literal, one per message; out of view is quiet")
	enter(w, entity(10, "carol", 40, 0))
	eq(w.actor_named("carol") != null, true, "world: an actor back in view is shown again")
	w.chat.input.text = "  hello  "
	w.chat._on_send()
	eq(w.chat.lines[-1], "me: hello", "world: own lines show at once under the server's name")

	# The mods' entities and messages; unknown ones are left out.
	var lines = w.chat.lines.size()
	enter(w, entity(-3, "Bran (NPC 3)", 10, 10, "npc"))
	enter(w, entity(-9, "gem", 20, 20, "item"))
	enter(w, entity(-7, "thing", 30, 30, "later"))
	eq([w.actors.has(-3), w.actors[-3].kind, w.items.has(-9), w.actors.has(-7), w.items.has(-7)], [true, "npc", true, false, false], "world: an NPC is an actor, an item an item, an unknown kind nothing")
	eq(w.actors[-3].name_label.get_color("font_color"), w.actors[-3].NPC_NAME_COLOR, "world: an NPC's name in its own colour")
	eq(w.items[-9].position, Vector2(20, 20), "world: the item lies where the server says")
	w.move(-7, intent(0, 0, 1, 1))
	w.mod_message("emote", -3, {"emote": "wave"})
	w.mod_message("emote", 12345, {"emote": "wave"})
	w.mod_message("emote", 5, "wave")
	w.mod_message("later", 5, [1, 2])
	w.mod_message("inventory", 5, {"count": "3"})
	eq([w.actors[-3].emote, w.actors[-3].bubble.visible, w.actors[-3].bubble.text, w.own.emote, w.inventory], ["wave", true, "wave", "", -1], "world: an emote shows over the emoter; bad and unknown messages change nothing")
	w.mod_message("inventory", 5, {"count": 3})
	eq([w.inventory, w.inventory_label.text, w.inventory_label.visible], [3, "Gems: 3", true], "world: the inventory count shows")
	w.leave(-9, true)
	w.leave(-3, false)
	eq([w.items.has(-9), w.actors.has(-3), w.chat.lines.size()], [false, false, lines], "world: a picked up item vanishes quietly")
	var emotes = []
	w.connect("emote_chosen", self, "_record", [emotes])
	w.set_commands([])
	w._unhandled_input(key(KEY_E))
	eq([emotes, w.emote_button.visible], [[], false], "world: no emote without the server's command")
	w.set_commands(["emote", "inventory"])
	w._unhandled_input(key(KEY_E))
	w.emote_button.emit_signal("pressed")
	eq([emotes, w.emote_button.visible], [["wave", "wave"], true], "world: the key and the button emote")

	# Offline (reconnecting): the world stays, says so, and sends nothing.
	var sent = []
	w.connect("chat_submitted", self, "_record", [sent])
	w.connect("target_chosen", self, "_record", [sent])
	w.show_offline("Connection lost, reconnecting...")
	eq([w.offline, w.notice.visible, w.notice.text], [true, true, "Connection lost, reconnecting..."], "world: offline says so")
	eq(w.actors.size(), 2, "world: offline keeps every actor drawn")
	w.chat.input.text = "lost"
	w.chat._on_send()
	eq(w.chat.lines[-1], "* not connected: \"lost\" was not sent", "world: offline, a chat line is not sent")
	var click = InputEventMouseButton.new()
	click.button_index = BUTTON_LEFT
	click.pressed = true
	w._unhandled_input(click)
	w._unhandled_input(key(KEY_E))
	eq([sent, w.walks, emotes.size()], [[], 0, 2], "world: offline, clicks, chat and emotes go nowhere")
	w.resumed()
	eq([w.offline, w.notice.visible], [false, false], "world: resumed is online again")
	enter(w, entity(6, "me", 1, 1), true)
	eq([w.own.id, w.actors.has(5)], [6, false], "world: another own actor replaces the old one")
	w.queue_free()


func key(scancode: int) -> InputEventKey:
	var ev = InputEventKey.new()
	ev.scancode = scancode
	ev.pressed = true
	return ev


# test_world_acks: after a hello, the player's own line shows when the
# server sends it back, exactly once; a refused line shows as not sent.
func test_world_acks() -> void:
	var w = load("res://world/World.tscn").instance()
	add_child(w)
	enter(w, entity(5, "ann", 1, 2), true)
	var sent = []
	w.connect("chat_submitted", self, "_record", [sent])
	w.acks = true
	w.chat.input.text = " hello "
	w.chat._on_send()
	eq([sent, w.chat.lines, w.chat.input.text], [["hello"], [], ""], "acks: sent, not shown yet, the input emptied")
	w.chat.add_line("ann", "hello")
	eq(w.chat.lines, ["ann: hello"], "acks: shown once the server sends it back")
	w.chat.input.text = "again"
	w.chat._on_send()
	w.denied("You are muted")
	eq(w.chat.lines, ["ann: hello", "* not sent: You are muted"], "acks: a refused line is not shown as said; the reason is")
	w.acks = false
	w.chat.input.text = "v1"
	w.chat._on_send()
	eq(w.chat.lines[-1], "ann: v1", "no acks: own lines show at once")
	w.queue_free()


# test_limits_in_fields: the limits go to the login form's fields, and a
# password over the server's bytes is not sent.
func test_limits_in_fields() -> void:
	var login = load("res://login/Login.tscn").instance()
	add_child(login)
	var l = Limits.new()
	eq([login.username.max_length, login.password.max_length], [l.username, l.password], "login: the scene's fields have the built-in limits")
	l.heard({"username": 20, "password": 72, "chat": 256})
	login.apply_limits(l)
	eq([login.username.max_length, login.password.max_length], [20, 72], "login: a hello's limits")
	var asked = []
	login.connect("login_requested", self, "_record2", [asked])
	login.show_connected()
	login.username.text = "ann"
	login.password.text = _times("é", 37)
	eq(login.password.text.length(), 37, "login: 37 characters fit a 72-character field")
	login._on_login()
	eq(asked, [], "login: a password of 74 bytes is not sent")
	eq(login.status.text.find("at most 72 bytes; this one has 74") != -1, true, "login: saying why: " + login.status.text)
	login.password.text = _times("é", 36)
	login._on_login()
	eq(asked, [["ann", _times("é", 36)]], "login: a password of 72 bytes is sent")
	login.queue_free()
	var w = load("res://world/World.tscn").instance()
	add_child(w)
	eq(w.chat.input.max_length, Limits.DEFAULTS["chat"], "chat: the scene's input has the built-in limit")
	w.chat.set_max_length(256)
	w.chat.input.text = _times("x", 256)
	eq([w.chat.input.max_length, w.chat.input.text.length()], [256, 256], "chat: the input takes the server's limit")
	w.chat.input.text = _times("x", 10)
	w.chat.set_max_length(5)
	eq([w.chat.input.max_length, w.chat.input.text], [10, _times("x", 10)], "chat: a lower limit does not clear what is typed")
	login = load("res://login/Login.tscn").instance()
	add_child(login)
	var server = Limits.new()
	server.heard({"password": 72})
	login.apply_limits(server)
	login.password.text = _times("y", 70)
	login.apply_limits(Limits.new())
	eq([login.password.max_length, login.password.text.length()], [70, 70], "login: a lower limit does not clear what is typed")
	login.queue_free()
	w.queue_free()


func _times(s: String, n: int) -> String:
	var out = ""
	for _i in range(n):
		out += s
	return out


func _record2(a, b, into: Array) -> void:
	into.append([a, b])


func _record(what, into: Array) -> void:
	into.append(what)
