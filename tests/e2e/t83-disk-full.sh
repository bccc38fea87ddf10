#!/bin/sh
# t83: the data directory on a small file system (a 40 MiB tmpfs) that fills up: the service reports it (/healthz 503
# with the reason, an error in the log), stops taking new work, keeps what was committed, survives a truly full disk,
# and resumes when space returns. Needs permission to mount a tmpfs (root); says so and skips otherwise.
. "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/small"
if ! mount -t tmpfs -o size=40m tmpfs "$TMP/small" 2> /dev/null; then
	ok "# SKIP the disk-full test needs to mount a tmpfs (not permitted here)"
	exit 0
fi
W=$(free_port)
mkdir -p "$TMP/fix" "$TMP/small/var"
cp "$ROOT"/tests/data/samples/eping-2025-03-a.json "$TMP/fix/"
cat > "$TMP/run.ini" <<EOF
[source fix]
kind = dir
dir = $TMP/fix
interval = 1s
[alert]
smtp_url = maildir://$TMP/mail
[web]
listen = 127.0.0.1:$W
[service]
collect_interval = 0.2s
min_free = 16M
EOF
export TBTWARN_DATA="$TMP/small/var"
"$TBTWARN" --config "$TMP/run.ini" run > /dev/null 2> "$TMP/log" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; umount "$TMP/small" 2>/dev/null; rm -rf "$TMP"' EXIT
wait_for "the first fixture is in" sh -c "curl -s http://127.0.0.1:$W/metrics | grep -q '^tbtwarn_notifications 14$'"
# Fill the disk to under min_free.
step "Fill the disk to under min_free"
avail=$(df -k "$TMP/small" | awk 'NR == 2 {print $4}')
dd if=/dev/zero of="$TMP/small/filler" bs=1k count=$((avail - 8 * 1024)) 2> /dev/null
wait_for "a nearly full disk is reported by /healthz" sh -c "curl -s http://127.0.0.1:$W/healthz | grep -q 'almost full'"
expect_eq "with 503" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$W/healthz")" 503
expect_match "and an error in the log" "$(cat "$TMP/log")" 'level=error component=service msg="the disk of .* is almost full .*paused'
# New work is not taken: a new fixture waits.
step "New work is not taken"
cp "$ROOT"/tests/data/samples/wto-tbt-chl-712.txt "$TMP/fix/"
# Truly full: what little is left goes too; the service keeps running and answers (Xapian may refuse a search on a
# full disk: then the answer says so).
step "Truly full"
dd if=/dev/zero of="$TMP/small/filler2" bs=1k 2> /dev/null
code=$(curl -s -o "$TMP/body" -w "%{http_code}" "http://127.0.0.1:$W/api/notifications?q=lithium")
expect_match "a full disk: a search is answered, or refused with a JSON error that says why" "$code $(head -c 300 "$TMP/body")" '^(200 \{"total"|500 \{"status":500,"code":"search_failed","message":".*No space left on device)' 
expect_match "and nothing committed is lost" "$(curl -s http://127.0.0.1:$W/metrics)" '^tbtwarn_notifications 14$'
kill -0 $srv 2> /dev/null && ok "the service is still running" || not_ok "the service is still running" "$(tail -n 30 "$TMP/log")"
rm -f "$TMP/small/filler" "$TMP/small/filler2"
wait_for "when space returns it resumes: /healthz is ok" sh -c "curl -sf http://127.0.0.1:$W/healthz | grep -q '\"ok\"'"
wait_for "and the waiting fixture is crawled" sh -c "curl -s http://127.0.0.1:$W/metrics | grep -q '^tbtwarn_notifications 15$'"
expect_match "the log says it resumed" "$(cat "$TMP/log")" 'msg="disk space is back'
kill -TERM $srv
wait $srv
expect_eq "and it stops cleanly" "$?" 0
run "$TBTWARN" doctor
expect_match "with the store sound and the index in step" "$out" "ok   the index holds every stored notification \(15 indexed, 15 stored\)"
