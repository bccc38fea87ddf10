#!/bin/sh
# run.sh BUILD: runs every test: the cmocka unit tests of the normal and the ASan+UBSan builds, then the
# end-to-end scripts against both binaries, then the storage layer's test and the end-to-end scripts again with the
# store on PostgreSQL. Ends with the line "N passed, N failed"; exits non-zero on a failure.
set -u
B=${1:-build}
cd "$(dirname "$0")/.." || exit 2
pass=0
fail=0
failed_names=""

export CMOCKA_MESSAGE_OUTPUT=stdout
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_unit() { # binary label
	out=$("$1" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed, or a sanitizer stopped it
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		printf '%s\n' "$out" | grep -v '^\[ RUN\|^\[       OK' >&2
		failed_names="$failed_names $2"
	fi
	printf '%-8s %-28s %3s passed, %s failed\n' unit "$2" "$p" "$f"
}

for t in "$B"/o/tests/test_*; do
	[ -x "$t" ] && run_unit "$t" "$(basename "$t")"
done
for t in "$B"/san/tests/test_*; do
	[ -x "$t" ] && run_unit "$t" "$(basename "$t") (asan+ubsan)"
done

run_e2e() { # script binary label
	out=$(TBTWARN="$2" sh "$1" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		printf '%s\n' "$out" | grep -v '^ok ' >&2
		failed_names="$failed_names $3"
	fi
	printf '%-8s %-28s %3s passed, %s failed\n' e2e "$3" "$p" "$f"
}

for s in tests/e2e/t*.sh; do
	run_e2e "$s" "$PWD/tbtwarn" "$(basename "$s" .sh)"
	run_e2e "$s" "$PWD/$B/san/tbtwarn" "$(basename "$s" .sh) (asan+ubsan)"
done
# The layering check proves it refuses what it must (once: it reads the sources, not a binary).
run_e2e tests/layers.sh "$PWD/tbtwarn" "layers"
# The search threads under ThreadSanitizer.
run_e2e tests/e2e/t72-search-threads.sh "$PWD/$B/tsan/tbtwarn" "t72-search-threads (tsan)"

# Again on PostgreSQL: a cluster of our own on a Unix socket in a temporary directory, started and stopped here
# (nothing left behind); the unit tests that reach the store (the layer's, the archive's: a schema per test) and every
# end-to-end script, through tests/pg-tbtwarn (a schema per data directory).
PGDIR=$(mktemp -d /tmp/tbtwarn-pg.XXXXXX)
chmod 755 "$PGDIR" # the server runs as the postgres user when we are root
if PG_URL=$(sh tests/pg.sh start "$PGDIR/c"); then
	export PG_URL PG_TBTWARN="$PWD/tbtwarn"
	run_unit "$B/o/tests/test_db" "test_db (postgresql)"
	run_unit "$B/o/tests/test_archive" "test_archive (postgresql)"
	for s in tests/e2e/t*.sh; do
		run_e2e "$s" "$PWD/tests/pg-tbtwarn" "$(basename "$s" .sh) (postgresql)"
	done
	sh tests/pg.sh stop "$PGDIR/c"
	unset PG_URL PG_TBTWARN
else
	fail=$((fail + 1))
	failed_names="$failed_names postgresql-cluster"
fi
rm -rf "$PGDIR"

[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
