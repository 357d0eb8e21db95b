# TouchText lets a player on a touch screen type into the client's text
# fields. Godot 3.2.3's web export opens no on-screen keyboard (its
# html/experimental_virtual_keyboard option comes with 3.3), so on a touch
# screen in a browser a tap on a field asks with the browser's own prompt
# dialog, which brings up the phone's keyboard, and puts the answer in the
# field. (The dialog cannot hide what is typed: the password shows there
# while it is typed, not in the field.) Main adds one for the login screen
# and World one for the chat, only when wanted() says so.
extends Node

var _fields = {} # LineEdit → the question the prompt asks
var _asking = false


# wanted reports whether the page runs in a browser on a touch screen.
static func wanted() -> bool:
	if not (OS.has_feature("JavaScript") and Engine.has_singleton("JavaScript")):
		return false
	var touch = Engine.get_singleton("JavaScript").eval("('ontouchstart' in window) || navigator.maxTouchPoints > 0")
	return typeof(touch) == TYPE_BOOL and touch


# add makes a tap on field ask question.
func add(field: LineEdit, question: String) -> void:
	_fields[field] = question
	field.connect("focus_entered", self, "_on_focus", [field])


func _on_focus(field: LineEdit) -> void:
	if not _asking:
		call_deferred("_ask", field)


func _ask(field: LineEdit) -> void:
	if not is_instance_valid(field) or not field.has_focus():
		return
	_asking = true
	var shown = "" if field.secret else field.text
	var js = Engine.get_singleton("JavaScript")
	var answer = js.eval("window.prompt(%s, %s)" % [to_json(_fields[field]), to_json(shown)])
	if typeof(answer) == TYPE_STRING:
		field.text = answer.substr(0, field.max_length) if field.max_length > 0 else answer
		field.caret_position = field.text.length()
	field.release_focus()
	_asking = false
