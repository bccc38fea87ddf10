#!/bin/sh
# t94: analysis and advice per notification (解读与应对建议, issue 18, second part) through the real binary and
# postfix's smtp-sink: firms are alerted; an analyst saves a draft (nothing goes out), then publishes: every
# subscription already alerted gets exactly one follow-up ("专家解读与应对建议") by e-mail and by its webhook, however
# many times the analysis is published again; a later alert for the notification carries the analysis. A translator
# may not publish, nor an expert (who adds advice beside it: t97), an anonymous client nothing, a change without the
# CSRF token is refused; every version is kept.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
S=$ROOT/tests/data/samples
SYM=G/TBT/N/KOR/1210
mkdir -p "$TMP/mail" && chmod 755 "$TMP" && chmod 777 "$TMP/mail"
P=$(free_port)
smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$P 100 & sink=$!
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
node "$ROOT/tests/node/receiver.mjs" "$SECRET" > "$TMP/wport" &
wr=$!
srv=
trap 'kill $sink $wr $srv 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/wport" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
W=http://127.0.0.1:$(head -n 1 "$TMP/wport")
export TBTWARN_SMTP_URL=smtp://127.0.0.1:$P TBTWARN_ALLOW_TARGETS=127.0.0.0/8 TBTWARN_TODAY=2025-04-01
mails() { python3 "$ROOT/tests/maildir.py" "$TMP/mail"; }
followups() { mails | python3 -c "import json,sys; print(sum(1 for l in sys.stdin for m in [json.loads(l)] if '专家解读与应对建议' in (m['subject'] or '')))"; }
hooks() { curl -s "$W/log" | python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin) if e.get('body', {}).get('type') == 'notification.analysis'))"; }

step "firms alerted"
"$TBTWARN" import "$S"/* > /dev/null
run "$TBTWARN" subscriber add --email chen@chargers.example.cn --name 陈静 --org 东莞充电器 --confirmed
A=$out
"$TBTWARN" subscription add "$A" --channel email --member KOR > /dev/null
"$TBTWARN" subscription add "$A" --channel webhook --url "$W/ok" --secret "$SECRET" --member KOR > /dev/null
run "$TBTWARN" subscriber add --email li@toys.example.cn --confirmed
B=$out
"$TBTWARN" subscription add "$B" --channel email --category toys_games > /dev/null
run "$TBTWARN" alert --once
expect_match "the alerts go out" "$out" "sent"
alerted=$(mails | python3 -c "import json,sys; print(sum(1 for l in sys.stdin for m in [json.loads(l)] if '$SYM' in (m['subject'] or '')))")
expect_eq "the charger maker was alerted to $SYM by e-mail" "$alerted" 1

step "accounts"
for u in "li.na analyst" "zhou translator" "he.lab expert --categories toys_games" "wu.lab expert --categories chargers_power_supplies,lithium_batteries"; do
	set -- $u
	name=$1
	shift
	printf 'a good long password\n' | "$TBTWARN" user add "$name" --role "$@" --password-stdin > /dev/null || not_ok "user add $name"
done
"$TBTWARN" user set wu.lab --display-name 东莞电子产品检测中心 > /dev/null
WP=$(free_port)
printf '[web]\nlisten = 127.0.0.1:%s\n' "$WP" > "$TMP/web.ini"
# The web server holds the index; the alerter runs between its lives (sessions live in the store and outlast them).
serve_start() {
	"$TBTWARN" --config "$TMP/web.ini" serve >> "$TMP/serve.out" 2>> "$TMP/serve.err" &
	srv=$!
	wait_for "the web server listens" curl -sf "http://127.0.0.1:$WP/healthz"
}
serve_stop() { kill $srv; wait $srv 2>/dev/null; srv=; }
alert_once() { serve_stop; "$TBTWARN" alert --once > "$TMP/alert.out" 2>&1; serve_start; }
serve_start
B_URL=http://127.0.0.1:$WP
login() { # USER -> "COOKIE CSRF"
	curl -s -D "$TMP/h" -H 'Content-Type: application/json' -d "{\"user\": \"$1\", \"password\": \"a good long password\"}" "$B_URL/api/session" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])' > "$TMP/csrf"
	printf '%s %s' "$(sed -n 's/^Set-Cookie: \(tbtwarn_session=[0-9a-f]*\);.*/\1/ip' "$TMP/h" | tr -d '\r')" "$(cat "$TMP/csrf")"
}
put() { # "COOKIE CSRF" BODY -> status; answer in $TMP/put
	set -- $1 "$2"
	curl -s -o "$TMP/put" -w '%{http_code}' -X PUT -H "Cookie: $1" -H "X-CSRF-Token: $2" -d "$3" "$B_URL/api/notifications/$SYM/analysis"
}
ANALYST=$(login li.na)
TRANSLATOR=$(login zhou)
EXPERT_OTHER=$(login he.lab)
EXPERT=$(login wu.lab)
[ -n "${ANALYST%% *}" ] && ok "the analyst logs in" || not_ok "the analyst logs in" "headers: $(cat "$TMP/h")"

