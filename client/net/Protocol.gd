# Protocol decides which wire protocol to ask the server for and which codec
# speaks the one it chose. The client asks for v2 (the WebSocket subprotocol
# "godmmo.v2") unless started with --proto=v1; a server that picks no
# subprotocol speaks v1 (see Connection.gd for one that refuses to).
extends Reference

const CodecV1 = preload("res://net/CodecV1.gd")
const CodecV2 = preload("res://net/CodecV2.gd")

const V2 = "godmmo.v2"


# requested is the subprotocols to ask for, from the --proto= argument.
static func requested(args: Array) -> Array:
	for a in args:
		if typeof(a) == TYPE_STRING and a == "--proto=v1":
			return []
	return [V2]


# codec_for is the codec of the subprotocol the server chose ("" for none).
static func codec_for(chosen: String):
	if chosen == V2:
		return CodecV2.new()
	return CodecV1.new()
