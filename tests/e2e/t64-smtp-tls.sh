#!/bin/sh
# t64: mail to a relay that requires TLS and AUTH (tests/e2e/smtpd.py, our own small relay, since smtp-sink has
# neither): STARTTLS and smtps://, credentials in the URL, the relay's private CA from [alert] smtp_ca_file. Every
# alert arrives once, over TLS, authenticated, its commands pipelined; a wrong password fails for good with the
# relay's reason; an unverifiable certificate sends nothing; `tbtwarn doctor` tells the two apart.
. "$(dirname "$0")/lib.sh"
step "relays over TLS"
command -v openssl >/dev/null || { not_ok "openssl is installed"; exit 1; }
srvs=
trap 'kill $srvs 2>/dev/null; rm -rf "$TMP"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 2> /dev/null
# relay NAME MODE: starts one in this shell (so that the trap can stop it); sets P to its port.
relay() {
	mkdir -p "$TMP/$1"
	python3 "$ROOT/tests/e2e/smtpd.py" "$2" "$TMP/cert.pem" "$TMP/key.pem" tbt 's3cret!' "$TMP/$1" > "$TMP/$1.port" 2> "$TMP/$1.log" &
	srvs="$srvs $!"
	i=0
	while [ ! -s "$TMP/$1.port" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
	P=$(head -n 1 "$TMP/$1.port")
}
printf '[alert]\nsmtp_ca_file = %s\n' "$TMP/cert.pem" > "$TMP/ca.ini"
: > "$TMP/none.ini"
# check DIR: "messages distinct all-tls all-authenticated any-pipelined"
check() {
	python3 - "$TMP/$1" <<'PY'
import email, glob, json, sys
d = sys.argv[1]
log = [json.loads(l) for l in open(d + "/log.jsonl")]
ids = [email.message_from_bytes(open(f, "rb").read())["Message-ID"] for f in glob.glob(d + "/*.eml")]
print(len(ids), len(set(ids)), all(r["tls"] for r in log), all(r["user"] == "tbt" for r in log), any(r["pipelined"] for r in log))
PY
}

mail_archive starttls 20
relay starttls starttls
run env TBTWARN_SMTP_URL="smtp://tbt:s3cret%21@127.0.0.1:$P" "$TBTWARN" --config "$TMP/ca.ini" alert --once
sent=$(outbox_count sent)
[ "$sent" -gt 40 ] && ok "STARTTLS and AUTH: every alert sent ($sent)" || not_ok "STARTTLS and AUTH" "$out" "$err"
expect_eq "each arrived once, over TLS, authenticated, pipelined" "$(check starttls)" "$sent $sent True True True"
run env TBTWARN_SMTP_URL="smtp://tbt:s3cret%21@127.0.0.1:$P" "$TBTWARN" --config "$TMP/ca.ini" doctor
expect_match "doctor: the relay answers (TLS and login included)" "$out" "ok   mail relay smtp://tbt:\*\*\*@127.0.0.1:$P answers"
expect_eq "doctor does not show the password" "$(printf '%s' "$out" | grep -c 's3cret')" 0

mail_archive smtps 20
relay smtps smtps
run env TBTWARN_SMTP_URL="smtps://tbt:s3cret%21@127.0.0.1:$P" "$TBTWARN" --config "$TMP/ca.ini" alert --once
sent=$(outbox_count sent)
expect_eq "smtps:// (TLS from the first byte): each alert once, authenticated, pipelined" "$(check smtps)" "$sent $sent True True True"

mail_archive badpass 20
relay badpass starttls
run env TBTWARN_SMTP_URL="smtp://tbt:wrong@127.0.0.1:$P" "$TBTWARN" --config "$TMP/ca.ini" alert --once
expect_eq "a wrong password: nothing sent, every alert failed for good" "$(outbox_count sent) $(outbox_count retrying) $(ls "$TMP/badpass" | grep -c eml)" "0 0 0"
expect_match "with the reason" "$("$TBTWARN" outbox --json)" "[Ll]ogin denied"
run env TBTWARN_SMTP_URL="smtp://tbt:wrong@127.0.0.1:$P" "$TBTWARN" --config "$TMP/ca.ini" doctor
expect_match "doctor says why" "$out" "FAIL mail relay .*[Ll]ogin denied"

mail_archive noca 20
relay noca starttls
run env TBTWARN_SMTP_URL="smtp://tbt:s3cret%21@127.0.0.1:$P" "$TBTWARN" --config "$TMP/none.ini" alert --once
expect_eq "an unverifiable certificate: nothing sent, every alert waits for a retry" "$(outbox_count sent) $(ls "$TMP/noca" | grep -c eml)" "0 0"
expect_match "the reason names the certificate" "$("$TBTWARN" outbox --json)" "[Cc]ertificate"
