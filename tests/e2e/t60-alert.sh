#!/bin/sh
# t60: alerts to real peers on loopback: postfix's smtp-sink for mail (good, 4xx, 5xx), a webhook receiver that
# checks Standard Webhooks signatures with the npm standardwebhooks package; every alert delivered once, failures
# retried or stopped as they should.
. "$(dirname "$0")/lib.sh"
step "alerts by e-mail and webhook"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
mkdir -p "$TMP/mail" "$TMP/mail4" && chmod 755 "$TMP" && chmod 777 "$TMP/mail" "$TMP/mail4"
P1=$(free_port); P4=$(free_port); P5=$(free_port)
smtp-sink -u nobody -d "$TMP/mail/%M." 127.0.0.1:$P1 100 & s1=$!
smtp-sink -u nobody -r RCPT -d "$TMP/mail4/%M." 127.0.0.1:$P4 100 & s4=$!
smtp-sink -u nobody -f RCPT 127.0.0.1:$P5 100 & s5=$!
node "$ROOT/tests/node/receiver.mjs" "$SECRET" > "$TMP/wport" &
wr=$!
trap 'kill $s1 $s4 $s5 $wr 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/wport" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
W=http://127.0.0.1:$(head -n 1 "$TMP/wport")

"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
run "$TBTWARN" subscriber add --email li@gd-battery.example.cn --name 李明 --org 广东电池 --confirmed
S1=$out
run "$TBTWARN" subscriber add --email wang@toys.example.cn
S2=$out
"$TBTWARN" subscription add "$S1" --channel email --category lithium_batteries > /dev/null
"$TBTWARN" subscription add "$S2" --channel email --category toys_games > /dev/null
run "$TBTWARN" subscription add "$S1" --channel webhook --url "$W/ok" --secret "$SECRET" --member USA
WOK=$out
"$TBTWARN" subscription add "$S1" --channel webhook --url "$W/busy" --secret "$SECRET" --category toys_games > /dev/null
"$TBTWARN" subscription add "$S1" --channel webhook --url "$W/gone" --secret "$SECRET" --category furniture_mattresses > /dev/null
run "$TBTWARN" subscription add "$S1" --channel webhook --url "http://127.0.0.1:1/x" --member EU --query 'toys'
expect_eq "subscription add prints the new id" "$(printf '%s' "$out" | grep -Ec '^[0-9]+$')" 1

run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P1 TBTWARN_ALLOW_TARGETS=127.0.0.0/8 TBTWARN_RETRY_BASE=1h "$TBTWARN" alert --once
expect_match "alert --once reports what it did" "$out" "^alert: 23 notifications matched, 10 deliveries queued, 8 sent, 2 to retry, 1 failed$"

