#!/bin/sh
# build.sh exports the client with Debian's packages only.
#
#   client/build.sh [OUT_DIR]
#       the Linux desktop build: godot3-server exports, with godot3-runner
#       as the release template (see export_presets.cfg); default OUT_DIR
#       build/linux, next to client/. Run it:
#       build/linux/godmmo.x86_64 --server=ws://127.0.0.1:8081
#   client/build.sh web [TEMPLATE [OUT_DIR]]
#       the HTML5 build in OUT_DIR, default build/web/ next to client/
#       (index.html, .js, .wasm, .pck). It
#       first installs the Godot 3.2.3 web template where Godot looks for
#       it ($HOME/.local/share/godot/templates/3.2.3.stable/, as the
#       release and the debug template). TEMPLATE is a webassembly_*.zip
#       or a directory holding webassembly_release.zip; default
#       ../shared/godot-web beside the repository. Serve it with
#       go run ./cmd/godmmo -web build/web
#
# Needs: apt-get install -y godot3-server godot3-runner
set -eu
client=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$client/.." && pwd)
# The Godot version the template must match: Debian's godot3-server is 3.2.3.
godot_version=3.2.3.stable

need() {
	for bin in "$@"; do
		command -v "$bin" >/dev/null || { echo "build.sh: $bin is missing: apt-get install -y godot3-server godot3-runner" >&2; exit 1; }
	done
}

# export_preset PRESET PATH LOGDIR: import, then export PRESET to PATH.
export_preset() {
	# Import first: without it textures export as placeholders.
	godot3-server --path "$client" --editor --quit >/dev/null 2>&1
	godot3-server --path "$client" --export "$1" "$2" >"$3/export.log" 2>&1 || { cat "$3/export.log" >&2; exit 1; }
}

if [ "${1:-}" = web ]; then
	need godot3-server
	template=${2:-$repo/../shared/godot-web}
	# The no-threads template: it runs on any page, cross-origin isolated
	# or not, over plain http from another machine (SharedArrayBuffer, which
	# the threads template needs, also wants a secure context), and
	# embedded in another site. See docs/client.md.
	if [ -d "$template" ]; then
		template=$template/webassembly_release.zip
	fi
	[ -f "$template" ] || { echo "build.sh: no web template at $template: give the path of webassembly_release.zip (from Godot $godot_version's export templates, or ../shared/godot-web)" >&2; exit 1; }
	templates=${HOME:?}/.local/share/godot/templates/$godot_version
	mkdir -p "$templates"
	cp "$template" "$templates/webassembly_release.zip"
	cp "$template" "$templates/webassembly_debug.zip"
	out=${3:-$repo/build/web}
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	log=$(mktemp -d)
	trap 'rm -rf "$log"' EXIT
	# Godot finds the template under HOME, but its editor settings and
	# cache stay out of the user's.
	export LANG=en_US.UTF-8 XDG_CONFIG_HOME="$log/config" XDG_CACHE_HOME="$log/cache" XDG_DATA_HOME="$HOME/.local/share"
	export_preset HTML5 "$out/index.html" "$log"
	for f in index.html index.js index.wasm index.pck; do
		test -s "$out/$f" || { cat "$log/export.log" >&2; echo "build.sh: no $f written" >&2; exit 1; }
	done
	echo "built $out/index.html (+ index.js, index.wasm, index.pck); serve it: go run ./cmd/godmmo -web $out"
	exit 0
fi

out=${1:-$client/../build/linux}
mkdir -p "$out"
out=$(cd "$out" && pwd)
need godot3-server godot3-runner
# Godot writes its settings under HOME; keep them out of the user's.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME="$home" LANG=en_US.UTF-8
export_preset "Linux/X11" "$out/godmmo.x86_64" "$home"
test -f "$out/godmmo.pck" || { cat "$home/export.log" >&2; echo "build.sh: no godmmo.pck written" >&2; exit 1; }
echo "built $out/godmmo.x86_64 (+ godmmo.pck)"
