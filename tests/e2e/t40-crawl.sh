#!/bin/sh
# t40: the crawler against a real HTTP server on loopback: every kind of source, and every way a source can fail.
. "$(dirname "$0")/lib.sh"
step "the first round"
python3 "$ROOT/tests/fixture_server.py" "$ROOT/tests/data" > "$TMP/port" 2>"$TMP/server.err" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
PORT=$(head -n 1 "$TMP/port")
U=http://127.0.0.1:$PORT
[ -n "$PORT" ] && ok "fixture server listens on 127.0.0.1:$PORT" || not_ok "fixture server started" "$(cat "$TMP/server.err")"

cat > "$TMP/crawl.ini" <<INI
[crawler]
timeout = 1500ms
connect_timeout = 1s
max_body = 1M
polite_delay = 0s
retry_base = 1m

[source eping]
kind = eping
url = $U/eping/search?language=1&domainIds={domain}&distributionDateFrom={from}&distributionDateTo={to}&page={page}&pageSize={pagesize}
domains = tbt:1 sps:2
key = test-key-123
key_header = Ocp-Apim-Subscription-Key
accept = application/json
page_size = 3
start = 2025-03-01

[source docs]
kind = documents
urls = $U/docs/wto-tbt-vnm-245.txt $U/docs/wto-addenda-2025-04.txt
format = wto-text

[source gd-platform]
kind = html
url = $U/web/list.html
link_xpath = //ul[@class='news-list']//a[@class='tz']/@href
detail_xpath = //div[@class='article']

[source rss]
kind = feed
url = $U/web/feed.xml

[source atom]
kind = feed
url = $U/web/atom.xml
stale_after = 0s

[source flaky]
kind = documents
urls = $U/flaky

[source wrongtype]
kind = documents
urls = $U/wrongtype

[source slow]
kind = documents
urls = $U/slow
[source reset]
kind = documents
urls = $U/reset
[source e500]
kind = documents
urls = $U/500
[source e429]
kind = documents
urls = $U/429
[source redirect]
kind = documents
urls = $U/redirect-file
[source redirect-here]
kind = documents
urls = $U/redirect-here
[source redirect-local]
kind = documents
urls = $U/redirect-local
[source big]
kind = documents
urls = $U/big
[source badgzip]
kind = documents
urls = $U/badgzip
[source gzipdoc]
kind = documents
urls = $U/gzipdoc
[source gzipbomb]
kind = documents
urls = $U/gzipbomb
[source badutf8]
kind = documents
urls = $U/badutf8
[source xxe]
kind = feed
url = $U/xxe.xml
[source bomb]
kind = feed
url = $U/bomb.xml
INI

run "$TBTWARN" --config "$TMP/crawl.ini" crawl --once
expect_eq "a round with failing sources exits 1" "$rc" 1
echo "$out" > "$TMP/round1"
expect_match "ePing: both domains, all pages (3 TBT, 1 SPS), with the key" "$out" "^eping: ok, 4 fetched \(0 not modified\): added 14, updated 0"
expect_match "documents are imported" "$out" "^docs: ok, 2 fetched \(0 not modified\): added 4,"
expect_match "the GBK platform: list page and two detail pages" "$out" "^gd-platform: ok, 3 fetched \(0 not modified\): added 2,"
expect_match "RSS items with a symbol become records; others are reported" "$out" "^rss: ok, 1 fetched .*added 2, updated 0, unchanged 0, rejected 1"
expect_match "Atom in Chinese" "$out" "^atom: ok, 1 fetched .*added 1,"
expect_match "ePing JSON served as text/html is still read by its content" "$out" "^wrongtype: ok, 1 fetched .*(added|updated|unchanged) 1"
expect_match "a 500 is an error of that source" "$out" "^e500: error: fetch '$U/500' failed: HTTP 500"
expect_match "a timeout is an error" "$out" "^slow: error: fetch '$U/slow' failed: .*timed out"
expect_match "a reset is an error" "$out" "^reset: error: fetch '$U/reset' failed: "
expect_match "429 is an error whose retry honours Retry-After" "$out" "^e429: error: fetch '$U/429' failed: HTTP 429 \(failure 1; retry in 1[2-9][0-9] s\)"
expect_match "a redirect to file: is refused" "$out" "^redirect: error: fetch '$U/redirect-file' failed: .*(Protocol|protocol|not supported|disabled)"
expect_match "a redirect within the source's host is followed" "$out" "^redirect-here: ok, 1 fetched"
expect_match "a redirect to another host on a loopback address is refused, naming it" "$out" \
	"^redirect-local: error: fetch '$U/redirect-local' failed: refused to connect to (127\.0\.0\.1|::1): loopback address reached by a redirect"
expect_match "a body over the cap is refused" "$out" "^big: error: fetch '$U/big' failed: body larger than the 1048576-byte limit"
expect_match "truncated gzip is an error" "$out" "^badgzip: error: fetch '$U/badgzip' failed: compressed body cut short"
expect_match "a gzipped document is decoded" "$out" "^gzipdoc: ok, 1 fetched .*added 1,"
expect_match "a gzip bomb stops at the cap on the decoded size" "$out" "^gzipbomb: error: fetch '$U/gzipbomb' failed: body larger than the 1048576-byte limit"
expect_match "invalid UTF-8 is rejected with its line" "$out" "^badutf8: $U/badutf8: line 2: rejected: invalid UTF-8"
expect_match "an entity bomb is refused, not expanded" "$out" "^bomb: .*rejected: invalid XML: Detected an entity reference loop"
expect_match "a flaky source fails the first time" "$out" "^flaky: error: fetch '$U/flaky' failed: HTTP 500"

