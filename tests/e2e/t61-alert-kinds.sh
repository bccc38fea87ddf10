#!/bin/sh
# t61: the alerter's other messages, against real peers on loopback: double opt-in with a signed link, digests at the
# subscriber's hour, reminders before comment deadlines (moved by an addendum), WeCom/DingTalk/Feishu robots with
# their signatures checked independently, 410 disabling a webhook, unsubscribe tokens, CSV import, subscription test.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
[ -d "$ROOT/tests/node/node_modules/standardwebhooks" ] || { not_ok "npm packages installed (scripts/deps.sh test)"; exit 1; }
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
ROBOT=SEC7f3a9c2e5b1d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6
mkdir -p "$TMP/mail" && chmod 755 "$TMP" && chmod 777 "$TMP/mail"
P=$(free_port)
smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$P 100 & sink=$!
node "$ROOT/tests/node/receiver.mjs" "$SECRET" "$ROBOT" > "$TMP/wport" &
wr=$!
trap 'kill $sink $wr 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/wport" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
W=http://127.0.0.1:$(head -n 1 "$TMP/wport")
export TBTWARN_SMTP_URL=smtp://127.0.0.1:$P TBTWARN_ALLOW_TARGETS=127.0.0.0/8 TBTWARN_SECRET=test-secret-$$
mails() { python3 "$ROOT/tests/maildir.py" "$TMP/mail"; }
# count_mail PYTHON-CONDITION-ON-m
count_mail() { mails | python3 -c "import json,sys; print(sum(1 for l in sys.stdin for m in [json.loads(l)] if $1))"; }

"$TBTWARN" import "$ROOT/tests/data/samples/eping-2025-03-a.json" > /dev/null
export TBTWARN_TODAY=2025-04-01

