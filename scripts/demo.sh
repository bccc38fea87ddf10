#!/bin/sh
# demo.sh: what `make run` does: the whole service offline on the demo configuration (config/demo.ini): the bundled
# sample notifications crawled from tests/data/samples through the crawler, five demo subscribers
# (config/demo-subscribers.csv) with their subscriptions, alerts delivered into the Maildir var/mail, the web UI on
# http://127.0.0.1:8080. The bundled notifications are from spring 2025, so the demo's "today" is 2025-04-20 (set
# TBTWARN_TODAY to change it): their comment periods are still open.
set -eu
cd "$(dirname "$0")/.."
BIN=${TBTWARN_BIN:-./tbtwarn}
export TBTWARN_DATA=${TBTWARN_DATA:-./var}
export TBTWARN_TODAY=${TBTWARN_TODAY:-2025-04-20}
mkdir -p "$TBTWARN_DATA"
# The data directory pins the demo's "today", so that ./tbtwarn in another terminal agrees with the web.
echo "$TBTWARN_TODAY" > "$TBTWARN_DATA/today"
if [ "$($BIN subscriber list --json | grep -c '"email"')" = 0 ]; then
	echo "== demo subscribers (config/demo-subscribers.csv)"
	$BIN subscriber import config/demo-subscribers.csv
	$BIN subscription add 1 --channel email --category lithium_batteries --category chargers_power_supplies > /dev/null
	$BIN subscription add 2 --channel email --category toys_games --frequency daily --hour 9 > /dev/null
	$BIN subscription add 3 --channel email --category furniture_mattresses --member USA --member EU > /dev/null
	$BIN subscription add 4 --channel email --category lighting_led --min-risk medium > /dev/null
	$BIN subscription add 5 --channel email --member EU --query 'energy efficiency OR ecodesign' > /dev/null
fi
# Demo staff (docs/workflow.md): an analyst and an expert of a testing lab, with a password made for this data
# directory (never a fixed one), kept in $TBTWARN_DATA/demo-staff.txt, readable by its owner alone.
STAFF=$TBTWARN_DATA/demo-staff.txt
if [ ! -s "$STAFF" ]; then
	pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf '%s\n' "$pw" | $BIN user add analyst --role analyst --password-stdin > /dev/null
	printf '%s\n' "$pw" | $BIN user add expert --role expert --categories lithium_batteries,chargers_power_supplies \
		--display-name 示例电池检测中心 --password-stdin > /dev/null
	(umask 077 && printf 'users: analyst, expert\npassword: %s\n' "$pw" > "$STAFF")
fi
# The demo's configuration, with the data directory's paths: its mail goes to $TBTWARN_DATA/mail.
CONFIG=$TBTWARN_DATA/demo.ini
sed -e "s|^dir = \.\./|dir = $PWD/|" -e "s|maildir:var/mail|maildir:$TBTWARN_DATA/mail|" config/demo.ini > "$CONFIG"
# Machine translation (README, "Chinese titles"): TRANSLATE=URL of a LibreTranslate server (or, with
# TRANSLATE_PROVIDER=openai and TRANSLATE_MODEL, of an OpenAI-compatible one; the key in TRANSLATE_KEY), or
# TRANSLATE=stand-in for the tests' stand-in provider on loopback (mechanical Chinese: it shows the flow, not a
# translation anyone should read).
TRANSLATE=${TRANSLATE:-}
if [ "$TRANSLATE" = stand-in ]; then
	python3 tests/translate_server.py > "$TBTWARN_DATA/stand-in.port" &
	i=0
	while [ ! -s "$TBTWARN_DATA/stand-in.port" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
	TRANSLATE=http://127.0.0.1:$(head -n 1 "$TBTWARN_DATA/stand-in.port")
fi
if [ -n "$TRANSLATE" ]; then
	printf '\n[translate]\nprovider = %s\nurl = %s\nkey_env = TRANSLATE_KEY\n' "${TRANSLATE_PROVIDER:-libretranslate}" \
		"$TRANSLATE" >> "$CONFIG"
	[ -z "${TRANSLATE_MODEL:-}" ] || printf 'model = %s\n' "$TRANSLATE_MODEL" >> "$CONFIG"
fi
cat <<MSG

== tbtwarn is starting (Ctrl-C stops it)
   web UI         http://127.0.0.1:8080/            (search, /dashboard, /subscribe)
   API            http://127.0.0.1:8080/api/notifications?q=lithium
   feeds          http://127.0.0.1:8080/feeds/notifications.atom  ·  /calendar/deadlines.ics
   metrics        http://127.0.0.1:8080/metrics  ·  /healthz
   alerts (mail)  $TBTWARN_DATA/mail/new/   (one file per message: less, or mutt -f $TBTWARN_DATA/mail)
   outbox         ./tbtwarn outbox            (in another terminal)
   "today" is $TBTWARN_TODAY for the demo's sample notifications, on the web and for ./tbtwarn
                  alike ($TBTWARN_DATA/today pins it; delete that file for the real date)
   translation    ${TRANSLATE:-none (make run TRANSLATE=URL of a LibreTranslate, or TRANSLATE=stand-in; see README)}
   staff login    http://127.0.0.1:8080/login   as analyst or expert, password in $STAFF

MSG
exec $BIN --config "$CONFIG" run
