# Connection is the network client: one WebSocket to the game server that
# carries text packets. It knows nothing of their content (see Codec.gd),
# only which WebSocket subprotocol the server chose. Internal to the addon:
# a game uses Client.gd.
extends Node

signal connected(protocol) # the subprotocol the server chose, "" for none
signal disconnected(reason) # a sentence for a person; see ended
signal packet_received(text)

enum State { IDLE, CONNECTING, OPEN }
# How the last connection ended, when disconnected is emitted:
# UNREACHABLE: it never opened; LOST: it went away without a close handshake
# (a network gone, a TCP connection cut: Godot sees no close frame or close
# code 1006, or a connection error), or the server closed it as
# unresponsive (4002); CLOSED: the server or the page closed it with a close
# handshake (a logout, a kick, the server shutting down), which ends a session.
enum End { UNREACHABLE, LOST, CLOSED }

const UNRESPONSIVE = 4002 # the server's close code for a client it stopped hearing

# What we hear from a WebSocketClient: [signal, method].
const HANDLERS = [
	["connection_established", "_on_established"],
	["connection_error", "_on_error"],
	["connection_closed", "_on_closed"],
	["server_close_request", "_on_close_request"],
	["data_received", "_on_data"],
]

var state = State.IDLE
var url = ""
var protocol = "" # the subprotocol the server chose, while open
var asked = [] # the subprotocols asked for, most wanted first
var ended = End.UNREACHABLE # how the last connection ended

var _ws: WebSocketClient = null
var _retired: WebSocketClient = null # kept until the next frame: it may be emitting
var _closing: WebSocketClient = null # polled a little longer to send its close frame
var _closing_until = 0
var _close_reason = ""
var close_code = -1 # the code of the close frame, -1 without one
var _fall_back_ok = true


# open starts connecting to url ("ws://host:port/" or "wss://…"), asking
# for the subprotocols in protocols (none: the server picks none); connected
# or disconnected follows. Unless fall_back is false, a handshake that fails
# asking for some is tried again asking for none (see _fall_back).
func open(to_url: String, protocols: Array = [], fall_back: bool = true) -> void:
	close()
	url = to_url
	_fall_back_ok = fall_back
	_start(protocols)


func _start(protocols: Array) -> void:
	asked = protocols
	protocol = ""
	_close_reason = ""
	close_code = -1
	_ws = WebSocketClient.new()
	# Our own client can take bigger bursts than the original's 64 KiB.
	_ws.set_buffers(1024, 8192, 256, 1024)
	for h in HANDLERS:
		_ws.connect(h[0], self, h[1])
	state = State.CONNECTING
	var err = _ws.connect_to_url(url, PoolStringArray(asked))
	if err != OK:
		_drop("Cannot connect to %s (error %d)" % [url, err], End.UNREACHABLE)


# _fall_back asks again for no subprotocol after a handshake asking for some
# failed, and says whether it did. A server that speaks none of them (a v1
# server) answers without one, and Godot 3, like browsers, then fails the
# handshake rather than report an empty choice.
func _fall_back() -> bool:
	if not _fall_back_ok or state != State.CONNECTING or asked.empty() or _close_reason != "":
		return false
	print("godmmo: no connection asking for %s; asking for no subprotocol" % PoolStringArray(asked).join(", "))
	for h in HANDLERS:
		_ws.disconnect(h[0], self, h[1])
	_retired = _ws # it is emitting the signal that brought us here
	_ws = null
	_start([])
	return true


# close ends the connection without a disconnected signal.
func close() -> void:
	if _ws != null:
		for h in HANDLERS:
			_ws.disconnect(h[0], self, h[1])
		_ws.disconnect_from_host(1000, "bye")
		_closing = _ws
		_closing_until = OS.get_ticks_msec() + 1000
		_ws = null
	state = State.IDLE
	protocol = ""


# send writes one packet as a text frame; false when not connected.
func send(text: String) -> bool:
	if state != State.OPEN:
		return false
	var peer = _ws.get_peer(1)
	return peer.put_packet(text.to_utf8()) == OK


func is_open() -> bool:
	return state == State.OPEN


func _process(_delta: float) -> void:
	_retired = null
	if _closing != null:
		_closing.poll()
		if OS.get_ticks_msec() > _closing_until or _closing.get_connection_status() == NetworkedMultiplayerPeer.CONNECTION_DISCONNECTED:
			_closing = null
	if _ws != null:
		_ws.poll()


func _exit_tree() -> void:
	close()


func _on_established(chosen: String) -> void:
	state = State.OPEN
	protocol = chosen
	_ws.get_peer(1).set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
	emit_signal("connected", chosen)


func _on_data() -> void:
	var peer = _ws.get_peer(1)
	while _ws != null and peer.get_available_packet_count() > 0:
		var data = peer.get_packet()
		emit_signal("packet_received", data.get_string_from_utf8())


func _on_close_request(code: int, reason: String) -> void:
	close_code = code
	if reason != "":
		_close_reason = "The server closed the connection: %s" % reason
	elif code == 1005 or code == 1006:
		# No close frame, or one without a code: the connection went away
		# (a browser reports its own end's close here too).
		_close_reason = "The connection was lost (code %d)" % code
	else:
		_close_reason = "The server closed the connection (code %d)" % code


func _on_error() -> void:
	if _fall_back():
		return
	print("godmmo: connection error")
	if state == State.CONNECTING:
		_drop("Cannot reach the server at %s" % url, End.UNREACHABLE)
	else:
		_drop("Connection lost", End.LOST)


func _on_closed(was_clean: bool) -> void:
	if _fall_back():
		return
	print("godmmo: connection closed (clean: %s, close code %d)" % [was_clean, close_code])
	var end = End.CLOSED
	if state == State.CONNECTING:
		end = End.UNREACHABLE
	elif not was_clean or close_code == -1 or close_code == 1006 or close_code == UNRESPONSIVE:
		end = End.LOST
	if _close_reason != "":
		_drop(_close_reason, end)
	elif state == State.CONNECTING:
		_drop("Cannot reach the server at %s" % url, end)
	else:
		_drop("Connection lost", end)


func _drop(reason: String, end: int) -> void:
	if _ws == null:
		return
	ended = end
	for h in HANDLERS: # a socket may say more after its end (a close after an error)
		_ws.disconnect(h[0], self, h[1])
	_retired = _ws
	_ws = null
	state = State.IDLE
	protocol = ""
	emit_signal("disconnected", reason)
