# Minimal runs the doc's minimal game (examples/minimal, docs/client.md)
# against a real server with NPCs: it logs in through the addon and draws
# its own square and the NPCs' squares, walking where the server has them.
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
