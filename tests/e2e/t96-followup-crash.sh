#!/bin/sh
# t96: the follow-ups of a published analysis ("专家解读与应对建议") survive kill -9 (issue 18): 120 firms alerted to a
# notification, its analysis published (queueing their follow-ups), then the alerter killed -9 again and again while
# they go out to smtp-sink: every firm gets its follow-up under its own Message-ID, the outbox says sent for all, and
# the raw duplicates (possible only for messages in flight at a kill, which a receiver dedupes by Message-ID) stay
# within that bound.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
SYM=G/TBT/N/KOR/1210
mkdir -p "$TMP/alerts" "$TMP/mail" && chmod 755 "$TMP" && chmod 777 "$TMP/alerts" "$TMP/mail"
P1=$(free_port)
P2=$(free_port)
smtp-sink -u nobody -d "$TMP/alerts/%M." 127.0.0.1:$P1 256 & s1=$!
# The follow-ups' relay answers each DATA after a second: the kills land mid-batch, not after it.
smtp-sink -u nobody -w 1 -d "$TMP/mail/%M." 127.0.0.1:$P2 256 & s2=$!
srv=
trap 'kill $s1 $s2 $srv 2>/dev/null; rm -rf "$TMP"' EXIT
export TBTWARN_TODAY=2025-04-01

step "120 firms alerted, the analysis published"
"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
python3 -c "
print('email,org,confirmed')
for i in range(120): print('f%03d@firms%03d.example.cn,企业%03d,yes' % (i, i, i))" > "$TMP/subs.csv"
"$TBTWARN" subscriber import "$TMP/subs.csv" > /dev/null
for s in $(seq 1 120); do "$TBTWARN" subscription add "$s" --channel email --member KOR > /dev/null; done
TBTWARN_SMTP_URL=smtp://127.0.0.1:$P1 "$TBTWARN" alert --once > /dev/null
alerted=$(db_query "$TBTWARN_DATA" "SELECT count(DISTINCT subscription_id) FROM outbox WHERE symbol = '$SYM' AND kind = 'alert' AND state = 'sent'")
expect_eq "every firm was alerted to $SYM" "$alerted" 120
printf 'a good long password\n' | "$TBTWARN" user add li.na --role analyst --password-stdin > /dev/null
WP=$(free_port)
printf '[web]\nlisten = 127.0.0.1:%s\n' "$WP" > "$TMP/web.ini"
"$TBTWARN" --config "$TMP/web.ini" serve > "$TMP/serve.out" 2> "$TMP/serve.err" &
srv=$!
wait_for "the web server listens" curl -sf "http://127.0.0.1:$WP/healthz"
curl -s -D "$TMP/h" -o "$TMP/login" -H 'Content-Type: application/json' -d '{"user": "li.na", "password": "a good long password"}' "http://127.0.0.1:$WP/api/session"
cookie=$(sed -n 's/^Set-Cookie: \(tbtwarn_session=[0-9a-f]*\);.*/\1/ip' "$TMP/h" | tr -d '\r')
csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$TMP/login")
queued=$(curl -s -X PUT -H "Cookie: $cookie" -H "X-CSRF-Token: $csrf" \
	-d '{"summary_zh": "韩国拟修订无线充电器的合格评定程序。", "actions_zh": ["评议截止前提交意见"], "published": true}' \
	"http://127.0.0.1:$WP/api/notifications/$SYM/analysis" | python3 -c 'import json,sys; print(json.load(sys.stdin)["followups_queued"])')
expect_eq "publishing queues 120 follow-ups" "$queued" 120
kill $srv; wait $srv 2>/dev/null; srv=

step "kill -9 while they go out"
export TBTWARN_SMTP_URL=smtp://127.0.0.1:$P2
kill_while_sending "$TMP/mail" 8 8
run "$TBTWARN" alert --once
expect_eq "the last run ends cleanly" "$rc" 0
[ "$kills" -ge 4 ] && ok "the alerter was killed mid-batch $kills times" || not_ok "the alerter was killed mid-batch" "only $kills kills landed"
got=$(python3 - "$TMP/mail" "$TBTWARN" <<'PY'
import email, glob, json, subprocess, sys
from collections import Counter
outbox = json.loads(subprocess.check_output([sys.argv[2], "outbox", "--json"]))
want = {r["message_id"] for r in outbox if r["kind"] == "analysis"}
states = Counter(r["state"] for r in outbox if r["kind"] == "analysis")
mail = Counter()
for f in glob.glob(sys.argv[1] + "/*"):
    mail[email.message_from_bytes(open(f, "rb").read())["Message-ID"]] += 1
print(len(want), set(mail) == want, dict(states) == {"sent": len(want)}, sum(c - 1 for c in mail.values()))
PY
)
set -- $got
expect_eq "every follow-up arrived once under its own Message-ID, the outbox says sent for all" "$1 $2 $3" "120 True True"
[ "${4:-999}" -le $((kills * 16)) ] && ok "raw duplicates only from messages in flight at a kill (${4})" ||
	not_ok "raw duplicates bounded" "got ${4:-none}, bound $((kills * 16))"
echo "1..$n"
