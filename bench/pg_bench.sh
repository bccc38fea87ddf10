#!/bin/sh
# pg_bench.sh BUILD WORKDIR: the store on PostgreSQL beside SQLite, in the same run, on the same data:
#   import:   tbtwarn import of the N synthetic ePing pages into SQLite  vs  into PostgreSQL
#   search:   the 1,000 mixed queries in process (the index is Xapian either way; hits are read from the store)
#   delivery: bench/deliver_bench.sh's BENCH_MAILS e-mails and webhooks, outbox on SQLite  vs  on PostgreSQL
# PostgreSQL: a cluster of our own (tests/pg.sh) with synchronous_commit off, the durability SQLite's WAL with
# synchronous=NORMAL gives (a crash of the process loses nothing, a crash of the machine the last commits).
#   two instances: the same delivery on PostgreSQL by two tbtwarn instances at once (BENCH_INSTANCES=2)
# Prints "pgimport LITE_S PG_S LITE_RSS PG_RSS", "pgsearch LITE_P99_US PG_P99_US", "pgdeliver LITE_MAIL_S PG_MAIL_S
# LITE_HOOK_S PG_HOOK_S", "pgdeliver2 MAIL_S HOOK_S" (rates per second).
set -eu
B=$1
W=$2
N=${BENCH_N:-100000}
BIN=$PWD/tbtwarn
PGD=$(mktemp -d /tmp/tbtwarn-pgbench.XXXXXX)
chmod 755 "$PGD"
URL=$(PG_SETTINGS="-c synchronous_commit=off -c shared_buffers=256MB" sh tests/pg.sh start "$PGD/c")
trap 'sh tests/pg.sh stop "$PGD/c"; rm -rf "$PGD"' EXIT
rm -rf "$W/pg-lite" "$W/pg-pg"
mem() { sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' "$1" | tail -n 1; }

t0=$(date +%s.%N)
python3 bench/measure.py "$BIN" --data "$W/pg-lite" import "$W/pages-$N"/*.json > /dev/null 2> "$W/pg-lite.mem"
t1=$(date +%s.%N)
TBTWARN_DATABASE_URL=$URL python3 bench/measure.py "$BIN" --data "$W/pg-pg" import "$W/pages-$N"/*.json > /dev/null 2> "$W/pg-pg.mem"
t2=$(date +%s.%N)
echo "pgimport $(echo "$t1 - $t0" | bc) $(echo "$t2 - $t1" | bc) $(mem "$W/pg-lite.mem") $(mem "$W/pg-pg.mem")"

ls=$("$B"/bench/search_bench "$W/pg-lite" "$W/queries.txt")
ps=$(TBTWARN_DATABASE_URL=$URL "$B"/bench/search_bench "$W/pg-pg" "$W/queries.txt")
echo "pgsearch $(echo "$ls" | awk '{print $4}') $(echo "$ps" | awk '{print $4}')"

ld=$(sh bench/deliver_bench.sh "$B" "$W/pg-dl-lite")
# The delivery bench's own store, in a database of its own on the same cluster.
psql -qAtX "$URL" -c "CREATE SCHEMA dlv" > /dev/null
pd=$(TBTWARN_DATABASE_URL="$URL&options=-c%20search_path%3Ddlv" sh bench/deliver_bench.sh "$B" "$W/pg-dl-pg")
lm=$(echo "$ld" | awk '/^mail/ {print $2}')
pm=$(echo "$pd" | awk '/^mail/ {print $2}')
lh=$(echo "$ld" | awk '/^webhook/ {print $2}')
ph=$(echo "$pd" | awk '/^webhook/ {print $2}')
echo "pgdeliver $lm $pm $lh $ph"
# Two instances on the same PostgreSQL, delivering one outbox at once (each what it claimed).
psql -qAtX "$URL" -c "CREATE SCHEMA dlv2" > /dev/null
p2=$(BENCH_INSTANCES=2 TBTWARN_DATABASE_URL="$URL&options=-c%20search_path%3Ddlv2" sh bench/deliver_bench.sh "$B" "$W/pg-dl-pg2")
echo "pgdeliver2 $(echo "$p2" | awk '/^mail/ {print $2}') $(echo "$p2" | awk '/^webhook/ {print $2}')"
