#!/bin/sh
# layers.sh: the layering check (scripts/check-layers.sh) passes on the tree and fails, naming the file, the line and
# the rule, on a copy of it with one forbidden include planted at a time.
. "$(dirname "$0")/e2e/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2

run sh scripts/check-layers.sh .
expect_eq "the tree keeps its layers (check-layers exit status; what it said: $out)" "$rc" 0

# plant FILE INCLUDE WANT: a copy of the tree with '#include "INCLUDE"' added to FILE fails with WANT in the message.
plant() {
	rm -rf "$TMP/tree"
	mkdir -p "$TMP/tree"
	for d in lib db net indexer translator crawler alerter web service cli; do
		cp -r "$d" "$TMP/tree/$d"
	done
	printf '#include "%s"\n' "$2" >> "$TMP/tree/$1"
	run sh scripts/check-layers.sh "$TMP/tree"
	if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -Fq -- "$3"; then
		ok "$1 including $2 is refused ($3)"
	else
		not_ok "$1 including $2 is refused" "exit status: $rc (want non-zero)" "said: $out" "want in it: $3"
	fi
}
plant indexer/record.c alert.h 'indexer/record.c:'
plant indexer/archive.h crawl.h 'layer indexer includes "crawl.h" of layer crawler'
plant crawler/crawl.c subs.h 'layer crawler includes "subs.h" of layer alerter'
plant alerter/match.c crawl.h 'layer alerter includes "crawl.h" of layer crawler'
plant lib/text.c db.h 'layer lib includes "db.h" of layer db'
plant net/smtp.c archive.h 'layer net includes "archive.h" of layer indexer'
plant web/api.c service.h 'layer web includes "service.h" of layer service'
plant db/db.c net/fetch.h 'layer db includes "net/fetch.h" of layer net'

# A header name in two layers: -I would pick either, so the check refuses it.
rm -rf "$TMP/tree"
mkdir -p "$TMP/tree"
for d in lib db net indexer translator crawler alerter web service cli; do cp -r "$d" "$TMP/tree/$d"; done
cp lib/buf.h "$TMP/tree/indexer/buf.h"
run sh scripts/check-layers.sh "$TMP/tree"
if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -Fq 'exists in several layers (lib indexer)'; then
	ok "a header name held by two layers is refused"
else
	not_ok "a header name held by two layers is refused" "exit status: $rc" "said: $out"
fi
