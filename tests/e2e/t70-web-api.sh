#!/bin/sh
# t70: the HTTP API, feeds, calendars and subscription pages over real HTTP against `tbtwarn serve` on a real
# archive, checked by an independent client (tests/node/api.test.mjs: Ajv against docs/openapi.json, feedparser,
# ical.js), with postfix's smtp-sink receiving the confirmation mails.
. "$(dirname "$0")/lib.sh"
step "the API, checked by an independent client"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
[ -d "$ROOT/tests/node/node_modules/ajv" ] || { not_ok "npm packages installed (scripts/deps.sh test)"; exit 1; }
mkdir -p "$TMP/mail" && chmod 755 "$TMP" && chmod 777 "$TMP/mail"
P=$(free_port)
smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$P 100 & sink=$!
"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
export TBTWARN_TODAY=2025-04-20 TBTWARN_SMTP_URL=smtp://127.0.0.1:$P TBTWARN_SECRET=web-test-$$ TBTWARN_ADMIN_TOKEN=admin-$$ TBTWARN_WRITE_RATE=1000/1m
"$TBTWARN" serve --listen 127.0.0.1:0 > "$TMP/serve.out" 2> "$TMP/serve.log" &
srv=$!
trap 'kill $sink $srv 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while ! grep -q serving "$TMP/serve.out" 2>/dev/null && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
BASE=$(sed -n 's|^tbtwarn: serving \(http://[0-9.:]*\)/$|\1|p' "$TMP/serve.out")
expect_match "serve says where it listens" "$BASE" "^http://127\.0\.0\.1:[0-9]+$"
node "$ROOT/tests/node/api.test.mjs" "$BASE" "$ROOT/docs/openapi.json" "$TMP/mail" "$TBTWARN_ADMIN_TOKEN" "$TBTWARN_SECRET" > "$TMP/api.out" 2>&1
rc=$?
# The client's own checks, renumbered into this script's count.
step "The client's own checks"
relay_tap "$TMP/api.out"
expect_eq "the API client finished cleanly" "$rc:$(grep -c '^ok ' "$TMP/api.out")" "0:$(grep -c '^ok ' "$TMP/api.out")"
expect_match "every request is in the access log (logfmt)" "$(cat "$TMP/serve.log")" 'method=GET path="/api/notifications" status=200 bytes=[0-9]+ ms=[0-9.]+'
# Searches run on the server's search threads: forty at once, each answer is its own request's.
step "Searches run on the server's search threads"
pids=
for i in $(seq 1 40); do
	curl -s -o "$TMP/par.$i" "$BASE/api/notifications?q=lithium+OR+toys+OR+q$i&per_page=$((i % 5 + 1))" &
	pids="$pids $!"
done
wait $pids
crossed=0
for i in $(seq 1 40); do
	grep -q "\"query\":\"lithium OR toys OR q$i\"" "$TMP/par.$i" && grep -q "\"per_page\":$((i % 5 + 1))," "$TMP/par.$i" ||
		{ crossed=$((crossed + 1)); echo "#   request $i got: $(head -c 300 "$TMP/par.$i")"; }
done
expect_eq "forty concurrent searches each get their own answer" "$crossed" 0
curl -s "$BASE/api/notifications?q=lithium&sort=date&per_page=5" > "$TMP/threads.json"
kill -TERM $srv
wait $srv
expect_eq "SIGTERM stops the server cleanly" "$?" 0
# The same search on the loop (search_threads = 0) answers the same.
step "The same search on the loop"
printf '[web]\nsearch_threads = 0\n' > "$TMP/loop.ini"
"$TBTWARN" --config "$TMP/loop.ini" serve --listen 127.0.0.1:0 > "$TMP/serve2.out" 2> "$TMP/serve2.log" &
srv=$!
i=0
while ! grep -q serving "$TMP/serve2.out" 2>/dev/null && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
BASE=$(sed -n 's|^tbtwarn: serving \(http://[0-9.:]*\)/$|\1|p' "$TMP/serve2.out")
expect_eq "searches on the loop answer as the search threads do" "$(curl -s "$BASE/api/notifications?q=lithium&sort=date&per_page=5")" "$(cat "$TMP/threads.json")"
kill -TERM $srv
wait $srv
printf '[web]\nsearch_threads = lots\n' > "$TMP/bad.ini"
run "$TBTWARN" --config "$TMP/bad.ini" serve --listen 127.0.0.1:0
expect_match "a bad search_threads is refused, naming file and line" "$rc:$err" "^[1-9][0-9]*:.*bad.ini:2: search_threads wants a number from 0 to 64, got 'lots'"
