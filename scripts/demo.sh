#!/bin/sh
# demo.sh: what `make run` does for now: crawl the bundled sample notifications (config/demo.ini: a directory
# source, fetched as file:// URLs through the same crawler as the network) into ./var and show searches.
# A later stage turns this into the whole service (crawler, alerter, web UI) on the same data.
set -eu
cd "$(dirname "$0")/.."
BIN=./tbtwarn
export TBTWARN_DATA=${TBTWARN_DATA:-./var}
echo "== crawling the bundled samples into $TBTWARN_DATA (config/demo.ini)"
$BIN --config config/demo.ini crawl --once
$BIN --config config/demo.ini sources
echo
echo "== search: lithium batteries, any market"
$BIN search lithium batteries
echo
echo "== search: 锂电池 (Chinese full text)"
$BIN search 锂电池
echo
echo "== search: toys and furniture (ICS 97), newest first"
$BIN search --sort date ics:97
echo
echo "== search: open for comment on 2025-05-20, HS chapter 85 (electrical machinery)"
TBTWARN_TODAY=2025-05-20 $BIN search open:yes hs:85
echo
echo "== show: G/TBT/N/USA/2201 with its addendum"
$BIN show G/TBT/N/USA/2201
echo
echo "Try: $BIN search --help, $BIN search --json member:EU, $BIN show --json G/SPS/N/AUS/612"
