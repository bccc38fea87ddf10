#!/bin/sh
# t98: reminders to analysts before comment deadlines (issue 18, comments): through the real service and smtp-sink,
# every analyst and admin with an address (not a translator, not an analyst without one) is reminded by e-mail, in
# Chinese, of each notification firms said hurts them, on the reminder days ([service] staff_reminders = 14,3) while
# the comment is not sent: once per person, notification and day, through kill -9 and restarts; a comment marked
# sent is no longer reminded of; a bad staff_reminders is refused with where and why.
. "$(dirname "$0")/lib.sh"
mail_sink
mkdir -p "$TMP/in"
srv=
trap 'kill $sink $srv 2>/dev/null; rm -rf "$TMP"' EXIT
WP=$(free_port)
B=http://127.0.0.1:$WP
export TBTWARN_BASE_URL=$B
mails() { python3 "$ROOT/tests/maildir.py" "$TMP/mail"; }
reminders() { mails | python3 -c "
import json, sys
ms = [json.loads(l) for l in sys.stdin]
print(sorted((m['to'], m['subject'].split(' ')[1], m['subject'].split('还剩 ')[1].split(' ')[0]) for m in ms if (m['subject'] or '').startswith('[TBT评议提醒]')))"; }
atleast() { [ "$(nrem)" -ge "$1" ]; }
nrem() { mails | python3 -c "import json,sys; print(sum(1 for l in sys.stdin if (json.loads(l)['subject'] or '').startswith('[TBT评议提醒]')))"; }
printf '[crawler]\npolite_delay = 0s\n[source in]\nkind = dir\ndir = %s\ninterval = 1h\n[web]\nlisten = 127.0.0.1:%s\n[operator]\ncheck = 1s\n' \
	"$TMP/in" "$WP" > "$TMP/run.ini"
start() { # TODAY
	TBTWARN_TODAY=$1 "$TBTWARN" --config "$TMP/run.ini" run > "$TMP/run.out" 2> "$TMP/run.err" &
	srv=$!
	wait_for "the service runs on $1" curl -sf "$B/healthz"
}
checked() { # N: the reminders were looked for and N were due
	grep -q "staff reminders: $1 due" "$TMP/run.err"
}

step "a bad setting"
printf '[service]\nstaff_reminders = 3,14\n' > "$TMP/bad.ini"
run "$TBTWARN" --config "$TMP/bad.ini" run
expect_match "staff_reminders out of order is refused, saying where" "$rc|$err" "^2\|.*bad.ini:2: staff_reminders wants days before a deadline, descending"

step "firms report"
"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
run "$TBTWARN" subscriber add --email chen@chargers.example.cn --org 东莞充电器 --confirmed
"$TBTWARN" subscription add "$out" --channel email --member KOR > /dev/null
TBTWARN_TODAY=2025-04-01 "$TBTWARN" alert --once > /dev/null
pw() { printf 'a good long password\n'; }
pw | "$TBTWARN" user add li.na --role analyst --password-stdin --email li.na@dofcom.example.gov.cn > /dev/null
pw | "$TBTWARN" user add boss --role admin --password-stdin --email boss@dofcom.example.gov.cn > /dev/null
pw | "$TBTWARN" user add zhou --role translator --password-stdin --email zhou@translate.example.cn > /dev/null
pw | "$TBTWARN" user add wang --role analyst --password-stdin > /dev/null
start 2025-04-01
csrf=$(curl -s "$B/api/csrf" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
for sym in G/TBT/N/KOR/1210 G/SPS/N/KOR/800; do
	link=$(mails | python3 -c "
import json, re, sys
for l in sys.stdin:
    m = json.loads(l)
    if '$sym' in (m['subject'] or ''):
        print(re.search(r'这项措施影响我们吗？：(\S+)', m['text']).group(1)); break")
	code=$(curl -s -o "$TMP/post" -w '%{http_code}' -d affected=yes -d export_value=1m-10m -d "csrf=$csrf" "$B/api/impact?${link#*\?}")
	expect_eq "the firm reports on $sym" "$code" 200
done
wait_for "52 days before the first deadline, nothing is due" checked 0
kill $srv; wait $srv 2>/dev/null

step "14 days before"
start 2025-05-12
wait_for "two reminders go out" atleast 2
expect_eq "to the analyst and the admin with an address, about G/TBT/N/KOR/1210, 11 days left" "$(reminders)" \
	"[('<boss@dofcom.example.gov.cn>', 'G/TBT/N/KOR/1210', '11'), ('<li.na@dofcom.example.gov.cn>', 'G/TBT/N/KOR/1210', '11')]"
got=$(mails | python3 -c "
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m['to'] == '<li.na@dofcom.example.gov.cn>':
        t = m['text']
        print('评议截止日为 2025-05-23，还剩 11 天' in t, '1 家企业反馈，其中 1 家表示受影响' in t, '尚未起草' in t, '$B/n/G/TBT/N/KOR/1210' in t, 'comment?format=doc' in t)")
expect_eq "saying when, how many firms, the comment's state and where to work, in Chinese" "$got" "True True True True True"
kill -9 $srv; wait $srv 2>/dev/null
: > "$TMP/run.err"
start 2025-05-12
wait_for "after kill -9 the reminders are looked for again" checked 1
expect_eq "and none goes twice" "$(nrem)" 2

step "a comment sent is no longer reminded of"
code=$(staff_call "$(staff_login "$B" li.na)" PUT "$B/api/notifications/G/TBT/N/KOR/1210/comment" '{"status": "sent", "sent_on": "2025-05-13"}')
expect_eq "the analyst marks the comment sent" "$code" 200
kill $srv; wait $srv 2>/dev/null
: > "$TMP/run.err"
start 2025-05-21
wait_for "2 days before its deadline, nothing is due" checked 0

step "the next notification, at 14 and at 3 days"
kill $srv; wait $srv 2>/dev/null
start 2025-06-05
wait_for "10 days before G/SPS/N/KOR/800: reminded" atleast 4
kill $srv; wait $srv 2>/dev/null
start 2025-06-13
wait_for "2 days before: reminded again" atleast 6
wait_for "and looked for once more" checked 1
expect_eq "six reminders in all, each once" "$(reminders)" \
	"[('<boss@dofcom.example.gov.cn>', 'G/SPS/N/KOR/800', '10'), ('<boss@dofcom.example.gov.cn>', 'G/SPS/N/KOR/800', '2'), ('<boss@dofcom.example.gov.cn>', 'G/TBT/N/KOR/1210', '11'), ('<li.na@dofcom.example.gov.cn>', 'G/SPS/N/KOR/800', '10'), ('<li.na@dofcom.example.gov.cn>', 'G/SPS/N/KOR/800', '2'), ('<li.na@dofcom.example.gov.cn>', 'G/TBT/N/KOR/1210', '11')]"
expect_eq "none to the translator or to an analyst without an address" "$(mails | grep -c 'zhou@\|wang')" 0
expect_eq "the reminders in all" "$(nrem)" 6
echo "1..$n"
