#!/bin/sh
# t19: the draft texts notifications link to (document_urls) are fetched from a real HTTP server on loopback,
# their text extracted (PDF, DOCX, HTML) and indexed, so that text:WORDS finds the measure by what its regulation
# says. Hostile links (to loopback without leave, to file://, too big, looping redirects, unreadable bodies) end
# in a clear state and lose nothing else. A `documents` source pointing at a PDF form is crawled end to end.
. "$(dirname "$0")/lib.sh"
python3 "$ROOT/tests/fixture_server.py" "$ROOT/tests/data" > "$TMP/port" 2>"$TMP/server.err" &
server=$!
trap 'kill $server $srv 2>/dev/null; rm -rf "$TMP"' EXIT
srv=
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
PORT=$(head -n 1 "$TMP/port")
U=http://127.0.0.1:$PORT
[ -n "$PORT" ] && ok "step 0: fixture server listens on 127.0.0.1:$PORT" || not_ok "fixture server started" "$(cat "$TMP/server.err")"

# form SYMBOL MEMBER TITLE URL...: a WTO TBT form whose item 11 links the URLs.
form() {
	sym=$1 member=$2 title=$3
	shift 3
	cat <<EOF
                                                                  $sym
                                                                  2 June 2025
Committee on Technical Barriers to Trade                          Original: English
                                        NOTIFICATION
1.   Notifying Member: $member
2.   Agency responsible: Ministry of Trade
3.   Notified under Article 2.9.2 [X], 2.10.1 [ ], 5.6.2 [ ], 5.7.1 [ ], other:
4.   Products covered: Household appliances; HS 8516.29
5.   Title, number of pages and language(s) of the notified document: $title (10 page(s), in English)
6.   Description of content: The draft sets requirements; the text is linked below.
7.   Objective and rationale, including the nature of urgent problems where applicable: Protection of
     human health or safety
8.   Relevant documents: none
9.   Proposed date of adoption: December 2025
     Proposed date of entry into force: 1 July 2026
10.  Final date for comments: 1 August 2025
11.  Texts available from: National enquiry point [X] or address of other body:
EOF
	for u in "$@"; do echo "     $u"; done
}

cat > "$TMP/drafts.ini" <<INI
[crawler]
timeout = 3s
connect_timeout = 1s
polite_delay = 0s
draft_max_bytes = 1M
draft_allow = 127.0.0.0/8
INI

# Step 1: notifications linking draft texts are imported; their links wait in the queue.
{
	form G/TBT/N/KOR/1300 "REPUBLIC OF KOREA" "Safety of portable electric heaters" \
		"$U/drafts/heater-regulation.pdf" "$U/moved/cosmetics-labelling.docx"
	form G/TBT/N/FRA/300 FRANCE "Safety of toys" "$U/drafts/toy-safety.html" "$U/drafts/scanned.pdf" \
		"$U/drafts/blob.bin" "$U/big" "$U/500" "$U/loop" "$U/redirect-file" "$U/drafts/missing.pdf"
	form G/TBT/N/KOR/1301 "REPUBLIC OF KOREA" "Heaters, second part" "$U/drafts/heater-regulation.pdf"
} > "$TMP/forms.txt"
run "$TBTWARN" import "$TMP/forms.txt"
expect_eq "step 1: the three forms are added" "$out" "added 3, updated 0, unchanged 0, rejected 0"
run "$TBTWARN" --config "$TMP/drafts.ini" sources
expect_match "step 1: sources shows the queue" "$out" "draft texts \(drafts = no\): 0 done, 10 pending, 0 failed, 0 skipped"
run "$TBTWARN" search 'text:tip-over'
expect_match "step 1: nothing is found inside texts not fetched yet" "$out" "no notifications match"