step "roles"
DRAFT='{"summary_zh": "韩国拟对无线充电器实施新的电磁兼容要求。", "published": false}'
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -d "$DRAFT" "$B_URL/api/notifications/$SYM/analysis")
expect_eq "an anonymous client: 401" "$code" 401
expect_eq "a translator may not write an analysis: 403" "$(put "$TRANSLATOR" "$DRAFT")" 403
expect_eq "an expert outside the notification's categories: 403" "$(put "$EXPERT_OTHER" "$DRAFT")" 403
expect_eq "an expert on them neither: the analysis is the analyst's, advice goes beside it (403)" "$(put "$EXPERT" "$DRAFT")" 403
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Cookie: ${ANALYST%% *}" -d "$DRAFT" "$B_URL/api/notifications/$SYM/analysis")
expect_eq "the analyst without the CSRF token: 403" "$code" 403
expect_eq "a published analysis needs its summary" "$(put "$ANALYST" '{"published": true}')" 400
expect_eq "a link that is not http(s) is refused" "$(put "$ANALYST" '{"summary_zh": "x", "links": ["javascript:alert(1)"]}')" 400

step "a draft"
expect_eq "the analyst saves a draft" "$(put "$ANALYST" "$DRAFT")" 200
expect_eq "a draft queues no follow-up" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["followups_queued"])' "$TMP/put")" 0
code=$(curl -s -o /dev/null -w '%{http_code}' "$B_URL/api/notifications/$SYM/analysis")
expect_eq "a draft is not public" "$code" 404
alert_once
expect_eq "nothing goes out for a draft" "$(followups)" 0

step "an expert's advice, accepted"
set -- $EXPERT
code=$(curl -s -o "$TMP/adv" -w '%{http_code}' -X POST -H "Cookie: $1" -H "X-CSRF-Token: $2" -d '{"text_zh": "建议先按 KN 301 489 做预测试，再申请认证。"}' "$B_URL/api/notifications/$SYM/advice")
expect_eq "the expert on the notification's categories adds advice" "$code" 201
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/adv")
set -- $ANALYST
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Cookie: $1" -H "X-CSRF-Token: $2" -d '{"published": true}' "$B_URL/api/notifications/$SYM/advice/$id")
expect_eq "the analyst accepts it" "$code" 200

step "publication"
PUB='{"summary_zh": "韩国拟对无线充电器实施新的电磁兼容要求，适用于广东出口的无线充电产品。",
 "requirements_zh": "按 KN 301 489 进行电磁兼容测试，并在产品上标注认证标志。",
 "actions_zh": ["在评议截止日（2025-05-23）前通过省WTO/TBT通报咨询中心提交评议意见", "联系检测机构按新标准预测试", "更新产品标签"],
 "links": ["https://www.example.org/kr-emc-guide"], "published": true}'
