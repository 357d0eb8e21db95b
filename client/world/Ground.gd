# Ground draws an endless meadow: tiles of slightly different greens with
# tufts, stones and flowers, the same for every player (a hash of the tile's
# coordinates), redrawn only when the view moves to other tiles.
extends Node2D

const TILE = 48.0
const GRASS = Color(0.33, 0.56, 0.30)

var _shown = Rect2() # the tile range drawn last


func _process(_delta: float) -> void:
	var r = _visible_tiles()
	if r != _shown:
		_shown = r
		update()


func _visible_tiles() -> Rect2:
	# In logical units (the UI's, see ui/Screen.gd): the camera's transform
	# and the viewport's logical size, not the window's pixels.
	var inv = get_canvas_transform().affine_inverse()
	var size = get_viewport_rect().size
	var a = inv.xform(Vector2.ZERO)
	var b = inv.xform(size)
	var lo = Vector2(floor(min(a.x, b.x) / TILE) - 1, floor(min(a.y, b.y) / TILE) - 1)
	var hi = Vector2(ceil(max(a.x, b.x) / TILE) + 1, ceil(max(a.y, b.y) / TILE) + 1)
	return Rect2(lo, hi - lo)


func _draw() -> void:
	var x0 = int(_shown.position.x)
	var y0 = int(_shown.position.y)
	for ty in range(y0, y0 + int(_shown.size.y)):
		for tx in range(x0, x0 + int(_shown.size.x)):
			_draw_tile(tx, ty)


func _draw_tile(tx: int, ty: int) -> void:
	var h = _hash(tx, ty)
	var origin = Vector2(tx, ty) * TILE
	var shade = ((h & 0xff) / 255.0 - 0.5) * 0.025
	draw_rect(Rect2(origin, Vector2(TILE, TILE)), Color(GRASS.r + shade, GRASS.g + shade * 1.4, GRASS.b + shade * 0.8))
	var spot = origin + Vector2(8 + (h >> 8) % 32, 8 + (h >> 13) % 32)
	match (h >> 18) % 13:
		0, 1, 2:
			for i in range(3):
				var base = spot + Vector2(i * 4 - 4, 0)
				draw_line(base, base + Vector2(i - 1, -6), GRASS.darkened(0.3), 1.5)
		3:
			draw_circle(spot + Vector2(0, 1), 4.0, Color(0.2, 0.3, 0.18, 0.5))
			draw_circle(spot, 4.0, Color(0.62, 0.6, 0.55))
		4:
			var petal = [Color(1, 1, 1), Color(0.95, 0.85, 0.3), Color(0.9, 0.5, 0.75)][(h >> 22) % 3]
			for k in range(5):
				draw_circle(spot + Vector2(3, 0).rotated(TAU * k / 5), 2.2, petal)
			draw_circle(spot, 1.6, Color(0.95, 0.75, 0.2))


# _hash mixes tile coordinates into a positive pseudo-random int.
static func _hash(x: int, y: int) -> int:
	var h = (x * 73856093) ^ (y * 19349663) ^ 0x5bd1e995
	h = (h ^ (h >> 15)) * 2246822519
	h = (h ^ (h >> 13)) * 3266489917
	return (h ^ (h >> 16)) & 0x7fffffff
