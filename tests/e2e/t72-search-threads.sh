#!/bin/sh
# t72: the web's search threads beside the loop that writes. `tbtwarn run` crawls a directory that keeps receiving
# new notifications while bursts of concurrent searches of every shape (phrases, wildcards, negation, date sort,
# filters, bad queries) arrive: every answer is its own request's, new notifications become searchable, and the
# service stays up. make test also runs this script on the ThreadSanitizer build, which stops at the first race.
. "$(dirname "$0")/lib.sh"
W=$(free_port)
mkdir -p "$TMP/fix"
cp "$ROOT"/tests/data/samples/eping-2025-03-a.json "$TMP/fix/"
cat > "$TMP/run.ini" <<EOF
[crawler]
polite_delay = 0s
[source fix]
kind = dir
dir = $TMP/fix
interval = 0.3s
[alert]
smtp_url = maildir://$TMP/mail
[web]
listen = 127.0.0.1:$W
search_threads = 3
[service]
collect_interval = 0.2s
EOF
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 log_path=$TMP/tsan"
"$TBTWARN" --config "$TMP/run.ini" run > "$TMP/out" 2> "$TMP/log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$TMP"' EXIT
BASE=http://127.0.0.1:$W
wait_for "the service answers" sh -c "curl -s '$BASE/api/notifications?q=lithium' | grep -q G/TBT/N/USA/2201"

# Ten bursts of twenty concurrent searches and the statistics (also on the search threads); between bursts a new file brings new notifications.
step "Ten bursts of twenty concurrent searches and the statistics"
queries='lithium -toys batter* "technical+regulation" member:USA+-energy category:lithium_batteries date:2025-01-01..2025-12-31 hs:85 type:xyz toys+OR+lithium'
crossed=0
bad=0
for burst in 1 2 3 4 5 6 7 8 9 10; do
	sed "s|G/TBT/N/USA/2201|G/TBT/N/USA/72$burst|" "$ROOT"/tests/data/samples/eping-2025-03-a.json > "$TMP/fix/new-$burst.json"
	pids=
	k=0
	for q in $queries; do
		for sort in date relevance; do
			k=$((k + 1))
			curl -s -o "$TMP/r.$burst.$k" -w '%{http_code}' "$BASE/api/notifications?q=$q&sort=$sort&per_page=$k" > "$TMP/c.$burst.$k" &
			pids="$pids $!"
		done
	done
	curl -s -o "$TMP/stats.$burst" -w '%{http_code}' "$BASE/api/stats" > "$TMP/sc.$burst" &
	pids="$pids $!"
	wait $pids
	[ "$(cat "$TMP/sc.$burst")" = 200 ] && grep -q '"by_category":' "$TMP/stats.$burst" || {
		bad=$((bad + 1))
		echo "#   /api/stats: HTTP $(cat "$TMP/sc.$burst")"
	}
	k=0
	for q in $queries; do
		for sort in date relevance; do
			k=$((k + 1))
			code=$(cat "$TMP/c.$burst.$k")
			want=$(printf '%s' "$q" | sed 's/+/ /g; s/"/\\"/g')
			if [ "$code" = 400 ] && [ "$q" = "type:xyz" ]; then
				grep -q '"code":"bad_query"' "$TMP/r.$burst.$k" || bad=$((bad + 1))
			elif [ "$code" != 200 ]; then
				bad=$((bad + 1))
				echo "#   $q sort=$sort: HTTP $code"
			elif ! grep -qF "\"query\":\"$want\"" "$TMP/r.$burst.$k" || ! grep -q "\"per_page\":$k," "$TMP/r.$burst.$k"; then
				crossed=$((crossed + 1))
				echo "#   $q sort=$sort per_page=$k got: $(head -c 200 "$TMP/r.$burst.$k")"
			fi
		done
	done
done
expect_eq "200 concurrent searches and 10 statistics: each answered (a bad query with 400)" "$bad" 0
expect_eq "and each with its own request's answer" "$crossed" 0
wait_for "notifications crawled meanwhile are found by the search threads" sh -c "curl -s '$BASE/api/notifications?q=symbol:G/TBT/N/USA/7210' | grep -q '\"total\":1,'"
# Clients that hang up while their search is on a thread (the connection suspended): the answer finds no one.
step "Clients that hang up while their search is on a thread"
python3 - "$W" <<'PY'
import socket, sys
for i in range(30):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"GET /api/notifications?q=%22technical+regulation%22+OR+lithium&sort=date&per_page=100 HTTP/1.1\r\nHost: x\r\n\r\n")
    s.close()
PY
expect_match "then a search is answered as before" "$(curl -s "$BASE/api/notifications?q=lithium")" '"total":[1-9]'
expect_eq "the service is still running" "$(kill -0 $pid 2>/dev/null && echo yes)" yes
kill -TERM $pid
wait $pid
expect_eq "and stops cleanly" "$?" 0
expect_eq "no data race reported" "$(cat "$TMP"/tsan.* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer')" 0
