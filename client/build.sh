#!/bin/sh
# build.sh makes the Linux desktop build of the client from Debian packages
# only: godot3-server exports, with godot3-runner as the release template
# (see export_presets.cfg). Needs: apt-get install -y godot3-server godot3-runner
#
#   client/build.sh [OUT_DIR]      (default: build/linux, next to client/)
#   build/linux/godmmo.x86_64 --server=ws://127.0.0.1:8081
set -eu
client=$(cd "$(dirname "$0")" && pwd)
out=${1:-$client/../build/linux}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for bin in godot3-server godot3-runner; do
	command -v "$bin" >/dev/null || { echo "build.sh: $bin is missing: apt-get install -y godot3-server godot3-runner" >&2; exit 1; }
done
# Godot writes its settings under HOME; keep them out of the user's.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME="$home" LANG=en_US.UTF-8
# Import first: without it textures export as placeholders.
godot3-server --path "$client" --editor --quit >/dev/null 2>&1
godot3-server --path "$client" --export "Linux/X11" "$out/godmmo.x86_64" >"$home/export.log" 2>&1 || { cat "$home/export.log" >&2; exit 1; }
test -f "$out/godmmo.pck" || { cat "$home/export.log" >&2; echo "build.sh: no godmmo.pck written" >&2; exit 1; }
echo "built $out/godmmo.x86_64 (+ godmmo.pck)"
