# Minimal is the smallest game on the godmmo addon (docs/client.md): it
# registers a player, logs in, and draws every entity in view as a square
# where the server has it walk (the player's own yellow).
extends Node2D

const Intent = preload("res://addons/godmmo/Intent.gd")

export var server = "ws://127.0.0.1:8081/"
export var username = "minimal"
export var password = "minimal-password"

var squares = {} # entity id → ColorRect
var intents = {} # entity id → where it walks (Intent.gd)
onready var client = $Client


func _ready() -> void:
	client.connect("connected", self, "_on_connected")
	client.connect("registered", client, "login", [username, password])
	client.connect("entity_entered", self, "_on_entered")
	client.connect("entity_moved", self, "_on_moved")
	client.connect("entity_left", self, "_on_left")
	client.open(server)


func _on_connected(_protocol: String) -> void:
	client.register(username, password, 0)


func _on_entered(id: int, kind: String, _state) -> void:
	var square = ColorRect.new()
	square.rect_size = Vector2(16, 16)
	square.color = Color.yellow if id == client.own_id else (Color.white if kind == "player" else Color.aqua)
	squares[id] = square
	add_child(square)


func _on_moved(id: int, intent: Dictionary) -> void:
	intents[id] = intent


func _on_left(id: int, _why: String) -> void:
	squares[id].queue_free()
	squares.erase(id)
	intents.erase(id)


func _process(_delta: float) -> void:
	for id in squares:
		squares[id].rect_position = Intent.position_at(intents[id], OS.get_ticks_msec()) - Vector2(8, 8)
	if squares.has(client.own_id):
		$Camera.position = squares[client.own_id].rect_position
