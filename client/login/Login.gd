# Login is the login screen: it collects the server's address, a username,
# a password and an avatar, asks Main to connect, register or log in, and
# shows what came of it. Retry takes the place of Register and Login while
# there is no connection, and the status line always has room for two
# lines, so nothing on the panel moves when either changes.
extends Control

const Avatars = preload("res://avatars/Avatars.gd")
const Limits = preload("res://addons/godmmo/Limits.gd")

signal register_requested(username, password, avatar_id)
signal login_requested(username, password)
signal retry_requested # connect (again) to server_address()

const ERROR_COLOR = Color(1, 0.55, 0.5)
const INFO_COLOR = Color(0.85, 0.9, 1)

onready var panel: Control = $Center/Panel
onready var server: LineEdit = $Center/Panel/Box/Server
onready var username: LineEdit = $Center/Panel/Box/Username
onready var password: LineEdit = $Center/Panel/Box/Password
onready var avatars = $Center/Panel/Box/Avatars
onready var avatar_name: Label = $Center/Panel/Box/AvatarName
onready var register_button: Button = $Center/Panel/Box/Buttons/Register
onready var login_button: Button = $Center/Panel/Box/Buttons/Login
onready var status: Label = $Center/Panel/Box/Status
onready var retry_button: Button = $Center/Panel/Box/Buttons/Retry

var _online = false
var _busy = false
var _password_bytes = Limits.DEFAULTS["password"] # the longest password the server takes, in UTF-8 bytes


func _ready() -> void:
	server.connect("text_entered", self, "_on_server_entered")
	username.connect("text_entered", self, "_on_username_entered")
	password.connect("text_entered", self, "_on_password_entered")
	register_button.connect("pressed", self, "_on_register")
	login_button.connect("pressed", self, "_on_login")
	retry_button.connect("pressed", self, "_on_retry")
	avatars.connect("avatar_selected", self, "_on_avatar_selected")
	_on_avatar_selected(avatars.selected)
	_refresh()


# server_address is the address in the Server field, as typed.
func server_address() -> String:
	return server.text.strip_edges()


# show_connecting says a connection to url is being made.
func show_connecting(url: String) -> void:
	server.text = url
	_online = false
	_busy = false
	_say("Connecting to the server...", false)
	_show_retry(false)
	_refresh()


# apply_limits makes the fields take what the server takes (the addon's Limits).
# A LineEdit counts characters, so the password field takes as many
# characters as the server takes bytes, and _can_submit checks the bytes.
func apply_limits(limits) -> void:
	set_max_length(username, limits.username)
	set_max_length(password, limits.password)
	_password_bytes = limits.password


# set_max_length sets how many characters field takes, but never below what
# it holds: Godot would empty a field whose text is over its new limit. (The
# server says why such a username or password does not do.)
static func set_max_length(field: LineEdit, n: int) -> void:
	n = max(n, field.text.length())
	if field.max_length != n:
		field.max_length = n


# show_connected says the player can register or log in now.
func show_connected() -> void:
	_online = true
	_busy = false
	_say("Connected. Log in, or pick an avatar and register.", false)
	_show_retry(false)
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
	_show_retry(true)
	_refresh()


# show_busy says a request is on its way (e.g. the Login after a Register).
func show_busy(text: String) -> void:
	_busy = true
	_say(text, false)
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


func _show_retry(offered: bool) -> void:
	retry_button.visible = offered
	register_button.visible = not offered
	login_button.visible = not offered


func _refresh() -> void:
	register_button.disabled = not _online or _busy
	login_button.disabled = not _online or _busy


func _on_server_entered(_text: String) -> void:
	_on_retry()


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
	var n = password.text.to_utf8().size()
	if n > _password_bytes:
		_say("The password must be at most %d bytes; this one has %d (a letter outside A-Z can take 2-4)." % [_password_bytes, n], true)
		return false
	return true


func _on_retry() -> void:
	_show_retry(false)
	emit_signal("retry_requested")


func _on_avatar_selected(id: int) -> void:
	avatar_name.text = "Avatar: " + Avatars.NAMES[id]
