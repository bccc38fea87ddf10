#!/bin/sh
# t91: the public web service cannot be turned against third parties or its subscribers: the installation's own
# secret (no constant to forge links with), CSRF tokens bound to the client, rate limits, at most one message per
# address per period, slow clients cut off while others are served.
. "$(dirname "$0")/lib.sh"
"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
export TBTWARN_TODAY=2025-04-20

# ---- the secret ----
step "the secret"
run "$TBTWARN" subscriber add --email owner@firm.example.cn --confirmed
SID=$out
run "$TBTWARN" doctor
expect_match "without a configured secret, one is made in the data directory" "$(cat "$TBTWARN_DATA/secret")" "^[0-9a-f]{64}$"
expect_eq "readable by its owner alone" "$(stat -c %a "$TBTWARN_DATA/secret")" 600
first=$(cat "$TBTWARN_DATA/secret")
"$TBTWARN" subscriber list > /dev/null
expect_eq "and kept across runs" "$(cat "$TBTWARN_DATA/secret")" "$first"
run "$TBTWARN" doctor
expect_match "doctor says whose secret signs the links" "$out" "^ok   link secret: the data directory's own"
run env TBTWARN_SECRET=short "$TBTWARN" doctor
expect_match "doctor flags a weak configured secret" "$out" "^FAIL link secret is strong: it is shorter than 32 characters"
run env TBTWARN_SECRET=tbtwarn-unsubscribe "$TBTWARN" doctor
expect_match "and the constant of older versions" "$out" "^FAIL link secret is strong: it is the constant older versions"
run "$TBTWARN" backup --help
expect_eq "backup --help shows the usage and writes nothing" "$rc:$(ls -d -- ./--help 2>/dev/null | wc -l)" "0:0"
if on_postgres; then
	skip "backups into bad places fail cleanly; a backup holds the secret" "SQLite's backup; PostgreSQL's are pg_dump's"
else
	mkdir -p "$TMP/bk-bad/tbtwarn.db"
	run "$TBTWARN" backup "$TMP/bk-bad"
	expect_match "a backup that cannot be created fails cleanly, saying why" "$rc:$err" "^2:tbtwarn: backup: cannot create "
	mkdir -p "$TMP/bk-full"
	if mount -t tmpfs -o size=64k tmpfs "$TMP/bk-full" 2> /dev/null; then
		run "$TBTWARN" backup "$TMP/bk-full"
		umount "$TMP/bk-full"
		expect_match "a backup that runs out of space fails cleanly, saying why" "$rc:$err" "^1:tbtwarn: backup: .*(full|disk)"
	else
		ok "# SKIP a backup onto a full file system needs to mount a tmpfs"
	fi
	run "$TBTWARN" backup "$TMP/bk"
	expect_eq "a backup holds the secret, both files 0600" "$(cat "$TMP/bk/secret"):$(stat -c %a "$TMP/bk/secret" "$TMP/bk/tbtwarn.db" | tr '\n' ' ')" "$first:600 600 "
fi

# ---- bad settings are named, with file and line ----
step "bad settings are named"
printf '[web]\nwrite_rate = lots\n' > "$TMP/bad1.ini"
run "$TBTWARN" --config "$TMP/bad1.ini" serve --listen 127.0.0.1:0
expect_match "a bad write_rate" "$rc:$err" "^2:.*bad1.ini:2: write_rate wants requests per duration such as 20/1m, got 'lots'"
printf '[web]\ntrusted_proxies = proxy.example\n' > "$TMP/bad2.ini"
run "$TBTWARN" --config "$TMP/bad2.ini" serve --listen 127.0.0.1:0
expect_match "a bad trusted_proxies" "$rc:$err" "^2:.*bad2.ini:2: trusted_proxies: 'proxy.example' is not an IPv4 or IPv6 address"
printf '[crawler]\nredirect_allow = 10.0.0.0/40\n' > "$TMP/bad3.ini"
run "$TBTWARN" --config "$TMP/bad3.ini" crawl --once
expect_match "a bad redirect_allow" "$rc:$err" "bad3.ini:2: \[crawler\] redirect_allow: '10.0.0.0/40': an IPv4 prefix is at most 32 bits"
printf '[alert]\npause_after = 0\n' > "$TMP/bad4.ini"
run "$TBTWARN" --config "$TMP/bad4.ini" alert --once
expect_match "a bad pause_after" "$rc:$err" "bad4.ini:2: pause_after wants 1 to 1000 failed attempts in a row, got '0'"

