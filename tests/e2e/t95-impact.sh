#!/bin/sh
# t95: firms' impact reports (issue 18, third part) through the real binary and smtp-sink: the link "这项措施影响我们
# 吗？" in each alert opens a form (tried at phone width in Chromium) that needs no account, takes the form's fields
# (affected, hs, markets, export_value, concern, join, consent, csrf), refuses bad values, forged links and a missing
# CSRF token, and closes at the comment deadline; analysts see the reports aggregated (JSON with reports, affected,
# export_value_cny {min, max}, concerns) and as CSV, firms named only with their consent; others see nothing.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
SYM=G/TBT/N/KOR/1210
mkdir -p "$TMP/mail" && chmod 755 "$TMP" && chmod 777 "$TMP/mail"
P=$(free_port)
smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$P 100 & sink=$!
srv=
trap 'kill $sink $srv 2>/dev/null; rm -rf "$TMP"' EXIT
WP=$(free_port)
B=http://127.0.0.1:$WP
export TBTWARN_SMTP_URL=smtp://127.0.0.1:$P TBTWARN_TODAY=2025-04-01 TBTWARN_BASE_URL=$B
mails() { python3 "$ROOT/tests/maildir.py" "$TMP/mail"; }

step "alerts carry the link"
"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
run "$TBTWARN" subscriber add --email chen@chargers.example.cn --org 东莞充电器 --confirmed
A=$out
run "$TBTWARN" subscriber add --email zhao@power.example.cn --org 深圳电源 --confirmed
Z=$out
run "$TBTWARN" subscriber add --email wu@cases.example.cn --confirmed
U=$out
"$TBTWARN" subscription add "$A" --channel email --member KOR > /dev/null
"$TBTWARN" subscription add "$Z" --channel email --member KOR > /dev/null
"$TBTWARN" subscription add "$U" --channel email --member KOR > /dev/null
"$TBTWARN" alert --once > /dev/null
link_of() { mails | python3 -c "
import json, re, sys
for l in sys.stdin:
    m = json.loads(l)
    if m['to'] == '<$1>' and '$SYM' in (m['subject'] or ''):
        print(re.search(r'这项措施影响我们吗？：(\S+)', m['text']).group(1)); break"; }
LA=$(link_of chen@chargers.example.cn)
LZ=$(link_of zhao@power.example.cn)
expect_match "the alert mail carries its signed link" "$LA" "^$B/impact\?s=$A&n=$SYM&t=[0-9a-f]{64}$"
html=$(mails | python3 -c "import json,sys; print(sum(1 for l in sys.stdin for m in [json.loads(l)] if '这项措施影响我们吗？' in (m['html'] or '') and '/impact?s=' in m['html']))")
[ "$html" -ge 2 ] && ok "and its HTML part as a link ($html mails)" || not_ok "and its HTML part as a link" "mails with it: $html"

step "the form"
printf '[web]\nlisten = 127.0.0.1:%s\n' "$WP" > "$TMP/web.ini"
"$TBTWARN" --config "$TMP/web.ini" serve > "$TMP/serve.out" 2> "$TMP/serve.err" &
srv=$!
wait_for "the web server listens" curl -sf "$B/healthz"
Q=${LA#*\?}
got=$(curl -s "$B/api/impact?$Q" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["notification"]["symbol"], d["report"], d["open"])')
expect_eq "the link opens the notification, no report yet, open" "$got" "$SYM None True"
expect_eq "the page itself is served" "$(curl -s -o /dev/null -w '%{http_code}' "$LA")" 200
expect_eq "under /impact/ too" "$(curl -s -o /dev/null -w '%{http_code}' "$B/impact/?$Q")" 200
forged=$(printf '%s' "$Q" | python3 -c 'import sys; q = sys.stdin.read(); i = q.index("t=") + 2; print(q[:i] + ("1" if q[i] == "0" else "0") + q[i + 1:])')
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/api/impact?$forged")
expect_eq "a forged token: 403" "$code" 403
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/api/impact?$(printf '%s' "$Q" | sed 's|KOR/1210|USA/2201|')")
expect_eq "the token of one notification opens no other: 403" "$code" 403
csrf=$(curl -s "$B/api/csrf" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
post() { curl -s -o "$TMP/post" -w '%{http_code}' -X POST "$B/api/impact?$1" --data-urlencode "csrf=$2" $3; }
expect_eq "a report without the CSRF token: 403" "$(post "$Q" "" "-d affected=yes")" 403
expect_eq "affected must be yes, no or unsure: 400" "$(post "$Q" "$csrf" "-d affected=maybe")" 400
expect_match "saying so in Chinese" "$(cat "$TMP/post")" "affected：请选择 yes、no 或 unsure"
expect_eq "an export value out of the ranges: 400" "$(post "$Q" "$csrf" "-d affected=yes -d export_value=999")" 400
long=$(python3 -c 'print("长" * 800)')
expect_eq "a concern over 2,000 bytes: 400" "$(post "$Q" "$csrf" "-d affected=yes --data-urlencode concern=$long")" 400
expect_eq "a city outside Guangdong's list: 400" "$(post "$Q" "$csrf" "-d affected=yes --data-urlencode city=北京")" 400
expect_match "saying so in Chinese" "$(cat "$TMP/post")" "city：请选择广东省的地级市"
expect_eq "the firm's report" "$(post "$Q" "$csrf" "-d affected=yes -d hs=850440,850760 -d markets=KOR -d export_value=1m-10m --data-urlencode concern=需重新测试 -d join=comment -d consent=yes --data-urlencode city=东莞")" 200
expect_eq "an edit replaces it" "$(post "$Q" "$csrf" "-d affected=yes -d hs=850440 -d markets=KOR -d export_value=10m-100m --data-urlencode concern=需重新做电磁兼容测试 -d join=stc -d consent=yes --data-urlencode city=东莞")" 200
expect_eq "another firm's report, without consent" "$(post "${LZ#*\?}" "$csrf" "-d affected=yes -d export_value=gt100m --data-urlencode concern=认证费用高 -d join=comment --data-urlencode city=深圳")" 200
expect_eq "one report per firm and notification" "$(db_query "$TBTWARN_DATA" "SELECT count(*) FROM impact_reports")" 2

step "in the browser at phone width"
if command -v chromium >/dev/null && [ -d "$ROOT/tests/node/node_modules/playwright-core" ]; then
	timeout 120 node "$ROOT/tests/node/impact.test.mjs" "$(link_of wu@cases.example.cn)" > "$TMP/impact.out" 2>&1
	# The analyst's dashboard in the browser, once reports are in (the firm sends the same report again).
	printf 'a good long password\n' | "$TBTWARN" user add dash.an --role analyst --password-stdin > /dev/null
	timeout 120 node "$ROOT/tests/node/impact.test.mjs" "$(link_of wu@cases.example.cn)" '{"user": "dash.an", "password": "a good long password"}' > "$TMP/dash.out" 2>&1
	grep -q '^ok .*dashboard ranks' "$TMP/dash.out" && ok "an analyst's dashboard ranks the measures by reported impact (Chromium)" ||
		not_ok "an analyst's dashboard ranks the measures by reported impact (Chromium)" "$(grep -A3 'not ok' "$TMP/dash.out" | head -8)"
	relay_tap "$TMP/impact.out"
	grep -q '^ok ' "$TMP/impact.out" || not_ok "the browser test ran" "$(tail -5 "$TMP/impact.out")"
else
	not_ok "the impact form in Chromium (chromium and playwright-core are not installed)"
fi

step "what officials see"
printf 'a good long password\n' | "$TBTWARN" user add li.na --role analyst --password-stdin > /dev/null
printf 'a good long password\n' | "$TBTWARN" user add zhou --role translator --password-stdin > /dev/null
cookie() {
	curl -s -D "$TMP/h" -o /dev/null -H 'Content-Type: application/json' -d "{\"user\": \"$1\", \"password\": \"a good long password\"}" "$B/api/session"
	sed -n 's/^Set-Cookie: \(tbtwarn_session=[0-9a-f]*\);.*/\1/ip' "$TMP/h" | tr -d '\r'
}
AN=$(cookie li.na)
agg=$(curl -s -H "Cookie: $AN" "$B/api/notifications/$SYM/impact" | python3 -c '
import json, sys
d = json.load(sys.stdin)
named = [(x["org"], x["concern"]) for x in d["concerns"] if x.get("org")]
print(d["reports"], d["affected"], d["export_value_cny"]["min"] >= 1e7 + 1e8, d["export_value_cny"]["max"], d["join"]["stc"], len(d["concerns"]), named)')
expect_eq "the analyst sees the reports aggregated, firms named only with consent" "$agg" \
	"3 3 True None 2 3 [('东莞充电器', '需重新做电磁兼容测试')]"
groups=$(curl -s -H "Cookie: $AN" "$B/api/notifications/$SYM/impact" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sorted((k, g["reports"], g["concerns"]) for k, g in d["by_city"].items()),
      sorted((k, g["name_zh"], g["reports"]) for k, g in d["by_category"].items()),
      sorted(tuple(c["categories"]) for c in d["concerns"]))')
expect_eq "concerns grouped by city and by the categories of the products reported" "$groups" \
	"[('东莞', 1, 1), ('佛山', 1, 1), ('深圳', 1, 1)] [('chargers_power_supplies', '充电器、电源适配器及静止式变流器', 2), ('unspecified', '未注明产品', 1)] [('chargers_power_supplies',), ('chargers_power_supplies',), ('unspecified',)]"
csv=$(curl -s -H "Cookie: $AN" "$B/api/notifications/$SYM/impact?format=csv" | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin.read().lstrip("\ufeff").splitlines()))
print(len(rows), [r["org"] for r in rows if r["org"]], rows[0]["symbol"], sorted(r["city"] for r in rows))')
expect_eq "and as CSV (a BOM, the firm named with consent only, its city)" "$csv" "3 ['东莞充电器'] $SYM ['东莞', '佛山', '深圳']"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $(cookie zhou)" "$B/api/notifications/$SYM/impact")
expect_eq "a translator may not see them: 403" "$code" 403
expect_eq "nor an anonymous client: 401" "$(curl -s -o /dev/null -w '%{http_code}' "$B/api/notifications/$SYM/impact")" 401

step "the dashboard's ranking"
rank=$(curl -s -H "Cookie: $AN" "$B/api/staff/ranking" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d[0]["symbol"], d[0]["affected"], d[0]["days_left"], d[0]["comment"])')
expect_eq "most reported impact first, with the days left and the comment's status" "$rank" "$SYM 3 52 none"

step "the comment"
draft=$(curl -s -H "Cookie: $AN" "$B/api/notifications/$SYM/comment" | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = d["text"]
print(d["to"].startswith("WTO TBT Enquiry Point of Korea"), d["subject"].startswith("Comments on G/TBT/N/KOR/1210: "),
      t.index("1. General comments") < t.index("2. Specific comments") < t.index("3. Requests"), "东莞充电器: 需重新做电磁兼容测试" in t,
      "A producer: 认证费用高" in t, "深圳电源" in t, "3 firms reported" in t, d["status"])')
expect_eq "the draft: to the enquiry point, general then specific comments, firms named only with consent" "$draft" \
	"True True True True True False True draft"
curl -s -D "$TMP/dh" -o "$TMP/doc" -H "Cookie: $AN" "$B/api/notifications/$SYM/comment?format=doc"
got=$(tr -d '\r' < "$TMP/dh" | grep -ai '^Content-Type:\|^Content-Disposition:' | sort | tr '\n' '|')
expect_eq "as a Word-compatible file" "$got" 'Content-Disposition: attachment; filename="comment-G-TBT-N-KOR-1210.doc"|Content-Type: application/msword|'
grep -q 'urn:schemas-microsoft-com:office:word' "$TMP/doc" && grep -q '2. Specific comments' "$TMP/doc" && ok "which Word and WPS open, with the text" ||
	not_ok "which Word and WPS open, with the text" "$(head -c 300 "$TMP/doc")"
cput() { curl -s -o "$TMP/cput" -w '%{http_code}' -X PUT -H "Cookie: $AN" -H "X-CSRF-Token: $ANCSRF" -d "$1" "$B/api/notifications/$SYM/comment"; }
ANCSRF=$(curl -s -H "Cookie: $AN" "$B/api/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
expect_eq "sent without its date: 400" "$(cput '{"status": "sent"}')" 400
expect_eq "sent on 2025-05-10" "$(cput '{"status": "sent", "sent_on": "2025-05-10"}')" 200
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $(cookie zhou)" "$B/api/notifications/$SYM/comment")
expect_eq "a translator may not see the comment: 403" "$code" 403
times=$(curl -s -H "Cookie: $AN" "$B/api/notifications/$SYM/response-times" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["distributed"], d["first_alert"] is not None, d["comment_sent"], d["days_to_comment"])')
expect_eq "the response-time record: distributed, first alert, comment sent" "$times" "2025-03-24 True 2025-05-10 47"
summary=$(curl -s -H "Cookie: $AN" "$B/api/staff/response-times" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["since"], d["first_alert"]["count"] >= 1, d["analysis"]["count"], d["analysis"]["median_days"], d["comment"]["count"], d["comment"]["median_days"])')
expect_eq "over the last 180 days: alerts, no analysis yet, one comment sent in 47 days" "$summary" "2024-10-03 True 0 None 1 47"
expect_eq "a since that is not a date: 400" "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $AN" "$B/api/staff/response-times?since=yesterday")" 400
expect_eq "a translator may not see the record: 403" "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $(cookie zhou)" "$B/api/staff/response-times")" 403

step "trade concerns"
stc=$(curl -s -H "Cookie: $AN" "$B/api/staff/stc" | python3 -c 'import json,sys; print([(x["symbol"], x["comment"]) for x in json.load(sys.stdin)])')
expect_eq "a sent comment not answered makes a candidate for a specific trade concern" "$stc" "[('$SYM', 'sent')]"
rows=$(curl -s -H "Cookie: $AN" "$B/api/staff/stc?format=csv" | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin.read().lstrip("\ufeff").splitlines()))
print(len(rows), rows[0]["symbol"], rows[0]["affected"], "东莞充电器：需重新做电磁兼容测试" in rows[0]["concerns"], "深圳电源" in rows[0]["concerns"])')
expect_eq "the dossier as CSV" "$rows" "1 $SYM 3 True False"
expect_eq "answered" "$(cput '{"status": "answered", "sent_on": "2025-05-10", "answered_on": "2025-05-20"}')" 200
stc=$(curl -s -H "Cookie: $AN" "$B/api/staff/stc" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "an answered comment before the deadline is no candidate" "$stc" 0

step "after the deadline"
kill $srv; wait $srv 2>/dev/null
TBTWARN_TODAY=2025-06-01 "$TBTWARN" --config "$TMP/web.ini" serve >> "$TMP/serve.out" 2>> "$TMP/serve.err" &
srv=$!
wait_for "the web server listens after the deadline" curl -sf "$B/healthz"
got=$(curl -s "$B/api/impact?$Q" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["open"], d["report"]["export_value"])')
expect_eq "the report is shown, closed" "$got" "False 10m-100m"
csrf=$(curl -s "$B/api/csrf" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
expect_eq "and no longer changes: 403" "$(post "$Q" "$csrf" "-d affected=no")" 403
AN=$(cookie li.na)
stc=$(curl -s -H "Cookie: $AN" "$B/api/staff/stc" | python3 -c 'import json,sys; print([(x["symbol"], x["days_left"]) for x in json.load(sys.stdin)])')
expect_eq "once the deadline passed, reported impact makes a candidate" "$stc" "[('$SYM', -9)]"
echo "1..$n"
