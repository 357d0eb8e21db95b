# ClickMarker shows where the player clicked, fading out over a second.
extends Node2D

const LIFE = 1.0

var _left = 0.0


func show_at(p: Vector2) -> void:
	position = p
	_left = LIFE
	update()


func _process(delta: float) -> void:
	if _left > 0:
		_left = max(0.0, _left - delta)
		update()


func _draw() -> void:
	if _left <= 0:
		return
	var t = _left / LIFE
	draw_arc(Vector2.ZERO, 6 + 8 * (1 - t), 0, TAU, 24, Color(1, 1, 1, t), 2.0)
