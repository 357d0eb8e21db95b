# Avatars draws the six avatars, each with its own shape and colour, so
# players tell them apart at a glance (and without colour vision).
extends Reference

const COUNT = 6
const NAMES = ["Ember", "Tide", "Moss", "Sun", "Plum", "Star"]
const COLORS = [
	Color(0.91, 0.30, 0.24), # red circle
	Color(0.20, 0.52, 0.92), # blue square
	Color(0.30, 0.78, 0.35), # green triangle
	Color(0.98, 0.80, 0.20), # yellow diamond
	Color(0.62, 0.36, 0.85), # purple hexagon
	Color(0.98, 0.55, 0.15), # orange star
]
const OUTLINE = Color(0.08, 0.08, 0.1)


# draw paints avatar id centred on at, r units in radius, on canvas.
static func draw(canvas: CanvasItem, id: int, at: Vector2, r: float) -> void:
	id = clamp_id(id)
	var col: Color = COLORS[id]
	# Shadow on the ground.
	canvas.draw_set_transform(at + Vector2(0, r * 0.95), 0, Vector2(1, 0.35))
	canvas.draw_circle(Vector2.ZERO, r * 0.8, Color(0, 0, 0, 0.25))
	canvas.draw_set_transform(Vector2.ZERO, 0, Vector2.ONE)
	var pts = shape(id, at, r)
	if pts.size() == 0:
		canvas.draw_circle(at, r + 2, OUTLINE)
		canvas.draw_circle(at, r, col)
		canvas.draw_circle(at + Vector2(-r * 0.3, -r * 0.35), r * 0.25, col.lightened(0.35))
	else:
		canvas.draw_colored_polygon(shape(id, at, r + 2.5), OUTLINE)
		canvas.draw_colored_polygon(pts, col)
	# Eyes, so each shape reads as a character.
	var eye = max(1.5, r * 0.16)
	for side in [-1, 1]:
		var e = at + Vector2(side * r * 0.3, -r * 0.05)
		canvas.draw_circle(e, eye * 1.6, Color.white)
		canvas.draw_circle(e + Vector2(0, eye * 0.3), eye * 0.9, OUTLINE)


static func clamp_id(id: int) -> int:
	if id < 0 or id >= COUNT:
		return 0
	return id


# shape is the outline of avatar id; empty for the circle.
static func shape(id: int, at: Vector2, r: float) -> PoolVector2Array:
	match id:
		1:
			return _polygon(at, r * 1.2, 4, PI / 4)
		2:
			return _polygon(at + Vector2(0, r * 0.15), r * 1.3, 3, -PI / 2)
		3:
			return _polygon(at, r * 1.15, 4, 0)
		4:
			return _polygon(at, r * 1.05, 6, PI / 6)
		5:
			return _star(at, r * 1.25, r * 0.62, 5)
	return PoolVector2Array()


static func _polygon(at: Vector2, r: float, sides: int, start: float) -> PoolVector2Array:
	var pts = PoolVector2Array()
	for i in range(sides):
		var a = start + TAU * i / sides
		pts.append(at + Vector2(cos(a), sin(a)) * r)
	return pts


static func _star(at: Vector2, outer: float, inner: float, points: int) -> PoolVector2Array:
	var pts = PoolVector2Array()
	for i in range(points * 2):
		var a = -PI / 2 + PI * i / points
		var r = outer if i % 2 == 0 else inner
		pts.append(at + Vector2(cos(a), sin(a)) * r)
	return pts
