#!/bin/sh
# t16: a base notification, then its addendum extending the comment period: the record's current dates, search
# open:yes, the dashboard's closing list, the calendar, the reminder and the addendum's alert all use the new date,
# and the alert says what changed.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
M=$ROOT/tests/data/moved
mkdir -p "$TMP/mail" && chmod 755 "$TMP" && chmod 777 "$TMP/mail"
P=$(free_port)
smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$P 100 & sink=$!
trap 'kill $sink $srv 2>/dev/null; cat "$TMP/serve.err" >&2; rm -rf "$TMP"' EXIT
export TBTWARN_SMTP_URL=smtp://127.0.0.1:$P TBTWARN_TODAY=2025-04-03 TBTWARN_WRITE_RATE=1000/1m
mails() { python3 "$ROOT/tests/maildir.py" "$TMP/mail"; }

# Step 1: the base, and a subscriber who reads Chinese, alerted to it.
step "1: the base"
"$TBTWARN" import "$M/base.txt" > /dev/null
run "$TBTWARN" subscriber add --email wu@toys.example.cn --name 吴 --confirmed
SUB=$out
"$TBTWARN" subscription add "$SUB" --channel email --category toys_games > /dev/null
run "$TBTWARN" alert --once
expect_match "the base is alerted" "$out" "^alert: 1 notifications matched, 1 deliveries queued, 1 sent"

# Step 2: the addendum moves the deadline from 10 May to 20 June.
step "2: the addendum moves the deadline from 10 May to 20 June"
run "$TBTWARN" import "$M/addendum.txt"
expect_eq "the addendum is added" "$out" "added 1, updated 0, unchanged 0, rejected 0"
run "$TBTWARN" show --json G/TBT/N/CAN/745
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["dates"]["comment_deadline"]["date"], d["effective_dates"]["comment_deadline"])')
expect_eq "the base keeps what it said and carries the measure's current deadline with its source" "$got" \
	"2025-05-10 {'date': '2025-06-20', 'by': 'G/TBT/N/CAN/745/Add.1'}"
run "$TBTWARN" show G/TBT/N/CAN/745
expect_match "show prints the current deadline and where it comes from" "$out" "^Current deadline +2025-06-20 \(by G/TBT/N/CAN/745/Add.1\)$"

# Step 3: after the old deadline, the measure is still open.
step "3: after the old deadline"
run env TBTWARN_TODAY=2025-05-15 "$TBTWARN" search --json open:yes
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted((h["symbol"], h["comment_deadline"]) for h in d["hits"]))')
expect_eq "open:yes on 15 May finds the measure at its new deadline" "$got" \
	"[('G/TBT/N/CAN/745', '2025-06-20'), ('G/TBT/N/CAN/745/Add.1', '2025-06-20')]"
run env TBTWARN_TODAY=2025-05-15 "$TBTWARN" search --json 'deadline:2025-05-01..2025-05-31'
expect_match "and no longer at the old one" "$out" '"total": 0'

# Step 4: the addendum's alert says what changed, in Chinese.
step "4: the addendum's alert says what changed"
run env TBTWARN_TODAY=2025-05-06 "$TBTWARN" alert --once
expect_match "the addendum is alerted" "$out" "^alert: 1 notifications matched, 1 deliveries queued, 1 sent"
got=$(mails | python3 -c "
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if 'Add.1' in (m['subject'] or ''): print('变更' in m['text'], '评议截止日期延长至 2025-06-20（原为 2025-05-10）' in m['text'], '2025-06-20' in m['html'])")
expect_eq "its mail says 评议截止日期延长至 2025-06-20（原为 2025-05-10）" "$got" "True True True"

# Step 5: the reminder comes before the new deadline, not the old one.
step "5: the reminder comes before the new deadline"
run env TBTWARN_TODAY=2025-05-08 "$TBTWARN" alert --once
got=$(mails | grep -c 'reminder' || true)
expect_eq "no reminder before the old deadline" "$got" 0
run env TBTWARN_TODAY=2025-06-16 "$TBTWARN" alert --once
got=$(mails | python3 -c "
import json, sys
print([m['message_id'] for l in sys.stdin for m in [json.loads(l)] if 'reminder' in m['message_id']])")
expect_eq "one reminder, for 20 June" "$got" "['<tbtwarn.reminder.$SUB.G/TBT/N/CAN/745.2025-06-20@tbtwarn>']"

# Step 6: the web: the dashboard's closing list and the calendar, one entry per measure at the new date.
step "6: the web"
TBTWARN_TODAY=2025-06-10 "$TBTWARN" serve --listen 127.0.0.1:0 > "$TMP/serve.out" 2> "$TMP/serve.err" &
srv=$!
wait_for "the service listens" grep -q "serving http" "$TMP/serve.out"
U=$(sed -n "s/.*serving \(http[^ ]*\).*/\1/p" "$TMP/serve.out" | head -n 1); U=${U%/}
got=$(curl -s "$U/api/stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([(h["symbol"], h["comment_deadline"]) for h in d["closing"]["14"]["items"]])')
expect_eq "the dashboard lists the measure once, closing on 20 June" "$got" "[('G/TBT/N/CAN/745', '2025-06-20')]"
cal=$(curl -s "$U/calendar/deadlines.ics?category=toys_games")
got=$(printf '%s' "$cal" | grep -c '^DTSTART;VALUE=DATE:20250620' || true)
expect_eq "the calendar has one deadline event, on 20 June" "$got" 1
got=$(printf '%s' "$cal" | grep -c '^DTSTART;VALUE=DATE:20250510' || true)
expect_eq "and none on the old date" "$got" 0
expect_match "the event names the member and the measure" "$(printf '%s' "$cal" | tr -d '\r' | sed -n 's/^SUMMARY://p')" "加拿大 G/TBT/N/CAN/745 \(CAN\)"