# ---- a server with generous rate limits: links, CSRF, messages per address ----
step "a server with generous rate limits"
export TBTWARN_WRITE_RATE=1000/1m
cat > "$TMP/web2.ini" <<INI
[web]
write_rate_global = 1000/1m
INI
"$TBTWARN" --config "$TMP/web2.ini" serve --listen 127.0.0.1:0 > "$TMP/serve2.out" 2> "$TMP/serve2.log" &
srv2=$!
trap 'kill $srv $srv2 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while ! grep -q serving "$TMP/serve2.out" 2>/dev/null && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
BASE=$(sed -n 's|^tbtwarn: serving \(http://[0-9.:]*\)/$|\1|p' "$TMP/serve2.out")
BASE2=$BASE
# Links signed with the constant older versions used are worthless now.
step "Links signed with the constant older versions used are worthless now"
forged=$(python3 -c 'import hmac,hashlib,sys; print(hmac.new(b"tbtwarn-unsubscribe", ("manage:%s" % sys.argv[1]).encode(), hashlib.sha256).hexdigest())' "$SID")
expect_eq "a manage link forged with the old constant is refused" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/manage?s=$SID&t=$forged")" 403
good=$(python3 -c 'import hmac,hashlib,sys; print(hmac.new(sys.argv[2].encode(), ("manage:%s" % sys.argv[1]).encode(), hashlib.sha256).hexdigest())' "$SID" "$first")
expect_eq "one signed with the installation's secret works" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/manage?s=$SID&t=$good")" 200

# CSRF: the token comes from GET /api/csrf and is bound to the client's address.
tok() { curl -s --interface "$1" "$BASE/api/csrf" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])'; }
post() { # FROM TOKEN EXTRA-CURL-ARGS...: the status of a subscribe request
	from=$1 t=$2
	shift 2
	curl -s -o "$TMP/body" -D "$TMP/hdrs" -w '%{http_code}' --interface "$from" -H "X-CSRF-Token: $t" "$@" \
		--data-urlencode "email=someone@firm$from.example.cn" -d category=toys_games "$BASE/api/subscribe"
}
expect_eq "a subscribe without a token is refused" "$(post 127.0.0.11 '')" 403
expect_match "saying why, in Chinese" "$(cat "$TMP/body")" '"code": ?"csrf".*表单缺少安全令牌'
expect_match "or in English for an English reader" "$(post 127.0.0.11 '' -H 'Accept-Language: en'; cat "$TMP/body")" \
	'^403.*"code": ?"csrf".*security token is missing'
T12=$(tok 127.0.0.12)
expect_eq "a token fetched from another address is refused" "$(post 127.0.0.11 "$T12")" 403
expect_eq "a form posted from another site is refused" "$(post 127.0.0.12 "$T12" -H 'Origin: https://evil.example')" 403
expect_eq "so is one a browser marks cross-site" "$(post 127.0.0.12 "$T12" -H 'Sec-Fetch-Site: cross-site')" 403
expect_eq "the client's own token is accepted" "$(post 127.0.0.12 "$T12" -H "Origin: $BASE")" 202
page=$(curl -s "$BASE/unsubscribe?s=$SID&t=$(python3 -c 'import hmac,hashlib,sys; print(hmac.new(sys.argv[2].encode(), ("unsubscribe:%s" % sys.argv[1]).encode(), hashlib.sha256).hexdigest())' "$SID" "$first")")
expect_match "the unsubscribe page's form carries a token" "$page" 'name="csrf" value="[0-9]+\.[0-9a-f]{32}"'

