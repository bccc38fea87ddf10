#!/bin/sh
# soak.sh [SECONDS]: the whole service under a steady mixed load (30 minutes by default; not part of make test):
# fixtures appearing and changing every few seconds in a crawled directory, firms subscribing, confirming and
# unsubscribing through the API, e-mail to smtp-sink, and wrk on the search API at the same time. Every 30 s it
# samples the service's memory, the search latency and the errors; at the end it says whether memory stayed flat,
# no request failed and latency stayed stable. Needs the archive of bench/run.sh in build/benchdata/ours (copied).
set -eu
DUR=${1:-1800}
cd "$(dirname "$0")/.."
W=build/soak
rm -rf "$W"
mkdir -p "$W/fix" "$W/mail"
chmod 777 "$W/mail"
[ -d build/benchdata/ours ] || { echo "soak: run bench/run.sh first (it builds build/benchdata/ours)" >&2; exit 1; }
cp -r build/benchdata/ours "$W/var"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
WEB=$(port)
SMTP=$(port)
SECRET=soak-secret
smtp-sink -u nobody 127.0.0.1:$SMTP 200 &
sink=$!
cat > "$W/soak.ini" <<EOF
[source soak]
kind = dir
dir = $PWD/$W/fix
interval = 2s
[alert]
smtp_url = smtp://127.0.0.1:$SMTP
secret = $SECRET
[web]
listen = 127.0.0.1:$WEB
admin_token = soak-admin
[service]
collect_interval = 1s
EOF
${TBTWARN_BIN:-./tbtwarn} --data "$W/var" --config "$W/soak.ini" run 2> "$W/service.log" &
srv=$!
trap 'kill $srv $sink $gen $subs 2>/dev/null || true' EXIT
i=0
until curl -sf "http://127.0.0.1:$WEB/healthz" > /dev/null || [ $i -gt 600 ]; do i=$((i + 1)); sleep 0.1; done
# Fixtures: a new notification every 3 s, and every fifth time an earlier one changes its deadline.
python3 - "$W/fix" <<'PY' &
import sys, time
# A steady source: forty files rewritten in turn, each time with new notifications (the archive grows, the
# directory does not), and every fifth rewrite also changes an earlier notification's comment deadline.
base = open("tests/data/samples/eping-2025-03-a.json", encoding="utf-8").read()
k = 0
while True:
    k += 1
    text = base.replace("G/TBT/N/USA/2201", "G/TBT/N/USA/%d" % (5000 + k)).replace("G/TBT/N/EU/1121", "G/TBT/N/EU/%d" % (5000 + k))
    if k % 5 == 0:
        text = text.replace("G/TBT/N/KOR/1210", "G/TBT/N/KOR/%d" % (5000 + k - 5)).replace("2025-05-23", "2025-07-%02d" % (1 + k % 28))
    open("%s/soak-%02d.json" % (sys.argv[1], k % 40), "w", encoding="utf-8").write(text)
    time.sleep(3)
PY
gen=$!
# Firms subscribing, confirming (with the token the mail would carry) and unsubscribing, one every 2 s.
python3 - "$WEB" "$SECRET" <<'PY' &
import hmac, hashlib, json, sys, time, urllib.error, urllib.parse, urllib.request
port, secret = sys.argv[1], sys.argv[2].encode()
base = "http://127.0.0.1:%s" % port
def call(path, data=None, token=False):
    req = urllib.request.Request(base + path, data=urllib.parse.urlencode(data, doseq=True).encode() if data else None,
                                 headers={"Authorization": "Bearer soak-admin"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
tok = lambda purpose, i: hmac.new(secret, ("%s:%d" % (purpose, i)).encode(), hashlib.sha256).hexdigest()
k = 0
waiting = []
while True:
    k += 1
    email = "soak%06d@firm.example.cn" % k
    call("/api/subscribe", {"email": email, "category": ["toys_games", "lithium_batteries"], "lang": "zh"})
    subs = json.loads(call("/api/admin/subscribers", token=True)[1] or b"[]")
    sid = next((s["id"] for s in subs if s["email"] == email), None)
    if sid:
        call("/confirm", {"s": sid, "t": tok("confirm", sid)})
        waiting.append(sid)
    if len(waiting) > 20:  # the oldest leaves
        old = waiting.pop(0)
        call("/unsubscribe?s=%d&t=%s" % (old, tok("unsubscribe", old)), {"List-Unsubscribe": "One-Click"})
    time.sleep(2)
PY
subs=$!
samples="$W/samples.txt"
: > "$samples"
start=$(date +%s)
python3 bench/queries.py 300 | python3 -c '
import sys, urllib.parse
for q in sys.stdin.read().splitlines(): print("/api/notifications?" + urllib.parse.urlencode({"q": q}))' > "$W/paths.txt"
while [ $(($(date +%s) - start)) -lt "$DUR" ]; do
	out=$(WRK_PATHS="$W/paths.txt" wrk -t1 -c2 -d30s --latency -s bench/wrk_paths.lua "http://127.0.0.1:$WEB" | grep '^wrk:')
	rss=$(awk '/VmRSS/ {print int($2 / 1024)}' /proc/$srv/status)
	m=$(curl -s "http://127.0.0.1:$WEB/metrics")
	n=$(printf '%s\n' "$m" | awk '/^tbtwarn_notifications / {print $2}')
	sq=$(printf '%s\n' "$m" | awk '/^tbtwarn_sqlite_memory_bytes / {print int($2 / 1048576)}')
	echo "t=$(($(date +%s) - start)) rss_mib=$rss sqlite_mib=$sq notifications=$n $out" | tee -a "$samples"
done
python3 - "$samples" "$W/service.log" <<'PY'
import re, sys
rows = [dict(kv.split("=") for kv in l.split() if "=" in kv) for l in open(sys.argv[1])]
rss = [int(r["rss_mib"]) for r in rows]
# SQLite's page caches fill up to their bound ([service] db_cache) as pages are first read; the rest must stay flat.
sq = [int(r["sqlite_mib"]) for r in rows]
rest = [a - b for a, b in zip(rss, sq)]
p99 = [int(r["p99_us"]) for r in rows]
errs = sum(int(r["non2xx"]) + int(r["socket_errors"]) for r in rows)
log_errors = sum(1 for l in open(sys.argv[2]) if "level=error" in l)
third = max(1, len(rows) // 3)
grow = (max(rss[third:]) - rss[third]) / max(1, rss[third])
grow_rest = (max(rest[third:]) - rest[third]) / max(1, rest[third])
print("soak: %d samples, rss %d -> %d MiB (growth after the first third %.0f %%), of which SQLite %d -> %d MiB; "
      "the rest %d -> %d MiB (growth after the first third %.0f %%), p99 %s..%s us, request errors %d, log errors %d, "
      "notifications %s -> %s"
      % (len(rows), rss[0], rss[-1], 100 * grow, sq[0], sq[-1], rest[0], rest[-1], 100 * grow_rest, min(p99), max(p99),
         errs, log_errors, rows[0]["notifications"], rows[-1]["notifications"]))
print("soak: memory flat" if grow < 0.10 else "soak: memory grew" if grow_rest >= 0.10 else
      "soak: memory outside SQLite's bounded cache flat", "/", "no errors" if errs == 0 and log_errors == 0 else "ERRORS")
PY