expect_eq "the analyst publishes" "$(put "$ANALYST" "$PUB")" 200
queued=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["followups_queued"])' "$TMP/put")
expect_eq "the first publication queues one follow-up per alerted subscription (e-mail and webhook)" "$queued" 2
code=$(curl -s -o "$TMP/pub" -w '%{http_code}' "$B_URL/api/notifications/$SYM/analysis")
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["published"], d["author"], len(d["actions_zh"]))' "$TMP/pub")
expect_eq "the published analysis is public, with its author's name" "$code $got" "200 True li.na 3"
got=$(curl -s "$B_URL/api/notifications/$SYM" | python3 -c 'import json,sys; print(json.load(sys.stdin)["analysis"]["summary_zh"][:6])')
expect_eq "and in the notification's JSON" "$got" "韩国拟对无线"
alert_once
expect_eq "the follow-up goes once by e-mail" "$(followups)" 1
wait_for "and once to the webhook" sh -c "[ \"\$(curl -s '$W/log' | python3 -c \"import json,sys; print(sum(1 for e in json.load(sys.stdin) if e.get('body', {}).get('type') == 'notification.analysis'))\")\" = 1 ]"
got=$(mails | python3 -c "
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if '专家解读与应对建议' in (m['subject'] or ''):
        t = m['text']
        print(m['to'], '$SYM' in m['subject'], '按 KN 301 489' in t, '1. 在评议截止日' in t, 'https://www.example.org/kr-emc-guide' in t, 'li.na' in t,
              '专业机构建议：' in t and '建议先按 KN 301 489 做预测试' in t and '东莞电子产品检测中心' in t, '专业机构建议' in m['html'])")
expect_eq "to the firm alerted before, saying what the measure requires and what to do, with the expert's advice under its name" "$got" "<chen@chargers.example.cn> True True True True True True True"
toys=$(mails | python3 -c "import json,sys; print(sum(1 for l in sys.stdin for m in [json.loads(l)] if m['to'] == '<li@toys.example.cn>' and '专家解读' in (m['subject'] or '')))")
expect_eq "nobody who was not alerted to it gets one" "$toys" 0

step "exactly once"
expect_eq "publishing again (an edit)" "$(put "$ANALYST" "$PUB")" 200
expect_eq "queues nothing more" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["followups_queued"])' "$TMP/put")" 0
alert_once
expect_eq "still one follow-up by e-mail" "$(followups)" 1
expect_eq "and one to the webhook" "$(hooks)" 1
hist=$(curl -s -H "Cookie: ${ANALYST%% *}" "$B_URL/api/notifications/$SYM/analysis/history" | python3 -c 'import json,sys; print([(h["version"], h["published"], h["author"]) for h in json.load(sys.stdin)])')
expect_eq "every version is kept, with its author" "$hist" "[(1, False, 'li.na'), (2, True, 'li.na'), (3, True, 'li.na')]"

step "the editor in the browser"
if command -v chromium >/dev/null && [ -d "$ROOT/tests/node/node_modules/playwright-core" ]; then
	timeout 120 node "$ROOT/tests/node/analysis.test.mjs" "$B_URL" G/TBT/N/USA/2201 '{"user": "li.na", "password": "a good long password"}' > "$TMP/an.out" 2>&1
	relay_tap "$TMP/an.out"
	grep -q '^ok ' "$TMP/an.out" || not_ok "the browser test ran" "$(tail -5 "$TMP/an.out")"
else
	not_ok "the analysis editor in Chromium (chromium and playwright-core are not installed)"
fi

step "later alerts carry it"
sed 's/"commentDeadlineDate": "2025-05-23T00:00:00+02:00"/"commentDeadlineDate": "2025-06-23T00:00:00+02:00"/' "$S/eping-2025-03-a.json" > "$TMP/changed.json"
serve_stop
"$TBTWARN" import "$TMP/changed.json" > /dev/null
"$TBTWARN" alert --once > /dev/null
got=$(mails | python3 -c "
import json, sys
ms = [json.loads(l) for l in sys.stdin]
later = [m for m in ms if '$SYM' in (m['subject'] or '') and '专家解读' not in m['subject'] and '2025-06-23' in m['subject']]
print(len(later), all('专家解读与应对建议' in m['text'] and '按 KN 301 489' in m['text'] for m in later))")
expect_eq "the alert of the moved deadline carries the analysis" "$got" "1 True"
echo "1..$n"
