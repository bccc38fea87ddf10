#!/bin/sh
# t20: broken and hostile input: clear errors naming file and record, good records kept, exit status 1.
. "$(dirname "$0")/lib.sh"
step "refused input"
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

run "$TBTWARN" import --format xls "$S/wto-tbt-vnm-245.txt"
expect_eq "an unknown format is a usage error" "$rc" 2
run "$TBTWARN" import --format pdf "$S/wto-tbt-vnm-245.txt"
expect_eq "a text file given as PDF is refused with the reason" "$rc|$err" "1|tbtwarn: $S/wto-tbt-vnm-245.txt: file: rejected: neither PDF nor DOCX"
run "$TBTWARN" frobnicate
expect_eq "an unknown command is a usage error" "$rc" 2

count=$(db_query "$TBTWARN_DATA" "select count(*) from notifications")
expect_eq "nothing partial was stored" "$count" 5

# A joint notification naming thousands of symbols is refused whole, at once, without touching the rest of the file;
# a real joint one (the seven Gulf states) becomes seven records, each naming the six others.
step "A joint notification naming thousands of symbols is refused whole"
export TBTWARN_DATA="$TMP/var-joint"
python3 - "$S/eping-2025-03-a.json" "$TMP/joint.json" "$S/wto-tbt-vnm-245.txt" "$TMP/joint.txt" <<'PY'
import json, sys
def mem(i): # a member code of letters: QAAA, QBAA, ...
    return "Q" + "".join(chr(65 + (i // 26 ** k) % 26) for k in range(3))
item = json.load(open(sys.argv[1], encoding="utf-8"))["items"][0]
big, gulf = dict(item), dict(item)
big["documentSymbol"] = ", ".join("G/TBT/N/%s/1" % mem(i) for i in range(3000))
gulf["documentSymbol"] = ", ".join("G/TBT/N/%s/9%02d" % (m, i) for i, m in enumerate(["ARE", "BHR", "KWT", "OMN", "QAT", "SAU", "YEM"]))
json.dump({"items": [big, gulf]}, open(sys.argv[2], "w", encoding="utf-8"))
form = open(sys.argv[3], encoding="utf-8").read()
head = "\n".join(" " * 66 + "G/TBT/N/%s/1" % mem(i) for i in range(3000))
open(sys.argv[4], "w", encoding="utf-8").write(head + "\n" + form)
PY
run "$TBTWARN" import "$TMP/joint.json"
expect_match "3,000 joint symbols are refused, saying why" "$err" "joint.json: item 1: rejected: documentSymbol lists 3000 symbols; a joint notification has at most 64"
expect_match "the joint notification of seven is imported as seven records" "$out" "^added 7, updated 0, unchanged 0, rejected 1$"
got=$("$TBTWARN" show --json G/TBT/N/QAT/904 | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["also_symbols"]))')
expect_eq "each naming the others" "$got" "G/TBT/N/ARE/900 G/TBT/N/BHR/901 G/TBT/N/KWT/902 G/TBT/N/OMN/903 G/TBT/N/SAU/905 G/TBT/N/YEM/906"
run "$TBTWARN" import --format wto-text "$TMP/joint.txt"
expect_match "a form headed by 3,000 symbols is refused too" "$err" "joint.txt: line 1: rejected: the document names 65 symbols; a joint notification has at most 64"
if on_postgres; then also="jsonb_array_length(doc::jsonb -> 'also_symbols')"; else also="json_array_length(doc, '\$.also_symbols')"; fi
expect_eq "and the database stays small" "$(db_query "$TBTWARN_DATA" "select count(*), max($also) from notifications")" "7|6"
