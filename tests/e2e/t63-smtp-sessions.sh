#!/bin/sh
# t63: the pipelined SMTP sessions against relays that misbehave, each a real smtp-sink: one that does not offer
# PIPELINING (every message then goes as libcurl's own transfer), one that hangs up at DATA (messages whose body never
# left are tried once more on a new session, then retried later), one that hangs up after taking a message without
# answering (the window between a relay's acceptance and our record: sent again later under the same Message-ID).
# Whatever happened, a good relay afterwards gets every alert, and no Message-ID twice where the relay never answered.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null || { not_ok "smtp-sink is installed (postfix)"; exit 1; }
chmod 755 "$TMP"
sinks=
trap 'kill $sinks 2>/dev/null; rm -rf "$TMP"' EXIT
# sink NAME OPTIONS...: starts an smtp-sink keeping each message in $TMP/NAME, in this shell (so that the trap can
# stop it); sets P to its port.
sink() {
	name=$1
	shift
	mkdir -p "$TMP/$name" && chmod 777 "$TMP/$name"
	P=$(free_port)
	smtp-sink -u nobody "$@" -d "$TMP/$name/%M." 127.0.0.1:$P 100 > /dev/null 2>&1 &
	sinks="$sinks $!"
	i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $P), 1)" 2>/dev/null || [ $i -gt 200 ]; do i=$((i + 1)); sleep 0.02; done
}
ids() { for f in "$TMP/$1"/*; do [ -f "$f" ] && sed -n 's/^Message-ID: //p' "$f" | head -n 1; done | sort; }
retry_all() { for id in $("$TBTWARN" outbox --json | python3 -c 'import json,sys; print(" ".join(str(r["id"]) for r in json.load(sys.stdin) if r["state"] == "retrying"))'); do "$TBTWARN" outbox retry "$id" > /dev/null; done; }

# A relay without PIPELINING.
step "A relay without PIPELINING"
mail_archive plain 40
sink plain -p
run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P "$TBTWARN" alert --once
total=$(outbox_count sent)
[ "$total" -gt 80 ] && ok "a relay without PIPELINING takes every alert ($total)" || not_ok "relay without PIPELINING" "$out" "$err"
expect_eq "each once, under the outbox's Message-IDs" "$(ids plain | uniq -d | wc -l) $(ids plain | wc -l)" "0 $total"

# International addresses go as libcurl's own transfers, on the fetcher's multi handle, while the sessions run: a
# session's connection must survive the other transfers (libcurl prunes or reuses what sits in a shared cache).
step "International addresses go as libcurl's own transfers"
mail_archive idn 30
printf 'email,confirmed\n采购@例子.中国,yes\nsales@bücher.example,yes\n' > "$TMP/idn.csv"
"$TBTWARN" subscriber import "$TMP/idn.csv" > /dev/null
for s in 31 32; do "$TBTWARN" subscription add "$s" --channel email --member USA --member KOR > /dev/null; done
sink idn
run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P "$TBTWARN" alert --once
total=$(outbox_count sent)
expect_eq "with international addresses among them, every alert sent, none to retry" "$(outbox_count retrying) $(outbox_count failed)" "0 0"
expect_eq "each once" "$(ids idn | uniq -d | wc -l) $(ids idn | wc -l)" "0 $total"

# A relay that hangs up at DATA: nothing arrives, nothing is marked sent, every alert waits for a retry.
step "A relay that hangs up at DATA"
mail_archive cut 40
sink cut -q DATA
run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P "$TBTWARN" alert --once
expect_eq "hung up at DATA: nothing sent, every alert to retry" "$(outbox_count sent) $(ls "$TMP/cut" | wc -l)" "0 0"
expect_match "the reason is recorded" "$("$TBTWARN" outbox --json)" "session with the mail relay was lost"
n_cut=$(($(outbox_count retrying) + $(outbox_count pending)))
[ "$n_cut" -gt 80 ] && ok "all $n_cut alerts wait for a retry" || not_ok "alerts waiting" "$n_cut"
sink cut-good
retry_all
run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P "$TBTWARN" alert --once
expect_eq "a good relay then takes each of them once" "$(outbox_count sent) $(ids cut-good | uniq | wc -l) $(ids cut-good | wc -l)" "$n_cut $n_cut $n_cut"

# A relay that takes the message and hangs up instead of answering: the message may have arrived; it goes again under
# the same Message-ID, so a receiver that dedupes sees it once.
step "A relay that takes the message and hangs up instead of answering"
mail_archive dot 40
sink dot -q .
run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P "$TBTWARN" alert --once
n_dot=$(($(outbox_count retrying) + $(outbox_count pending)))
expect_eq "no answer after the data: nothing recorded as sent" "$(outbox_count sent)" 0
sink dot-good
retry_all
run env TBTWARN_SMTP_URL=smtp://127.0.0.1:$P "$TBTWARN" alert --once
expect_eq "then every alert is sent, each once at the good relay" "$(outbox_count sent) $(ids dot-good | uniq | wc -l)" "$n_dot $n_dot"
ids dot-good > "$TMP/dot-good.ids"
expect_eq "what the silent relay kept came again under the same Message-ID, nothing under a new one" \
	"$(ids dot | uniq | comm -23 - "$TMP/dot-good.ids" | wc -l)" 0
echo "# the silent relay kept $(ids dot | wc -l) messages, each sent again later under its Message-ID"
