#!/bin/sh
# check-layers.sh: fails when a source file includes a header of a layer it must not know.
#
# The layers, from the bottom (docs/design.md, "Layers"):
#   lib         knows no stage
#   db          the storage layer: lib only
#   net         the HTTP and SMTP engine: lib only
#   indexer     the store and the index: lib, db
#   translator  machine translation: lib, db, net, indexer
#   crawler     sources to raw documents: lib, db, net, indexer (the store is how it hands over)
#   alerter     subscriptions to deliveries: lib, db, net, indexer, translator
#   web         pages and the API: every stage, not service or cli
#   service     runs the stages: everything but cli
#   cli         the command: everything
# The crawler and the alerter know each other only through the store: neither may include the other's headers.
#
# A quoted include is looked up in the including file's folder first, then in every layer's folder (headers have one
# name in the whole tree: the script fails when two folders hold the same name, since -I would pick either).
# Usage: sh scripts/check-layers.sh [ROOT]   (prints every offending include as FILE:LINE: and exits 1)
set -eu
cd "${1:-.}"

layers="lib db net indexer translator crawler alerter web service cli"

allowed() {
	case $1 in
	lib) echo "lib" ;;
	db) echo "lib db" ;;
	net) echo "lib net" ;;
	indexer) echo "lib db indexer" ;;
	translator) echo "lib db net indexer translator" ;;
	crawler) echo "lib db net indexer crawler" ;;
	alerter) echo "lib db net indexer translator alerter" ;;
	web) echo "lib db net indexer translator crawler alerter web" ;;
	service) echo "lib db net indexer translator crawler alerter web service" ;;
	cli) echo "$layers" ;;
	esac
}

# Which layer owns a header name (empty when none does: a generated or system header).
owner_of() {
	case $1 in
	*/*) dir=${1%%/*}; [ -f "$1" ] && echo "$dir"; return 0 ;;
	esac
	found=""
	for l in $layers; do
		if [ -f "$l/$1" ]; then
			found="$found $l"
		fi
	done
	echo $found
}

TMPF=$(mktemp)
trap 'rm -f "$TMPF"' EXIT
for l in $layers; do
	ok=" $(allowed "$l") "
	for f in "$l"/*.c "$l"/*.h "$l"/*.cc; do
		[ -f "$f" ] || continue
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r hit; do
			line=${hit%%:*}
			name=$(printf '%s\n' "$hit" | sed 's/^[^"]*"\([^"]*\)".*/\1/')
			# the folder's own headers first, as the compiler looks
			case $name in */*) ;; *) [ -f "$l/$name" ] && continue ;; esac
			owners=$(owner_of "$name")
			case $owners in
			"") continue ;;
			*" "*)
				echo "$f:$line: \"$name\" exists in several layers ($owners): give it one name"
				echo x > "$TMPF"
				continue
				;;
			esac
			case $ok in
			*" $owners "*) ;;
			*)
				echo "$f:$line: layer $l includes \"$name\" of layer $owners (allowed: $(allowed "$l"))"
				echo x > "$TMPF"
				;;
			esac
		done
	done
done

if [ -s "$TMPF" ]; then
	echo "check-layers: a layer includes what it must not know (see scripts/check-layers.sh, docs/design.md)"
	exit 1
fi