# At most one confirm or manage message per address in 10 minutes, whoever asks: 30 requests, 1 message.
step "At most one confirm or manage message per address in 10 minutes"
T=$(curl -s "$BASE2/api/csrf" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
for victim in victim@elsewhere.example.com owner@firm.example.cn; do
	answers=""
	for k in $(seq 1 30); do
		answers="$answers$(curl -s -H "X-CSRF-Token: $T" --data-urlencode "email=$victim" -d category=toys_games "$BASE2/api/subscribe" | md5sum)"
	done
	expect_eq "30 requests for $victim: one answer for all" "$(printf '%s' "$answers" | tr ' -' '\n\n' | grep -c . )" 30
	[ "$(printf '%s' "$answers" | tr ' -' '\n\n' | grep . | sort -u | wc -l)" = 1 ] || not_ok "the answers differ for $victim" "answers: $answers"
	msgs=$("$TBTWARN" outbox --json | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r["kind"] in ("confirm", "manage") and r["subscriber"] == int(sys.argv[1])))' \
		"$("$TBTWARN" subscriber list --json | python3 -c 'import json,sys; print([s["id"] for s in json.load(sys.stdin) if s["email"] == sys.argv[1]][0])' "$victim")")
	expect_eq "30 requests for $victim: one message" "$msgs" 1
done
kill $srv2
unset TBTWARN_WRITE_RATE

# ---- a server with strict limits: rates, slow clients ----
step "a server with strict limits"
cat > "$TMP/web.ini" <<INI
[web]
write_rate = 5/1m
write_rate_global = 8/1m
head_timeout = 2s
max_client_connections = 16
INI
"$TBTWARN" --config "$TMP/web.ini" serve --listen 127.0.0.1:0 > "$TMP/serve.out" 2> "$TMP/serve.log" &
srv=$!
trap 'kill $srv $srv2 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while ! grep -q serving "$TMP/serve.out" 2>/dev/null && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
BASE=$(sed -n 's|^tbtwarn: serving \(http://[0-9.:]*\)/$|\1|p' "$TMP/serve.out")

# Rate limits: 5 writes a minute per client, 8 in all; the rest 429 with Retry-After.
step "Rate limits"
codes=""
T13=$(tok 127.0.0.13)
# Each with another X-Forwarded-For: from a client that is no trusted proxy, the header changes nothing.
step "Each with another X-Forwarded-For"
for k in 1 2 3 4 5 6; do codes="$codes $(post 127.0.0.13 "$T13" -H "X-Forwarded-For: 10.9.8.$k")"; done
expect_eq "a client's writes past its limit get 429, whatever X-Forwarded-For says" "$codes" " 202 202 202 202 202 429"
expect_match "with Retry-After" "$(cat "$TMP/hdrs")" "^Retry-After: [0-9]+"
expect_match "and a message in Chinese" "$(cat "$TMP/body")" "请求过于频繁"
T14=$(tok 127.0.0.14)
codes=""
for k in 1 2 3 4; do codes="$codes $(post 127.0.0.14 "$T14")"; done
expect_eq "other clients go on until the global limit (8 a minute here)" "$codes" " 202 202 202 429"
expect_eq "reading is never limited" "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.13 "$BASE/api/stats")" 200

# Slow clients: 1,000 connections from 127.0.0.1 trickling header lines. The server holds at most
# max_client_connections of them, cuts those after head_timeout, and answers others all along.
step "Slow clients"
python3 "$ROOT/tests/e2e/slowclient.py" 127.0.0.1 "${BASE##*:}" 1000 8 > "$TMP/slow.json" &
slow=$!
sleep 0.5
worst=0 fails=0
for k in $(seq 1 20); do
	t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 3 --interface 127.0.0.20 "$BASE/api/stats")
	[ "${t%% *}" = 200 ] || fails=$((fails + 1))
	worst=$(python3 -c 'import sys; print(max(float(sys.argv[1]), float(sys.argv[2])))' "$worst" "${t#* }")
	sleep 0.2
done
wait $slow
expect_eq "another client is answered throughout the attack" "$fails" 0
expect_match "promptly (slowest of 20, seconds)" "$worst" "^0\.[0-9]+$"
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["held"], d["cut"], d["max_cut_after"] <= 4)' "$TMP/slow.json")
expect_eq "the attacker held 16 connections, all cut within the head deadline" "$got" "16 16 True"
expect_match "the server is still well" "$(curl -s "$BASE/healthz")" "ok"
