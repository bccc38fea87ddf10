#!/bin/sh
# t82: the mail relay is down for a long stretch, then back: every alert is delivered, the most urgent (nearest
# comment deadline) first, nothing twice.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
mkdir -p "$TMP/mail" && chmod 755 "$TMP" && chmod 777 "$TMP/mail"
P=$(free_port)
W=$(free_port)
cat > "$TMP/run.ini" <<EOF
[source fix]
kind = dir
dir = $ROOT/tests/data/samples
interval = 10m
[alert]
smtp_url = smtp://127.0.0.1:$P
retry_base = 1s
retry_max = 2s
[web]
listen = 127.0.0.1:$W
[service]
collect_interval = 0.2s
EOF
python3 -c '
print("email,confirmed")
for i in range(30): print("buyer%03d@firm%03d.example.cn,yes" % (i, i))' > "$TMP/subs.csv"
"$TBTWARN" subscriber import "$TMP/subs.csv" > /dev/null
for s in $(seq 1 30); do "$TBTWARN" subscription add "$s" --channel email --member USA --member EU --member KOR --member BRA > /dev/null; done
export TBTWARN_TODAY=2025-04-01
"$TBTWARN" --config "$TMP/run.ini" run > /dev/null 2> "$TMP/log" &
srv=$!
sink=
trap 'kill $srv $sink 2>/dev/null; rm -rf "$TMP"' EXIT
step "The relay is down"
# The relay is down: every delivery fails and is retried; after the first burst, one probe at a time.
rows() { curl -s "http://127.0.0.1:$W/metrics" | awk '/^tbtwarn_deliveries\{/ {s += $2} END {print s + 0}'; }
i=0
until total=$(rows) && [ "$total" -gt 0 ] && [ "$(grep -c 'retrying <tbtwarn' "$TMP/log")" -ge $((total + 10)) ] || [ $i -gt 600 ]; do
	i=$((i + 1))
	sleep 0.05
done
cnt=$(grep -c 'retrying <tbtwarn' "$TMP/log")
[ "$cnt" -ge $((total + 10)) ] && ok "with the relay down, deliveries are retried, one probe at a time ($cnt retries so far)" || not_ok "retries while down" "$cnt"
# Back.
step "Back"
smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$P 100 & sink=$!
i=0
until [ -z "$(curl -s "http://127.0.0.1:$W/metrics" | grep -E '^tbtwarn_deliveries\{state="(pending|retrying)"')" ] || [ $i -gt 600 ]; do i=$((i + 1)); sleep 0.05; done
expect_match "once the relay answers, the waiting e-mails are made due" "$(cat "$TMP/log")" "the mail relay answers again"
kill -TERM $srv
wait $srv
got=$(python3 - "$TMP/mail" "$TBTWARN" <<'PY'
import email, glob, json, os, subprocess, sys
rows = json.loads(subprocess.check_output([sys.argv[2], "outbox", "--json"]))
deadline = {r["message_id"]: r["deadline"] or "9999" for r in rows}
files = sorted(glob.glob(sys.argv[1] + "/*"), key=lambda f: os.stat(f).st_mtime_ns)
ids = [email.message_from_bytes(open(f, "rb").read())["Message-ID"] for f in files]
# The first message is the probe that found the relay back (whatever was due then). After it, the arrivals follow
# the deadlines: of the pairs with different deadlines, nearly all (the few in flight together on 8 connections
# aside) arrive soonest-due first; a random order would score 0.5. A file's time is the kernel's coarse clock (a
# few milliseconds, in which many messages arrive): pairs written within the same tick have no known order.
when = [os.stat(f).st_mtime_ns for f in files][1:]
order = [deadline[i] for i in ids][1:]
pairs = [(a, b) for a in range(len(order)) for b in range(a + 1, len(order)) if order[a] != order[b] and when[a] != when[b]]
good = sum(1 for a, b in pairs if order[a] < order[b]) / max(1, len(pairs))
late = 0 if good >= 0.98 else round(good, 3)
if late: print(order, file=sys.stderr)
print(len(ids) == len(rows) == len(set(ids)), all(r["state"] == "sent" for r in rows), late, len(ids))
if late: print(order, file=sys.stderr)
PY
)
set -- $got
expect_eq "every alert delivered, each once" "$1 $2" "True True"
expect_eq "in order of urgency (nearest comment deadline first: at least 98 % of pairs in order)" "$3" 0
