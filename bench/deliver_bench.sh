#!/bin/sh
# deliver_bench.sh BUILD WORKDIR: the alerter's delivery against its baselines, in the same run.
#   mail:     tbtwarn alert delivering BENCH_MAILS (10,000) queued alerts to postfix's smtp-sink
#             vs  postfix's smtp-source sending as many messages of the same size to the same sink, with the same
#             number of parallel sessions (8) reused between messages (-d)
#   webhooks: BENCH_MAILS signed webhook deliveries to nginx answering 204: rate and peak memory
# Prints "mail OURS_PER_S SOURCE_PER_S OURS_RSS_MIB SIZE" and "webhook PER_S RSS_MIB".
# BENCH_INSTANCES=2 (with the store on PostgreSQL): two tbtwarn instances (two data directories, one secret) deliver
# the same outbox at once, each what it claimed; the rates are then of both together (wall time until both are done)
# and the memory is the larger of the two.
set -eu
B=$1
W=$2
N=${BENCH_MAILS:-10000}
INST=${BENCH_INSTANCES:-1}
BIN=${BENCH_BIN:-$PWD/tbtwarn}
D=$(mkdir -p "$W" && cd "$W" && pwd)/deliver # absolute: nginx reads -c relative to its -p prefix
rm -rf "$D"
mkdir -p "$D/mail" "$D/nginx"
chmod 777 "$D/mail"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
P=$(free_port)
H=$(free_port)
smtp-sink -u nobody 127.0.0.1:$P 256 &
sink=$!
cat > "$D/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $D/nginx/nginx.pid;
error_log $D/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $D/nginx;
	server { listen 127.0.0.1:$H; location / { return 204; } }
}
EOF
nginx -c "$D/nginx/nginx.conf" -p "$D/nginx"
trap 'kill $sink 2>/dev/null; nginx -c "$D/nginx/nginx.conf" -p "$D/nginx" -s stop 2>/dev/null || true' EXIT

# N subscribers, each with one e-mail and one webhook subscription to the same notification: N alerts of each kind.
export TBTWARN_DATA=$D/var
# Instances that share a store share the secret their links are signed with.
export TBTWARN_SECRET=${TBTWARN_SECRET:-bench-secret-0123456789abcdef0123456789abcdef}
# deliver OUT MEM: tbtwarn alert --once as INST instances at once (the second in a data directory of its own); the
# first's measure.py output in MEM, the others' beside it (MEM.2); returns when all are done.
deliver() {
	if [ "$INST" -eq 1 ]; then
		python3 bench/measure.py "$BIN" alert --once > "$1" 2> "$2"
		return
	fi
	i=1
	pids=""
	while [ $i -le "$INST" ]; do
		data=$D/var
		[ $i -gt 1 ] && data=$D/var$i
		mkdir -p "$data"
		sfx=""
		[ $i -gt 1 ] && sfx=.$i
		TBTWARN_DATA=$data python3 bench/measure.py "$BIN" alert --once > "$1$sfx" 2> "$2$sfx" &
		pids="$pids $!"
		i=$((i + 1))
	done
	for p in $pids; do wait "$p"; done
}
# The store: SQLite in the data directory, or PostgreSQL when TBTWARN_DATABASE_URL names it (bench/pg_bench.sh).
q() {
	if [ -n "${TBTWARN_DATABASE_URL:-}" ]; then psql -qAtX "$TBTWARN_DATABASE_URL" -c "$1"; else sqlite3 "$D/var/tbtwarn.db" "$1"; fi
}
"$BIN" import tests/data/samples/eping-2025-03-a.json > /dev/null
python3 -c "
import sys
print('email,confirmed')
for i in range($N): print('buyer%05d@firm%05d.example.cn,yes' % (i, i))" > "$D/subs.csv"
"$BIN" subscriber import "$D/subs.csv" > /dev/null
q "
INSERT INTO subscriptions (subscriber_id, channel, url, secret, filter, created_at)
  SELECT id, 'email', NULL, NULL, '{\"members\":[\"KOR\"]}', '2026-01-01T00:00:00Z' FROM subscribers;
