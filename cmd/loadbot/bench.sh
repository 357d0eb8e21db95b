#!/usr/bin/env bash
# bench.sh crowd|room [loadbot flags…]: one measured load run. It builds
# godmmo (or runs BIN) and loadbot, starts the server on core SERVER_CPU
# with a fresh SQLite database, waits until it is ready, runs the bots on
# core BOT_CPU against it, and stops it. loadbot's report says what the
# server used per player-second and who ran out of CPU; a run whose bots
# saturated their core says INVALID.
#
#   crowd: -world large -spawn-spread 9000; bots -spread -area 300 -move-every 1s -chat-every 5s
#   room:  -world room; bots -area 300
#
# Environment: N (bots, 2000), DURATION (45s, after the ramp), RAMP
# (N/100+5 s), PROTO (v2), BIN (a godmmo binary: compare two builds in one
# session), LOADBOT (a loadbot binary), SERVER_ARGS (more server flags),
# SERVER_CPU (0), BOT_CPU (1), PORT (18081), ADMIN_PORT (19081), KEEP=1
# keeps the temporary directory (server log, database). Further arguments
# go to loadbot (e.g. -json, -cpuprofile bot.prof).
set -euo pipefail

scenario=${1:-}
shift || true
case $scenario in
crowd)
	world=(-world large -spawn-spread 9000)
	bots=(-spread -area 300 -move-every 1s -chat-every 5s)
	;;
room)
	world=(-world room)
	bots=(-area 300)
	;;
*)
	echo "usage: $0 crowd|room [loadbot flags…]" >&2
	exit 2
	;;
esac

n=${N:-2000}
duration=${DURATION:-45s}
ramp=${RAMP:-$((n / 100 + 5))s}
proto=${PROTO:-v2}
port=${PORT:-18081}
admin=127.0.0.1:${ADMIN_PORT:-19081}
root=$(cd "$(dirname "$0")/../.." && pwd)

tmp=$(mktemp -d)
server=
cleanup() {
	if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
		kill -TERM "$server"
		wait "$server" || true
	fi
	if [[ ${KEEP:-} == 1 ]]; then
		echo "bench: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

bin=${BIN:-}
if [[ -z $bin ]]; then
	(cd "$root" && go build -o "$tmp/godmmo" ./cmd/godmmo)
	bin=$tmp/godmmo
fi
loadbot=${LOADBOT:-}
if [[ -z $loadbot ]]; then
	(cd "$root" && go build -o "$tmp/loadbot" ./cmd/loadbot)
	loadbot=$tmp/loadbot
fi

# One descriptor per connection on both sides, plus the server's own: the
# soft limit is raised to the hard one, which the operator sets.
hard=$(ulimit -Hn)
ulimit -n "$hard"
if [[ $hard != unlimited ]] && ((n + 100 > hard)); then
	echo "bench: $n bots need more open files than ulimit -Hn allows ($hard)" >&2
	exit 1
fi

taskset -c "${SERVER_CPU:-0}" "$bin" -addr "127.0.0.1:$port" -admin "$admin" -db "$tmp/bench.db" \
	-log-level warn -bcrypt-cost 4 -exempt 127.0.0.0/8 -chat-rate 0 -max-conns 0 -npcs 0 -items 0 \
	"${world[@]}" ${SERVER_ARGS:-} >"$tmp/server.log" 2>&1 &
server=$!

for ((i = 0; ; i++)); do
	if curl -fsS -o /dev/null "http://$admin/readyz" 2>/dev/null; then
		break
	fi
	if ! kill -0 "$server" 2>/dev/null || ((i == 300)); then
		echo "bench: the server did not get ready; its log:" >&2
		cat "$tmp/server.log" >&2
		exit 1
	fi
	sleep 0.1
done

echo "bench: $scenario, $n $proto bots, ramp $ramp, measured $duration; server $bin (pid $server) on core ${SERVER_CPU:-0}, bots on core ${BOT_CPU:-1}" >&2
taskset -c "${BOT_CPU:-1}" "$loadbot" -url "ws://127.0.0.1:$port/" -server-pid "$server" \
	-n "$n" -ramp "$ramp" -duration "$duration" -proto "$proto" "${bots[@]}" "$@"
