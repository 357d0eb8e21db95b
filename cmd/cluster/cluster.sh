#!/usr/bin/env bash
# cluster.sh start|stop|status: one world on three godmmo processes on this
# machine, as docs/scale-out.md describes: a NATS server, a Postgres
# server and the regions west, middle and east of the large world, all on
# 127.0.0.1. Players connect to any of ws://127.0.0.1:8081, :8082, :8083;
# the admin listeners (console, metrics) are http://127.0.0.1:9081/ (9082,
# 9083). GAME_PORT and ADMIN_PORT move the first of each; the others follow.
#
# NATS is Debian's nats-server if installed, else built from the Go module
# the server already depends on; Postgres is Debian's postgresql package
# (apt-get install postgresql). Everything lives in $CLUSTER_DIR
# (default /tmp/godmmo-cluster); extra arguments after "start" go to every
# godmmo process (e.g. -bcrypt-cost 4). REGIONS_FILE names a regions file of
# the three regions west, middle and east to use instead of the default
# thirds of the large world.
#
# start refuses to run while any of its processes does; it fails, saying
# which and showing its log, if a process exits or is not ready (hearing
# every region on its own admin port) within 30 s.
set -euo pipefail
cd "$(dirname "$0")/../.."

DIR=${CLUSTER_DIR:-/tmp/godmmo-cluster}
NATS_PORT=${NATS_PORT:-4222}
PG_PORT=${PG_PORT:-55432}
GAME_PORT=${GAME_PORT:-8081}
ADMIN_PORT=${ADMIN_PORT:-9081}
REGIONS=(west middle east)

# running NAME: whether the process NAME.pid names runs.
running() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

# fail says why start failed, shows the log, stops what started and exits.
fail() {
	echo "cluster: $1" >&2
	[ -z "${2:-}" ] || tail -n 5 "$2" | sed 's/^/    /' >&2
	stop >/dev/null
	exit 1
}

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] || { echo "Postgres not found: apt-get install postgresql" >&2; exit 1; }
	echo "$d"
}

start() {
	for r in "${REGIONS[@]}" nats; do
		if running "$r"; then
			echo "cluster: $r already runs (pid $(cat "$DIR/$r.pid")): $0 stop first" >&2
			exit 1
		fi
	done
	mkdir -p "$DIR"
	echo "== building into $DIR"
	go build -o "$DIR/godmmo" ./cmd/godmmo
	local nats
	nats=$(command -v nats-server || true)
	if [ -z "$nats" ]; then
		go build -o "$DIR/nats-server" github.com/nats-io/nats-server/v2
		nats="$DIR/nats-server"
	fi
	echo "== nats on 127.0.0.1:$NATS_PORT"
	"$nats" -a 127.0.0.1 -p "$NATS_PORT" >"$DIR/nats.log" 2>&1 &
	echo $! >"$DIR/nats.pid"
	for _ in $(seq 50); do
		running nats || fail "nats exited" "$DIR/nats.log"
		grep -q "Server is ready" "$DIR/nats.log" && break
		sleep 0.1
	done
	grep -q "Server is ready" "$DIR/nats.log" || fail "nats not ready in 5 s" "$DIR/nats.log"

	local bin
	bin=$(pg_bin)
	if [ ! -d "$DIR/pg" ]; then
		mkdir -p "$DIR/pg"
		[ "$(id -u)" = 0 ] && chown postgres "$DIR" "$DIR/pg"
		as_postgres "$bin/initdb" -D "$DIR/pg" -A trust -U postgres >"$DIR/initdb.log"
	fi
	echo "== postgres on 127.0.0.1:$PG_PORT"
	as_postgres "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/pg/server.log" -w \
		-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR/pg" start >/dev/null
	as_postgres "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'godmmo'" | grep -q 1 ||
		as_postgres "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres godmmo

	if [ -n "${REGIONS_FILE:-}" ]; then
		cp "$REGIONS_FILE" "$DIR/regions"
	else
		cat >"$DIR/regions" <<-REGIONS
			# the large world (-10000..10000) in three columns
			west   -10000,-10000,-3334,10000
			middle -3334,-10000,3334,10000
			east   3334,-10000,10000,10000
		REGIONS
	fi
	local i=0 urls=()
	for r in "${REGIONS[@]}"; do
		echo "== godmmo region $r on 127.0.0.1:$((GAME_PORT + i)) (admin $((ADMIN_PORT + i)))"
		"$DIR/godmmo" -addr "127.0.0.1:$((GAME_PORT + i))" -admin "127.0.0.1:$((ADMIN_PORT + i))" -db "postgres://postgres@127.0.0.1:$PG_PORT/godmmo?sslmode=disable" \
			-nats "nats://127.0.0.1:$NATS_PORT" -regions "$DIR/regions" -region "$r" "$@" >"$DIR/$r.log" 2>&1 &
		echo $! >"$DIR/$r.pid"
		urls+=("ws://127.0.0.1:$((GAME_PORT + i))/")
		i=$((i + 1))
	done
	i=0
	for r in "${REGIONS[@]}"; do # alive, ready, and on its own admin port hearing every region
		local admin="http://127.0.0.1:$((ADMIN_PORT + i))" ok=
		for _ in $(seq 300); do
			for x in "${REGIONS[@]}"; do running "$x" || fail "$x exited" "$DIR/$x.log"; done
			if curl -fsS "$admin/metrics" 2>/dev/null | grep -q "^godmmo_region_info{region=\"$r\"} 1$" &&
				curl -fsS "$admin/metrics" 2>/dev/null | grep -q '^godmmo_regions_up 3$' &&
				curl -fsS "$admin/readyz" >/dev/null 2>&1; then
				ok=1
				break
			fi
			sleep 0.1
		done
		[ -n "$ok" ] || fail "$r not ready on $admin in 30 s" "$DIR/$r.log"
		i=$((i + 1))
	done
	echo "== up: ${urls[*]} (logs in $DIR; stop with: $0 stop)"
}

stop() {
	for r in "${REGIONS[@]}" nats; do
		if running "$r"; then
			local pid
			pid=$(cat "$DIR/$r.pid")
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		fi
		rm -f "$DIR/$r.pid"
	done
	if [ -f "$DIR/pg/postmaster.pid" ]; then
		as_postgres "$(pg_bin)/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null
	fi
	echo "== stopped"
}

status() {
	for r in "${REGIONS[@]}" nats; do
		if running "$r"; then echo "$r: running"; else echo "$r: stopped"; fi
	done
}

case "${1:-}" in
start) shift; start "$@" ;;
stop) stop ;;
status) status ;;
*) echo "usage: $0 start [godmmo flags…] | stop | status" >&2; exit 2 ;;
esac
