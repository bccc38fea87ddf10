#!/bin/sh
# translate_bench.sh BUILD WORKDIR: machine translation of the synthetic archive (a copy of WORKDIR/ours, imported by
# run.sh) through a stand-in provider on loopback that answers at once (tests/translate_server.py). Prints one line:
#   notifications segments from_memory requests translate_cpu_s translate_wall_s translate_rss_kib import_cpu_s
# The provider's own time is not tbtwarn's: the figures are tbtwarn's CPU (user + system) per segment, the share of
# segments the memory answered, and the peak memory; set side by side with the CPU the import of the same archive took.
set -eu
B=$1 W=$2
BIN=$PWD/tbtwarn
rm -rf "$W/tr" && cp -a "$W/ours" "$W/tr"
rm -f "$W/tr-port"
python3 tests/translate_server.py > "$W/tr-port" 2> "$W/tr-server.err" &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
i=0
while [ ! -s "$W/tr-port" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
printf '[translate]\nprovider = libretranslate\nurl = http://127.0.0.1:%s\nconcurrency = 8\ntimeout = 30s\n' \
	"$(head -n 1 "$W/tr-port")" > "$W/tr.ini"
python3 bench/measure.py "$BIN" --data "$W/tr" --config "$W/tr.ini" translate --once > "$W/tr.out" 2> "$W/tr.mem"
reqs=$(curl -s "http://127.0.0.1:$(head -n 1 "$W/tr-port")/requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
python3 - "$W" "$reqs" <<'PY'
import re, sys
w, reqs = sys.argv[1], sys.argv[2]
n = seg = mem = 0
for line in open(w + "/tr.out"):
    m = re.search(r"translated \d+ fields? \((\d+) segments, (\d+) from memory\)", line)
    if m:
        n += 1
        seg += int(m.group(1))
        mem += int(m.group(2))
def field(f, k):
    return open(w + "/" + f).read().split(k + "=")[1].split()[0]
print(n, seg, mem, reqs, field("tr.mem", "cpu_s"), field("tr.mem", "wall_s"), field("tr.mem", "peak_rss_kib"),
      field("ours.mem", "cpu_s"))
PY