run "$TBTWARN" search --json --limit 50 ''
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted(h["symbol"] for h in d["hits"] if h["symbol"] in ("G/TBT/N/KOR/1230","G/TBT/N/USA/2230","G/TBT/N/CAN/740","G/SPS/N/EU/812","G/TBT/N/SAU/1301","G/TBT/N/VNM/245"))))')
expect_eq "records from every good source are searchable" "$got" "G/SPS/N/EU/812 G/TBT/N/CAN/740 G/TBT/N/KOR/1230 G/TBT/N/SAU/1301 G/TBT/N/USA/2230 G/TBT/N/VNM/245"
run "$TBTWARN" show --json G/TBT/N/KOR/1230
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["text"]["zh"]["agency"], d["hs"], d["dates"]["comment_deadline"]["date"], d["provenance"]["source"])')
expect_eq "the GBK detail page was decoded and parsed as a form" "$got" "产业通商资源部国家技术标准院 ['850760'] 2025-07-05 gd-platform"
run "$TBTWARN" show --json G/TBT/N/USA/2299
expect_eq "the XXE feed's record has no file contents in it" "$(printf '%s' "$out" | grep -c 'root:')" 0

run "$TBTWARN" --config "$TMP/crawl.ini" sources --json
printf '%s' "$out" > "$TMP/sources.json"
got=$(python3 -c 'import json,sys; d={s["name"]: s for s in json.load(open(sys.argv[1]))}; print(d["eping"]["health"], d["eping"]["cursor"] is not None, d["e500"]["health"], d["e500"]["failures"], d["e500"]["last_error"])' "$TMP/sources.json")
expect_eq "sources report health, cursor and the last error" "$got" "ok True failing 1 fetch '$U/500' failed: HTTP 500"

# The second round: conditional requests, nothing new, and the flaky source recovers.
step "The second round"
run "$TBTWARN" --config "$TMP/crawl.ini" crawl --once --source docs
expect_match "unchanged documents cost a 304 each" "$out" "^docs: ok, 2 fetched \(2 not modified\): added 0, updated 0, unchanged 0"
run "$TBTWARN" --config "$TMP/crawl.ini" crawl --once --source flaky
run "$TBTWARN" --config "$TMP/crawl.ini" crawl --once --source flaky
expect_match "the next good response is picked up" "$out" "^flaky: ok, 1 fetched .*added 0, updated 0, unchanged 1"
run "$TBTWARN" --config "$TMP/crawl.ini" crawl --once --source gd-platform
expect_match "detail pages already fetched are not fetched again" "$out" "^gd-platform: ok, 1 fetched"
run "$TBTWARN" --config "$TMP/crawl.ini" crawl --once --source e500
run "$TBTWARN" --config "$TMP/crawl.ini" crawl --once --source e500
expect_match "a source that keeps failing backs off further each time" "$out" "failure 3; retry in [0-9]+ s"
run "$TBTWARN" --config "$TMP/crawl.ini" crawl --once --source eping
run "$TBTWARN" --config "$TMP/crawl.ini" sources --json
printf '%s' "$out" > "$TMP/sources2.json"
got=$(python3 -c 'import json,sys; d={s["name"]: s for s in json.load(open(sys.argv[1]))}; print(d["e500"]["health"], d["e500"]["failures"], d["atom"]["health"], d["docs"]["health"], d["eping"]["fetches"])' "$TMP/sources2.json")
expect_eq "3 failures in a row: unhealthy; nothing new past stale_after: stale; others ok" "$got" "unhealthy 3 stale ok 8"
run "$TBTWARN" --config "$TMP/crawl.ini" crawl --once --source nosuch
expect_eq "an unknown source is a usage error" "$rc" 2

curl -s "$U/requests" > "$TMP/requests.json"
got=$(python3 -c '
import json,sys
log = json.load(open(sys.argv[1]))
import datetime
ep = [r for r in log if r["path"] == "/eping/search"]
first, second = ep[:4], ep[4:]
resume = (datetime.date.today() - datetime.timedelta(days=7)).isoformat()
print(len(ep), all(r["key"] == "test-key-123" for r in ep), all(r["accept"] == "application/json" for r in ep),
      all("distributionDateFrom=2025-03-01" in r["query"] for r in first),
      all("distributionDateFrom=" + resume in r["query"] for r in second), any(r["path"] == "/leak" for r in log))' "$TMP/requests.json")
expect_eq "ePing: key and Accept sent; first window from 'start', the next from the saved cursor less the overlap; /leak never fetched" "$got" "8 True True True True False"
all=$(cat "$TMP/round1"; "$TBTWARN" --config "$TMP/crawl.ini" sources)
expect_eq "the API key appears in no output" "$(printf '%s' "$all" | grep -c test-key-123)" 0

cat > "$TMP/bad.ini" <<INI
[source x]
kind = eping
url = $U/eping/search
interval = soon
INI
run "$TBTWARN" --config "$TMP/bad.ini" crawl --once
expect_eq "a bad setting exits 2" "$rc" 2
expect_eq "and names file, line and key" "$err" "tbtwarn: configuration: $TMP/bad.ini:4: [source x] interval: expected a duration such as 30s, 15m, 6h or 2d"
