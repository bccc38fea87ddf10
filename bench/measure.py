#!/usr/bin/env python3
"""measure.py CMD...: runs CMD, passes its output through, then prints "wall_s=... peak_rss_kib=..." to stderr."""
import resource
import subprocess
import sys
import time

t0 = time.monotonic()
rc = subprocess.call(sys.argv[1:])
wall = time.monotonic() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("wall_s=%.4f peak_rss_kib=%d" % (wall, rss), file=sys.stderr)
sys.exit(rc)
