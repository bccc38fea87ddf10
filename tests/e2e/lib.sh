# lib.sh: a small TAP-style harness for the end-to-end scripts (sourced). Each check prints "ok N - what" or
# "not ok N - what" with both values, like git's t/ scripts.
set -u
TBTWARN=${TBTWARN:-$PWD/tbtwarn}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/tbtwarn-e2e.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export TBTWARN_DATA="$TMP/var"
n=0

STEP=""
# step NAME: the checks that follow belong to the step NAME: said once as a TAP comment, and before each check's
# name, so that a failure says in which step of the script it happened.
step() { STEP=$*; echo "# step: $STEP"; }
ok() { n=$((n + 1)); echo "ok $n - ${STEP:+$STEP: }$1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - ${STEP:+$STEP: }$1"; shift; for l in "$@"; do echo "#   $l"; done; }
# skip WHAT WHY: a check that does not apply to this run (TAP's SKIP directive), said with the reason.
skip() { n=$((n + 1)); echo "ok $n - ${STEP:+$STEP: }$1 # SKIP $2"; }

# The store's backend: tests/run.sh runs the suite a second time on PostgreSQL (PG_URL set, TBTWARN the wrapper
# tests/pg-tbtwarn). on_postgres is true then.
on_postgres() { [ -n "${PG_URL:-}" ]; }
# db_reset DIR: data directory DIR and its store gone, as if never used (on SQLite the store is in DIR).
db_reset() {
	if on_postgres; then
		url=$("$ROOT/tests/pg-tbtwarn" --url-of "$1")
		schema=${url##*%3D}
		psql -qAtX "$url" -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" > /dev/null 2>&1
	fi
	rm -rf "$1"
}
# db_query DIR SQL: a query on the store of data directory DIR, whichever the backend; rows as a|b. Portable SQL only.
db_query() {
	if on_postgres; then
		psql -qAtX -F '|' "$("$ROOT/tests/pg-tbtwarn" --url-of "$1")" -c "$2"
	else
		sqlite3 "$1/tbtwarn.db" "$2"
	fi
}

# relay_tap FILE: an independent client's TAP lines ("ok N - what", "not ok N - what" and their "#   " details)
# as this script's own checks, renumbered into its count.
relay_tap() {
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "${line#ok [0-9]* - }" ;;
		"not ok "*) not_ok "${line#not ok [0-9]* - }" ;;
		"#   "*) echo "$line" ;;
		esac
	done < "$1"
}

# kill_while_sending DIR N ROUNDS: ROUNDS times, runs tbtwarn alert --once and kills it -9 as soon as DIR (where a
# relay keeps each message) holds N more messages; sets kills to how many kills landed in mid-run.
kill_while_sending() {
	kills=0
	for round in $(seq 1 "$3"); do
		before=$(ls "$1" | wc -l)
		"$TBTWARN" alert --once > /dev/null 2>&1 &
		pid=$!
		while kill -0 $pid 2>/dev/null && [ "$(ls "$1" | wc -l)" -lt $((before + $2)) ]; do sleep 0.002; done
		if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
		wait $pid 2>/dev/null
	done
}

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}
# expect_match WHAT TEXT PATTERN (grep -E)
expect_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else not_ok "$1" "text: $(printf '%s' "$2" | head -c 600)" "want match: $3"; fi
}
# run CMD...: sets $out (stdout), $err (stderr), $rc
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	out=$(cat "$TMP/out")
	err=$(cat "$TMP/err")
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_for WHAT COMMAND...: polls until COMMAND succeeds (at most 20 s), then reports WHAT as ok or timed out.
wait_for() {
	what=$1
	shift
	i=0
	while ! "$@" > /dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 400 ] && { not_ok "$what (timed out)" "waited 20 s for this to succeed: $*"; return 1; }
		sleep 0.05
	done
	ok "$what"
}

# mail_archive NAME COUNT: a fresh archive in $TMP/var-NAME (exported as TBTWARN_DATA) with the sample notifications and
# COUNT confirmed subscribers, each with an e-mail subscription to the USA's and Korea's notifications.
mail_archive() {
	export TBTWARN_DATA="$TMP/var-$1"
	"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
	python3 -c '
import sys
print("email,confirmed")
for i in range(int(sys.argv[1])): print("buyer%03d@firm%03d.example.cn,yes" % (i, i))' "$2" > "$TMP/subs.csv"
	"$TBTWARN" subscriber import "$TMP/subs.csv" > /dev/null
	for s in $(seq 1 "$2"); do "$TBTWARN" subscription add "$s" --channel email --member USA --member KOR > /dev/null; done
}
# outbox_count STATE: how many outbox rows are in that state.
outbox_count() { "$TBTWARN" outbox --json | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["state"] == sys.argv[1]))' "$1"; }

# mail_sink: postfix's smtp-sink on a free loopback port keeping each message in $TMP/mail (its pid in $sink), and
# TBTWARN_SMTP_URL pointing at it. The caller's trap kills $sink.
mail_sink() {
	command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
	mkdir -p "$TMP/mail" && chmod 755 "$TMP" && chmod 777 "$TMP/mail"
	sink_port=$(free_port)
	smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$sink_port 100 &
	sink=$!
	export TBTWARN_SMTP_URL=smtp://127.0.0.1:$sink_port
}

# staff_login BASE USER [PASSWORD]: logs USER in (POST BASE/api/session; the password the scripts give staff by
# default) and prints "COOKIE CSRF": the session cookie and the token every change made with it must carry.
staff_login() {
	curl -s -D "$TMP/login.h" -H 'Content-Type: application/json' \
		-d "{\"user\": \"$2\", \"password\": \"${3:-a good long password}\"}" "$1/api/session" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("csrf", ""))' > "$TMP/login.csrf"
	printf '%s %s' "$(sed -n 's/^Set-Cookie: \(tbtwarn_session=[0-9a-f]*\);.*/\1/ip' "$TMP/login.h" | tr -d '\r')" "$(cat "$TMP/login.csrf")"
}

# staff_call "COOKIE CSRF" METHOD URL [BODY]: the request with the session and its CSRF token; prints the status,
# the answer is in $TMP/ans.
staff_call() {
	set -- $1 "$2" "$3" "${4-}"
	curl -s -o "$TMP/ans" -w '%{http_code}' -X "$3" -H "Cookie: $1" -H "X-CSRF-Token: $2" ${5:+-d "$5"} "$4"
}
