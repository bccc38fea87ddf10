#!/bin/sh
# deps.sh [build|test|bench|all]: installs the Debian packages tbtwarn needs that are missing (as root, with apt-get).
set -eu
build="gcc g++ make pkg-config libsqlite3-dev libxapian-dev libjansson-dev libssl-dev libcmocka-dev libcurl4-openssl-dev libev-dev libxml2-dev zlib1g-dev libmicrohttpd-dev libpoppler-glib-dev libzip-dev libpq-dev libsodium-dev"
test="sqlite3 python3 curl postfix openssl fonts-wqy-microhei postgresql"
bench="nginx-light clang hyperfine wrk"
case "${1:-build}" in
build) want=$build ;;
test) want="$build $test" ;;
bench) want="$build $test $bench" ;;
all) want="$build $test $bench" ;;
*) echo "usage: deps.sh [build|test|bench|all]" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# The tests' independent peers (Standard Webhooks, feed and calendar parsers, the browser) run on Node.js; a Node.js
# that did not come from Debian is fine too.
case "${1:-build}" in
test | bench | all)
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
	command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
	;;
esac
node_modules() {
	case "${1:-build}" in
	test | bench | all)
		dir=$(cd "$(dirname "$0")/../tests/node" && pwd)
		if [ ! -d "$dir/node_modules/standardwebhooks" ] || [ ! -d "$dir/node_modules/playwright-core" ]; then
			echo "tbtwarn: installing the tests' npm packages in $dir" >&2
			(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
		fi
		;;
	esac
}
if [ -z "$missing" ]; then
	node_modules "${1:-build}"
	exit 0
fi
echo "tbtwarn: installing missing packages:$missing" >&2
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
		echo "tbtwarn: run as root or install:$missing" >&2; exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
node_modules "${1:-build}"
