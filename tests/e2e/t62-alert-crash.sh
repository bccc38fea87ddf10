#!/bin/sh
# t62: kill -9 the alerter again and again in the middle of delivering a batch of e-mails and webhooks; after the
# restarts every alert has arrived, under the same Message-ID or webhook-id whatever the number of attempts, and the
# outbox says sent for all. A receiver that dedupes by id (as Standard Webhooks asks) sees each exactly once; the
# raw duplicates, possible only for deliveries in flight at a kill, are counted and bounded.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
mkdir -p "$TMP/mail" && chmod 755 "$TMP" && chmod 777 "$TMP/mail"
P=$(free_port)
smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$P 200 & sink=$!
node "$ROOT/tests/node/receiver.mjs" "$SECRET" > "$TMP/wport" &
wr=$!
trap 'kill $sink $wr 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/wport" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
W=http://127.0.0.1:$(head -n 1 "$TMP/wport")
export TBTWARN_SMTP_URL=smtp://127.0.0.1:$P TBTWARN_ALLOW_TARGETS=127.0.0.0/8

"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
python3 -c '
print("email,name,confirmed")
for i in range(120): print("buyer%03d@firm%03d.example.cn,Firm %d,yes" % (i, i, i))' > "$TMP/subs.csv"
"$TBTWARN" subscriber import "$TMP/subs.csv" > /dev/null
for s in $(seq 1 120); do
	"$TBTWARN" subscription add "$s" --channel email --category lithium_batteries --category toys_games > /dev/null
	[ $((s % 3)) -eq 0 ] && "$TBTWARN" subscription add "$s" --channel webhook --url "$W/ok" --secret "$SECRET" --member USA > /dev/null
done

# Match first (one transaction), then deliver under fire.
step "Match first (one transaction)"
"$TBTWARN" alert --once > /dev/null 2>&1 &
pid=$!
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
# Each round kills the alerter as soon as the sink has taken another 30 messages: always in mid-batch.
step "Each round kills the alerter as soon as the sink has taken another 30"
kill_while_sending "$TMP/mail" 30 8
run "$TBTWARN" alert --once
expect_eq "the last run ends cleanly" "$rc" 0
[ "$kills" -ge 3 ] && ok "the alerter was killed mid-batch $kills times" || not_ok "the alerter was killed mid-batch" "only $kills kills landed"

got=$(python3 - "$TMP/mail" "$W/log" "$TBTWARN" <<'PY'
import email, glob, json, subprocess, sys, urllib.request
from collections import Counter
outbox = json.loads(subprocess.check_output([sys.argv[3], "outbox", "--json"]))
want_mail = {r["message_id"] for r in outbox if r["kind"] == "alert" and r["subscription"] is not None}
states = Counter(r["state"] for r in outbox)
mail = Counter()
for f in glob.glob(sys.argv[1] + "/*"):
    mail[email.message_from_bytes(open(f, "rb").read())["Message-ID"]] += 1
hooks = Counter(r["id"] for r in json.load(urllib.request.urlopen(sys.argv[2])) if r["verified"])
arrived = set(mail) | set(hooks)
dups = sum(c - 1 for c in mail.values()) + sum(c - 1 for c in hooks.values())
print(len(want_mail) > 300, arrived == want_mail, dict(states) == {"sent": len(outbox)}, dups)
PY
)
set -- $got
expect_eq "every alert arrived, under its own id, and the outbox says sent for all" "$1 $2 $3" "True True True"
# At most the deliveries in flight at each kill can arrive twice: on each of the 8 SMTP sessions, the message whose
# 250 was read but not yet committed and the next one, whose body goes out on the 354 that came in the same read
# (net/smtp.c pipelines a message's envelope behind the previous one's data); and 8 webhooks. (Seen: 130 raw
# duplicates in 8 kills under ASan, over the 16 per kill this test once assumed.)
step "At most the deliveries in flight at each kill can arrive twice"
[ "${4:-999}" -le $((kills * 24)) ] && ok "raw duplicates only from deliveries in flight at a kill (${4})" ||
	not_ok "raw duplicates bounded" "got ${4:-none}, bound $((kills * 24))"
