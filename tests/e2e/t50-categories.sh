#!/bin/sh
# t50: Guangdong categories: measured quality (the tests fail if it drops), code look-ups, search, show, reclassify.
. "$(dirname "$0")/lib.sh"
step "classification and codes"
E=$ROOT/tests/data/eval

run "$TBTWARN" eval-categories --min-precision 0.95 --min-recall 0.95 "$E/labels.tsv" "$E/eval-eping.json" "$E/eval-zh.txt" "$E/eval-real-titles.json"
expect_eq "with product codes: precision and recall of at least 0.95" "$rc" 0
expect_match "over the whole labelled set" "$out" "^overall \(196 notifications, with codes\): precision"
run "$TBTWARN" eval-categories --text-only --min-precision 0.90 --min-recall 0.85 "$E/labels.tsv" "$E/eval-eping.json" "$E/eval-zh.txt" "$E/eval-real-titles.json"
expect_eq "text only: precision at least 0.90, recall at least 0.85" "$rc" 0
expect_match "false positives and negatives are listed" "$out" "false (positive|negative)  G/"
run "$TBTWARN" eval-categories --min-precision 1.01 "$E/labels.tsv" "$E/eval-eping.json"
expect_eq "a goal that is not met fails" "$rc" 1

run "$TBTWARN" codes hs 8507 850760
expect_match "codes names an HS heading and its categories" "$out" "^HS 8507  Electric accumulators"
expect_match "both battery categories for the heading" "$out" "categories: lithium_batteries, other_batteries"
run "$TBTWARN" codes ics 97.200.50
expect_match "codes names an ICS code" "$out" "^ICS 97.200.50  Toys"
run "$TBTWARN" codes hs 123456
expect_eq "an unknown code exits 1" "$rc" 1

run "$TBTWARN" import "$ROOT"/tests/data/samples/*
run "$TBTWARN" search --json 'category:toys_games'
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"], sorted(h["symbol"] for h in d["hits"]), d["facets"]["category"].get("toys_games"), d["hits"][0]["categories"])')
expect_eq "category: in the query language, with a facet and categories in hits" "$got" "1 ['G/TBT/N/EU/1121'] 1 ['toys_games']"
run "$TBTWARN" search 'category:nosuch'
expect_eq "an unknown category is a bad query" "$err" "tbtwarn: search: category: unknown category 'nosuch' (see tbtwarn categories)"
run "$TBTWARN" show --json G/TBT/N/USA/2201/Add.1
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); c=d["categories"]; print(sorted(x["id"] for x in c), sorted(c[0].keys()), c[0]["evidence"].startswith("inherited from G/TBT/N/USA/2201"), d["risk"]["level"] in ("high","medium","low"), len(d["risk"]["reasons"]) > 0)')
expect_eq "show --json: an addendum inherits its base's categories, with evidence and risk" "$got" "['lithium_batteries', 'two_wheelers'] ['confidence', 'evidence', 'evidence_zh', 'id', 'name_en', 'name_zh'] True True True"

# An operator adds a category and reclassifies, without a rebuild.
step "An operator adds a category and reclassifies"
cp "$ROOT/config/categories.tsv" "$TMP/cats.tsv"
printf 'micromobility\tMicromobility\t微出行\t871160\t\tmicromobility;e-scooter\t微出行\t\tproposal\n' >> "$TMP/cats.tsv"
run "$TBTWARN" --categories "$TMP/cats.tsv" reclassify
expect_match "reclassify reports the new counts (the addendum inherits)" "$out" "micromobility +2"
run "$TBTWARN" --categories "$TMP/cats.tsv" search --json 'category:micromobility'
got=$(printf '%s' "$out" | python3 -c 'import json,sys; print([h["symbol"] for h in json.load(sys.stdin)["hits"]])')
expect_eq "the new category is searchable" "$got" "['G/TBT/N/USA/2201', 'G/TBT/N/USA/2201/Add.1']"
printf 'broken line\n' > "$TMP/bad.tsv"
run "$TBTWARN" --categories "$TMP/bad.tsv" reclassify
expect_eq "a broken table stops" "$rc" 2
expect_match "and names the file" "$err" "bad.tsv"
