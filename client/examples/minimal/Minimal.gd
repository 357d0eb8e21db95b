# Minimal is the smallest game on the godmmo addon (docs/client.md): it
# registers a player, logs in, and draws every entity in view as a square
# where the server has it walk (the player's own yellow).
extends Node2D

export var server = "ws://127.0.0.1:8081/"
export var username = "minimal"
export var password = "minimal-password"

var squares = {} # entity id → ColorRect
onready var client = $Client


func _ready() -> void:
	client.connect("connected", self, "_on_connected")
	client.connect("registered", client, "login", [username, password])
	client.connect("entity_entered", self, "_on_entered")
	client.connect("entity_left", self, "_on_left")
	client.open(server)


func _on_connected(_protocol: String) -> void:
	client.register(username, password, 0)


func _on_entered(id: int, kind: String, _state) -> void:
	squares[id] = ColorRect.new()
	squares[id].rect_size = Vector2(16, 16)
	squares[id].color = Color.yellow if id == client.own_id else (Color.white if kind == "player" else Color.aqua)
	add_child(squares[id])


func _on_left(id: int, _why: String) -> void:
	squares[id].queue_free()
	squares.erase(id)


func _process(_delta: float) -> void:
	for id in squares: # where each walks now, from the server's last intent
		squares[id].rect_position = client.position_of(id) - Vector2(8, 8)
	$Camera.position = client.position_of(client.own_id)
