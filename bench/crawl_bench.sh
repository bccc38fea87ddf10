#!/bin/sh
# crawl_bench.sh BUILD WORKDIR: the crawler's engine against curl --parallel on the same 2,000 URLs of a local
# nginx, and an idle poll round of 1,000 sources that have nothing new (all 304). Prints a table.
set -eu
B=$1
W=$2
N=${CRAWL_PARALLEL:-8}
cd "$(dirname "$0")/.."
command -v nginx >/dev/null || { echo "nginx missing (scripts/deps.sh bench installs it)"; exit 1; }
rm -rf "$W/www" "$W/nginx" && mkdir -p "$W/www" "$W/nginx/tmp"
W=$(cd "$W" && pwd)
python3 - "$W/www" <<'PY'
import os, sys
src = open("tests/data/samples/wto-tbt-vnm-245.txt", encoding="utf-8").read()
for i in range(2000):
    with open(os.path.join(sys.argv[1], "n%04d.txt" % i), "w", encoding="utf-8") as f:
        f.write(src.replace("G/TBT/N/VNM/245", "G/TBT/N/VNM/%d" % (1000 + i)))
PY
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$W/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
daemon on;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path $W/nginx/tmp;
  proxy_temp_path $W/nginx/tmp;
  fastcgi_temp_path $W/nginx/tmp;
  uwsgi_temp_path $W/nginx/tmp;
  scgi_temp_path $W/nginx/tmp;
  server { listen 127.0.0.1:$PORT; root $W/www; }
}
CONF
nginx -c "$W/nginx/nginx.conf" -p "$W/nginx"
trap 'kill $(cat "$W/nginx/nginx.pid") 2>/dev/null || true' EXIT
U=http://127.0.0.1:$PORT
: > "$W/urls.txt"
: > "$W/curl.cfg"
for i in $(seq 0 1999); do
	f=$(printf 'n%04d.txt' "$i")
	echo "$U/$f" >> "$W/urls.txt"
	printf 'url = "%s/%s"\noutput = "/dev/null"\n' "$U" "$f" >> "$W/curl.cfg"
done
# Warm the server's file cache once.
curl -s --parallel --parallel-max "$N" -K "$W/curl.cfg" >/dev/null 2>&1

# hyperfine runs each whole process many times (start to exit, so neither side's setup is left out), side by side.
hyperfine -N --warmup 3 --runs 30 --export-json "$W/fetch.json" \
	"curl -s --parallel --parallel-max $N -K $W/curl.cfg -o /dev/null" \
	"$B/bench/fetch_bench $N $W/urls.txt" > "$W/hyperfine.out"
python3 bench/measure.py curl -s --parallel --parallel-max "$N" -K "$W/curl.cfg" 2>"$W/curl.mem" >/dev/null
python3 bench/measure.py "$B"/bench/fetch_bench "$N" "$W/urls.txt" 2>"$W/fetch.mem" >/dev/null
read -r best_curl best_ours <<EOF2
$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(2000 / r[0]["median"], 2000 / r[1]["median"])' "$W/fetch.json")
EOF2

# An idle round: 1,000 sources, each a document that has not changed (a 304 each).
{
	printf '[crawler]\npolite_delay = 0s\nmax_host_connections = %s\n' "$N"
	for i in $(seq 0 999); do
		printf '[source s%d]\nkind = documents\nurls = %s/n%04d.txt\n' "$i" "$U" "$i"
	done
} > "$W/idle.ini"
rm -rf "$W/idle-data"
"$PWD/tbtwarn" --data "$W/idle-data" --config "$W/idle.ini" crawl --once > /dev/null
t0=$(date +%s.%N)
python3 bench/measure.py "$PWD/tbtwarn" --data "$W/idle-data" --config "$W/idle.ini" crawl --once 2>"$W/idle.mem" > "$W/idle.out"
t1=$(date +%s.%N)
notmod=$(grep -c '(1 not modified)' "$W/idle.out" || true)

python3 - "$best_ours" "$best_curl" "$W" "$t0" "$t1" "$notmod" "$N" <<'PY'
import sys
ours, curl, w, t0, t1, notmod, n = sys.argv[1:]
def mem(f):
    return int(open(w + "/" + f).read().split("peak_rss_kib=")[1].split()[0]) // 1024
print()
print("| measure | tbtwarn | baseline | ratio | goal |")
print("|---|---|---|---|---|")
print("| fetch 2,000 documents, %s connections, documents/s (median of 30 runs) | %.0f | %.0f (curl --parallel) | %.0f %% | >= 90 %% |" % (n, float(ours), float(curl), 100 * float(ours) / float(curl)))
print("| fetch peak memory, MiB | %d | %d | | |" % (mem("fetch.mem"), mem("curl.mem")))
print("| idle round of 1,000 sources (all 304: %s), s | %.2f | | | |" % (notmod, float(t1) - float(t0)))
print("| idle round peak memory, MiB | %d | | | |" % mem("idle.mem"))
PY
