#!/bin/sh
# t20: broken and hostile input: clear errors naming file and record, good records kept, exit status 1.
. "$(dirname "$0")/lib.sh"
B=$ROOT/tests/data/bad
S=$ROOT/tests/data/samples

run "$TBTWARN" import "$B/eping-mixed.json" "$B/eping-truncated.json" "$B/wto-mixed.txt" "$B/wto-nosymbol.txt" "$S/wto-tbt-vnm-245.txt"
expect_eq "rejections make the exit status 1" "$rc" 1
expect_eq "good records of the same files still go in" "$out" "added 4, updated 0, unchanged 0, rejected 7"
expect_match "a missing symbol names file and item" "$err" "eping-mixed.json: item 2: rejected: missing documentSymbol"
expect_match "truncated JSON names line and column" "$err" "eping-truncated.json: line 4, column [0-9]+: rejected: invalid JSON"
expect_match "a form without items names its line" "$err" "wto-mixed.txt: line 20: rejected: G/TBT/N/ISR/1401: no title"
expect_match "text without a symbol says what was expected" "$err" "wto-nosymbol.txt: file: rejected: no notification symbol found"

printf 'G/TBT/N/USA/77\n1. Notifying Member: \377\376\n' > "$TMP/latin.txt"
run "$TBTWARN" import "$TMP/latin.txt"
expect_match "invalid UTF-8 is refused with its line" "$err" "latin.txt: line 2: rejected: invalid UTF-8 at byte"

iconv -f UTF-8 -t GB18030 "$S/zh-sps-kor-800.txt" > "$TMP/gbk.txt"
run "$TBTWARN" import "$TMP/gbk.txt"
expect_eq "GB18030 text is converted and imported" "$out" "added 1, updated 0, unchanged 0, rejected 0"
run "$TBTWARN" search --json 三聚氰胺
got=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"][0]["symbol"])')
expect_eq "and is searchable in Chinese" "$got" "G/SPS/N/KOR/800"

run "$TBTWARN" import "$TMP/does-not-exist.json"
expect_eq "a missing file exits 1" "$rc" 1
expect_match "and is named" "$err" "does-not-exist.json: file: rejected: No such file or directory"

head -c 300000000 /dev/zero | tr '\0' ' ' > "$TMP/huge.json"
run "$TBTWARN" import "$TMP/huge.json"
expect_match "a file over the size limit is refused" "$err" "huge.json: file: rejected: larger than the 256 MiB limit"
rm -f "$TMP/huge.json"

run "$TBTWARN" import --format pdf "$S/wto-tbt-vnm-245.txt"
expect_eq "an unknown format is a usage error" "$rc" 2
run "$TBTWARN" frobnicate
expect_eq "an unknown command is a usage error" "$rc" 2

count=$(sqlite3 "$TBTWARN_DATA/tbtwarn.db" "select count(*) from notifications")
expect_eq "nothing partial was stored" "$count" 5
