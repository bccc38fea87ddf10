#!/bin/sh
# t90: webhooks and robots cannot be aimed at loopback, private, link-local or other special addresses, in any
# spelling of the address or through a name that resolves to one: the check is on the address actually connected to.
# A receiver listening on every loopback address (IPv4 and IPv6) counts what reaches it.
. "$(dirname "$0")/lib.sh"
python3 "$ROOT/tests/e2e/hookcount.py" > "$TMP/hport" &
hp=$!
trap 'kill $hp 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/hport" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
P=$(head -n 1 "$TMP/hport")
count() { curl -s "http://127.0.0.1:$P/count"; }
expect_eq "the receiver answers on IPv4 and IPv6 loopback" "$(curl -s "http://[::1]:$P/count"),$(count)" "0 0,0 0"

# fresh NAME: a new archive with the samples and one confirmed subscriber $S; the subscriptions added next see every
# notification as new.
fresh() {
	export TBTWARN_DATA="$TMP/var-$1"
	"$TBTWARN" subscriber add --email ops@firm.example.cn --confirmed > "$TMP/sid"
	S=$(cat "$TMP/sid")
}
imp() { "$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null; }
fresh spellings
# Every spelling of loopback that the old check (on the URL's text) let through, and names that resolve to it.
step "Every spelling of loopback that the old check"
for u in "http://0:$P/a" "http://127.1:$P/b" "http://2130706433:$P/c" "http://0x7f000001:$P/d" \
	"http://0177.0.0.1:$P/e" "http://user@127.0.0.1:$P/f" "http://localhost:$P/g" "http://LocalHost:$P/h" \
	"http://[::1]:$P/i" "http://[::ffff:127.0.0.1]:$P/j" "http://[::ffff:7f00:1]:$P/k" "http://127.0.0.2:$P/l" \
	"http://169.254.169.254/latest/meta-data/" "http://0xa9fea9fe/m" "http://10.1.2.3/n" "http://100.64.0.1/o" \
	"http://192.168.1.1/p" "http://[fe80::1]/q" "http://[fc00::1]/r" "http://224.0.0.1/s" "http://[2002:7f00:1::]/t"; do
	"$TBTWARN" subscription add "$S" --channel webhook --url "$u" --member USA > /dev/null || not_ok "subscription add $u" "it exited non-zero (want: accepted, refused only at delivery)"
done
"$TBTWARN" subscription add "$S" --channel wecom --url "http://localhost:$P/wecom?key=x" --member USA > /dev/null
imp

run env TBTWARN_SMTP_URL=maildir:$TMP/mail "$TBTWARN" alert --once
expect_eq "nothing reached the receiver through any spelling of loopback" "$(count)" "0 0"
got=$("$TBTWARN" outbox --json | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["subscription"]]
states = sorted(set(r["state"] for r in rows))
errs = sorted(set(r["last_error"].rsplit(": ", 1)[1] for r in rows if r["last_error"]))
print(len(rows), states, errs)')
expect_eq "every delivery failed for good, naming the kind of address refused" "$got" \
	"66 ['failed'] ['link-local address', 'loopback address', 'multicast address', 'private address', 'shared address space (CGNAT)', 'unspecified address']"
expect_match "the error names the address actually connected to" "$out" \
	"failed <tbtwarn[^>]*>: refused to connect to 169\.254\.169\.254: link-local address"
expect_match "mapped IPv6 forms are judged by their IPv4 address" "$out" "refused to connect to ::ffff:127\.0\.0\.1: loopback address"
expect_match "a name that resolves to loopback is refused" "$(printf '%s' "$out" | grep -c 'refused to connect to \(127\.0\.0\.1\|::1\)')" "^[1-9]"

# The operator may allow named ranges (an intranet receiver): 127.0.0.2/32 alone here.
step "The operator may allow named ranges (an intranet receiver)"
fresh allowed
"$TBTWARN" subscription add "$S" --channel webhook --url "http://127.0.0.2:$P/allowed" --member KOR > /dev/null
"$TBTWARN" subscription add "$S" --channel webhook --url "http://127.0.0.1:$P/not-allowed" --member KOR > /dev/null
imp
run env TBTWARN_SMTP_URL=maildir:$TMP/mail TBTWARN_ALLOW_TARGETS=127.0.0.2/32 "$TBTWARN" alert --once
expect_eq "allow_targets lets exactly its range through" "$(count)" "2 0"
expect_match "and still refuses the rest" "$out" "refused to connect to 127\.0\.0\.1: loopback address"
run env TBTWARN_ALLOW_TARGETS=10.0.0.0/33 "$TBTWARN" alert --once
expect_match "a bad range is named" "$err" "TBTWARN_ALLOW_TARGETS: '10\.0\.0\.0/33': an IPv4 prefix is at most 32 bits"

# A subscription nobody confirmed delivers nothing, whatever its channel, even to an allowed target.
step "A subscription nobody confirmed delivers nothing"
fresh unconfirmed
run "$TBTWARN" subscriber add --email stranger@elsewhere.example.com
S2=$out
"$TBTWARN" subscription add "$S2" --channel webhook --url "http://127.0.0.2:$P/unconfirmed" --member JPN > /dev/null
"$TBTWARN" subscription add "$S2" --channel dingtalk --url "http://127.0.0.2:$P/unconfirmed-robot" --member JPN > /dev/null
imp
run env TBTWARN_SMTP_URL=maildir:$TMP/mail TBTWARN_ALLOW_TARGETS=127.0.0.2/32 "$TBTWARN" alert --once
expect_eq "an unconfirmed subscriber's webhook and robot reach nobody" "$(count)" "2 0"
expect_match "they are cancelled, saying why" "$out" "cancelled <tbtwarn[^>]*>: the subscriber has not confirmed the address"

# A target that keeps failing is paused after pause_after attempts in a row, and its owner told once.
step "A target that keeps failing is paused after pause_after attempts in a"
cat > "$TMP/pause.ini" <<INI
[alert]
allow_targets = 127.0.0.2
pause_after = 3
retry_base = 1s
INI
fresh pause
run "$TBTWARN" subscription add "$S" --channel webhook --url "http://127.0.0.2:$P/fail" --member USA --member KOR --member JPN
F=$out
imp
run env TBTWARN_SMTP_URL=maildir:$TMP/mail "$TBTWARN" --config "$TMP/pause.ini" alert --once
fails=$(count | cut -d' ' -f2)
expect_match "the failing target was tried, then paused" "$out" "paused subscription $F after 3 failed attempts in a row: HTTP 500"
"$TBTWARN" outbox --json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["subscription"] == int(sys.argv[1]) and r["state"] in ("pending", "retrying"): print(r["id"])' "$F" > "$TMP/left"
for id in $(cat "$TMP/left"); do "$TBTWARN" outbox retry "$id" > /dev/null; done
run env TBTWARN_SMTP_URL=maildir:$TMP/mail "$TBTWARN" --config "$TMP/pause.ini" alert --once
expect_eq "a paused target is not contacted again" "$(count | cut -d' ' -f2)" "$fails"
expect_match "what waited for it is cancelled" "$out" "cancelled <tbtwarn[^>]*>: the subscription is disabled"
got=$(python3 "$ROOT/tests/maildir.py" "$TMP/mail/new" | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if "您的预警推送已暂停" in json.loads(l)["subject"]))')
expect_eq "the owner got one notice, in Chinese" "$got" 1
run "$TBTWARN" subscription list
expect_match "the pause and its reason show in the subscription list" "$out" '"paused_reason": "HTTP 500"'
