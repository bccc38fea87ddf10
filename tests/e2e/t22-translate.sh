#!/bin/sh
# t22: machine translation through providers that follow the published protocols (tests/translate_server.py:
# LibreTranslate and an OpenAI-compatible server on loopback): keys, request shapes, the memory (a revision asks only
# its new sentences), refusals (a number dropped, English echoed back), HTML error pages, 500 and 429, an unreachable
# provider, kill -9 mid-request (nothing lost), a person's text kept over a new English and a new translation, and
# the service translating by itself.
. "$(dirname "$0")/lib.sh"
KEY=k1 python3 "$ROOT/tests/translate_server.py" > "$TMP/port" 2> "$TMP/server.err" &
server=$!
trap 'kill $server $srv $bg $sink 2>/dev/null; rm -rf "$TMP"' EXIT
srv= bg= sink=
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
U=http://127.0.0.1:$(head -n 1 "$TMP/port")
export TBTWARN_TODAY=2025-04-20
mode() { curl -s -X POST -d "{\"mode\": \"$1\"}" "$U/mode" > /dev/null; }
asked() { curl -s "$U/requests" | python3 -c 'import json,sys; print(json.dumps([s for r in json.load(sys.stdin) for s in r["segments"]]))'; }
nasked() { curl -s "$U/requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
field() { "$TBTWARN" show --json "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
printf '[translate]\nprovider = libretranslate\nurl = %s\nkey_env = LT_KEY\ntimeout = 2s\n' "$U" > "$TMP/lt.ini"
lt() { run env LT_KEY=${LT_KEY:-k1} "$TBTWARN" --config "$TMP/lt.ini" translate "$@"; }

# form SYMBOL TITLE DESCRIPTION PRODUCTS: a WTO TBT form in English only.
form() {
	cat <<EOF
                                                                  $1
                                                                  2 April 2025
Committee on Technical Barriers to Trade                          Original: English
                                        NOTIFICATION
1.   Notifying Member: SOUTH AFRICA
2.   Agency responsible: National Regulator for Compulsory Specifications
3.   Notified under Article 2.9.2 [X], 2.10.1 [ ], 5.6.2 [ ], 5.7.1 [ ], other:
4.   Products covered: $4
5.   Title, number of pages and language(s) of the notified document: $2 (12 page(s), in English)
6.   Description of content: $3
7.   Objective and rationale, including the nature of urgent problems where applicable: Protection of
     human health or safety
10.  Final date for comments: 1 June 2025
EOF
}

# Step 1: no provider configured is said; a wrong key stops with the reason and stores nothing.
form G/TBT/N/ZAF/300 "Compulsory specification for portable electric heaters" \
	"The specification sets the safety requirements for heaters. Heaters shall switch off within 2 seconds when tipped over." \
	"Portable electric heaters (HS 8516.29)" > "$TMP/base.txt"
run "$TBTWARN" import "$TMP/base.txt"
run "$TBTWARN" translate --once
expect_match "step 1: without a provider, translate says what to configure" "$rc|$err" "^2\|tbtwarn: translate: no translation provider is configured: set \[translate\] provider"
LT_KEY=wrong lt --once
expect_match "step 1: a wrong key: exit 1 and the provider's refusal" "$rc|$err" "^1\|tbtwarn: translate: the provider refused the key \(HTTP 403\)"
expect_eq "step 1: nothing was stored" "$(field G/TBT/N/ZAF/300 'd["translations"]["zh"]')" "{}"

# Step 2: the right key: every field translated, with its provenance; the request as LibreTranslate documents it.
lt --once
expect_match "step 2: translate --once translates and exits 0" "$rc|$out" "^0\|G/TBT/N/ZAF/300: translated 3 fields \(4 segments, 0 from memory\)"
expect_eq "step 2: the Chinese is in text.zh and its provenance in translations.zh" \
	"$(field G/TBT/N/ZAF/300 'bool(d["text"]["zh"]["title"]), d["translations"]["zh"]["title"]["by"], d["translations"]["zh"]["title"]["provider"], d["translations"]["zh"]["description"]["reviewed"]')" \
	"True machine libretranslate False"
expect_eq "step 2: the segments asked: the title whole, the description by sentence, in order" "$(asked)" \
	'["Compulsory specification for portable electric heaters", "The specification sets the safety requirements for heaters.", "Heaters shall switch off within 2 seconds when tipped over.", "Portable electric heaters (HS 8516.29)"]'
title_zh=$(field G/TBT/N/ZAF/300 'd["text"]["zh"]["title"]')
run "$TBTWARN" search "$title_zh"
expect_match "step 2: a Chinese search finds the notification by its translation" "$out" "G/TBT/N/ZAF/300"

# Step 3: the memory: a revision repeating its base's title and sentences asks only its new sentence.
form G/TBT/N/ZAF/300/Rev.1 "Compulsory specification for portable electric heaters" \
	"The specification sets the safety requirements for heaters. Heaters shall switch off within 2 seconds when tipped over. The transition period is 12 months." \
	"Portable electric heaters (HS 8516.29)" > "$TMP/rev.txt"
"$TBTWARN" import "$TMP/rev.txt" > /dev/null
before=$(nasked)
lt --once
expect_match "step 3: the revision is translated, most of it from memory" "$out" "G/TBT/N/ZAF/300/Rev.1: translated 3 fields \(5 segments, 4 from memory\)"
expect_eq "step 3: only the new sentence went to the provider" \
	"$(curl -s "$U/requests" | python3 -c "import json,sys; print(json.load(sys.stdin)[$before:])" | python3 -c 'import sys,ast; print([r["segments"] for r in ast.literal_eval(sys.stdin.read())])')" \
	"[['The transition period is 12 months.']]"

# Step 4: refused answers: a number dropped is asked once more, then left for a person; nothing stored.
mode dropnum
form G/TBT/N/ZAF/301 "Energy efficiency of lamps" "Lamps shall reach 120 lm/W by 2027." "LED lamps (HS 8539.52)" > "$TMP/f301.txt"
"$TBTWARN" import "$TMP/f301.txt" > /dev/null
lt --once
expect_match "step 4: a translation that drops a number is refused and asked once more" "$out" "G/TBT/N/ZAF/301: \"Lamps shall reach 120 lm/W by 2027.\" refused: the translation drops '120' of the source; asking once more"
TBTWARN_CLOCK_OFFSET=10 lt --once
expect_match "step 4: refused again, it is left for a person" "$out" "G/TBT/N/ZAF/301: \"Lamps shall reach 120 lm/W by 2027.\" refused: the translation drops '120' of the source; left for a person"
expect_match "step 4: the run still exits 0 and counts it" "$rc|$(printf '%s' "$out" | tail -n 1)" "^0\|.*queue: 0 pending, 1 failed \(left for a person\)"
expect_eq "step 4: nothing of it was stored" "$(field G/TBT/N/ZAF/301 'd["translations"]["zh"], d["text"]["zh"].get("title")')" "{} None"
mode echo
"$TBTWARN" translate --help > /dev/null
form G/TBT/N/ZAF/302 "Labelling of cosmetics" "Cosmetics shall list their ingredients." "Cosmetics (HS 3304)" > "$TMP/f302.txt"
"$TBTWARN" import "$TMP/f302.txt" > /dev/null
lt --once G/TBT/N/ZAF/302
expect_match "step 4: the English echoed back is refused" "$out" "\"Labelling of cosmetics\" refused: the answer is not Chinese \(the English echoed back\?\)"

# Step 5: an HTML error page, broken JSON, 500 and 429 leave it pending (exit 0); the provider back drains it.
offset=100000
for m in html badjson 500 429 short; do
	mode $m
	offset=$((offset + 10000))
	TBTWARN_CLOCK_OFFSET=$offset lt --once G/TBT/N/ZAF/302
	case $m in
	html) want="the answer is not JSON \(.*an HTML error page\?\)|HTTP 502" ;;
	badjson) want="the answer is not JSON" ;;
	500) want="HTTP 500 \(trying again in [0-9]+ s\)" ;;
	429) want="HTTP 429 \(trying again in [0-9]+ s\)" ;;
	short) want="the answer holds 2 translations for 3 segments" ;;
	esac
	expect_match "step 5: $m: said, and left pending (exit $rc)" "$rc|$out" "^0\|.*G/TBT/N/ZAF/302: .*($want)"
