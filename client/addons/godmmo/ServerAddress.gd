# ServerAddress decides which game server to connect to: a --server=URL
# argument, else the web page's own host (in a browser), else loopback.
extends Reference

const DEFAULT = "ws://127.0.0.1:8081/"


static func resolve(args: Array) -> String:
	for a in args:
		if typeof(a) == TYPE_STRING and a.begins_with("--server="):
			return normalize(a.substr("--server=".length(), a.length()))
	if OS.has_feature("JavaScript") and Engine.has_singleton("JavaScript"):
		var js = Engine.get_singleton("JavaScript")
		var protocol = js.eval("window.location.protocol")
		var host = js.eval("window.location.host")
		if typeof(host) == TYPE_STRING and host != "":
			var scheme = "wss://" if protocol == "https:" else "ws://"
			return scheme + host + "/"
	return DEFAULT


# normalize accepts "host:port", "ws://host:port" or "wss://host:port/".
static func normalize(s: String) -> String:
	s = s.strip_edges()
	if not (s.begins_with("ws://") or s.begins_with("wss://")):
		s = "ws://" + s
	if s.find("/", s.find("//") + 2) == -1:
		s += "/"
	return s
