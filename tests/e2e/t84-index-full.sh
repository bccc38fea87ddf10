#!/bin/sh
# t84: the search index on a file system that is full (its own 1 MiB tmpfs) while the database has room: the store
# takes the new notifications, the index cannot; its position must not advance past what it committed, /healthz and
# doctor must say it is behind, and once space returns it catches up by itself, losing nothing. Needs root (mount).
. "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/var/index"
if ! mount -t tmpfs -o size=1m tmpfs "$TMP/var/index" 2> /dev/null; then
	ok "# SKIP the full-index test needs to mount a tmpfs (not permitted here)"
	exit 0
fi
W=$(free_port)
mkdir -p "$TMP/fix"
cat > "$TMP/run.ini" <<EOF
[source fix]
kind = dir
dir = $TMP/fix
interval = 1s
[web]
listen = 127.0.0.1:$W
[service]
collect_interval = 0.2s
EOF
export TBTWARN_DATA="$TMP/var"
"$TBTWARN" --config "$TMP/run.ini" run > /dev/null 2> "$TMP/log" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; umount "$TMP/var/index" 2>/dev/null; rm -rf "$TMP"' EXIT
wait_for "the service is up" sh -c "curl -sf http://127.0.0.1:$W/healthz"
# The index's file system is filled; the database's is not.
step "The index's file system is filled"
dd if=/dev/zero of="$TMP/var/index/filler" bs=4k 2> /dev/null
cp "$ROOT"/tests/data/samples/eping-2025-03-a.json "$TMP/fix/"
wait_for "the store takes the notifications" sh -c "curl -s http://127.0.0.1:$W/metrics | grep -q '^tbtwarn_notifications 14$'"
wait_for "/healthz says the index is behind, and why" sh -c \
	"curl -s http://127.0.0.1:$W/healthz | grep -q 'the search index is 14 changes behind the store: .*No space left on device'"
expect_eq "with 503" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$W/healthz")" 503
expect_match "/metrics shows the lag" "$(curl -s http://127.0.0.1:$W/metrics)" '^tbtwarn_index_lag 14$'
# Space returns: the next crawl round catches up without a reindex.
step "Space returns"
rm -f "$TMP/var/index/filler"
wait_for "when space returns the index catches up by itself" sh -c "curl -s http://127.0.0.1:$W/metrics | grep -q '^tbtwarn_index_lag 0$'"
expect_match "/healthz is ok again" "$(curl -s http://127.0.0.1:$W/healthz)" '"status": ?"ok"'
got=$(curl -s "http://127.0.0.1:$W/api/notifications?q=&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
expect_eq "and every notification is searchable" "$got" 14
kill -TERM $srv
wait $srv
run "$TBTWARN" doctor
expect_match "doctor agrees" "$out" "ok   the index holds every stored notification \(14 indexed, 14 stored\)"
expect_match "and says the index committed every change" "$out" "ok   the index has committed every change of the store \(0 behind\)"