done
expect_eq "step 5: nothing stored meanwhile" "$(field G/TBT/N/ZAF/302 'd["translations"]["zh"]')" "{}"
mode ok
TBTWARN_CLOCK_OFFSET=200000 lt --once
expect_match "step 5: the provider back, the backlog drains" "$out" "G/TBT/N/ZAF/302: translated 3 fields"
expect_match "step 5: nothing is left pending" "$out" "queue: 0 pending"

# Step 6: kill -9 in the middle of a request: nothing lost, the next run finishes it.
mode slow
form G/TBT/N/ZAF/303 "Safety of toys" "Toys shall not contain magnets that can be swallowed." "Toys (HS 9503)" > "$TMP/f303.txt"
"$TBTWARN" import "$TMP/f303.txt" > /dev/null
before=$(nasked)
env LT_KEY=k1 TBTWARN_CLOCK_OFFSET=300000 "$TBTWARN" --config "$TMP/lt.ini" translate --once > "$TMP/bg.out" 2>&1 &
bg=$!
wait_for "step 6: the request is in flight" sh -c "[ \$(curl -s '$U/requests' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') -gt $before ]"
kill -9 $bg
wait $bg 2>/dev/null
bg=
mode ok
TBTWARN_CLOCK_OFFSET=300000 lt --once
expect_match "step 6: after kill -9 the next run translates it" "$out" "G/TBT/N/ZAF/303: translated 3 fields"

