#!/bin/sh
# t17: the command line's conventions: every command answers --help the same way (usage on stdout, exit 0, nothing
# touched), errors go to stderr with a non-zero exit, options may follow the words, broken queries say where,
# read-only commands work beside a running service, and every example in README.md and docs/*.md runs.
. "$(dirname "$0")/lib.sh"

# Step 1: --help for every command the usage lists.
step "1: --help for every command the usage lists"
cmds=$("$TBTWARN" help | sed -n 's/^  \([a-z-]*\) .*/\1/p; s/^  \([a-z-]*\)$/\1/p' | sort -u)
[ -n "$cmds" ] && ok "the usage lists the commands" || not_ok "the usage lists the commands" "help printed: $("$TBTWARN" help 2>&1 | head -c 300)"
for c in $cmds; do
	run env TBTWARN_DATA="$TMP/untouched" "$TBTWARN" $c --help
	expect_eq "$c --help: exit 0, usage on stdout, nothing on stderr" "$rc|$(printf '%s' "$out" | head -n 1)|$err" \
		"0|usage: tbtwarn [--data DIR] [--config FILE]|"
done
[ ! -e "$TMP/untouched" ] && ok "--help touched no data directory" || not_ok "--help touched no data directory" "made: $(ls -A "$TMP/untouched" 2>&1 | tr '\n' ' ')"
run "$TBTWARN" nosuchcommand --help
expect_eq "an unknown command's --help is an error on stderr" "$rc|$out" "2|"
# An option no command knows is a usage error, the same way everywhere: exit 2, nothing on stdout, the command's
# usage lines on stderr, nothing touched.
step "An option no command knows is a usage error, the same way everywhere"
for c in $cmds; do
	run env TBTWARN_DATA="$TMP/untouched" "$TBTWARN" $c --no-such-option
	expect_eq "$c --no-such-option: exit 2, nothing on stdout, its usage on stderr" \
		"$rc|$out|$(printf '%s\n' "$err" | grep -c "^usage: tbtwarn")" "2||1"
done
[ ! -e "$TMP/untouched" ] && ok "a usage error touched no data directory" || not_ok "a usage error touched no data directory" "made: $(ls -A "$TMP/untouched" 2>&1 | tr '\n' ' ')"
run "$TBTWARN" help search
expect_eq "help COMMAND is COMMAND --help" "$rc|$out" "0|$("$TBTWARN" search --help)"

# Step 2: errors on stderr, non-zero.
step "2: errors on stderr"
"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
run "$TBTWARN" show G/TBT/N/XYZ/1
expect_eq "show of an unknown symbol: exit 1, nothing on stdout" "$rc|$out" "1|"
expect_match "and says so on stderr" "$err" "G/TBT/N/XYZ/1"

# Step 3: options after the words; a negated field stays a word.
step "3: options after the words"
run "$TBTWARN" search --json battery --limit 1
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"] > 1, len(d["hits"]))')
expect_eq "search --json battery --limit 1: the limit applies" "$got" "True 1"
run "$TBTWARN" search battery -member:USA --sort date
expect_match "a -field:value between options is part of the query" "$out" "^1-1 of 1$"

# Step 4: broken queries say where, exit 2.
step "4: broken queries say where"
run "$TBTWARN" search battery '(lithium'
expect_eq "an unclosed parenthesis" "$rc|$err" "2|tbtwarn: search: '(' is never closed at character 9 (near 'battery (lithium')"
run "$TBTWARN" search 'toys' 'OR'
expect_eq "a lone operator" "$rc|$err" "2|tbtwarn: search: an operator has nothing on its right at character 6 (near 'toys OR')"
run "$TBTWARN" search 'date:2025-13'
expect_eq "an impossible month" "$rc" 2

# Step 5: read-only commands beside a running service that holds the archive. The data directory pins "today" (as
# the offline demo does), so that the command line and the web agree on which comment periods are open.
step "5: read-only commands beside a running service that holds the archive"
echo 2025-04-20 > "$TBTWARN_DATA/today"
"$TBTWARN" serve --listen 127.0.0.1:0 > "$TMP/serve.out" 2> "$TMP/serve.err" &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$TMP"' EXIT
wait_for "the service listens" grep -q "serving http" "$TMP/serve.out"
for c in "search battery" "show G/TBT/N/USA/2201" "sources" "outbox"; do
	run "$TBTWARN" $c
	expect_eq "$c beside the running service: exit 0" "$rc" 0
done
run "$TBTWARN" doctor
expect_no_match() { printf '%s' "$2" | grep -Eq "$3" && not_ok "$1" || ok "$1"; }
expect_no_match "doctor beside the running service does not fail on the archive" "$out" "FAIL +(archive|store|index)"
W=$(sed -n 's|.*serving \(http://[^ ]*\)/.*|\1|p' "$TMP/serve.out" | head -n 1)
cli=$("$TBTWARN" search --json 'open:yes' | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
web=$(curl -s "$W/api/notifications?q=open:yes" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
[ "$cli" -gt 0 ] && [ "$cli" = "$web" ] && ok "the command line and the web agree on open:yes under the pinned today ($cli)" ||
	not_ok "the command line and the web agree on open:yes under the pinned today" "cli: $cli" "web: $web"
"$TBTWARN" search --csv --limit 1000 --sort date 'open:yes' > "$TMP/cli.csv"
curl -s "$W/api/export.csv?q=open:yes&sort=date" > "$TMP/web.csv"
if cmp -s "$TMP/cli.csv" "$TMP/web.csv" && grep -q "G/TBT/N/USA/2201" "$TMP/cli.csv"; then
	ok "the command line's and the web's CSV of open:yes are the same, days left included"
else
	not_ok "the command line's and the web's CSV of open:yes are the same" "$(diff "$TMP/cli.csv" "$TMP/web.csv" | head -n 6)"
fi
kill $srv; wait $srv 2>/dev/null
echo 2025-02-30 > "$TBTWARN_DATA/today"
run "$TBTWARN" search battery
expect_match "a pinned day that is not a date is said, and the real date used" "$rc|$err" "^0\|tbtwarn: .*/today: '2025-02-30' is not a date"
rm "$TBTWARN_DATA/today"

# Step 6: every example in README.md and docs/*.md: each command line of a fenced block that runs ./tbtwarn on
# the bundled samples exits 0; where its comment gives the summary an import prints, the output matches.
step "6: every example in README.md and docs/*.md"
export TBTWARN_DATA="$TMP/examples"
python3 - "$ROOT" > "$TMP/examples.txt" <<'PY'
import re, sys, glob, os
root = sys.argv[1]
for f in [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md"))):
    fenced = False
    for line in open(f, encoding="utf-8"):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced and line.startswith("./tbtwarn "):
            print(os.path.relpath(f, root) + "\t" + line.rstrip("\n"))
PY
count=0
while IFS="$(printf '\t')" read -r file line; do
	cmd=${line%%#*}
	comment=$(printf '%s' "$line" | sed -n 's/^[^#]*# *//p')
	count=$((count + 1))
	run sh -c "cd '$ROOT' && $cmd"
	expect_eq "$file: $cmd exits 0" "$rc" 0
	case $comment in added*) expect_eq "$file: $cmd prints what its comment says" "$out" "$comment" ;; esac
done < "$TMP/examples.txt"
[ $count -ge 3 ] && ok "the documents' examples were found ($count)" || not_ok "the documents' examples were found ($count)" "got: $count examples" "want: at least 3"
