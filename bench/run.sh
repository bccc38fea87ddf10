#!/bin/sh
# run.sh BUILD: the benchmarks, each against its baseline in the same run. BENCH_N notifications (default 100000).
#   import: tbtwarn import of the synthetic ePing pages  vs  bare Xapian adding the very same index documents
#   search: 1,000 mixed queries in process               vs  the same queries straight through the Xapian API
# Prints a table; docs/performance.md records the figures with this command.
set -eu
B=${1:-build}
cd "$(dirname "$0")/.."
N=${BENCH_N:-100000}
W=${BENCH_DIR:-$B/benchdata}
BIN=$PWD/tbtwarn
mkdir -p "$W"
if [ ! -f "$W/pages-$N/.done" ]; then
	echo "generating $N synthetic notifications in $W/pages-$N"
	rm -rf "$W/pages-$N"
	python3 bench/gen.py "$N" "$W/pages-$N" 1000
	touch "$W/pages-$N/.done"
fi
"$B"/bench/dump_docs "$W/docs.txt" "$W/pages-$N"/*.json
python3 bench/queries.py 1000 > "$W/queries.txt"

sh bench/crawl_bench.sh "$B" "$W"
echo "delivery: e-mail to smtp-sink vs smtp-source, webhooks to nginx"
dlv=$(sh bench/deliver_bench.sh "$B" "$W" | tr '\n' ' ')

rm -rf "$W/bare" "$W/ours"
echo "import: bare Xapian loop"
bare=$(python3 bench/measure.py "$B"/bench/bare_xapian "$W/bare" "$W/docs.txt" 2>"$W/bare.mem")
echo "import: tbtwarn import"
t0=$(date +%s.%N)
python3 bench/measure.py "$BIN" --data "$W/ours" import "$W/pages-$N"/*.json 2>"$W/ours.mem" >/dev/null
t1=$(date +%s.%N)
echo "classification alone"
cls=$("$B"/bench/classify_bench "$W/pages-$N"/*.json)
echo "subscription matching"
mat=$("$B"/bench/match_bench 100000 "$W/pages-$N"/page-0001.json "$W/pages-$N"/page-0002.json)
echo "search: tbtwarn in process"
ours_s=$(python3 bench/measure.py "$B"/bench/search_bench "$W/ours" "$W/queries.txt" 2>"$W/ours-search.mem")
echo "search: Xapian API"
bare_s=$(python3 bench/measure.py "$B"/bench/xapian_search "$W/ours/index" "$W/queries.txt" 2>"$W/bare-search.mem")

echo "web: wrk against tbtwarn serve"
web=$(sh bench/web_bench.sh "$B" "$W" | tr '\n' ' ')
echo "translation: the archive through a stand-in provider"
trb=$(sh bench/translate_bench.sh "$B" "$W")
echo "PostgreSQL beside SQLite: import, search, delivery; two instances"
pgb=$(sh bench/pg_bench.sh "$B" "$W" | tr '\n' ' ')

python3 - "$N" "$bare" "$t0" "$t1" "$ours_s" "$bare_s" "$W" "$cls" "$mat" "$dlv" "$web" "$trb" "$pgb" <<'PY'
import sys
n, bare, t0, t1, ours_s, bare_s, w, cls, mat, dlv, web, trb, pgb = sys.argv[1:]
n = int(n)
bd, bsec, brate = bare.split()
osec = float(t1) - float(t0)
orate = n / osec
def mem(f):
    return int(open(w + "/" + f).read().split("peak_rss_kib=")[1].split()[0]) // 1024
o = [float(x) for x in ours_s.split()[1:]]
x = [float(x) for x in bare_s.split()[1:]]
print()
print("| measure | tbtwarn | baseline | ratio | goal |")
print("|---|---|---|---|---|")
print("| import of %d notifications, docs/s | %.0f | %s (bare Xapian) | %.0f %% | >= 70 %% |" % (n, orate, brate, 100 * orate / float(brate)))
print("| import wall time, s | %.1f | %s | | |" % (osec, bsec))
print("| import peak memory, MiB | %d | %d | | |" % (mem("ours.mem"), mem("bare.mem")))
cn, cs = cls.split()
print("| classification (categories and risk) within the import, s | %.1f of %.1f | | %.1f %% | <= 20 %% |" % (float(cs), osec, 100 * float(cs) / osec))
print("| search median, us | %.0f | %.0f (Xapian API) | %.2fx | |" % (o[0], x[0], o[0] / x[0]))
print("| search p90, us | %.0f | %.0f | %.2fx | |" % (o[1], x[1], o[1] / x[1]))
print("| search p99, us | %.0f | %.0f | %.2fx | <= 1.5x |" % (o[2], x[2], o[2] / x[2]))
print("| search peak memory, MiB | %d | %d | | |" % (mem("ours-search.mem"), mem("bare-search.mem")))
ms = mat.split()
print("| match 1 notification against %s subscriptions, median us | %s | %s (check every one) | %.1fx faster | 100x, well under 1 ms |" % (ms[0], ms[2], ms[4], float(ms[4]) / float(ms[2])))
print("| match p99, us | %s | %s | | |" % (ms[3], ms[5]))
print("| candidates checked / subscriptions matched per notification | %s / %s | %s | | |" % (ms[6], ms[7], ms[0]))
d = dlv.split()
print("| 10,000 e-mails to smtp-sink, messages/s | %s | %s (smtp-source, %s bytes, 8 sessions) | %.0f %% | >= 80 %% |" % (d[1], d[2], d[4], 100 * float(d[1]) / float(d[2])))
print("| e-mail delivery peak memory, MiB | %s | | | |" % d[3])
print("| 10,000 signed webhooks to nginx, deliveries/s | %s | | | |" % d[6])
print("| webhook delivery peak memory, MiB | %s | | | |" % d[7])
wl = web.split()
for i in range(0, len(wl), 12):
    c, rps, p50, p90, p99, non2xx, sock, rss, imed, ip99, imean = wl[i + 1:i + 12]
    print("| web, %s connections: requests/s, p50/p99 ms, errors | %s, %.1f/%.1f, %d | in process: %.0f/s, %.1f/%.1f | | p99 < 20 ms, no errors |" % (
        c, rps, int(p50) / 1000, int(p99) / 1000, int(non2xx) + int(sock), 1e6 / float(imean), float(imed) / 1000, float(ip99) / 1000))
tn, tseg, tmem, treq, tcpu, twall, trss, icpu = trb.split()
tn, tseg, tmem = int(tn), int(tseg), int(tmem)
print("| translation of %d notifications (%d segments): tbtwarn CPU per segment, us | %.0f | import CPU per notification: %.0f us | %.0f %% of the import's CPU per notification | |" % (
    tn, tseg, 1e6 * float(tcpu) / max(tseg, 1), 1e6 * float(icpu) / n, 100 * (float(tcpu) / max(tn, 1)) / (float(icpu) / n)))
print("| translation: segments the memory answered | %.0f %% | | | |" % (100 * tmem / max(tseg, 1)))
print("| translation: requests to the provider, wall time s, peak memory MiB | %s, %s, %d | | | |" % (treq, twall, int(trss) // 1024))
pg = {}
for line in pgb.replace(" pg", "\npg").splitlines():
    f = line.split()
    if f:
        pg[f[0]] = f[1:]
li, pi = float(pg["pgimport"][0]), float(pg["pgimport"][1])
print("| import of %d on PostgreSQL, docs/s | %.0f | %.0f (SQLite) | %.2fx the time | |" % (n, n / pi, n / li, pi / li))
print("| search p99 on PostgreSQL, us | %s | %s (SQLite) | %.2fx | |" % (pg["pgsearch"][1], pg["pgsearch"][0], float(pg["pgsearch"][1]) / float(pg["pgsearch"][0])))
lm, pm, lh, ph = pg["pgdeliver"]
print("| e-mails on PostgreSQL, messages/s | %s | %s (SQLite) | %.0f %% | |" % (pm, lm, 100 * float(pm) / float(lm)))
print("| webhooks on PostgreSQL, deliveries/s | %s | %s (SQLite) | %.0f %% | |" % (ph, lh, 100 * float(ph) / float(lh)))
m2, h2 = pg["pgdeliver2"]
print("| two instances on one PostgreSQL: e-mails, messages/s | %s | %s (one instance) | %.2fx | |" % (m2, pm, float(m2) / float(pm)))
print("| two instances on one PostgreSQL: webhooks, deliveries/s | %s | %s (one instance) | %.2fx | |" % (h2, ph, float(h2) / float(ph)))
PY
