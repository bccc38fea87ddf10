#!/bin/sh
# t89: from warning to response in one run of the real service (issue 18, what must be shown): a notification comes
# in from a source, the firm is alerted by e-mail (smtp-sink), follows the link in the mail and files an impact
# report; an analyst logs in, sees it aggregated and publishes an analysis; the firm receives exactly one follow-up,
# through kill -9 and a second publication; the comment draft names the member's enquiry point and the firm's
# concern. A translator may not publish, an expert only on their categories, an anonymous client nothing, a change
# without the CSRF token is refused.
. "$(dirname "$0")/lib.sh"
SYM=G/TBT/N/KOR/1210
mail_sink
mkdir -p "$TMP/in"
srv=
trap 'kill $sink $srv 2>/dev/null; rm -rf "$TMP"' EXIT
WP=$(free_port)
B=http://127.0.0.1:$WP
export TBTWARN_TODAY=2025-04-01 TBTWARN_BASE_URL=$B
mails() { python3 "$ROOT/tests/maildir.py" "$TMP/mail"; }
count() { mails | python3 -c "import json,sys; print(sum(1 for l in sys.stdin for m in [json.loads(l)] if $1))"; }
followups() { count "m['to'] == '<chen@chargers.example.cn>' and '专家解读与应对建议' in (m['subject'] or '')"; }
printf '[crawler]\npolite_delay = 0s\n[source in]\nkind = dir\ndir = %s\ninterval = 1s\n[web]\nlisten = 127.0.0.1:%s\n[service]\ncollect_interval = 1s\n' \
	"$TMP/in" "$WP" > "$TMP/run.ini"
start() {
	"$TBTWARN" --config "$TMP/run.ini" run >> "$TMP/run.out" 2>> "$TMP/run.err" &
	srv=$!
	wait_for "the service runs" curl -sf "$B/healthz"
}

step "the firm, the staff, the service"
run "$TBTWARN" subscriber add --email chen@chargers.example.cn --org 东莞充电器 --confirmed
"$TBTWARN" subscription add "$out" --channel email --category chargers_power_supplies > /dev/null
pw() { printf 'a good long password\n'; }
pw | "$TBTWARN" user add li.na --role analyst --password-stdin > /dev/null
pw | "$TBTWARN" user add zhou --role translator --password-stdin > /dev/null
pw | "$TBTWARN" user add he.lab --role expert --categories toys_games --password-stdin > /dev/null
start

step "a notification comes in; the firm is alerted and reports"
cp "$ROOT/tests/data/samples/eping-2025-03-a.json" "$TMP/in/"
alerted() { [ "$(count "m['to'] == '<chen@chargers.example.cn>' and '$SYM' in (m['subject'] or '') and '专家解读' not in m['subject']")" -ge 1 ]; }
wait_for "the service crawls, and alerts the firm to $SYM by e-mail" alerted
link=$(mails | python3 -c "
import json, re, sys
for l in sys.stdin:
    m = json.loads(l)
    if '$SYM' in (m['subject'] or ''):
        print(re.search(r'这项措施影响我们吗？：(\S+)', m['text']).group(1)); break")
expect_match "the mail carries the signed link" "$link" "^$B/impact\?s=[0-9]+&n=$SYM&t=[0-9a-f]{64}$"
expect_eq "which opens the form" "$(curl -s -o /dev/null -w '%{http_code}' "$link")" 200
csrf=$(curl -s "$B/api/csrf" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
code=$(curl -s -o /dev/null -w '%{http_code}' -d affected=yes -d hs=850440 -d markets=KOR -d export_value=10m-100m \
	--data-urlencode concern=无线充电器需重新做电磁兼容测试 -d join=comment -d consent=yes --data-urlencode city=东莞 -d "csrf=$csrf" "$B/api/impact?${link#*\?}")
expect_eq "the firm files its impact report" "$code" 200

step "roles and CSRF"
login() { staff_login "$B" "$1"; }
call() { staff_call "$1" "$2" "$B/api/notifications/$3" "${4-}"; }
AN=$(login li.na)
TR=$(login zhou)
EX=$(login he.lab)
PUB='{"summary_zh": "韩国拟对无线充电器实施新的电磁兼容要求。", "requirements_zh": "按 KN 301 489 测试。", "actions_zh": ["在 2025-05-23 前提交评议意见", "安排预测试"], "published": true}'
expect_eq "an anonymous client sees no reports: 401" "$(curl -s -o /dev/null -w '%{http_code}' "$B/api/notifications/$SYM/impact")" 401
expect_eq "nor publishes: 401" "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -d "$PUB" "$B/api/notifications/$SYM/analysis")" 401
expect_eq "a translator may not publish: 403" "$(call "$TR" PUT "$SYM/analysis" "$PUB")" 403
expect_eq "an expert outside the notification's categories may not advise: 403" "$(call "$EX" POST "$SYM/advice" '{"text_zh": "建议"}')" 403
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Cookie: ${AN%% *}" -d "$PUB" "$B/api/notifications/$SYM/analysis")
expect_eq "the analyst without the CSRF token: 403" "$code" 403

step "the analyst sees the report, publishes; exactly one follow-up"
expect_eq "the analyst sees the reports aggregated" "$(call "$AN" GET "$SYM/impact")" 200
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["reports"], d["affected"], d["export_value_cny"]["min"], d["concerns"][0]["org"], list(d["by_city"]))' "$TMP/ans")
expect_eq "one firm, affected, 10 million CNY at least, named with its consent, from Dongguan" "$got" "1 1 10000000.0 东莞充电器 ['东莞']"
expect_eq "the analyst publishes" "$(call "$AN" PUT "$SYM/analysis" "$PUB")" 200
expect_eq "one follow-up queued" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["followups_queued"])' "$TMP/ans")" 1
followed() { [ "$(followups)" -ge 1 ]; }
wait_for "the service sends the follow-up" followed
kill -9 $srv; wait $srv 2>/dev/null
start
AN=$(login li.na)
expect_eq "publishing again after kill -9 (an edit)" "$(call "$AN" PUT "$SYM/analysis" "$PUB")" 200
expect_eq "queues no second follow-up" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["followups_queued"])' "$TMP/ans")" 0
expect_eq "the outbox holds one follow-up, sent" "$(db_query "$TBTWARN_DATA" "SELECT count(*), min(state) FROM outbox WHERE kind = 'analysis'")" "1|sent"
expect_eq "the firm received exactly one follow-up" "$(followups)" 1

step "the comment draft"
expect_eq "the analyst opens the comment draft" "$(call "$AN" GET "$SYM/comment")" 200
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["to"].startswith("WTO TBT Enquiry Point of Korea"), "G/TBT/N/KOR/1210" in d["subject"], "东莞充电器: 无线充电器需重新做电磁兼容测试" in d["text"])' "$TMP/ans")
expect_eq "to Korea's enquiry point, the symbol in the subject, the firm's concern named with its consent" "$got" "True True True"
echo "1..$n"
