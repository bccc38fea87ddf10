#!/bin/sh
# web_bench.sh BUILD WORKDIR: wrk against GET /api/notifications with 1,000 mixed queries (bench/queries.py) as URL
# parameters, over the archive in WORKDIR/ours (made by bench/run.sh), served by `tbtwarn serve`; the same queries
# run in process by build/bench/search_bench for the server's overhead. For 1, 4 and 16 connections prints
# "web CONNECTIONS RPS P50_US P90_US P99_US NON2XX SOCKET_ERRORS RSS_MIB INPROC_MEDIAN_US INPROC_P99_US INPROC_MEAN_US".
set -eu
B=$1
W=$2
BIN=$PWD/tbtwarn
[ -d "$W/ours" ] || { echo "web_bench: no archive in $W/ours (run bench/run.sh first)" >&2; exit 1; }
python3 bench/queries.py 1000 > "$W/web-queries.txt"
# Most as q=, some as the API's own filters and options, so the parameter path is measured too.
# The same mix for the in-process run: QUERY<TAB>sort<TAB>per_page, with the filters written in the query language.
python3 - "$W/web-queries.txt" "$W/web-paths.txt" "$W/web-inproc.txt" <<'PY'
import random, sys, urllib.parse
random.seed(7)
paths, inproc = open(sys.argv[2], "w"), open(sys.argv[3], "w", encoding="utf-8")
for i, q in enumerate(open(sys.argv[1], encoding="utf-8").read().splitlines()):
    p = {"q": q}
    if i % 5 == 1: p["sort"] = "date"
    if i % 7 == 2: p["per_page"] = "50"
    if i % 11 == 3: p.pop("q"); p["member"] = random.choice(["USA", "EU", "KOR", "JPN", "BRA"])
    if i % 13 == 4: p["open"] = "yes"
    print("/api/notifications?" + urllib.parse.urlencode(p), file=paths)
    text = " ".join(x for x in [p.get("q", ""), "member:" + p["member"] if "member" in p else "", "open:yes" if "open" in p else ""] if x)
    by_date = p.get("sort") == "date" or "q" not in p
    print("%s\t%s\t%s" % (text, "date" if by_date else "relevance", p.get("per_page", "20")), file=inproc)
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --data "$W/ours" serve --listen 127.0.0.1:$port --quiet > "$W/serve.out" 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
i=0
while ! grep -q serving "$W/serve.out" 2>/dev/null && [ $i -lt 1000 ]; do i=$((i + 1)); sleep 0.01; done
# Warm the page cache and the index as the in-process run is warmed.
WRK_PATHS="$W/web-paths.txt" wrk -t1 -c4 -d3s -s bench/wrk_paths.lua "http://127.0.0.1:$port" > /dev/null
inproc=$("$B"/bench/search_bench "$W/ours" "$W/web-inproc.txt" 5000)
for c in 1 4 16; do
	out=$(WRK_PATHS="$W/web-paths.txt" wrk -t1 -c$c -d15s --latency -s bench/wrk_paths.lua "http://127.0.0.1:$port" | grep '^wrk:')
	rss=$(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$srv/status)
	python3 - "$c" "$out" "$rss" "$inproc" <<'PY'
import sys
kv = dict(x.split("=") for x in sys.argv[2].split()[1:])
ip = sys.argv[4].split()
print("web %s %s %s %s %s %s %s %s %s %s %s" % (sys.argv[1], kv["rps"], kv["p50_us"], kv["p90_us"], kv["p99_us"], kv["non2xx"], kv["socket_errors"], sys.argv[3], ip[1], ip[3], ip[4]))
PY
done
