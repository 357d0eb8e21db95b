# Codec is what every wire protocol's codec does, and the messages they all
# decode to. CodecV1.gd (docs/protocol.md) and CodecV2.gd (docs/protocol-v2.md)
# are the only scripts that know a wire format; Client.gd picks one when
# the connection opens, sends with its register/login/chat/target/command
# and reads the plain messages (Dictionaries with a "kind") decode returns.
# Internal to the addon: a game uses Client.gd.
extends Reference

const SPEED = 70.0 # units per second actors walk at, unless the server says otherwise
const RUBBER_BAND = 200.0 # farther than this from the server, an actor jumps

# Message kinds decode() returns.
const MSG_OK = "ok" # {}, or {token} when it can resume the session (v2)
const MSG_DENY = "deny" # {reason}
# An entity's looks and movement: {id, avatar, name, kind, state, has_pos,
# x, y, tx, ty, speed, late}: at x, y walking to tx, ty at speed units/s,
# as it was late seconds before the message arrived (v2 says at which tick;
# v1 says only where an actor is now: tx, ty = x, y, late 0). avatar is -1
# and name null when not said; a message with a name is an entity coming
# into view. kind is PLAYER for a player's actor, else the server's kind of
# entity (v2), or NPC for an actor no player plays (v1: a negative id);
# state is what the entity's mod shows of it (v2), else null.
const MSG_ACTOR = "actor"
const MSG_CHAT = "chat" # {sender, text}
const MSG_GONE = "gone" # {id}: the actor left the game
const MSG_OUT = "out" # {id}: the actor went out of view (it may come back)
const MSG_IGNORED = "ignored" # {why}: not understood; the client carries on
# {limits}: the server's hello, the first message of a v2 connection, with
# the limits it holds requests to: {username, password, chat}, each a
# positive int, only those it named (see Limits.gd).
const MSG_HELLO = "hello"
# {name, id, data}: a mod's message about entity id (v2 "m"), data any JSON.
const MSG_MOD = "mod"

const PLAYER = "player" # the kind of a player's actor
const NPC = "npc" # the kind v1 gives an actor no player plays

var version = "" # "v1", "v2": what the codec speaks


func register(_username: String, _password: String, _avatar: int) -> String:
	return ""


func login(_username: String, _password: String) -> String:
	return ""


# chat says text; v1 also sends the sender's name (which the server ignores).
func chat(_sender: String, _text: String) -> String:
	return ""


func target(_pos: Vector2) -> String:
	return ""


# command is a mod's command with its arguments ("" where it cannot be
# written).
func command(_name: String, _args: Array) -> String:
	return ""


# resume asks for the session a token from an Ok names, after its
# connection dropped; "" where the protocol cannot resume (v1).
func resume(_token: String) -> String:
	return ""


# decode reads one message from the server into the messages it holds, in
# order. It never fails: what it does not understand comes back as an
# MSG_IGNORED message saying why.
func decode(_text: String) -> Array:
	return [ignored("no protocol")]


# actor_msg is an MSG_ACTOR message for id that says nothing yet.
static func actor_msg(id: int) -> Dictionary:
	return {"kind": MSG_ACTOR, "id": id, "avatar": -1, "name": null, "entity": PLAYER if id > 0 else NPC, "state": null, "has_pos": false, "x": 0.0, "y": 0.0, "tx": 0.0, "ty": 0.0, "speed": SPEED, "late": 0.0}


static func ignored(why: String) -> Dictionary:
	return {"kind": MSG_IGNORED, "why": why}


static func is_number(v) -> bool:
	return typeof(v) == TYPE_INT or typeof(v) == TYPE_REAL


# parse reads JSON text, or returns null when it is not JSON (without the
# engine error JSON.parse logs).
static func parse(text: String):
	if validate_json(text) != "":
		return null
	return parse_json(text)
