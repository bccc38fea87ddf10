#!/bin/sh
# t45: plain crawl runs what is due; --watch polls until SIGTERM and stops cleanly.
. "$(dirname "$0")/lib.sh"
step "crawl modes"
CFG=$ROOT/config/demo.ini

run "$TBTWARN" --config "$CFG" crawl
expect_match "plain crawl runs the due sources (all, the first time)" "$out" "^samples: ok, 9 fetched .*added 23"
run "$TBTWARN" --config "$CFG" crawl
expect_eq "and nothing when nothing is due" "$out" "no source is due"
expect_eq "which is no error" "$rc" 0

db_reset "$TBTWARN_DATA"
"$TBTWARN" --config "$CFG" crawl --watch > "$TMP/watch.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 3000 ] && ! grep -q '^samples: ok' "$TMP/watch.out"; do i=$((i + 1)); sleep 0.01; done
expect_match "--watch runs a due source without being asked" "$(cat "$TMP/watch.out")" "^samples: ok, 9 fetched"
kill -TERM $pid
wait $pid
expect_eq "SIGTERM stops it cleanly" "$?" 0
run "$TBTWARN" --config "$CFG" sources --json
got=$(printf '%s' "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]; print(s["health"], s["records"] >= 23, s["next_run"] is not None)')
expect_eq "its state was saved" "$got" "ok True True"
