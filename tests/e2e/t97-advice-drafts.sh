#!/bin/sh
# t97: beside the analyst's analysis (issue 18, second part, continued): experts' advice entries on their categories,
# shown with their organisation's name once an analyst accepts them; machine drafts of an analysis written through
# the translator's OpenAI-compatible provider (tests/translate_server.py) on an analyst's request, never public and
# never published unreviewed; a draft of a revision no longer hides the published text. Roles, CSRF and hostile
# bodies refused on every new route.
. "$(dirname "$0")/lib.sh"
S=$ROOT/tests/data/samples
SYM=G/TBT/N/KOR/1210
OTHER=G/TBT/N/USA/2201
KEY=k7 python3 "$ROOT/tests/translate_server.py" > "$TMP/port" 2> "$TMP/server.err" &
tsrv=$!
srv=
trap 'kill $tsrv $srv 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
U=http://127.0.0.1:$(head -n 1 "$TMP/port")
export TBTWARN_TODAY=2025-04-01
mode() { curl -s -X POST -d "{\"mode\": \"$1\"}" "$U/mode" > /dev/null; }

step "accounts with a name shown and an address"
"$TBTWARN" import "$S"/* > /dev/null
pw() { printf 'a good long password\n'; }
pw | "$TBTWARN" user add li.na --role analyst --password-stdin --email li.na@dofcom.example.gov.cn > /dev/null || not_ok "user add li.na"
pw | "$TBTWARN" user add zhou --role translator --password-stdin > /dev/null || not_ok "user add zhou"
pw | "$TBTWARN" user add he.lab --role expert --categories toys_games --password-stdin > /dev/null || not_ok "user add he.lab"
pw | "$TBTWARN" user add wu.lab --role expert --categories chargers_power_supplies,lithium_batteries --password-stdin > /dev/null
run "$TBTWARN" user set wu.lab --display-name 东莞电子产品检测中心
expect_eq "user set names the expert's organisation" "$rc $out" "0 changed wu.lab"
run "$TBTWARN" user set wu.lab --email 'x@y.cn>, evil@z.cn'
expect_match "an address with a second one hidden in it is refused" "$rc|$err" "^1\|.*--email"
run sh -c "printf 'a good long password\n' | '$TBTWARN' user add bad.mail --role analyst --password-stdin --email 'no-at-sign'"
expect_match "user add with a bad address refuses and adds nobody" "$rc|$err" "^1\|.*--email"
got=$("$TBTWARN" user list --json | python3 -c 'import json,sys; print(sorted((u["name"], u.get("display_name"), u.get("email")) for u in json.load(sys.stdin) if u["name"] in ("li.na", "wu.lab", "bad.mail")))')
expect_eq "user list shows them" "$got" "[('li.na', None, 'li.na@dofcom.example.gov.cn'), ('wu.lab', '东莞电子产品检测中心', None)]"

WP=$(free_port)
B=http://127.0.0.1:$WP
login() { staff_login "$B" "$1"; }
call() { staff_call "$1" "$2" "$B/api/notifications/$3" "${4-}"; }
ans() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$TMP/ans"; }

step "without a provider"
printf '[web]\nlisten = 127.0.0.1:%s\n' "$WP" > "$TMP/web.ini"
"$TBTWARN" --config "$TMP/web.ini" serve > "$TMP/serve.out" 2> "$TMP/serve.err" &
srv=$!
wait_for "the web server listens" curl -sf "$B/healthz"
ANALYST=$(login li.na)
expect_eq "asking for a machine draft without an OpenAI-compatible provider: 409" "$(call "$ANALYST" POST "$SYM/analysis/draft")" 409
expect_match "and says what to configure" "$(ans 'd["message"]')" "未配置 OpenAI 兼容的翻译服务.*provider = openai"
kill $srv; wait $srv 2>/dev/null; srv=

step "the service with a provider"
mkdir -p "$TMP/in"
printf '[crawler]\npolite_delay = 0s\n[source in]\nkind = dir\ndir = %s\ninterval = 1h\n[web]\nlisten = 127.0.0.1:%s\n[translate]\nprovider = openai\nurl = %s/v1\nmodel = qwen-test\nkey_env = OA_KEY\ntimeout = 2s\n' \
	"$TMP/in" "$WP" "$U" > "$TMP/run.ini"
OA_KEY=k7 "$TBTWARN" --config "$TMP/run.ini" run > "$TMP/run.out" 2> "$TMP/run.err" &
srv=$!
wait_for "the service listens" curl -sf "$B/healthz"
ANALYST=$(login li.na)
TRANSLATOR=$(login zhou)
EXPERT=$(login wu.lab)
EXPERT_OTHER=$(login he.lab)

step "machine drafts: who may ask"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$B/api/notifications/$SYM/analysis/draft")
expect_eq "an anonymous client: 401" "$code" 401
expect_eq "a translator: 403" "$(call "$TRANSLATOR" POST "$SYM/analysis/draft")" 403
expect_eq "an expert: 403" "$(call "$EXPERT" POST "$SYM/analysis/draft")" 403
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Cookie: ${ANALYST%% *}" "$B/api/notifications/$SYM/analysis/draft")
expect_eq "the analyst without the CSRF token: 403" "$code" 403
expect_eq "no such notification: 404" "$(call "$ANALYST" POST "G/TBT/N/KOR/99999/analysis/draft")" 404

step "machine drafts: written, never public"
expect_eq "the analyst asks for a draft: 202" "$(call "$ANALYST" POST "$SYM/analysis/draft")" 202
expect_eq "queued, with the model that will write it" "$(ans 'd["state"], d["model"], d["requested_by"]')" "pending qwen-test li.na"
drafted() { [ "$(call "$ANALYST" GET "$SYM/analysis/draft")" = 200 ] && [ "$(ans 'd["state"]')" = done ]; }
wait_for "the service writes it" drafted
expect_eq "GET ?draft=1: the machine's text, marked and unpublished" "$(call "$ANALYST" GET "$SYM/analysis?draft=1")" 200
expect_eq "its marks" "$(ans 'd["machine"], d["author"], d["published"], "G/TBT/N/KOR/1210" in d["summary_zh"], len(d["actions_zh"]), d["links"]')" \
	"qwen-test machine False True 3 []"
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/api/notifications/$SYM/analysis")
expect_eq "not public" "$code" 404
got=$(curl -s "$U/requests" | python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x.get("draft")][-1]
print(r["draft"], r["model"], r["auth"], r["facts"]["hs"], "Simplified Chinese" in r["system"], "待核实" in r["system"])')
expect_match "the provider was asked with the notification's facts, the key and the instructions" "$got" \
	"^G/TBT/N/KOR/1210 qwen-test Bearer k7 \[.+\] True True$"

step "machine drafts: published only reviewed"
PUB=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps({'summary_zh': d['summary_zh'], 'requirements_zh': d['requirements_zh'], 'actions_zh': d['actions_zh'], 'published': True}, ensure_ascii=False))" "$TMP/ans")
expect_eq "publishing the machine's text without saying it was reviewed: 409" "$(call "$ANALYST" PUT "$SYM/analysis" "$PUB")" 409
expect_match "and says why" "$(ans 'd["message"]')" "机器草稿，须经分析员审核"
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/api/notifications/$SYM/analysis")
expect_eq "still nothing public" "$code" 404
REVIEWED=$(printf '%s' "$PUB" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["reviewed"]=True; d["actions_zh"].append("联系东莞电子产品检测中心预测试"); print(json.dumps(d, ensure_ascii=False))')
expect_eq "reviewed and edited by the analyst: published" "$(call "$ANALYST" PUT "$SYM/analysis" "$REVIEWED")" 200
code=$(curl -s -o "$TMP/pub" -w '%{http_code}' "$B/api/notifications/$SYM/analysis")
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["published"], d["author"], d["machine_model"], len(d["actions_zh"]), "machine" in d)' "$TMP/pub")
expect_eq "public, under the analyst's name, saying it began as a machine draft" "$code $got" "200 True li.na qwen-test 4 False"
hist=$(curl -s -H "Cookie: ${ANALYST%% *}" "$B/api/notifications/$SYM/analysis/history" | python3 -c 'import json,sys; print([(h["author"], h["published"]) for h in json.load(sys.stdin)])')
expect_eq "the history keeps the machine's version and the analyst's" "$hist" "[('machine', False), ('li.na', True)]"
expect_eq "a machine draft never replaces a person's analysis: 409" "$(call "$ANALYST" POST "$SYM/analysis/draft")" 409

step "a draft of a revision hides nothing"
expect_eq "the analyst saves a draft of a revision" "$(call "$ANALYST" PUT "$SYM/analysis" '{"summary_zh": "修订中的解读草稿"}')" 200
got=$(curl -s "$B/api/notifications/$SYM/analysis" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["published"], d["summary_zh"] == json.load(open(sys.argv[1]))["summary_zh"])' "$TMP/pub")
expect_eq "the public still sees the text published" "$got" "True True"
got=$(curl -s "$B/api/notifications/$SYM" | python3 -c 'import json,sys; print(json.load(sys.stdin)["analysis"]["summary_zh"] != "修订中的解读草稿")')
expect_eq "in the notification's JSON too" "$got" "True"

step "machine drafts: a bad answer is refused"
mode draftbad
expect_eq "a draft asked for another notification" "$(call "$ANALYST" POST "$OTHER/analysis/draft")" 202
failed() { [ "$(call "$ANALYST" GET "$OTHER/analysis/draft")" = 200 ] && [ "$(ans 'd["state"]')" = failed ]; }
wait_for "an English answer is refused (asked twice, then left for a person)" failed
expect_match "the request says why" "$(ans 'd["error"]')" "summary_zh is not Chinese"
expect_eq "nothing was stored" "$(call "$ANALYST" GET "$OTHER/analysis?draft=1")" 404
mode ok

step "expert advice: who may write"
ADV='{"text_zh": "建议企业按 KN 301 489 预测试无线充电器，并保留测试报告。", "links": ["https://www.example.org/kn-301-489"]}'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d "$ADV" "$B/api/notifications/$SYM/advice")
expect_eq "an anonymous client: 401" "$code" 401
expect_eq "a translator: 403" "$(call "$TRANSLATOR" POST "$SYM/advice" "$ADV")" 403
expect_eq "an expert outside the notification's categories: 403" "$(call "$EXPERT_OTHER" POST "$SYM/advice" "$ADV")" 403
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Cookie: ${EXPERT%% *}" -d "$ADV" "$B/api/notifications/$SYM/advice")
expect_eq "the expert without the CSRF token: 403" "$code" 403
expect_eq "an expert may not write the analysis itself: 403" "$(call "$EXPERT" PUT "$SYM/analysis" '{"summary_zh": "x"}')" 403
expect_eq "an empty text: 400" "$(call "$EXPERT" POST "$SYM/advice" '{"text_zh": ""}')" 400
expect_eq "a javascript: link: 400" "$(call "$EXPERT" POST "$SYM/advice" '{"text_zh": "x", "links": ["javascript:alert(1)"]}')" 400
big=$(python3 -c 'import json; print(json.dumps({"text_zh": "长" * 1400}, ensure_ascii=False))')
expect_eq "over 4,000 bytes: 400" "$(call "$EXPERT" POST "$SYM/advice" "$big")" 400
expect_eq "an expert may not publish their own advice: 403" "$(call "$EXPERT" POST "$SYM/advice" '{"text_zh": "x", "published": true}')" 403

step "expert advice: accepted, then shown with the organisation's name"
expect_eq "the expert on the notification's categories adds advice: 201" "$(call "$EXPERT" POST "$SYM/advice" "$ADV")" 201
ID=$(ans 'd["id"]')
expect_eq "it waits for an analyst" "$(ans 'd["published"], d["name"], d["author"]')" "False 东莞电子产品检测中心 wu.lab"
expect_eq "not public yet" "$(curl -s "$B/api/notifications/$SYM/advice")" "[]"
expect_eq "another expert asking for every entry: 200" "$(call "$EXPERT_OTHER" GET "$SYM/advice?all=1")" 200
expect_eq "sees not what waits for acceptance" "$(cat "$TMP/ans")" "[]"
expect_eq "nor that entry by its id: 404" "$(call "$EXPERT_OTHER" GET "$SYM/advice/$ID?all=1")" 404
expect_eq "its author sees it by its id" "$(call "$EXPERT" GET "$SYM/advice/$ID?all=1")" 200
expect_eq "an expert reads the analysis's draft on their categories" "$(call "$EXPERT" GET "$SYM/analysis?draft=1")" 200
expect_eq "not on others': 403" "$(call "$EXPERT_OTHER" GET "$SYM/analysis?draft=1")" 403
expect_eq "nor their history: 403" "$(call "$EXPERT_OTHER" GET "$SYM/analysis/history")" 403
expect_eq "another expert may not accept or change it: 403" "$(call "$EXPERT_OTHER" PUT "$SYM/advice/$ID" '{"published": true}')" 403
expect_eq "the analyst accepts it" "$(call "$ANALYST" PUT "$SYM/advice/$ID" '{"published": true}')" 200
got=$(curl -s "$B/api/notifications/$SYM" | python3 -c 'import json,sys; a=json.load(sys.stdin)["advice"]; print(len(a), a[0]["name"], a[0]["text_zh"][:5], a[0]["reviewed_by"])')
expect_eq "the notification shows it with the organisation's name" "$got" "1 东莞电子产品检测中心 建议企业按 li.na"
expect_eq "the expert edits it" "$(call "$EXPERT" PUT "$SYM/advice/$ID" '{"text_zh": "建议企业尽快按 KN 301 489 预测试。"}')" 200
expect_eq "an edited text waits for acceptance again" "$(curl -s "$B/api/notifications/$SYM/advice")" "[]"
expect_eq "staff see it with ?all=1" "$(call "$ANALYST" GET "$SYM/advice?all=1")" 200
expect_eq "unpublished" "$(ans '[(e["id"], e["published"]) for e in d]')" "[($ID, False)]"
expect_eq "advice on another notification's path: 404" "$(call "$ANALYST" PUT "$OTHER/advice/$ID" '{"published": true}')" 404
expect_eq "the analyst accepts the new text" "$(call "$ANALYST" PUT "$SYM/advice/$ID" '{"published": true}')" 200
expect_eq "the expert removes it" "$(call "$EXPERT" DELETE "$SYM/advice/$ID")" 200
expect_eq "gone" "$(curl -s "$B/api/notifications/$SYM/advice")" "[]"
audit=$(curl -s -H "Cookie: $(login li.na | cut -d' ' -f1)" "$B/api/admin/audit" -o /dev/null -w '%{http_code}')
expect_eq "the audit log is the admin's (an analyst: 403)" "$audit" 403

step "in the browser"
if command -v chromium >/dev/null && [ -d "$ROOT/tests/node/node_modules/playwright-core" ]; then
	mode ok
	timeout 150 node "$ROOT/tests/node/advice.test.mjs" "$B" "$SYM" G/TBT/N/BHR/704/Rev.1 \
		'{"user": "li.na", "password": "a good long password"}' '{"user": "wu.lab", "password": "a good long password"}' > "$TMP/adv.out" 2>&1
	relay_tap "$TMP/adv.out"
	grep -q '^ok ' "$TMP/adv.out" || not_ok "the browser test ran" "$(tail -5 "$TMP/adv.out")"
else
	not_ok "the advice desk in Chromium (chromium and playwright-core are not installed)"
fi

step "staff are not limited like visitors"
codes=
for k in $(seq 1 30); do codes="$codes $(call "$ANALYST" PUT "$SYM/analysis" "{\"summary_zh\": \"草稿 $k\"}")"; done
expect_eq "30 saves by an analyst in a row all pass (the public limit is 20 a minute)" "$(echo $codes | tr ' ' '\n' | sort | uniq -c | tr -s ' ')" " 30 200"
fake=$(printf '%064d' 0)
codes=
for k in $(seq 1 30); do codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Cookie: tbtwarn_session=$fake" -d "$ADV" "$B/api/notifications/$SYM/advice")"; done
expect_match "a made-up session is a visitor: 401, then 429" "$codes" "^( 401)+( 429)+$"
echo "1..$n"
