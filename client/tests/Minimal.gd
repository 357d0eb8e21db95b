# Minimal runs the doc's minimal game (examples/minimal, docs/client.md)
# against a real server with NPCs: it logs in through the addon and draws
# its own square and the NPCs' squares, walking where the server has them.
# With --cut=1 the Go test then cuts the connection (after "E2E ready for
# the cut, actor N"): the addon says it is reconnecting, resumes the same
# player, and the game gets the NPCs again, its own square kept.
#   godot3-server --path client res://tests/Minimal.tscn --server=ws://… --user=…
extends "res://tests/Driver.gd"


func game_scene() -> String:
	return "res://examples/minimal/Minimal.tscn"


func set_up(game: Node) -> void:
	game.server = arg("server")
	game.username = arg("user")
	game.password = "pw-" + arg("user")


func run():
	yield(play(), "completed")
	finish()


func play():
	var ok = yield(wait_until("logging in", self, "own_square"), "completed")
	check(ok, "the minimal game logs in and draws its own square")
	if not ok:
		return
	check(main.client.protocol == "v2", "it speaks v2: " + main.client.protocol)
	var own = main.squares[main.client.own_id]
	check(own.color == Color.yellow, "its own square is yellow")
	ok = yield(wait_until("NPCs' squares", self, "npc_squares", [2]), "completed")
	check(ok, "it draws the NPCs in view as squares (%d squares)" % main.squares.size())
	if not ok:
		return
	var start = {}
	for id in main.squares:
		start[id] = main.squares[id].rect_position
	ok = yield(wait_until("a square walking", self, "square_moved", [start, 20.0], 30), "completed")
	check(ok, "a square walks where the server has its NPC")
	var id = main.client.own_id
	check(main.squares[id].rect_position.distance_to(main.client.position_of(id) - Vector2(8, 8)) < 1, "its own square is where the server has the player")
	if arg("cut") == "1":
		yield(resume(), "completed")


# resume waits for the Go test's cut and the addon's resume.
func resume():
	var client = main.client
	var id = client.own_id
	var own = main.squares[id]
	var heard = []
	for s in ["reconnecting", "resumed", "disconnected", "resume_refused"]:
		client.connect(s, self, "_heard_" + s, [heard])
	print("E2E ready for the cut, actor %d" % id)
	var ok = yield(wait_until("the addon resuming", self, "heard_all", [heard, ["reconnecting", "resumed"]], 30), "completed")
	check(ok, "the addon says reconnecting, then resumed: %s" % str(heard))
	check(heard == ["reconnecting", "resumed"], "and nothing else")
	check(client.own_id == id and client.resumes == 1 and client.attempts >= 1, "the same player (%d), resumed after %d attempts" % [client.own_id, client.attempts])
	check(main.squares.get(id) == own, "its own square kept")
	ok = yield(wait_until("the NPCs again", self, "npc_squares", [2]), "completed")
	check(ok, "the NPCs come again (%d squares)" % main.squares.size())


func heard_all(heard: Array, want: Array) -> bool:
	return heard.size() >= want.size()


func _heard_reconnecting(_reason: String, into: Array) -> void:
	into.append("reconnecting")


func _heard_resumed(into: Array) -> void:
	into.append("resumed")


func _heard_disconnected(_code: int, _reason: String, into: Array) -> void:
	into.append("disconnected")


func _heard_resume_refused(_reason: String, into: Array) -> void:
	into.append("resume_refused")


func own_square() -> bool:
	return main.client.own_id != 0 and main.squares.has(main.client.own_id)


func npc_squares(n: int) -> bool:
	var count = 0
	for id in main.squares:
		if id < 0 and main.squares[id].color == Color.aqua:
			count += 1
	return count >= n


# square_moved: a square still in view is more than units from where it was.
func square_moved(start: Dictionary, units: float) -> bool:
	for id in start:
		if main.squares.has(id) and main.squares[id].rect_position.distance_to(start[id]) > units:
			return true
	return false
