#!/bin/sh
# t15: real layouts end to end: every fixture of tests/data/layouts imports to the records its expectation names,
# a second import of any of them is "unchanged" (no history version, no alert), and ePing's one-item-per-member
# answer for a joint notification gives one record per symbol with its own member's id.
. "$(dirname "$0")/lib.sh"
L=$ROOT/tests/data/layouts

# Step 1: each fixture alone, as many records as its expectation lists.
step "1: each fixture alone"
for f in "$L"/*; do
	case $f in *.expect.json) continue ;; esac
	base=${f%.*}
	want=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["records"]))' "$base.expect.json")
	run "$TBTWARN" import "$f"
	got=$(printf '%s' "$out" | sed -n 's/^added \([0-9]*\), updated \([0-9]*\), .*/\1/p')
	expect_eq "import $(basename "$f"): $want new records" "$got" "$want"
done

# Step 2: all of them again: nothing changes.
step "2: all of them again"
total=$(python3 -c 'import json,sys; print(sum(len(json.load(open(f))["records"]) for f in sys.argv[1:]))' "$L"/*.expect.json)
set --
for f in "$L"/*; do case $f in *.expect.json) ;; *) set -- "$@" "$f" ;; esac; done
run "$TBTWARN" import "$@"
expect_match "a second import of every layout is unchanged" "$out" "^added 0, updated 0, unchanged $total, rejected [0-9]+$"

# Step 3: the joint notification's records keep their own ids and have no history versions.
step "3: the joint notification's records keep their own ids and have no"
run "$TBTWARN" show --json G/TBT/N/BHR/712
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["eping_id"], d["text"]["en"]["member_name"], len(d["history"]), d["also_symbols"])')
expect_eq "BHR's record has BHR's ePing id and no history" "$got" "130211 Bahrain 0 ['G/TBT/N/KWT/690', 'G/TBT/N/YEM/301']"
run "$TBTWARN" show --json G/TBT/N/YEM/301
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["eping_id"], d["text"]["en"]["member_name"], len(d["history"]))')
expect_eq "Yemen's record has Yemen's id" "$got" "130212 Yemen 0"

# Step 4: in a fresh archive with a subscriber for the Gulf, the page alerts once; re-importing it alerts nobody.
step "4: in a fresh archive with a subscriber for the Gulf"
export TBTWARN_DATA="$TMP/gulf"
run "$TBTWARN" subscriber add --email gulf@seats.example.cn --confirmed
"$TBTWARN" subscription add "$out" --channel email --member BHR > /dev/null
run "$TBTWARN" import "$L/eping-getall-joint.json"
expect_eq "the ePing page adds three records" "$out" "added 3, updated 0, unchanged 0, rejected 0"
run "$TBTWARN" alert --once
expect_match "the first alert run queues one delivery" "$out" "^alert: 3 notifications matched, 1 deliveries queued"
run "$TBTWARN" import "$L/eping-getall-joint.json"
expect_eq "the same page again is unchanged" "$out" "added 0, updated 0, unchanged 3, rejected 0"
run "$TBTWARN" alert --once
expect_match "and nobody is alerted again" "$out" "^alert: 0 notifications matched, 0 deliveries queued"
