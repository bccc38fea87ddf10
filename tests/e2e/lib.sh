# lib.sh: a small TAP-style harness for the end-to-end scripts (sourced). Each check prints "ok N - what" or
# "not ok N - what" with both values, like git's t/ scripts.
set -u
TBTWARN=${TBTWARN:-$PWD/tbtwarn}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/tbtwarn-e2e.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export TBTWARN_DATA="$TMP/var"
n=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}
# expect_match WHAT TEXT PATTERN (grep -E)
expect_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else not_ok "$1" "text: $(printf '%s' "$2" | head -c 600)" "want match: $3"; fi
}
# run CMD...: sets $out (stdout), $err (stderr), $rc
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	out=$(cat "$TMP/out")
	err=$(cat "$TMP/err")
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_for WHAT COMMAND...: polls until COMMAND succeeds (at most 20 s), then reports WHAT as ok or timed out.
wait_for() {
	what=$1
	shift
	i=0
	while ! "$@" > /dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 400 ] && { not_ok "$what (timed out)"; return 1; }
		sleep 0.05
	done
	ok "$what"
}
