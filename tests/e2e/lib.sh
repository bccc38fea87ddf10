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