INSERT INTO subscriptions (subscriber_id, channel, url, secret, filter, created_at, active)
  SELECT id, 'webhook', 'http://127.0.0.1:$H/hook', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{\"members\":[\"KOR\"]}', '2026-01-01T00:00:00Z', 0
  FROM subscribers;"
# Queue: match with no relay configured (the e-mail rows wait; the webhook subscriptions are not active yet).
TBTWARN_SMTP_URL= "$BIN" alert --once > /dev/null
queued=$(q "SELECT count(*) FROM outbox WHERE kind = 'alert' AND state = 'pending'")
[ "$queued" -eq "$N" ] || { echo "deliver_bench: expected $N queued e-mails, got $queued" >&2; exit 1; }

# The size of one of our messages, for smtp-source's payload.
mkdir -p "$D/one"
chmod 777 "$D/one"
P1=$(free_port)
smtp-sink -u nobody -d "$D/one/%M." 127.0.0.1:$P1 10 &
one=$!
ID=$(q "SELECT subscription_id FROM outbox LIMIT 1")
TBTWARN_SMTP_URL=smtp://127.0.0.1:$P1 "$BIN" subscription test "$ID" > /dev/null
kill $one
size=$(cat "$D"/one/* | wc -c)

t0=$(date +%s.%N)
TBTWARN_SMTP_URL=smtp://127.0.0.1:$P deliver "$D/ours.out" "$D/ours.mem"
t1=$(date +%s.%N)
sent=$(q "SELECT count(*) FROM outbox WHERE kind = 'alert' AND state = 'sent'")
[ "$sent" -eq "$N" ] || { echo "deliver_bench: only $sent of $N e-mails sent" >&2; tail -3 "$D/ours.out" >&2; exit 1; }
t2=$(date +%s.%N)
smtp-source -d -s 8 -m "$N" -l "$size" -f tbtwarn@localhost -t buyer@example.cn 127.0.0.1:$P
t3=$(date +%s.%N)

# Webhooks: activate the subscriptions, and let a change of the notification queue N signed deliveries.
q "UPDATE subscriptions SET active = 1 WHERE channel = 'webhook'; UPDATE subscriptions SET active = 0 WHERE channel = 'email';"
sed 's/"commentDeadlineDate": "2025-05-23T00:00:00+02:00"/"commentDeadlineDate": "2025-06-23T00:00:00+02:00"/' tests/data/samples/eping-2025-03-a.json > "$D/changed.json"
"$BIN" import "$D/changed.json" > /dev/null
TBTWARN_SMTP_URL= "$BIN" alert --once > /dev/null 2>&1 || true
q "UPDATE outbox SET state = 'pending', next_attempt = 0 WHERE kind = 'alert' AND state = 'failed' AND last_error LIKE '%refused to connect%'"
t4=$(date +%s.%N)
TBTWARN_ALLOW_TARGETS=127.0.0.0/8 deliver "$D/hooks.out" "$D/hooks.mem"
t5=$(date +%s.%N)
hooks=$(cat "$D"/hooks.out* | grep -c '(webhook)$' || true)
[ "$hooks" -eq "$N" ] || { echo "deliver_bench: only $hooks of $N webhooks delivered" >&2; tail -3 "$D/hooks.out" >&2; exit 1; }
python3 - "$N" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$D" "$size" "$INST" <<'PY'
import glob, sys
n = int(sys.argv[1]); t = [float(x) for x in sys.argv[2:8]]; d = sys.argv[8]; size = sys.argv[9]; inst = int(sys.argv[10])
val = lambda path, key: float(open(path).read().split(key + "=")[1].split()[0])
mem = lambda f: int(max(val(p, "peak_rss_kib") for p in glob.glob(d + "/" + f + "*"))) // 1024
# Ours: the wall time of the tbtwarn process as measure.py saw it (start to exit), not Python's own start-up around it;
# with several instances (started together), the longest of them.
wall = lambda f: max(val(p, "wall_s") for p in glob.glob(d + "/" + f + "*"))
print("mail %.0f %.0f %d %s" % (n / wall("ours.mem"), n / (t[3] - t[2]), mem("ours.mem"), size))
print("webhook %.0f %d" % (n / wall("hooks.mem"), mem("hooks.mem")))
PY
