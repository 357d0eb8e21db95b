# AvatarIcon is a Control that shows one avatar, e.g. in the login screen's
# picker. It lets clicks through to the button it sits in.
extends Control

const Avatars = preload("res://avatars/Avatars.gd")

export(int, 0, 5) var avatar_id = 0 setget set_avatar_id


func _ready() -> void:
	mouse_filter = MOUSE_FILTER_IGNORE


func set_avatar_id(id: int) -> void:
	avatar_id = id
	update()


func _draw() -> void:
	var r = min(rect_size.x, rect_size.y) * 0.3
	Avatars.draw(self, avatar_id, rect_size / 2 - Vector2(0, r * 0.1), r)