cnt=$(grep -l '^To: <li@gd-battery.example.cn>' "$TMP"/mail/* | wc -l)
expect_eq "four e-mails for the confirmed subscriber" "$cnt" 4
cnt=$(grep -l '^To: <wang@toys.example.cn>' "$TMP"/mail/* | wc -l)
expect_eq "the unconfirmed one gets the request to confirm, and nothing else" "$cnt" 1
expect_eq "with its own stable Message-ID" "$(grep -l "^Message-ID: <tbtwarn.confirm.$S2@tbtwarn>" "$TMP"/mail/* | wc -l)" 1
got=$(python3 - "$TMP/mail" <<'PY'
import email, glob, sys
from email.header import decode_header, make_header
ids, ok = set(), True
for f in sorted(glob.glob(sys.argv[1] + "/*")):
    m = email.message_from_bytes(open(f, "rb").read())
    if "confirm" in m["Message-ID"]:
        continue
    subj = str(make_header(decode_header(m["Subject"])))
    parts = [p.get_content_type() for p in m.walk() if not p.is_multipart()]
    text = [p for p in m.walk() if p.get_content_type() == "text/plain"][0].get_payload(decode=True).decode("utf-8")
    ok &= subj.startswith("[TBT预警] ") and " · 评议截止 " in subj and subj.split(" · ")[-1].startswith("G/TBT/N/")
    ok &= parts == ["text/plain", "text/html"] and "锂" in text and "通报号" in text
    ok &= m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and m["List-Unsubscribe"].startswith("<http")
    ok &= m["To"] == "<li@gd-battery.example.cn>"
    ids.add(m["Message-ID"])
print(ok, len(ids))
PY
)
expect_eq "mails: Chinese subject, both parts, one-click unsubscribe, distinct Message-IDs" "$got" "True 4"

got=$(curl -s "$W/log" | python3 -c '
import json,sys
log = json.load(sys.stdin)
ok = [r for r in log if r["path"] == "/ok"]
print(len(ok), all(r["verified"] for r in log), len(set(r["id"] for r in ok)), sorted(set(r["symbol"] for r in ok)))')
expect_eq "webhooks: every signature verifies, one delivery per notification" "$got" "3 True 3 ['G/TBT/N/USA/1364/Add.5', 'G/TBT/N/USA/2201', 'G/TBT/N/USA/2201/Add.1']"

run "$TBTWARN" outbox --json
got=$(printf '%s' "$out" | python3 -c '
import json,sys
rows = json.load(sys.stdin)
by = {}
for r in rows: by.setdefault(r["state"], []).append(r)
print(len(by.get("sent", [])), len(by.get("retrying", [])), len(by.get("failed", [])), by["failed"][0]["last_error"], by["retrying"][0]["last_error"])')
expect_eq "outbox: sent (with the confirmation), retrying (500 and a closed port) and failed (410)" "$got" "8 2 1 HTTP 410 HTTP 500"

run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P1 TBTWARN_ALLOW_TARGETS=127.0.0.0/8 "$TBTWARN" alert --once
expect_match "a second run sends nothing again" "$out" "^alert: 0 notifications matched, 0 deliveries queued, 0 sent, 0 to retry, 0 failed$"
expect_eq "and the sink got nothing more" "$(ls "$TMP/mail" | wc -l)" 5

# A changed notification is a new alert; a relay that answers 4xx is retried, 5xx is a permanent failure.
step "A changed notification is a new alert"
sed 's/"commentDeadlineDate": "2025-05-13T00:00:00+02:00"/"commentDeadlineDate": "2025-06-30T00:00:00+02:00"/' "$ROOT/tests/data/samples/eping-2025-03-a.json" > "$TMP/changed.json"
"$TBTWARN" import "$TMP/changed.json" > /dev/null
run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P4 TBTWARN_ALLOW_TARGETS=127.0.0.0/8 "$TBTWARN" alert --once
expect_match "the changed deadline is matched again" "$out" "^alert: 1 notifications matched, 2 deliveries queued"
expect_match "a 4xx from the relay is retried" "$out" "retrying <tbtwarn\.[0-9.]*@tbtwarn> in [0-9]+ s: "
ID=$("$TBTWARN" outbox --json | python3 -c 'import json,sys; print([r["id"] for r in json.load(sys.stdin) if r["state"] == "retrying" and r["symbol"] == "G/TBT/N/USA/2201" and "HTTP" not in (r["last_error"] or "")][0])')
"$TBTWARN" outbox retry "$ID"
run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P5 "$TBTWARN" alert --once
expect_match "a 5xx from the relay is a permanent failure" "$out" "failed <tbtwarn\.[0-9.]*@tbtwarn>"
"$TBTWARN" outbox retry "$ID"
run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P1 "$TBTWARN" alert --once
expect_eq "after outbox retry it is delivered, once" "$(ls "$TMP/mail" | wc -l)" 6

"$TBTWARN" subscription add "$S1" --channel webhook --url "http://10.20.30.40/hook" --category lithium_batteries > /dev/null
sed 's/"commentDeadlineDate": "2025-06-30T00:00:00+02:00"/"commentDeadlineDate": "2025-07-15T00:00:00+02:00"/' "$TMP/changed.json" > "$TMP/changed2.json"
"$TBTWARN" import "$TMP/changed2.json" > /dev/null
run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P1 "$TBTWARN" alert --once
expect_match "a webhook to a private address is refused without being contacted" "$out" "failed <tbtwarn.*@tbtwarn>: refused to connect to 10\.20\.30\.40: private address"
