# Item is an object lying on the ground (the items mod's "item" kind): a gem
# the player picks up by walking onto it. It goes when the server says it
# left (picked up) or went out of view.
extends Node2D

const COLOR = Color(0.45, 0.95, 0.9)
const OUTLINE = Color(0.08, 0.08, 0.1)

var id = 0
var item_name = ""


func _draw() -> void:
	draw_set_transform(Vector2(0, 5), 0, Vector2(1, 0.35))
	draw_circle(Vector2.ZERO, 7, Color(0, 0, 0, 0.25))
	draw_set_transform(Vector2.ZERO, 0, Vector2.ONE)
	var pts = PoolVector2Array([Vector2(0, -10), Vector2(7, -3), Vector2(0, 4), Vector2(-7, -3)])
	var outline = PoolVector2Array([Vector2(0, -12), Vector2(9, -3), Vector2(0, 6), Vector2(-9, -3)])
	draw_colored_polygon(outline, OUTLINE)
	draw_colored_polygon(pts, COLOR)
	draw_line(Vector2(-3, -5), Vector2(0, -8), COLOR.lightened(0.6), 2)
