# Chat shows the conversation as plain text (markup in a name or message is
# shown as typed, never interpreted) and sends what the player types, with
# Enter or the Send button (which is what phones use). It sits at the
# bottom left, as wide as the screen allows up to WIDTH, and lower on a
# short (landscape phone) screen.
extends PanelContainer

signal submitted(text)

const MAX_LINES = 200
const WIDTH = 420.0 # logical units, at most
const HEIGHT = 192.0 # logical units, at most; at least MIN_HEIGHT
const MIN_HEIGHT = 120.0
const GAP = 8.0 # from the screen's edges

onready var history: RichTextLabel = $Box/History
onready var input: LineEdit = $Box/Input/Line
onready var send_button: Button = $Box/Input/Send

var lines = [] # what history shows, oldest first


func _ready() -> void:
	history.bbcode_enabled = false
	input.connect("text_entered", self, "_on_entered")
	send_button.connect("pressed", self, "_on_send")
	get_viewport().connect("size_changed", self, "_fit")
	_fit()


# _fit sizes the chat to the screen (in logical units, see ui/Screen.gd).
func _fit() -> void:
	var screen = get_viewport_rect().size
	var w = min(WIDTH, screen.x - 2 * GAP)
	var h = clamp(floor(screen.y * 0.34), MIN_HEIGHT, HEIGHT)
	margin_left = GAP
	margin_right = GAP + w
	margin_top = -GAP - h
	margin_bottom = -GAP


# add_line shows a message from sender.
func add_line(sender: String, text: String) -> void:
	_append("%s: %s" % [sender, text])


# add_note shows something that happened, like a player leaving.
func add_note(text: String) -> void:
	_append("* " + text)


# set_max_length sets the longest line the input takes, in characters (but
# never below what it holds, which Godot would clear; the server would say
# why such a line does not do).
func set_max_length(n: int) -> void:
	n = max(n, input.text.length())
	if input.max_length != n:
		input.max_length = n


func focus_input() -> void:
	input.grab_focus()


func release_input_focus() -> void:
	if input.has_focus():
		input.release_focus()


func _append(line: String) -> void:
	# One line per entry: a newline inside a message cannot fake another line.
	line = line.replace("\n", " ").replace("\r", " ")
	lines.append(line)
	if lines.size() > MAX_LINES:
		lines = lines.slice(lines.size() - MAX_LINES / 2, lines.size() - 1)
		history.clear()
		for i in range(lines.size()):
			if i > 0:
				history.newline()
			history.add_text(lines[i])
		return
	if lines.size() > 1:
		history.newline()
	history.add_text(line)


func _on_entered(_text: String) -> void:
	_on_send()


func _on_send() -> void:
	var text = input.text.strip_edges()
	input.clear()
	if text != "":
		emit_signal("submitted", text)
