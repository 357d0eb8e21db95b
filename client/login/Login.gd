# Login is the login screen: it collects a username, a password and an
# avatar, asks Main to register or log in, and shows what came of it.
extends Control

const Avatars = preload("res://avatars/Avatars.gd")

signal register_requested(username, password, avatar_id)
signal login_requested(username, password)
signal retry_requested

const ERROR_COLOR = Color(1, 0.55, 0.5)
const INFO_COLOR = Color(0.85, 0.9, 1)

onready var username: LineEdit = $Center/Panel/Box/Username
onready var password: LineEdit = $Center/Panel/Box/Password
onready var avatars = $Center/Panel/Box/Avatars
onready var avatar_name: Label = $Center/Panel/Box/AvatarName
onready var register_button: Button = $Center/Panel/Box/Buttons/Register
onready var login_button: Button = $Center/Panel/Box/Buttons/Login
onready var status: Label = $Center/Panel/Box/Status
onready var retry_button: Button = $Center/Panel/Box/Retry
onready var server_label: Label = $Center/Panel/Box/Server

var _online = false
var _busy = false


func _ready() -> void:
	username.connect("text_entered", self, "_on_username_entered")
	password.connect("text_entered", self, "_on_password_entered")
	register_button.connect("pressed", self, "_on_register")
	login_button.connect("pressed", self, "_on_login")
	retry_button.connect("pressed", self, "_on_retry")
	avatars.connect("avatar_selected", self, "_on_avatar_selected")
	_on_avatar_selected(avatars.selected)
	_refresh()


# show_connecting says a connection to url is being made.
func show_connecting(url: String) -> void:
	server_label.text = "Server: " + url
	_online = false
	_busy = false
	_say("Connecting to the server...", false)
	retry_button.visible = false
	_refresh()


# show_connected says the player can register or log in now.
func show_connected() -> void:
	_online = true
	_busy = false
	_say("Connected. Log in, or pick an avatar and register.", false)
	retry_button.visible = false
	_refresh()
	if username.text == "":
		username.grab_focus()
	else:
		password.grab_focus()


# show_offline says why there is no connection and offers Retry.
func show_offline(reason: String) -> void:
	_online = false
	_busy = false
	_say(reason, true)
	retry_button.visible = true
	_refresh()


# show_answer ends a Register or Login request with a message for the player.
func show_answer(text: String, is_error: bool) -> void:
	_busy = false
	_say(text, is_error)
	_refresh()
	if is_error:
		password.grab_focus()


func _say(text: String, is_error: bool) -> void:
	status.text = text
	status.add_color_override("font_color", ERROR_COLOR if is_error else INFO_COLOR)


func _refresh() -> void:
	register_button.disabled = not _online or _busy
	login_button.disabled = not _online or _busy


func _on_username_entered(_text: String) -> void:
	if password.text == "":
		password.grab_focus()
	else:
		_on_login()


func _on_password_entered(_text: String) -> void:
	_on_login()


func _on_register() -> void:
	if _can_submit():
		_busy = true
		_refresh()
		_say("Registering...", false)
		emit_signal("register_requested", username.text.strip_edges(), password.text, avatars.selected)


func _on_login() -> void:
	if _can_submit():
		_busy = true
		_refresh()
		_say("Logging in...", false)
		emit_signal("login_requested", username.text.strip_edges(), password.text)


func _can_submit() -> bool:
	if not _online or _busy:
		return false
	if username.text.strip_edges() == "" or password.text == "":
		_say("Enter a username and a password.", true)
		return false
	return true


func _on_retry() -> void:
	retry_button.visible = false
	emit_signal("retry_requested")


func _on_avatar_selected(id: int) -> void:
	avatar_name.text = "Avatar: " + Avatars.NAMES[id]
