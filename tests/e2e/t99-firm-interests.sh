#!/bin/sh
# t99: per firm, what it said matters ranks its later alerts (issue 18, officials' and firms' side): the HS codes and
# markets of a firm's impact reports (affected or unsure) become its interests; its next digest puts the
# notifications on those products first, then those of its markets, each labelled in Chinese, and the webhook says
# which (matches_your_reports); a firm that said "not affected" keeps the usual order (risk, then deadline).
. "$(dirname "$0")/lib.sh"
mail_sink
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
node "$ROOT/tests/node/receiver.mjs" "$SECRET" > "$TMP/wport" &
wr=$!
srv=
trap 'kill $sink $wr $srv 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/wport" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
W=http://127.0.0.1:$(head -n 1 "$TMP/wport")
WP=$(free_port)
B=http://127.0.0.1:$WP
export TBTWARN_TODAY=2025-04-01 TBTWARN_BASE_URL=$B TBTWARN_ALLOW_TARGETS=127.0.0.0/8
mails() { python3 "$ROOT/tests/maildir.py" "$TMP/mail"; }

step "two firms, alerted at once and by a daily digest"
"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
run "$TBTWARN" subscriber add --email chen@chargers.example.cn --org 东莞充电器 --confirmed
A=$out
run "$TBTWARN" subscriber add --email zhao@toys.example.cn --org 汕头玩具 --confirmed
Z=$out
for s in "$A" "$Z"; do
	"$TBTWARN" subscription add "$s" --channel email --member KOR > /dev/null
	"$TBTWARN" subscription add "$s" --channel email --type tbt --frequency daily --hour 9 > /dev/null
done
"$TBTWARN" subscription add "$A" --channel webhook --url "$W/ok" --secret "$SECRET" --type tbt --frequency daily --hour 9 > /dev/null
"$TBTWARN" alert --once > /dev/null
link_of() { mails | python3 -c "
import json, re, sys
for l in sys.stdin:
    m = json.loads(l)
    if m['to'] == '<$1>' and 'G/TBT/N/KOR/1210' in (m['subject'] or ''):
        print(re.search(r'这项措施影响我们吗？：(\S+)', m['text']).group(1)); break"; }
LA=$(link_of chen@chargers.example.cn)
LZ=$(link_of zhao@toys.example.cn)
expect_match "each got its link" "$LA $LZ" "impact\?s=$A&.* .*impact\?s=$Z&"

step "they report"
printf '[web]\nlisten = 127.0.0.1:%s\n' "$WP" > "$TMP/web.ini"
"$TBTWARN" --config "$TMP/web.ini" serve > "$TMP/serve.out" 2> "$TMP/serve.err" &
srv=$!
wait_for "the web server listens" curl -sf "$B/healthz"
csrf=$(curl -s "$B/api/csrf" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
code=$(curl -s -o /dev/null -w '%{http_code}' -d affected=yes -d hs=8504.40 -d markets=KOR -d "csrf=$csrf" "$B/api/impact?${LA#*\?}")
expect_eq "the charger maker: affected, HS 8504.40, Korea" "$code" 200
code=$(curl -s -o /dev/null -w '%{http_code}' -d affected=no -d hs=9503 -d markets=EU -d "csrf=$csrf" "$B/api/impact?${LZ#*\?}")
expect_eq "the toy maker: not affected" "$code" 200
kill $srv; wait $srv 2>/dev/null; srv=
got=$(db_query "$TBTWARN_DATA" "SELECT email, coalesce(interests, '-') FROM subscribers ORDER BY id")
expect_eq "the charger maker's interests are kept (codes cut to six digits, dots dropped); the toy maker's none" "$got" \
	"$(printf 'chen@chargers.example.cn|{"hs":["850440"],"markets":["KOR"]}\nzhao@toys.example.cn|-')"

step "the next digests"
run env TBTWARN_CLOCK_OFFSET=90000 "$TBTWARN" alert --once
order() { mails | python3 -c "
import json, re, sys
for l in sys.stdin:
    m = json.loads(l)
    if m['to'] == '<$1>' and '每日摘要' in (m['subject'] or ''):
        heads = [h for h in m['text'].splitlines() if h.startswith('■ ')]
        print(json.dumps([(('P' if '【涉及贵企业所报产品】' in h else 'M' if '【贵企业所报市场】' in h else '-'), re.search(r'G/[A-Z]+/N/\S+', h).group(0)) for h in heads]))"; }
OA=$(order chen@chargers.example.cn)
OZ=$(order zhao@toys.example.cn)
got=$(printf '%s' "$OA" | python3 -c 'import json,sys; o = json.load(sys.stdin); print(o[:2], all(x[0] == "-" for x in o[2:]), len(o))')
expect_match "the charger maker's digest leads with the notifications on its products, labelled" "$got" \
	"^\[\['P', 'G/TBT/N/KOR/1210'\], \['P', 'G/TBT/N/CHL/712'\]\] True [0-9]+$"
got=$(printf '%s' "$OZ" | python3 -c 'import json,sys; o = json.load(sys.stdin); print(o[0][1], all(x[0] == "-" for x in o), len(o))')
expect_match "the toy maker's keeps the usual order (high risk first), nothing labelled" "$got" "^G/TBT/N/EU/[0-9/A-Za-z.]+ True [0-9]+$"
n1=$(printf '%s' "$OA" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
n2=$(printf '%s' "$OZ" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "both digests carry the same notifications" "$n1" "$n2"
got=$(curl -s "$W/log" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    b = e.get("body") or {}
    if b.get("type") == "digest" or len(b.get("items", [])) > 1:
        its = b["items"]
        print(e["verified"], [(x["notification"]["symbol"], x["matches_your_reports"]) for x in its[:2]], all(x["matches_your_reports"] is None for x in its[2:]))')
expect_eq "the webhook's digest says which items match the firm's reports, and puts them first" "$got" \
	"True [('G/TBT/N/KOR/1210', 'products'), ('G/TBT/N/CHL/712', 'products')] True"
echo "1..$n"
