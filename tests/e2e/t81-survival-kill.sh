#!/bin/sh
# t81: kill -9 the whole service again and again while it crawls and delivers; after the last restart every fixture
# notification is in the archive once, the index matches the store, every alert arrived at the mail sink or the
# webhook receiver under its id, and nothing is stuck in the outbox.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
mkdir -p "$TMP/mail" "$TMP/fix" && chmod 755 "$TMP" && chmod 777 "$TMP/mail"
P=$(free_port)
W=$(free_port)
smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$P 200 & sink=$!
node "$ROOT/tests/node/receiver.mjs" "$SECRET" > "$TMP/wport" &
wr=$!
srv=
trap 'kill $sink $wr $srv 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/wport" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
HOOK=http://127.0.0.1:$(head -n 1 "$TMP/wport")/ok
cp "$ROOT"/tests/data/samples/* "$TMP/fix/"
cat > "$TMP/run.ini" <<EOF
[source fix]
kind = dir
dir = $TMP/fix
interval = 1s
[alert]
smtp_url = smtp://127.0.0.1:$P
allow_targets = 127.0.0.0/8
[web]
listen = 127.0.0.1:$W
[service]
collect_interval = 0.1s
EOF
python3 -c '
print("email,confirmed")
for i in range(150): print("buyer%03d@firm%03d.example.cn,yes" % (i, i))' > "$TMP/subs.csv"
"$TBTWARN" subscriber import "$TMP/subs.csv" > /dev/null
for s in $(seq 1 150); do
	"$TBTWARN" subscription add "$s" --channel email --category lithium_batteries --category toys_games --category small_home_appliances > /dev/null
	[ $((s % 5)) -eq 0 ] && "$TBTWARN" subscription add "$s" --channel webhook --url "$HOOK" --secret "$SECRET" --member USA --member EU > /dev/null
done
export TBTWARN_TODAY=2025-04-01

# Each life ends by kill -9 as soon as the sink has taken 40 more messages (or the crawl was seen, for the first).
step "Each life ends by kill -9 as soon as the sink has taken 40 more"
kills=0
for life in 1 2 3 4 5 6 7 8 9 10; do
	before=$(ls "$TMP/mail" | wc -l)
	"$TBTWARN" --config "$TMP/run.ini" run > /dev/null 2>> "$TMP/log" &
	srv=$!
	i=0
	while kill -0 $srv 2>/dev/null && [ "$(ls "$TMP/mail" | wc -l)" -lt $((before + 40)) ] && [ $i -lt 600 ]; do
		i=$((i + 1))
		sleep 0.01
	done
	kill -9 $srv 2>/dev/null && kills=$((kills + 1))
	wait $srv 2>/dev/null
	srv=
done
[ $kills -ge 8 ] && ok "the service was killed -9 $kills times mid-work" || not_ok "killed mid-work" "only $kills kills landed"

# The last life runs until the outbox is empty.
step "The last life runs until the outbox is empty"
"$TBTWARN" --config "$TMP/run.ini" run > /dev/null 2>> "$TMP/log" &
srv=$!
i=0
until curl -s "http://127.0.0.1:$W/metrics" | grep -q '^tbtwarn_notifications 23$' &&
	! curl -s "http://127.0.0.1:$W/metrics" | grep -Eq '^tbtwarn_deliveries\{state="(pending|retrying|held)"' &&
	[ "$(curl -s "http://127.0.0.1:$W/metrics" | grep -c '^tbtwarn_deliveries{state="sent"')" -ge 1 ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && break
	sleep 0.05
done
kill -TERM $srv
wait $srv
expect_eq "the last life ends cleanly" "$?" 0
srv=

run "$TBTWARN" doctor
expect_match "the index matches the store" "$out" "ok   the index holds every stored notification \(23 indexed, 23 stored\)"
if on_postgres; then sound="ok   the store is on PostgreSQL [0-9]"; else sound="ok   the database passes SQLite's quick_check"; fi
expect_match "the database is sound" "$out" "$sound"
got=$(python3 - "$TMP/mail" "http://127.0.0.1:$(head -n 1 "$TMP/wport")/log" "$TBTWARN" <<'PY'
import email, glob, json, subprocess, sys, urllib.request
from collections import Counter
rows = json.loads(subprocess.check_output([sys.argv[3], "outbox", "--json"]))
alerts = [r for r in rows if r["kind"] == "alert"]
mail = Counter(email.message_from_bytes(open(f, "rb").read())["Message-ID"] for f in glob.glob(sys.argv[1] + "/*"))
hooks = Counter(r["id"] for r in json.load(urllib.request.urlopen(sys.argv[2])) if r["verified"])
arrived = set(mail) | set(hooks)
want = {r["message_id"] for r in alerts}
stuck = [r for r in rows if r["state"] not in ("sent",)]
dups = sum(c - 1 for c in mail.values()) + sum(c - 1 for c in hooks.values())
print(len(want) > 200, arrived == want, len(stuck), dups)
PY
)
set -- $got
expect_eq "every alert arrived under its own id, and only those" "$1 $2" "True True"
expect_eq "nothing is stuck in the outbox" "$3" 0
[ "${4:-999}" -le $((kills * 16)) ] && ok "raw duplicates only from deliveries in flight at a kill (${4})" || not_ok "raw duplicates bounded" "got ${4:-none}"