# Step 2: crawl --drafts fetches every due one, one at a time, and reports each.
run "$TBTWARN" --config "$TMP/drafts.ini" crawl --drafts
expect_eq "step 2: crawl --drafts exits 0" "$rc" "0"
expect_match "step 2: the PDF is read" "$out" "heater-regulation.pdf': done, [0-9]+ bytes"
expect_match "step 2: the DOCX is read after a redirect" "$out" "moved/cosmetics-labelling.docx': done"
expect_match "step 2: the HTML page is read" "$out" "toy-safety.html': done"
expect_match "step 2: a scan without text is skipped, with why" "$out" "scanned.pdf': skipped, [0-9]+ bytes: the document holds no text"
expect_match "step 2: a binary blob is skipped, with why" "$out" "blob.bin': skipped, [0-9]+ bytes: not a PDF, DOCX, HTML or text document \(Content-Type: application/octet-stream\)"
expect_match "step 2: a body over draft_max_bytes is given up" "$out" "/big': body larger than the 1048576-byte limit \(given up\)"
expect_match "step 2: a server error is tried again later" "$out" "/500': HTTP 500 \(will try again\)"
expect_match "step 2: a 404 is given up" "$out" "missing.pdf': HTTP 404 \(given up\)"
expect_match "step 2: a redirect loop ends" "$out" "/loop': more than 5 redirects \(given up\)"
expect_match "step 2: a redirect to file:// is not followed" "$out" "/redirect-file': a redirect to a URL that is not http or https \(given up\)"
expect_match "step 2: the summary counts every state" "$out" "draft texts: 3 done, 1 pending, 4 failed, 2 skipped"