# Step 7: a person's text is kept over a new English and a new machine translation.
WP=$(free_port)
printf '[web]\nlisten = 127.0.0.1:%s\nadmin_token = adm\n' "$WP" > "$TMP/web.ini"
"$TBTWARN" --config "$TMP/web.ini" serve > "$TMP/serve.out" 2> "$TMP/serve.err" &
srv=$!
wait_for "step 7: the web server listens" curl -sf "http://127.0.0.1:$WP/healthz"
if command -v chromium >/dev/null && [ -d "$ROOT/tests/node/node_modules/playwright-core" ]; then
	# The translation desk in Chromium: a translator corrects the title.
	timeout 120 node "$ROOT/tests/node/desk.test.mjs" "http://127.0.0.1:$WP" adm G/TBT/N/ZAF/300 "便携式电暖器强制性规范" > "$TMP/desk.out" 2>&1
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "step 7: desk: ${line#ok [0-9]* - }" ;;
		"not ok "*) not_ok "step 7: desk: ${line#not ok [0-9]* - }" ;;
		"#   "*) echo "$line" ;;
		esac
	done < "$TMP/desk.out"
else
	curl -s -X PUT -H "Authorization: Bearer adm" -d '{"field": "title", "zh": "便携式电暖器强制性规范"}' "http://127.0.0.1:$WP/api/admin/translations/G/TBT/N/ZAF/300" > /dev/null
	not_ok "step 7: the translation desk in Chromium (chromium and playwright-core are not installed)"
fi
got=$(field G/TBT/N/ZAF/300 'd["text"]["zh"]["title"], d["translations"]["zh"]["title"]["by"]')
expect_eq "step 7: a translator's title is stored as a person's" "$got" "便携式电暖器强制性规范 human"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -d '{"field": "title", "zh": "x"}' "http://127.0.0.1:$WP/api/admin/translations/G/TBT/N/ZAF/300")
expect_eq "step 7: without the token it is refused" "$code" 401
kill $srv; wait $srv 2>/dev/null
srv=
form G/TBT/N/ZAF/300 "Compulsory specification for portable electric and gas heaters" \
	"The specification sets the safety requirements for heaters. Heaters shall switch off within 2 seconds when tipped over." \
	"Portable electric heaters (HS 8516.29)" > "$TMP/base2.txt"
run "$TBTWARN" import "$TMP/base2.txt"
expect_eq "step 7: the source changes its English title" "$out" "added 0, updated 1, unchanged 0, rejected 0"
lt --once G/TBT/N/ZAF/300
expect_eq "step 7: the person's title stays, over the re-crawl and the translator" \
	"$(field G/TBT/N/ZAF/300 'd["text"]["zh"]["title"], d["translations"]["zh"]["title"]["by"]')" "便携式电暖器强制性规范 human"

