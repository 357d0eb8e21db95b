# AvatarPicker is a row of six toggle buttons, one per avatar; exactly one
# is chosen.
extends HBoxContainer

const Avatars = preload("res://avatars/Avatars.gd")
const AvatarIcon = preload("res://avatars/AvatarIcon.gd")

signal avatar_selected(id)

var selected = 0
var buttons = []


func _ready() -> void:
	var group = ButtonGroup.new()
	for id in range(Avatars.COUNT):
		var b = Button.new()
		b.name = "Avatar%d" % id
		b.toggle_mode = true
		b.group = group
		b.rect_min_size = Vector2(48, 48)
		b.hint_tooltip = Avatars.NAMES[id]
		b.focus_mode = FOCUS_NONE
		var icon = AvatarIcon.new()
		icon.avatar_id = id
		icon.set_anchors_and_margins_preset(PRESET_WIDE)
		b.add_child(icon)
		b.connect("pressed", self, "select", [id])
		add_child(b)
		buttons.append(b)
	select(selected)


# select chooses avatar id as if its button had been pressed.
func select(id: int) -> void:
	selected = Avatars.clamp_id(id)
	buttons[selected].pressed = true
	emit_signal("avatar_selected", selected)
