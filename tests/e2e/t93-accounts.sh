#!/bin/sh
# t93: the accounts of the people who work the service (issue 18, first part): users added from the command line
# with Argon2id passwords read from standard input, a login that answers an HttpOnly, SameSite=Strict cookie and a
# CSRF token, roles checked on the administration routes (a translator edits translations, nothing else), the
# token required on every change made with the cookie, throttled logins, and the audit log of who did what.
. "$(dirname "$0")/lib.sh"
S=$ROOT/tests/data/samples
"$TBTWARN" import "$S"/* > /dev/null

step "users from the command line"
run sh -c "printf 'correct horse battery\n' | '$TBTWARN' user add li.wei --role translator --password-stdin"
expect_eq "user add reads the password from standard input" "$rc|$out" "0|added li.wei"
run sh -c "printf 'admin pass phrase 1\n' | '$TBTWARN' user add wang.fang --role admin --password-stdin"
expect_eq "an admin" "$rc" 0
run sh -c "printf 'short\n' | '$TBTWARN' user add zhao --role analyst --password-stdin"
expect_eq "a short password is refused, saying why" "$rc|$err" "1|tbtwarn: user add: a password has 12 to 1024 characters (this one has 5)"
run sh -c "printf 'correct horse battery\n' | '$TBTWARN' user add 'li wei;rm' --role analyst --password-stdin"
expect_match "a name with a space or a semicolon is refused" "$rc|$err" "^1\|tbtwarn: user add: user name 'li wei;rm'"
run sh -c "printf 'another long password\n' | '$TBTWARN' user add li.wei --role admin --password-stdin"
expect_eq "a name taken is refused" "$rc|$err" "1|tbtwarn: user add: there is already a user 'li.wei'"
run "$TBTWARN" user add zhao --role analyst correct-horse-battery
expect_eq "a password as an argument is a usage error (others see the command line)" "$rc" 2
hash=$(db_query "$TBTWARN_DATA" "SELECT pwhash FROM users WHERE name = 'li.wei'")
expect_match "the password is kept as an Argon2id hash, never as itself" "$hash" '^\$argon2id\$v=19\$m=65536,t=2,p=1\$'
run "$TBTWARN" user list
expect_match "user list names them with their role" "$out" "^li\.wei +translator "

step "login"
WP=$(free_port)
printf '[web]\nlisten = 127.0.0.1:%s\nadmin_token = adm\n' "$WP" > "$TMP/web.ini"
"$TBTWARN" --config "$TMP/web.ini" serve > "$TMP/serve.out" 2> "$TMP/serve.err" &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$TMP"' EXIT
wait_for "the web server listens" curl -sf "http://127.0.0.1:$WP/healthz"
B=http://127.0.0.1:$WP
login() { # USER PASSWORD -> headers in $TMP/h, body in $TMP/b, status printed
	curl -s -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' -H 'Content-Type: application/json' \
		-d "{\"user\": \"$1\", \"password\": \"$2\"}" "$B/api/session"
}
expect_eq "a wrong password: 401" "$(login li.wei 'wrong password here')" 401
expect_eq "an unknown user: the same 401" "$(login nobody 'wrong password here')" 401
expect_eq "a right one: 200" "$(login li.wei 'correct horse battery')" 200
cookie=$(sed -n 's/^Set-Cookie: \(tbtwarn_session=[0-9a-f]*\);.*/\1/ip' "$TMP/h" | tr -d '\r')
flags=$(grep -i '^Set-Cookie:' "$TMP/h" | tr -d '\r')
expect_match "the cookie is HttpOnly and SameSite=Strict" "$flags" "HttpOnly; SameSite=Strict"
csrf=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["csrf"] if d["role"] == "translator" else "")' "$TMP/b")
[ ${#csrf} -eq 64 ] && ok "the answer carries the role and a CSRF token" || not_ok "the answer carries the role and a CSRF token" "body: $(cat "$TMP/b")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' -d '{"user": "li.wei", "password": "correct horse battery"}' "$B/api/session")
expect_eq "a login that is not JSON (a form from another site could send it) is refused" "$code" 415
who=$(curl -s -H "Cookie: $cookie" "$B/api/session" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["user"], d["role"])')
expect_eq "GET /api/session says who is logged in" "$who" "li.wei translator"

step "login in the browser"
if command -v chromium >/dev/null && [ -d "$ROOT/tests/node/node_modules/playwright-core" ]; then
	timeout 120 node "$ROOT/tests/node/login.test.mjs" "$B" li.wei 'correct horse battery' > "$TMP/login.out" 2>&1
	relay_tap "$TMP/login.out"
	grep -q '^ok ' "$TMP/login.out" || not_ok "the browser test ran" "$(tail -5 "$TMP/login.out")"
else
	not_ok "the translation desk's login in Chromium (chromium and playwright-core are not installed)"
fi

step "roles and CSRF"
put() { # COOKIE CSRF -> status of a PUT of a Chinese title
	curl -s -o "$TMP/put" -w '%{http_code}' -X PUT -H "Cookie: $1" ${2:+-H "X-CSRF-Token: $2"} \
		-d '{"field": "title", "zh": "锂离子电池安全标准"}' "$B/api/admin/translations/G/TBT/N/USA/2201"
}
expect_eq "a translator's change without the CSRF token: 403" "$(put "$cookie" "")" 403
expect_eq "with a wrong token: 403" "$(put "$cookie" "$(printf '%064d' 0)")" 403
expect_eq "with the session's token: 200" "$(put "$cookie" "$csrf")" 200
by=$("$TBTWARN" show --json G/TBT/N/USA/2201 | python3 -c 'import json,sys; t=json.load(sys.stdin)["translations"]["zh"]["title"]; print(t["by"], t["who"])')
expect_eq "the text is signed by the translator's account" "$by" "human li.wei"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$B/api/admin/subscribers")
expect_eq "a translator may not read the subscribers: 403" "$code" 403
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$B/api/admin/audit")
expect_eq "nor the audit log: 403" "$code" 403
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/api/admin/translations")
expect_eq "an anonymous client: 401" "$code" 401
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: tbtwarn_session=$(printf '%064d' 7)" "$B/api/admin/translations")
expect_eq "a made-up session: 401" "$code" 401
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer adm" "$B/api/admin/subscribers")
expect_eq "the admin bearer token keeps working for scripts" "$code" 200
login wang.fang 'admin pass phrase 1' > /dev/null
acookie=$(sed -n 's/^Set-Cookie: \(tbtwarn_session=[0-9a-f]*\);.*/\1/ip' "$TMP/h" | tr -d '\r')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $acookie" "$B/api/admin/subscribers")
expect_eq "an admin's session reads the subscribers" "$code" 200

step "throttling"
for i in 1 2 3 4 5; do login wang.fang "not the password $i" > /dev/null; done
expect_eq "after five failures even the right password waits: 429" "$(login wang.fang 'admin pass phrase 1')" 429
ra=$(grep -i '^Retry-After:' "$TMP/h" | tr -dc '0-9')
[ -n "$ra" ] && [ "$ra" -gt 0 ] && [ "$ra" -le 900 ] && ok "with Retry-After ($ra s)" || not_ok "with Retry-After" "headers: $(cat "$TMP/h")"

step "logout and removal"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Cookie: $cookie" -H "X-CSRF-Token: $csrf" "$B/api/session")
expect_eq "logout" "$code" 200
expect_eq "the session is gone" "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$B/api/session")" 401
"$TBTWARN" user remove wang.fang > /dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $acookie" "$B/api/admin/subscribers")
expect_eq "a removed user's session no longer opens anything" "$code" 401

step "the audit log"
audit=$(curl -s -H "Authorization: Bearer adm" "$B/api/admin/audit" | python3 -c '
import json, sys
print(" | ".join("%s %s %s" % (e["who"], e["action"], e["target"]) for e in reversed(json.load(sys.stdin))))')
expect_match "who did what, in order" "$audit" "^cli user add li.wei \| cli user add wang.fang \| li.wei login failed li.wei \| nobody login failed nobody \| li.wei login li.wei .*li.wei translation G/TBT/N/USA/2201 .*wang.fang login throttled wang.fang \| li.wei logout li.wei \| cli user remove wang.fang$"
pw=$(db_query "$TBTWARN_DATA" "SELECT count(*) FROM audit_log WHERE detail LIKE '%horse%' OR detail LIKE '%phrase%'")
expect_eq "no password in the audit log" "$pw" 0
echo "1..$n"
