#!/bin/sh
# t23: `make run TRANSLATE=stand-in` (scripts/demo.sh) as README shows it: the whole offline demo with the tests'
# stand-in translation provider on loopback: the service translates the bundled notifications by itself, the web
# shows machine titles labelled as such, and the Chinese subscribers' alerts carry them labelled 机器翻译.
. "$(dirname "$0")/lib.sh"
P=$(free_port)
export TBTWARN_DATA="$TMP/var" TBTWARN_LISTEN=127.0.0.1:$P TBTWARN_BIN="$TBTWARN" TRANSLATE=stand-in
unset TBTWARN_TODAY
setsid sh "$ROOT/scripts/demo.sh" > "$TMP/demo.out" 2> "$TMP/demo.err" &
demo=$!
trap 'kill -- -$demo 2>/dev/null; rm -rf "$TMP"' EXIT
W=http://127.0.0.1:$P
wait_for "step 1: the demo's web UI answers" curl -sf "$W/healthz"
expect_match "step 1: the demo says where translations come from" "$(cat "$TMP/demo.out")" "^   translation +http://127\.0\.0\.1:[0-9]+$"
machine_titles() {
	curl -s "$W/api/notifications?q=type:tbt&per_page=50" | python3 -c '
import json, sys
h = json.load(sys.stdin)["hits"]
sys.exit(0 if sum(1 for x in h if x.get("title_zh_by") == "machine") >= 5 else 1)'
}
wait_for "step 2: the service machine-translates the bundled notifications by itself" machine_titles
got=$(curl -s "$W/api/notifications?q=type:tbt&per_page=50" | python3 -c '
import json, sys
h = json.load(sys.stdin)["hits"]
by = sorted(set(x.get("title_zh_by") or "none" for x in h))
print(by, all(x["summary_zh"] for x in h))')
expect_match "step 2: hits say whose Chinese each title is; every hit keeps its digest" "$got" "'machine'.* True$"
mail_labelled() {
	[ -d "$TBTWARN_DATA/mail/new" ] && python3 "$ROOT/tests/maildir.py" "$TBTWARN_DATA/mail/new" | python3 -c '
import json, sys
sys.exit(0 if any("机器翻译" in (json.loads(l)["text"] or "") for l in sys.stdin) else 1)'
}
wait_for "step 3: a Chinese subscriber's alert carries the machine's title, labelled 机器翻译" mail_labelled
# Every immediate alert to a Chinese reader went with a Chinese title, none with the English alone: an alert held
# for its translation is read again once the translation is in (the alerter once kept its first, English-only copy).
zh_mails() { python3 "$ROOT/tests/maildir.py" "$TBTWARN_DATA/mail/new" | python3 -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if "预警]" in m["subject"] and "摘要" not in m["subject"]:
        print(m["subject"].split(" · ")[-1], "标题（机器翻译）" in m["text"] or "\n标题：" in m["text"])'; }
all_sent() { ! "$TBTWARN" outbox | grep -q "waiting for its Chinese translation"; }
wait_for "step 3: no alert waits for its translation any more" all_sent
got=$(zh_mails)
expect_match "step 3: Chinese readers' alerts were sent ($(printf '%s' "$got" | wc -l))" "$(printf '%s' "$got" | wc -l)" "^[4-9]$|^[1-9][0-9]+$"
expect_eq "step 3: every one with a Chinese title (symbol, has a Chinese title)" "$(printf '%s\n' "$got" | grep -c ' False$')" 0

step "4: demo staff"
expect_match "the demo says where staff log in and where their password is" "$(cat "$TMP/demo.out")" "staff login +http://127\.0\.0\.1:8080/login +as analyst or expert, password in .*/demo-staff\.txt"
expect_eq "the password file is its owner's alone" "$(stat -c %a "$TBTWARN_DATA/demo-staff.txt")" 600
pw=$(sed -n 's/^password: //p' "$TBTWARN_DATA/demo-staff.txt")
expect_match "a password made for this data directory" "$pw" "^[0-9a-f]{24}$"
got=$(curl -s -H 'Content-Type: application/json' -d "{\"user\": \"analyst\", \"password\": \"$pw\"}" "$W/api/session" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("user"), d.get("role"))')
expect_eq "the demo analyst logs in with it" "$got" "analyst analyst"
echo "1..$n"