# Step 3: the texts are searchable as text:..., in every notification that links them.
run "$TBTWARN" search --json 'text:"tip-over switch"'
got=$(printf '%s' "$out" | python3 -c 'import json,sys; print(" ".join(sorted(h["symbol"] for h in json.load(sys.stdin)["hits"])))')
expect_eq "step 3: a phrase of the PDF finds both notifications linking it" "$got" "G/TBT/N/KOR/1300 G/TBT/N/KOR/1301"
run "$TBTWARN" search 'text:nanomaterials'
expect_match "step 3: a word of the DOCX finds its notification" "$out" "G/TBT/N/KOR/1300"
run "$TBTWARN" search 'text:magnets'
expect_match "step 3: a word of the HTML page finds its notification" "$out" "G/TBT/N/FRA/300"
run "$TBTWARN" search 'text:tracking'
expect_match "step 3: the page's script is not indexed" "$out" "no notifications match"
run "$TBTWARN" search 'tip-over'
expect_match "step 3: plain words search the notifications, not their drafts" "$out" "no notifications match"
run "$TBTWARN" show --json G/TBT/N/FRA/300
got=$(printf '%s' "$out" | python3 -c '
import json,sys
d = json.load(sys.stdin)
for t in d["draft_texts"]: print(t["url"].split("/", 3)[3], t["state"], t.get("format", "-"), t["attempts"], t.get("error", ""))')
want="drafts/toy-safety.html done html 1 
drafts/scanned.pdf skipped pdf 1 the document holds no text (a scanned image?)
drafts/blob.bin skipped - 1 not a PDF, DOCX, HTML or text document (Content-Type: application/octet-stream)
big failed - 1 body larger than the 1048576-byte limit
500 pending - 1 HTTP 500
loop failed - 1 more than 5 redirects"
expect_eq "step 3: show --json says what became of each draft" "$(printf '%s\n' "$got" | head -n 6)" "$want"

# requests: how many requests the fixture server saw, its own /requests left out.
requests() { curl -s "$U/requests" | python3 -c 'import json,sys; print(sum(r["path"] != "/requests" for r in json.load(sys.stdin)))'; }

# Step 4: a second run fetches nothing that is not due (the 500 waits an hour); nothing is fetched twice.
before=$(requests)
run "$TBTWARN" --config "$TMP/drafts.ini" crawl --drafts
after=$(requests)
expect_eq "step 4: a second run fetches nothing" "$((after - before))" "0"
run "$TBTWARN" import "$TMP/forms.txt"
expect_eq "step 4: re-importing the forms changes nothing" "$out" "added 0, updated 0, unchanged 3, rejected 0"

# Step 5: without draft_allow, a link to loopback is refused before anything is sent (links come from sources).
export TBTWARN_DATA="$TMP/var-guarded"
form G/TBT/N/USA/9001 "UNITED STATES OF AMERICA" "Internal address" "$U/drafts/heater-regulation.pdf" > "$TMP/inner.txt"
"$TBTWARN" import "$TMP/inner.txt" > /dev/null
printf '[crawler]\ntimeout = 3s\n' > "$TMP/plain.ini"
before=$(requests)
run "$TBTWARN" --config "$TMP/plain.ini" crawl --drafts
after=$(requests)
expect_match "step 5: the loopback link is refused, for good" "$out" "refused to connect to 127.0.0.1: loopback address \(given up\)"
expect_eq "step 5: nothing reached the server" "$((after - before))" "0"

# Step 6: the service fetches draft texts by itself between rounds (drafts = yes), and the web search finds them.
export TBTWARN_DATA="$TMP/var-serve"
form G/TBT/N/JPN/900 JAPAN "Heaters in Japan" "$U/drafts/heater-regulation.pdf" > "$TMP/jpn.txt"
"$TBTWARN" import "$TMP/jpn.txt" > /dev/null
WP=$(free_port)
printf '[crawler]\ntimeout = 3s\ndrafts = yes\ndraft_interval = 100ms\ndraft_allow = 127.0.0.0/8\n[web]\nlisten = 127.0.0.1:%s\n' "$WP" > "$TMP/serve.ini"
"$TBTWARN" --config "$TMP/serve.ini" run > "$TMP/serve.out" 2> "$TMP/serve.err" &
srv=$!
W=http://127.0.0.1:$WP
wait_for "step 6: the service listens" curl -sf "$W/healthz"
found() { curl -s "$W/api/notifications?q=text:tip-over" | grep -q 'G/TBT/N/JPN/900'; }
wait_for "step 6: the web search finds the notification by its draft text" found
got=$(curl -s "$W/api/notifications/G/TBT/N/JPN/900" | python3 -c 'import json,sys; print([t["state"] for t in json.load(sys.stdin)["draft_texts"]])')
expect_eq "step 6: the API carries the draft's state" "$got" "['done']"
m=$(curl -s "$W/metrics")
expect_match "step 6: /metrics counts the draft texts by state" "$m" '^tbtwarn_draft_texts\{state="done"\} 1$'

kill $srv; wait $srv 2>/dev/null
srv=

# Step 7: a documents source pointing at the WTO's own files (PDF and DOCX forms) is crawled end to end.
export TBTWARN_DATA="$TMP/var-docs"
cp "$ROOT/tests/data/layouts/wto-pdf-sps.pdf" "$ROOT/tests/data/layouts/wto-docx-table.docx" "$TMP/"
cat > "$TMP/docs.ini" <<INI
[crawler]
timeout = 3s
polite_delay = 0s

[source wto-files]
kind = documents
urls = file://$TMP/wto-pdf-sps.pdf file://$TMP/wto-docx-table.docx
INI
run "$TBTWARN" --config "$TMP/docs.ini" crawl --once
expect_match "step 7: the PDF and the DOCX forms are crawled and added" "$out" "wto-files: ok, 2 fetched \(0 not modified\): added 2"
run "$TBTWARN" show G/SPS/N/EU/802
expect_match "step 7: the SPS form of the PDF is stored" "$out" "nicotine"
run "$TBTWARN" show G/TBT/N/KOR/1250
expect_match "step 7: the TBT form of the DOCX is stored" "$out" "electric heaters"
echo "1..$n"
