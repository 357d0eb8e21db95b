# Limits are the server's limits the client's fields follow: the longest
# username (in characters), password (in bytes, UTF-8) and chat line (in
# characters). A v2 server says them in its hello, the first message of a
# connection (docs/protocol-v2.md); until then, and from a server that
# sends none (v1, older v2 servers), the client keeps its built-in ones.
extends Reference

const DEFAULTS = {"username": 32, "password": 64, "chat": 200}

var username = DEFAULTS["username"]
var password = DEFAULTS["password"]
var chat = DEFAULTS["chat"]
var from_server = false # the values came from a hello
# What the server's mods take and send (a v2 hello's lists; empty without).
var commands = []
var messages = []
var kinds = []


# heard takes the limits of a hello (see CodecV2.gd): each one it names
# replaces the built-in one; those it does not name stay.
func heard(limits: Dictionary) -> void:
	from_server = true
	username = limits.get("username", username)
	password = limits.get("password", password)
	chat = limits.get("chat", chat)
	commands = limits.get("commands", [])
	messages = limits.get("messages", [])
	kinds = limits.get("kinds", [])


# reset goes back to the built-in limits (a new connection, maybe to
# another server).
func reset() -> void:
	from_server = false
	username = DEFAULTS["username"]
	password = DEFAULTS["password"]
	chat = DEFAULTS["chat"]
	commands = []
	messages = []
	kinds = []
