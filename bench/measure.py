#!/usr/bin/env python3
"""measure.py CMD...: runs CMD, passes its output through, then prints "wall_s=... peak_rss_kib=... cpu_s=..." to
stderr (cpu_s: the command's user and system CPU time)."""
import resource
import subprocess
import sys
import time

t0 = time.monotonic()
rc = subprocess.call(sys.argv[1:])
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("wall_s=%.4f peak_rss_kib=%d cpu_s=%.3f" % (wall, ru.ru_maxrss, ru.ru_utime + ru.ru_stime), file=sys.stderr)
sys.exit(rc)
