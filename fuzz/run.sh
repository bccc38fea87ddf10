#!/bin/sh
# run.sh BUILD SECONDS TARGET...: runs each libFuzzer target for SECONDS from a corpus seeded with our fixtures,
# two at a time, and prints executions and crashes per target. Crashing inputs are kept in BUILD/fuzz/crashes/;
# copy them to tests/data/fuzz/TARGET/ so that `make test` replays them for ever.
set -u
B=$1
SECS=$2
shift 2
cd "$(dirname "$0")/.."
for t in "$@"; do
	c=$B/fuzz/corpus/$t
	mkdir -p "$c" "$B/fuzz/crashes/$t"
	case $t in
	eping) cp tests/data/samples/*.json tests/data/bad/*.json "$c"/ 2>/dev/null ;;
	wto) cp tests/data/samples/*.txt tests/data/bad/*.txt "$c"/ ;;
	feed) cp tests/data/web/*.xml "$c"/ ;;
	html) cp tests/data/web/*.html tests/data/web/detail/*.html "$c"/ ;;
	esac
	cp tests/data/fuzz/"$t"/* "$c"/ 2>/dev/null || true
done
run() {
	"$B/fuzz/fuzz_$1" -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$B/fuzz/crashes/$1/" -print_final_stats=1 "$B/fuzz/corpus/$1" \
		> "$B/fuzz/$1.log" 2>&1
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/fuzz/$1.log")
	crashes=$(find "$B/fuzz/crashes/$1" -type f | wc -l)
	printf '%-6s %12s executions in %ss, %s crashing inputs\n' "$1" "${execs:-?}" "$SECS" "$crashes"
}
set -- "$@"
while [ $# -gt 0 ]; do
	run "$1" &
	if [ $# -gt 1 ]; then run "$2" & shift; fi
	shift
	wait
done
