# Screen fits the game to the window: the UI is laid out in logical units,
# and one scale maps them to the window's pixels. A desktop window shows
# (at least) the 1024×600 the layout was made for; a phone, in either
# orientation, gets about 340 units across its short side, so text and
# buttons keep a size a finger and an eye can use, instead of a desktop
# picture shrunk to fit (which, at 390 CSS pixels across, is two-fifths).
extends Reference

const DESKTOP = Vector2(1024, 600) # the layout's size on a desktop
const SHORT_SIDE = 340.0 # logical units across a phone's short side
const MAX_PHONE_SCALE = 1.15 # a phone scale never exceeds this (CSS px per unit)
const PHONE_SHORT_CSS = 500.0 # a screen whose short side is less is a phone's


# scale_for is the window pixels per logical unit for a window of
# window_px pixels, dpr pixels per CSS pixel (1 outside a browser).
static func scale_for(window_px: Vector2, dpr: float) -> float:
	if dpr <= 0:
		dpr = 1.0
	var css = window_px / dpr
	if css.x <= 0 or css.y <= 0:
		return dpr
	var fit = min(css.x / DESKTOP.x, css.y / DESKTOP.y)
	var short = min(css.x, css.y)
	if short < PHONE_SHORT_CSS:
		fit = max(fit, min(short / SHORT_SIDE, MAX_PHONE_SCALE))
	return fit * dpr


# logical_size is the size in logical units of a window of window_px
# pixels at scale (from scale_for).
static func logical_size(window_px: Vector2, scale: float) -> Vector2:
	return (window_px / scale).round()


# device_pixel_ratio is window.devicePixelRatio in a browser, else 1: the
# HTML5 export's page sizes its canvas in device pixels.
static func device_pixel_ratio() -> float:
	if OS.has_feature("JavaScript") and Engine.has_singleton("JavaScript"):
		var r = Engine.get_singleton("JavaScript").eval("window.devicePixelRatio || 1")
		if typeof(r) == TYPE_REAL or typeof(r) == TYPE_INT:
			return float(r)
	return 1.0
