#!/bin/sh
# t71: the web UI in headless Chromium (tests/node/ui.test.mjs, playwright-core with Debian's chromium) against
# `tbtwarn serve` on a real archive; screenshots are kept in build/artefacts/ui/.
. "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null || { not_ok "chromium is installed (scripts/deps.sh test)"; exit 1; }
[ -d "$ROOT/tests/node/node_modules/playwright-core" ] || { not_ok "npm packages installed (scripts/deps.sh test)"; exit 1; }
"$TBTWARN" import "$ROOT"/tests/data/samples/* > /dev/null
export TBTWARN_TODAY=2025-04-20
# A subscriber who reads English, with one subscription that matches and one that never can: the manage page.
step "A subscriber who reads English"
SID=$("$TBTWARN" subscriber add --email lin@cells.example.cn --lang en --confirmed)
"$TBTWARN" subscription add "$SID" --channel email --category lithium_batteries > /dev/null
"$TBTWARN" subscription add "$SID" --channel email --query zzqxjv > /dev/null
MANAGE=$("$TBTWARN" subscriber link "$SID" | sed 's|^https\{0,1\}://[^/]*||')
"$TBTWARN" serve --listen 127.0.0.1:0 --quiet > "$TMP/serve.out" 2> "$TMP/serve.err" &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while ! grep -q serving "$TMP/serve.out" 2>/dev/null && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
BASE=$(sed -n 's|^tbtwarn: serving \(http://[0-9.:]*\)/$|\1|p' "$TMP/serve.out")
ART="$ROOT/build/artefacts/ui$(case "$TBTWARN" in */san/*) echo -san ;; esac)"
timeout 120 node "$ROOT/tests/node/ui.test.mjs" "$BASE" "$ART" "$MANAGE" > "$TMP/ui.out" 2>&1
rc=$?
relay_tap "$TMP/ui.out"
expect_eq "the browser test finished cleanly" "$rc" 0
[ -s "$ART/search.png" ] && [ -s "$ART/notification.png" ] && [ -s "$ART/phone.png" ] && ok "screenshots saved in $ART" || not_ok "screenshots saved" "in $ART: $(ls "$ART" 2>&1 | tr '\n' ' ')"