# Double opt-in: the request goes out at once, its link confirms, a forged token does not.
step "Double opt-in"
run "$TBTWARN" subscriber add --email chen@lamps.example.cn --name 陈静 --org 中山灯饰
D=$out
expect_eq "subscriber add sends the confirmation request at once" "$(count_mail "m['message_id'] == '<tbtwarn.confirm.$D@tbtwarn>'")" 1
link=$(mails | python3 -c "
import json, re, sys
for l in sys.stdin:
    m = json.loads(l)
    if 'confirm' in m['message_id']:
        print(re.search(r'https?://\S+/confirm\?\S+', m['text']).group(0))")
expect_match "the request carries a confirm link with the subscriber and a token" "$link" "/confirm\?s=$D&t=[0-9a-f]{64}$"
TOKEN=${link##*t=}
run "$TBTWARN" subscriber confirm "$D" --token "$(printf '%s' "$TOKEN" | tr '0-9a-f' '1-9a-f0')"
expect_eq "a forged token is refused" "$rc" 1
run "$TBTWARN" subscriber unsubscribe "$D" --token "$TOKEN"
expect_eq "a confirm token does not unsubscribe" "$rc" 1
run "$TBTWARN" subscriber confirm "$D" --token "$TOKEN"
expect_eq "the real token confirms" "$rc:$("$TBTWARN" subscriber show "$D" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" "0:confirmed"

run "$TBTWARN" subscriber add --email li@gd-battery.example.cn --lang zh --confirmed
A=$out
run "$TBTWARN" subscriber add --email buyer@eu-import.example.com --lang en --confirmed
B=$out
run "$TBTWARN" subscription add "$A" --channel email --category lithium_batteries --category toys_games --category mobile_phones --frequency daily --hour 9
AD=$out
run "$TBTWARN" subscription add "$B" --channel email --category lithium_batteries
BI=$out
"$TBTWARN" subscription add "$A" --channel wecom --url "$W/wecom" --category lithium_batteries > /dev/null
"$TBTWARN" subscription add "$A" --channel dingtalk --url "$W/dingtalk?access_token=abc" --secret "$ROBOT" --category lithium_batteries > /dev/null
"$TBTWARN" subscription add "$A" --channel feishu --url "$W/feishu" --secret "$ROBOT" --category lithium_batteries > /dev/null
run "$TBTWARN" subscription add "$A" --channel wecom --url "$W/wecom-limit" --category lithium_batteries
WL=$out
run "$TBTWARN" subscription add "$A" --channel webhook --url "$W/gone" --secret "$SECRET" --category lithium_batteries
GONE=$out
run "$TBTWARN" subscription add "$A" --channel webhook --url "$W/flaky" --secret "$SECRET" --member USA
FLAKY=$out

run env TBTWARN_RETRY_BASE=1s "$TBTWARN" alert --once; printf "%s\n" "$err" >&2
expect_match "the first run sends the immediate alerts" "$out" "^alert: 14 notifications matched, 10 deliveries queued, 4 sent, 3 to retry, 1 failed$"

# Robots: each in its own format, DingTalk and Feishu signed; a robot's rate limit is retried.
step "Robots"
got=$(curl -s "$W/log" | python3 -c '
import json, sys
log = json.load(sys.stdin)
by = {}
for r in log: by.setdefault(r["path"], []).append(r)
print(len(by["/wecom"]), all(r["verified"] for r in by["/wecom"] + by["/dingtalk"] + by["/feishu"]), len(by["/dingtalk"]), len(by["/feishu"]))
w = by["/wecom"][0]["body"]["markdown"]["content"]
print("锂" in w and "评议截止" in w and "/n/G/TBT/N/USA/2201" in w)')
expect_eq "WeCom, DingTalk and Feishu robots got one verified message each" "$got" "1 True 1 1
True"
row=$("$TBTWARN" outbox --json | python3 -c "import json,sys; print([(r['state'], r['last_error']) for r in json.load(sys.stdin) if r['subscription'] == $WL])")
expect_eq "a robot's rate-limit answer is retried" "$row" "[('retrying', 'robot error 45009: api freq out of limit')]"
active=$("$TBTWARN" subscription list "$A" | python3 -c "import json,sys; print([s['active'] for s in json.load(sys.stdin) if s['id'] == $GONE])")
expect_eq "410 Gone disables the webhook subscription" "$active" "[False]"

# Digest: nothing for the daily subscription until its hour, then one message with everything, high risk first.
step "Digest"
expect_eq "the daily subscription's alerts are held" "$(count_mail "m['to'] == '<li@gd-battery.example.cn>'")" 0
held=$("$TBTWARN" outbox --json | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin) if r['subscription'] == $AD and r['state'] == 'held'))")
[ "$held" -ge 2 ] && ok "several alerts held for the digest ($held)" || not_ok "several alerts held for the digest" "got: $held"
run env TBTWARN_CLOCK_OFFSET=90000 TBTWARN_RETRY_BASE=1s "$TBTWARN" alert --once
got=$(mails | python3 -c "
import json, re, sys
for l in sys.stdin:
    m = json.loads(l)
    if m['to'] != '<li@gd-battery.example.cn>': continue
    items = m['text'].count('■ ')
    ranks = [{'高': 0, '中': 1, '低': 2}[r] for r in re.findall(r'风险等级：(.)', m['text'])]
    print(m['subject'].startswith('[TBT/SPS预警] 每日摘要') or m['subject'].startswith('[TBT预警] 每日摘要'), items == $held, ranks == sorted(ranks), m['parts'])
    # Chinese first: the subject names the first (most urgent) item, its member and its title or category.
    print(('等 %d 项通报' % items) in m['subject'], any(w in m['subject'] for w in ('美国', '欧盟', '日本', '中国', '韩国', '英国')), m['subject'])")
expect_eq "a day later one digest carries them all, by risk" "$(printf '%s\n' "$got" | head -1)" "True True True ['text/plain', 'text/html']"
expect_match "the digest's subject leads with its first item in Chinese, then how many more (subject: $(printf '%s\n' "$got" | tail -1))" "$(printf '%s\n' "$got" | sed -n 2p)" "^True True "

expect_match "the run says a digest was made" "$out" "1 digests made"
got=$(curl -s "$W/log" | python3 -c "import json,sys; log = json.load(sys.stdin); f = [r for r in log if r['path'] == '/flaky']; print(len(f) >= 2, len(set(r['id'] for r in f)) < len(f), all(r['verified'] for r in f))")
expect_eq "a webhook that failed once got the same webhook-id again, and took it" "$got" "True True True"

# Reminders: 5 days before the deadline, once; the addendum that moves the deadline cancels the one still held and
# brings a new one before the new date.
step "Reminders"
run env TBTWARN_TODAY=2025-05-08 TBTWARN_CLOCK_OFFSET=90000 "$TBTWARN" alert --once
expect_eq "a reminder 5 days before the deadline" "$(count_mail "m['message_id'] == '<tbtwarn.reminder.$BI.G/TBT/N/USA/2201.2025-05-13@tbtwarn>'")" 1
got=$(mails | python3 -c "
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m['message_id'].startswith('<tbtwarn.reminder.$BI.'): print(m['subject'])")
expect_eq "in the subscriber's language, with the days left" "$got" "[TBT reminder] United States of America · Lithium-ion cells and batteries · comments until 2025-05-13 (5 days left) · G/TBT/N/USA/2201"
run env TBTWARN_TODAY=2025-05-08 TBTWARN_CLOCK_OFFSET=90000 "$TBTWARN" alert --once
expect_eq "and only once" "$(count_mail "m['message_id'].startswith('<tbtwarn.reminder.$BI.')")" 1
held=$("$TBTWARN" outbox --json | python3 -c "import json,sys; print([r['state'] for r in json.load(sys.stdin) if r['kind'] == 'reminder' and r['subscription'] == $AD])")
expect_eq "the digest subscriber's reminder waits for the digest" "$held" "['held']"
"$TBTWARN" import "$ROOT/tests/data/samples/wto-addenda-2025-04.txt" > /dev/null
run env TBTWARN_TODAY=2025-05-08 TBTWARN_CLOCK_OFFSET=90000 "$TBTWARN" alert --once
got=$("$TBTWARN" outbox --json | python3 -c "import json,sys; print([(r['state'], r['last_error']) for r in json.load(sys.stdin) if r['kind'] == 'reminder' and r['subscription'] == $AD])")
expect_eq "the addendum moving the deadline cancels the held reminder" "$got" "[('cancelled', 'the comment deadline moved to 2025-06-12')]"
run env TBTWARN_TODAY=2025-06-07 TBTWARN_CLOCK_OFFSET=90000 "$TBTWARN" alert --once
expect_eq "and a new reminder comes before the new deadline" "$(count_mail "m['message_id'] == '<tbtwarn.reminder.$BI.G/TBT/N/USA/2201.2025-06-12@tbtwarn>'")" 1

# Unsubscribe with the token from the mail's List-Unsubscribe header: nothing more goes out, waiting rows cancelled.
step "Unsubscribe with the token from the mail's List-Unsubscribe header"
url=$(mails | python3 -c "
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m['to'] == '<buyer@eu-import.example.com>':
        print(m['headers']['List-Unsubscribe'].strip('<>'))
        break")
UT=${url##*t=}
run "$TBTWARN" subscriber unsubscribe "$B" --token "$UT"
expect_eq "the List-Unsubscribe token unsubscribes" "$rc" 0
before=$(count_mail "m['to'] == '<buyer@eu-import.example.com>'")
sed 's/"commentDeadlineDate": "2025-05-13T00:00:00+02:00"/"commentDeadlineDate": "2025-07-30T00:00:00+02:00"/' "$ROOT/tests/data/samples/eping-2025-03-a.json" > "$TMP/changed.json"
"$TBTWARN" import "$TMP/changed.json" > /dev/null
run "$TBTWARN" alert --once
expect_eq "an unsubscribed subscriber gets nothing more" "$(count_mail "m['to'] == '<buyer@eu-import.example.com>'")" "$before"

# subscription test: one sample now, marked as a test; refused for an address not yet confirmed.
step "subscription test"
run "$TBTWARN" subscription test "$AD"
expect_eq "subscription test delivers one sample" "$rc:$(count_mail "m['message_id'].startswith('<tbtwarn.test.$AD.') and m['subject'].startswith('[测试] ')")" "0:1"
run "$TBTWARN" subscriber add --email new@example.cn
N=$out
run "$TBTWARN" subscription add "$N" --channel email --category toys_games
run "$TBTWARN" subscription test "$out"
expect_match "and refused before the address is confirmed" "$rc:$err" "^1:.*has not confirmed|^2:.*has not confirmed"

# CSV import: a spreadsheet's export with a BOM; good rows in, bad rows named by line, known addresses skipped.
step "CSV import"
printf '\357\273\277email,name,org,lang,confirmed\r\nzhou@furniture.example.cn,周伟,"佛山家具, 有限公司",zh,yes\r\nnot-an-address,x,y,zh,no\r\nli@gd-battery.example.cn,李,z,zh,yes\r\nhu@ceramics.example.cn,胡,陶瓷,fr,no\r\n"kim@toys.example.kr",Kim,"Toys ""Seoul""",en,no\r\nbad\377@example.cn,x,y,zh,no\r\n' > "$TMP/subs.csv"
run "$TBTWARN" subscriber import "$TMP/subs.csv"
expect_eq "import reports what it did and fails on bad rows" "$rc:$out" "1:import: 2 added (1 to confirm), 1 already known, 3 bad rows"
expect_match "each bad row is named by line" "$err" "subs.csv:3: 'not-an-address' is not an e-mail address"
expect_match "with the reason" "$err" "subs.csv:5: lang must be zh or en"
expect_match "including text that is not UTF-8" "$err" "subs.csv:7: not valid UTF-8"
got=$("$TBTWARN" subscriber list --json | python3 -c "import json,sys; print(sorted((s['email'], s['org'], s['status']) for s in json.load(sys.stdin) if s['email'] in ('zhou@furniture.example.cn', 'kim@toys.example.kr')))")
expect_eq "quoted fields with commas and quotes survive" "$got" "[('kim@toys.example.kr', 'Toys \"Seoul\"', 'pending'), ('zhou@furniture.example.cn', '佛山家具, 有限公司', 'confirmed')]"
