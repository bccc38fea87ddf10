#!/bin/sh
# t80: tbtwarn run as an operator sees it: fixtures crawled and alerts delivered without a command, one instance per
# data directory, configuration errors named by file and line, SIGHUP reload (a bad file keeps the running one),
# /metrics and /healthz, operator notices told once, SIGTERM stops cleanly, backup while running, doctor.
. "$(dirname "$0")/lib.sh"
step "start"
W=$(free_port)
mkdir -p "$TMP/fix" "$TMP/more"
cp "$ROOT"/tests/data/samples/eping-2025-03-a.json "$TMP/fix/"
cp "$ROOT"/tests/data/samples/wto-tbt-chl-712.txt "$TMP/more/"
cat > "$TMP/run.ini" <<EOF
[crawler]
polite_delay = 0s
[source fix]
kind = dir
dir = $TMP/fix
interval = 1s
[source broken]
kind = dir
dir = $TMP/does-not-exist
interval = 1s
[alert]
smtp_url = maildir://$TMP/mail
[web]
listen = 127.0.0.1:$W
admin_token = adm
[service]
collect_interval = 0.2s
[operator]
email = ops@tbtwarn.example.cn
after = 1s
check = 0.5s
EOF
export TBTWARN_TODAY=2025-04-01 TBTWARN_SECRET=svc-test
"$TBTWARN" subscriber add --email li@gd-battery.example.cn --confirmed > /dev/null
"$TBTWARN" subscription add 1 --channel email --category lithium_batteries > /dev/null

# A bad configuration is refused before anything starts, naming file, line and key.
step "A bad configuration is refused before anything starts"
printf '[crawler]\npolite_delay = 0s\n[sourse typo]\nkind = dir\n' > "$TMP/bad.ini"
run "$TBTWARN" --config "$TMP/bad.ini" run
expect_match "an unknown section stops the start, with file and line" "$rc:$err" "^2:.*bad.ini:3: unknown section \[sourse typo\]"
printf '[alert]\nretry_base = soon\n' > "$TMP/bad2.ini"
run "$TBTWARN" --config "$TMP/bad2.ini" run
expect_match "a bad value likewise" "$err" "bad2.ini:2: retry_base wants a duration"

"$TBTWARN" --config "$TMP/run.ini" run > "$TMP/out" 2> "$TMP/log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$TMP"' EXIT
wait_for "the service answers /healthz" curl -sf "http://127.0.0.1:$W/healthz"
wait_for "fixtures are crawled and searchable without a command" sh -c "curl -s 'http://127.0.0.1:$W/api/notifications?q=lithium' | grep -q G/TBT/N/USA/2201"
wait_for "and the alert reached the subscriber's mailbox" sh -c "grep -l 'To: <li@gd-battery.example.cn>' $TMP/mail/new/* | grep -q ."
run "$TBTWARN" --config "$TMP/run.ini" run
expect_match "a second instance on the same data directory refuses to start" "$rc:$err" "^3:.*another tbtwarn is running on .* \(pid $pid\)"

m=$(curl -s "http://127.0.0.1:$W/metrics")
expect_match "/metrics: notifications" "$m" '^tbtwarn_notifications 14$'
expect_match "/metrics: deliveries by state, kind and channel" "$m" '^tbtwarn_deliveries\{state="sent",kind="alert",channel="email"\} [1-9]'
expect_match "/metrics: fetches and staleness by source" "$m" '^tbtwarn_source_staleness_seconds\{source="fix"\} [0-9]+$'
expect_match "/metrics: an unhealthy source" "$m" '^tbtwarn_source_healthy\{source="broken",health="(failing|unhealthy)"\} 0$'
expect_match "logs are logfmt with levels and components" "$(head -n 3 "$TMP/log")" '^ts=[0-9T:-]+Z level=info component=service msg="tbtwarn running'

# The broken source is told to the operator once, however many checks see it.
step "The broken source is told to the operator once"
wait_for "the operator is told about the broken source" sh -c "grep -l 'To: <ops@tbtwarn.example.cn>' $TMP/mail/new/* | grep -q ."
wait_for "several more checks see it" sh -c "[ \$(grep -c 'operator already told: .tbtwarn. source broken' $TMP/log) -ge 3 ]"
expect_eq "only once" "$(grep -l 'To: <ops@tbtwarn.example.cn>' "$TMP"/mail/new/* | wc -l)" 1

# SIGHUP: a bad file is refused and the service keeps running; a good one adds a source.
step "SIGHUP"
cp "$TMP/run.ini" "$TMP/run.ini.good"
sed -i 's/^collect_interval = 0.2s$/collect_interval = often/' "$TMP/run.ini"
kill -HUP $pid
wait_for "a bad reload is refused, naming the line" grep -q 'level=error component=service msg="SIGHUP: configuration not reloaded.*run.ini:[0-9]*: collect_interval wants' "$TMP/log"
expect_eq "and the service still answers" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$W/healthz")" 200
cp "$TMP/run.ini.good" "$TMP/run.ini"
printf '[source more]\nkind = dir\ndir = %s\ninterval = 1s\n' "$TMP/more" >> "$TMP/run.ini"
kill -HUP $pid
wait_for "a good reload adds the new source, whose notifications arrive" sh -c "curl -s 'http://127.0.0.1:$W/api/notifications/G/TBT/N/CHL/712' | grep -q '\"symbol\"'"

# Backup while running, and restore from it.
step "Backup while running"
if on_postgres; then
	run "$TBTWARN" backup "$TMP/backup"
	expect_match "backup on PostgreSQL says to use PostgreSQL's tools" "$rc:$err" "^2:tbtwarn: backup: the store is on PostgreSQL: back it up with pg_dump"
	skip "a restore is the copy plus a reindex" "SQLite's file copy; PostgreSQL restores with pg_restore"
else
	run "$TBTWARN" backup "$TMP/backup"
	expect_match "backup while the service runs" "$rc:$out" "^0:backup: .*tbtwarn.db \(15 notifications"
	mkdir -p "$TMP/restored"
	cp "$TMP/backup/tbtwarn.db" "$TMP/restored/"
	run "$TBTWARN" --data "$TMP/restored" reindex
	run "$TBTWARN" --data "$TMP/restored" search --json lithium
	expect_match "a restore is the copy plus a reindex" "$out" '"total": ?2'
fi

kill -TERM $pid
wait $pid
expect_eq "SIGTERM stops the service cleanly" "$?" 0
expect_match "saying so" "$(tail -n 1 "$TMP/log")" 'msg=stopped$'

run "$TBTWARN" --config "$TMP/run.ini" doctor
expect_match "doctor checks configuration, archive, index, relay and sources" "$out" "ok   configuration .*run.ini"
expect_eq "doctor fails when something is wrong" "$rc" 1
expect_match "and names it" "$out" "^FAIL source broken .*No such file or directory"
expect_match "with the index in step" "$out" "ok   the index holds every stored notification \(15 indexed, 15 stored\)"