# Step 8: an OpenAI-compatible server: bearer key, model, the glossary terms in the request, the JSON answer.
printf '[translate]\nprovider = openai\nurl = %s/v1\nmodel = qwen-test\nkey_env = OA_KEY\ntimeout = 2s\n' "$U" > "$TMP/oa.ini"
form G/TBT/N/ZAF/304 "Conformity assessment of chargers" "Chargers need a test report of an accredited laboratory." "Chargers (HS 8504.40)" > "$TMP/f304.txt"
"$TBTWARN" import "$TMP/f304.txt" > /dev/null
run env OA_KEY=k1 "$TBTWARN" --config "$TMP/oa.ini" translate --once G/TBT/N/ZAF/304
expect_match "step 8: translated through chat completions" "$rc|$out" "^0\|G/TBT/N/ZAF/304: translated 3 fields"
got=$(curl -s "$U/requests" | python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["path"] == "/v1/chat/completions"][-1]
print(r["model"], r["auth"], "合格评定" in r["system"], "认可实验室" in r["system"], r["segments"][0])')
expect_eq "step 8: model, bearer key, the glossary's terms, the segments" "$got" "qwen-test Bearer k1 True True Conformity assessment of chargers"
expect_eq "step 8: provenance names the provider and model" \
	"$(field G/TBT/N/ZAF/304 'd["translations"]["zh"]["title"]["provider"], d["translations"]["zh"]["title"]["model"]')" "openai qwen-test"
form G/TBT/N/ZAF/307 "Safety of fans" "Fans shall have guards." "Fans (HS 8414.51)" > "$TMP/f307.txt"
"$TBTWARN" import "$TMP/f307.txt" > /dev/null
run env OA_KEY=wrong "$TBTWARN" --config "$TMP/oa.ini" translate --once G/TBT/N/ZAF/307
expect_match "step 8: a wrong bearer key is said" "$rc|$err" "^1\|.*refused the key \(HTTP 401\)"

run "$TBTWARN" sources
expect_match "step 8: sources shows the translation queue" "$out" "^translation queue: [0-9]+ pending, [0-9]+ done, 1 failed \(left for a person\) \(no provider: \[translate\] provider = none\)$"
# The provider's health, like a source's: saved by the run that saw it, read by sources, doctor and /metrics.
run "$TBTWARN" --config "$TMP/oa.ini" sources
expect_match "step 8: sources shows the provider's health and the key refused" "$out" \
	"^translator:openai +translator +refused +[0-9T:Z-]+ .*the provider refused the key \(HTTP 401\)$"
