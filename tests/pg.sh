#!/bin/sh
# pg.sh start DIR | stop DIR | url DIR: a PostgreSQL cluster of the tests' own, in DIR (created by start), listening
# only on a Unix socket in DIR, no TCP. As root the server runs as the postgres user (initdb refuses root). Prints
# the URL (postgresql:///tbtwarn?host=DIR&user=...) on start and url. Nothing is left behind once stop ran and DIR
# is removed.
set -eu
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "pg.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 2; }
if [ "$(id -u)" = 0 ]; then as() { runuser -u postgres -- "$@"; }; user=postgres; else as() { "$@"; }; user=$(id -un); fi
url() { printf 'postgresql:///tbtwarn?host=%s&user=%s\n' "$dir" "$user"; }
case $cmd in
start)
	mkdir -p "$dir"
	[ "$(id -u)" != 0 ] || chown postgres "$dir"
	as "$bin/initdb" -D "$dir/data" -A trust -E UTF8 --locale=C.UTF-8 > "$dir/initdb.log" 2>&1 \
		|| { cat "$dir/initdb.log" >&2; exit 1; }
	# The tests want speed, not durability (fsync off); the benchmarks pass their own settings in PG_SETTINGS.
	as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-k $dir -c listen_addresses='' -c max_connections=200 ${PG_SETTINGS:--c fsync=off}" start > /dev/null \
		|| { cat "$dir/server.log" >&2; exit 1; }
	as "$bin/createdb" -h "$dir" tbtwarn
	url
	;;
stop)
	[ ! -d "$dir/data" ] || as "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop > /dev/null 2>&1 || true
	;;
url) url ;;
*) echo "usage: pg.sh start|stop|url DIR" >&2; exit 2 ;;
esac
