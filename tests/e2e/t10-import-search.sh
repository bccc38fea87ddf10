#!/bin/sh
# t10: import, search, show and reindex through the real binary, as a researcher would.
. "$(dirname "$0")/lib.sh"
S=$ROOT/tests/data/samples

step "import"
run "$TBTWARN" import "$S"/*
expect_eq "import of the samples exits 0" "$rc" 0
expect_eq "import summary counts every record" "$out" "added 23, updated 1, unchanged 0, rejected 0"

run "$TBTWARN" import "$S"/*
expect_eq "a second import changes nothing" "$out" "added 0, updated 0, unchanged 24, rejected 0"

run "$TBTWARN" --data "$TMP/other" import --format eping "$S/eping-2025-03-a.json"
expect_eq "--data overrides TBTWARN_DATA" "$out" "added 14, updated 0, unchanged 0, rejected 0"
[ -d "$TMP/other/index" ] && ok "the archive (its index) is in the --data directory" || not_ok "the archive (its index) is in the --data directory" "$TMP/other holds: $(ls "$TMP/other" 2>&1 | tr '\n' ' ')"

step "search"
run "$TBTWARN" search --json lithium battery
expect_eq "search --json exits 0" "$rc" 0
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"], " ".join(h["symbol"] for h in d["hits"]), sorted(d["hits"][0].keys()), sorted(d["facets"].keys()))')
expect_eq "search --json has total, hits with the contract's keys, facets" "$got" \
	"2 G/TBT/N/USA/2201 G/TBT/N/USA/2201/Add.1 ['categories', 'comment_deadline', 'distributed', 'hs', 'ics', 'kind', 'member', 'member_name', 'member_name_zh', 'risk', 'score', 'summary_zh', 'symbol', 'title', 'title_zh', 'title_zh_by', 'type'] ['category', 'kind', 'member', 'risk', 'type', 'year']"

run "$TBTWARN" search --json --sort date --limit 3 type:tbt
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"], [h["distributed"] for h in d["hits"]], d["facets"]["type"])')
expect_eq "sort by date, newest first, with limit and facets" "$got" "15 ['2025-04-22', '2025-04-15', '2025-04-14'] {'TBT': 15}"

run "$TBTWARN" search --json --sort date --limit 2 --offset 2 type:tbt
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([h["distributed"] for h in d["hits"]])')
expect_eq "offset pages on" "$got" "['2025-04-14', '2025-04-11']"

run "$TBTWARN" search 锂电池 member:MEX
expect_match "Chinese search prints a table with the symbol" "$out" "^G/TBT/N/MEX/560 +MEX +2025-04-15 +2025-06-14 +墨西哥"

step "CSV export"
run "$TBTWARN" search --csv hs:9503
first=$(printf '%s' "$out" | head -n 1 | tr -d '\r')
expect_eq "CSV header after a UTF-8 BOM (Excel and WPS show the Chinese), the web export's columns" "$first" \
	"$(printf '\357\273\277')symbol,type,kind,member,member_name,member_name_zh,title,title_zh,distributed,comment_deadline,days_left,categories,category_names,hs,ics,objectives,risk,products,description,notification_url,details"
got=$(printf '%s' "$out" | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin.read().lstrip("\ufeff").splitlines(True)))
r = rows[0]
print(r["symbol"], r["member_name_zh"], r["category_names"], r["objectives"], r["details"], bool(r["description"]), r["title_zh"][:6])')
expect_eq "a row (RFC 4180, the export's writer) carries names in Chinese, description, link" "$got" \
	"G/TBT/N/EU/1121 欧盟 玩具、游戏品及节日用品 保护人类健康或安全 /n/G/TBT/N/EU/1121 True 关于修订玩具"
run "$TBTWARN" search --csv --lang en hs:9503
got=$(printf '%s' "$out" | python3 -c '
import csv, sys
r = list(csv.DictReader(sys.stdin.read().lstrip("\ufeff").splitlines(True)))[0]
print(r["category_names"], "|", r["objectives"])')
expect_eq "--lang en names them in English" "$got" "Toys, games and festive articles | Protection of human health or safety"

step "bad and hostile queries"
run "$TBTWARN" search 'date:2025-03' 'deadline:..2025-05-16' 'open:no'
expect_match "date ranges combine (the USA measure's deadline moved to June by its addendum)" "$out" "^1-1 of 1$"

run "$TBTWARN" search 'date:someday'
expect_eq "a bad field value exits 2" "$rc" 2
expect_eq "and says which field and why" "$err" "tbtwarn: search: date: expected a date or range such as 2025-01-01..2025-06-30, ..2025-06-30 or 2025, got 'someday'"

run "$TBTWARN" search "x'); DROP TABLE notifications; --"
expect_eq "SQL in a query is only words" "$rc" 0
run "$TBTWARN" search --json ''
got=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
expect_eq "the archive is intact after it" "$got" 23

step "show"
run "$TBTWARN" show G/TBT/N/USA/2201
expect_match "show prints the title" "$out" "^Title +Safety Standard for Lithium-Ion Batteries"
expect_match "show lists related documents" "$out" "G/TBT/N/USA/2201/Add.1 +addendum +2025-04-09"
expect_match "show names member in both languages" "$out" "United States of America \(USA\) 美国"

run "$TBTWARN" show --json " g/tbt/n/usa/2201/add.1"
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["symbol"], d["kind"], d["root_symbol"], d["related"][0]["symbol"], d["related"][0]["relation"], d["dates"]["comment_deadline"]["date"], d["provenance"]["source"], d["provenance"]["url"].startswith("file:///"))')
expect_eq "show --json normalises the symbol and links the base" "$got" "G/TBT/N/USA/2201/Add.1 addendum G/TBT/N/USA/2201 G/TBT/N/USA/2201 base 2025-06-12 import True"

run "$TBTWARN" show G/TBT/N/USA/1
expect_eq "show of a missing symbol exits 1" "$rc" 1
expect_eq "and says so" "$err" "tbtwarn: show: no notification 'G/TBT/N/USA/1' in the archive"

step "reindex"
run "$TBTWARN" reindex
expect_eq "reindex reports the count" "$out" "reindexed 23 notifications"
run "$TBTWARN" search --json hs:8507
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"])')
expect_eq "search works after reindex" "$got" 3

raw=$(db_query "$TBTWARN_DATA" "select count(*), sum(case when length(body) = size then 1 else 0 end) from raw_documents")
expect_eq "raw documents are kept once each" "$raw" "9|9"