got=$("$TBTWARN" --config "$TMP/oa.ini" sources --json | python3 -c '
import json, sys
t = [s for s in json.load(sys.stdin) if s["kind"] == "translator"][0]
print(t["name"], t["health"], t["model"], t["failures"] >= 1, t["chars_today"] > 0, sorted(t["queue"]))')
expect_eq "step 8: sources --json carries the provider's row" "$got" "translator:openai refused qwen-test True True ['done', 'failed', 'pending']"
run env OA_KEY=k1 "$TBTWARN" --config "$TMP/oa.ini" doctor
expect_match "step 8: doctor says how the provider was last seen" "$out" \
	"^ok   translation queue: [0-9]+ pending, 1 left for a person; provider refused as last seen \(the provider refused the key \(HTTP 401\)\)$"

# The day's budget outlives a restart: two runs may not spend twice the budget. The runs above spent some of
# today's characters already; the budget leaves room for 100 more (one notification of 83, not two).
spent=$("$TBTWARN" --config "$TMP/lt.ini" sources --json | python3 -c 'import json,sys; print([s for s in json.load(sys.stdin) if s["kind"] == "translator"][0]["chars_today"])')
BUDGET=$((spent + 100))
printf '[translate]\nprovider = libretranslate\nurl = %s\nkey_env = LT_KEY\ntimeout = 2s\nmax_chars_per_day = %s\n' "$U" "$BUDGET" > "$TMP/budget.ini"
form G/TBT/N/ZAF/310 "Safety of hair dryers" "Hair dryers shall have a thermal fuse." "Hair dryers (HS 8516.31)" > "$TMP/f310.txt"
form G/TBT/N/ZAF/311 "Safety of toasters" "Toasters shall have a crumb tray." "Toasters (HS 8516.72)" > "$TMP/f311.txt"
"$TBTWARN" import "$TMP/f310.txt" > /dev/null
"$TBTWARN" import "$TMP/f311.txt" > /dev/null
run env LT_KEY=k1 "$TBTWARN" --config "$TMP/budget.ini" translate --once G/TBT/N/ZAF/310
expect_match "step 8: a first run spends part of the day's budget" "$out" "G/TBT/N/ZAF/310: translated 3 fields"
run env LT_KEY=k1 "$TBTWARN" --config "$TMP/budget.ini" translate --once G/TBT/N/ZAF/311
expect_match "step 8: a second run knows what the first spent" "$out" "G/TBT/N/ZAF/311: the day's budget of $BUDGET characters is used: waiting for tomorrow"
run "$TBTWARN" --config "$TMP/budget.ini" sources
expect_match "step 8: sources says today's characters against the budget" "$out" "; today $((spent + 83)) characters sent of a budget of $BUDGET$"

# Step 9: an unreachable provider is an error with the reason.
printf '[translate]\nprovider = libretranslate\nurl = http://127.0.0.1:%s\ntimeout = 2s\n' "$(free_port)" > "$TMP/down.ini"
form G/TBT/N/ZAF/305 "Safety of kettles" "Kettles shall switch off when dry." "Kettles (HS 8516.71)" > "$TMP/f305.txt"
"$TBTWARN" import "$TMP/f305.txt" > /dev/null
run "$TBTWARN" --config "$TMP/down.ini" translate --once
expect_match "step 9: an unreachable provider: exit 1 and why" "$rc|$err" "^1\|tbtwarn: translate: the provider could not be reached"

run env LT_KEY=k1 "$TBTWARN" --config "$TMP/lt.ini" doctor
expect_match "step 9: doctor has the provider translate a test sentence" "$out" "^ok   translation provider $U translates a test sentence$"
run env LT_KEY=nope "$TBTWARN" --config "$TMP/lt.ini" doctor
expect_match "step 9: doctor says a refused key" "$out" "^FAIL translation provider $U translates a test sentence: HTTP 403 \(the key is refused\)$"
run "$TBTWARN" --config "$TMP/down.ini" doctor
expect_match "step 9: doctor says an unreachable provider" "$out" "^FAIL translation provider http://127.0.0.1:[0-9]+ translates a test sentence: .*(onnect|refused)"

# Step 10: the service translates by itself what a crawl brings.
mkdir -p "$TMP/in"
form G/TBT/N/ZAF/306 "Safety of irons" "Irons shall have a thermal cut-out." "Irons (HS 8516.40)" > "$TMP/in/f306.txt"
WP=$(free_port)
printf '[crawler]\npolite_delay = 0s\n[source in]\nkind = dir\ndir = %s\ninterval = 1h\n[web]\nlisten = 127.0.0.1:%s\n[translate]\nprovider = libretranslate\nurl = %s\nkey_env = LT_KEY\n' \
	"$TMP/in" "$WP" "$U" > "$TMP/run.ini"
LT_KEY=k1 "$TBTWARN" --config "$TMP/run.ini" run > "$TMP/run.out" 2> "$TMP/run.err" &
srv=$!
translated() { curl -s "http://127.0.0.1:$WP/api/notifications/G/TBT/N/ZAF/306" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["translations"]["zh"].get("title", {}).get("by") == "machine" else 1)'; }
wait_for "step 10: the service crawls and translates by itself" translated
m=$(curl -s "http://127.0.0.1:$WP/metrics")
expect_match "step 10: /metrics counts the translation queue" "$m" '^tbtwarn_translate_queue\{state="done"\} [1-9]'
provider_ok() { curl -s "http://127.0.0.1:$WP/metrics" | grep -q '^tbtwarn_translate_provider_healthy{provider="libretranslate",health="ok"} 1$'; }
wait_for "step 10: /metrics says the provider is healthy (the service saves its health once a second)" provider_ok
m=$(curl -s "http://127.0.0.1:$WP/metrics")
expect_match "step 10: /metrics: the provider's failures in a row" "$m" '^tbtwarn_translate_provider_failures\{provider="libretranslate"\} 0$'
expect_match "step 10: /metrics: seconds since the provider last answered well" "$m" '^tbtwarn_translate_provider_staleness_seconds\{provider="libretranslate"\} [0-9]+$'
expect_match "step 10: /metrics: characters sent today" "$m" '^tbtwarn_translate_chars_today\{provider="libretranslate"\} [1-9][0-9]*$'
got=$(curl -s "http://127.0.0.1:$WP/api/notifications?q=symbol:G/TBT/N/ZAF/306" | python3 -c 'import json,sys; h=json.load(sys.stdin)["hits"][0]; print(bool(h["title_zh"]), h["title_zh_by"])')
expect_eq "step 10: a hit says its Chinese title is a machine's" "$got" "True machine"
kill $srv; wait $srv 2>/dev/null
srv=

# Step 11: a Chinese subscriber's alert labels the machine's Chinese and keeps the English original.
if command -v smtp-sink >/dev/null; then
	mkdir -p "$TMP/mail" && chmod 755 "$TMP" && chmod 777 "$TMP/mail"
	SP=$(free_port)
	smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$SP 100 &
	sink=$!
	S=$("$TBTWARN" subscriber add --email he@gd-heaters.example.cn --lang zh --confirmed)
	"$TBTWARN" subscription add "$S" --channel email --member ZAF > /dev/null
	form G/TBT/N/ZAF/308 "Conformity assessment of power banks" "Power banks need a test report." "Power banks (HS 8507.60)" > "$TMP/f308.txt"
	"$TBTWARN" import "$TMP/f308.txt" > /dev/null
	lt --once G/TBT/N/ZAF/308
	TBTWARN_SMTP_URL=smtp://127.0.0.1:$SP "$TBTWARN" alert --once > /dev/null
	text=$(python3 "$ROOT/tests/maildir.py" "$TMP/mail" | python3 -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if "G/TBT/N/ZAF/308" in m["subject"]: print(m["text"])')
	expect_match "step 11: the mail labels the machine's Chinese title" "$text" "标题（机器翻译）"
	expect_match "step 11: and keeps the English original beside it" "$text" "Conformity assessment of power banks"

	# Step 12: an immediate alert to a Chinese reader waits for its translation, at most [translate] wait.
	form G/TBT/N/ZAF/309 "Safety of hair dryers" "Hair dryers shall have a thermal cut-out." "Hair dryers (HS 8516.31)" > "$TMP/f309.txt"
	"$TBTWARN" import "$TMP/f309.txt" > /dev/null
	printf '[translate]\nprovider = libretranslate\nurl = http://127.0.0.1:%s\nwait = 10m\n' "$(free_port)" > "$TMP/wait.ini"
	TBTWARN_SMTP_URL=smtp://127.0.0.1:$SP "$TBTWARN" --config "$TMP/wait.ini" alert --once > /dev/null
	row=$("$TBTWARN" outbox --json | python3 -c 'import json,sys; print([(r["state"], r["last_error"]) for r in json.load(sys.stdin) if r["symbol"] == "G/TBT/N/ZAF/309"])')
	expect_eq "step 12: the alert waits for the Chinese, without counting an attempt" "$row" "[('pending', 'waiting for its Chinese translation')]"
	lt --once G/TBT/N/ZAF/309
	TBTWARN_SMTP_URL=smtp://127.0.0.1:$SP TBTWARN_CLOCK_OFFSET=60 "$TBTWARN" --config "$TMP/wait.ini" alert --once > /dev/null
	text=$(python3 "$ROOT/tests/maildir.py" "$TMP/mail" | python3 -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if "G/TBT/N/ZAF/309" in m["subject"]: print(m["text"])')
	expect_match "step 12: translated meanwhile, it goes with its Chinese title" "$text" "标题（机器翻译）"
	subj=$(python3 "$ROOT/tests/maildir.py" "$TMP/mail" | python3 -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if "G/TBT/N/ZAF/309" in m["subject"]: print(m["subject"])')
	expect_match "step 12: its subject leads with the Chinese title" "$subj" "^\[TBT预警\] 南非 · [^A-Za-z]+ · 评议截止 2025-06-01 · G/TBT/N/ZAF/309$"
	form G/TBT/N/ZAF/310 "Safety of toasters" "Toasters shall have a cool-touch housing." "Toasters (HS 8516.72)" > "$TMP/f310.txt"
	"$TBTWARN" import "$TMP/f310.txt" > /dev/null
	TBTWARN_SMTP_URL=smtp://127.0.0.1:$SP "$TBTWARN" --config "$TMP/wait.ini" alert --once > /dev/null
	TBTWARN_SMTP_URL=smtp://127.0.0.1:$SP TBTWARN_CLOCK_OFFSET=700 "$TBTWARN" --config "$TMP/wait.ini" alert --once > /dev/null
	row=$("$TBTWARN" outbox --json | python3 -c 'import json,sys; print([r["state"] for r in json.load(sys.stdin) if r["symbol"] == "G/TBT/N/ZAF/310"])')
	expect_eq "step 12: past the wait, it goes with what there is" "$row" "['sent']"
	kill $sink
else
	not_ok "step 11: smtp-sink is installed (postfix)"
fi
echo "1..$n"
