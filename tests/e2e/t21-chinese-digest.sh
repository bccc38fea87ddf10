#!/bin/sh
# t21: every notification has a Chinese digest built offline from its fields (no translation provider): in show, the
# API, the Atom feed, the e-mail and the WeCom robot message of a Chinese subscriber, and the webhook; the evidence,
# the risk reasons and the dates' prose read in Chinese too.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
mkdir -p "$TMP/mail" && chmod 755 "$TMP" && chmod 777 "$TMP/mail"
P=$(free_port)
smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$P 100 & sink=$!
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
node "$ROOT/tests/node/receiver.mjs" "$SECRET" > "$TMP/wport" &
wr=$!
trap 'kill $sink $wr $srv 2>/dev/null; rm -rf "$TMP"' EXIT
srv=
i=0
while [ ! -s "$TMP/wport" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
W=http://127.0.0.1:$(head -n 1 "$TMP/wport")
export TBTWARN_SMTP_URL=smtp://127.0.0.1:$P TBTWARN_TODAY=2025-04-20 TBTWARN_ALLOW_TARGETS=127.0.0.0/8
DIGEST="美国 · 技术法规草案 · 锂离子蓄电池、摩托车、电动自行车、自行车及零件 · 保护人类健康或安全、消费者信息、标签 · 评议截止 2025-06-12（还剩53天）"

"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
# Step 1: the record.
run "$TBTWARN" show --json G/TBT/N/USA/2201
got=$(printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["summary_zh"])
print(d["dates"]["entry_into_force"]["text_zh"])
print(d["categories"][0]["evidence_zh"])
print(d["risk"]["reasons_zh"][0])
print(d["objectives_zh"][0])')
expect_eq "step 1: show --json carries the digest, the dates' prose, the evidence, the reasons and objectives in Chinese" "$got" "$DIGEST
最终规则在《联邦公报》公布后180天
HS 850760；ICS 29.220.30；标题含“lithium-ion”；产品含“lithium-ion”；内容描述含“lithium-ion”
广东重点出口市场：美国（+3）
保护人类健康或安全"
run "$TBTWARN" show G/TBT/N/USA/2201
expect_match "step 1: show leads with the digest" "$(printf '%s' "$out" | sed -n 3p)" "^摘要 +美国 · 技术法规草案"

# Step 2: the web: search hits, the record, the Atom feed.
"$TBTWARN" serve --listen 127.0.0.1:0 > "$TMP/serve.out" 2> "$TMP/serve.err" &
srv=$!
wait_for "step 2: the web server listens" grep -q "serving http" "$TMP/serve.out"
B=$(sed -n 's|.*serving \(http://[^ ]*\)/.*|\1|p' "$TMP/serve.out" | head -n 1)
got=$(curl -s "$B/api/notifications?q=symbol:G/TBT/N/USA/2201" | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"][0]["summary_zh"])')
expect_eq "step 2: a search hit carries the digest" "$got" "$DIGEST"
got=$(curl -s "$B/api/notifications?q=lang:en" | python3 -c 'import json,sys; h=json.load(sys.stdin)["hits"]; print(len(h), all(x.get("summary_zh") for x in h))')
expect_match "step 2: every hit has one, English-only records included" "$got" "^[1-9][0-9]* True$"
feed=$(curl -s "$B/feeds/notifications.atom?q=symbol:G/TBT/N/USA/2201")
expect_match "step 2: the Atom entry's summary leads with the digest" "$feed" "<summary type=\"text\">美国 · 技术法规草案"
kill $srv; wait $srv 2>/dev/null
srv=

# Step 3: a Chinese subscriber's e-mail, WeCom robot and webhook.
run "$TBTWARN" subscriber add --email chen@gd-cells.example.cn --lang zh --confirmed
S=$out
"$TBTWARN" subscription add "$S" --channel email --member USA --category lithium_batteries > /dev/null
"$TBTWARN" subscription add "$S" --channel wecom --url "$W/wecom" --member USA --category lithium_batteries > /dev/null
"$TBTWARN" subscription add "$S" --channel webhook --url "$W/ok" --secret "$SECRET" --member USA --category lithium_batteries > /dev/null
run "$TBTWARN" alert --once
expect_match "step 3: the alerts go out" "$out" "queued, [1-9][0-9]* sent"
text=$(python3 "$ROOT/tests/maildir.py" "$TMP/mail" | python3 -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if "G/TBT/N/USA/2201" in m["subject"] and "Add" not in m["subject"]: print(m["text"])')
expect_match "step 3: the e-mail gives the digest" "$text" "摘要 *[:：]? *$DIGEST"
expect_match "step 3: the e-mail's evidence is in Chinese" "$text" "锂离子蓄电池：HS 850760；ICS 29.220.30；标题含“lithium-ion”"
expect_match "step 3: the e-mail's risk reasons are in Chinese" "$text" "广东重点出口市场：美国（\+3）"
expect_match "step 3: the e-mail's entry into force is in Chinese" "$text" "最终规则在《联邦公报》公布后180天"
got=$(curl -s "$W/log" | python3 -c '
import json, re, sys
log = json.load(sys.stdin)
w = [r["body"]["markdown"]["content"] for r in log if r["path"] == "/wecom" and "USA/2201)" in r["body"]["markdown"]["content"]]
h = [r["body"] for r in log if r["path"] == "/ok"]
print(len(w) >= 1 and "G/TBT/N/USA/2201**\n> 美国 · 技术法规草案" in w[0])
print(any(n["notification"].get("summary_zh", "").startswith("美国 · 技术法规草案") for b in h for n in b.get("items", [b])))')
expect_eq "step 3: the WeCom message leads each item with the digest; the webhook carries summary_zh" "$got" "True
True"
echo "1..$n"
