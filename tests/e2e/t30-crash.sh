#!/bin/sh
# t30: kill -9 during an import, then again, then finish: every record is stored once, the index matches the store.
. "$(dirname "$0")/lib.sh"
step "a crash during an import"
python3 "$ROOT/bench/gen.py" 6000 "$TMP/pages" 500 11

for round in 1 2 3; do
	"$TBTWARN" import "$TMP"/pages/*.json >/dev/null 2>&1 &
	pid=$!
	# Wait (bounded) until the import has committed something new in this round, then kill it hard.
	i=0
	before=$(db_query "$TBTWARN_DATA" "select count(*) from notifications" 2>/dev/null || echo 0)
	while [ $i -lt 2000 ]; do
		now=$(db_query "$TBTWARN_DATA" "select count(*) from notifications" 2>/dev/null || echo 0)
		[ "${now:-0}" -gt "${before:-0}" ] && break
		kill -0 $pid 2>/dev/null || break
		i=$((i + 1))
		db_query "$TBTWARN_DATA" "select 1" >/dev/null 2>&1 || true
	done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	ok "import killed with SIGKILL in round $round"
done

run "$TBTWARN" import "$TMP"/pages/*.json
expect_eq "the last import completes" "$rc" 0
stored=$(db_query "$TBTWARN_DATA" "select count(*), count(distinct symbol) from notifications")
expect_eq "every generated record is stored exactly once" "$stored" "6000|6000"
run "$TBTWARN" search --json --limit 0 ''
got=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
expect_eq "the index holds every stored record" "$got" 6000
run "$TBTWARN" search --json --limit 0 'type:sps'
idx_sps=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
db_sps=$(db_query "$TBTWARN_DATA" "select count(*) from notifications where type = 'SPS'")
expect_eq "index and store agree on a filter" "$idx_sps" "$db_sps"
