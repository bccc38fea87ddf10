#!/usr/bin/env python3
"""slowclient.py HOST PORT COUNT SECONDS: a slowloris client. Opens COUNT connections from HOST's loopback address
127.0.0.1, sends a request line and then one header line every half second on each, never finishing the head, for
SECONDS at most. Prints JSON: how many connections were accepted, and how many the server cut off and after how long."""
import json
import socket
import sys
import time

host, port, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
socks, refused = [], 0
start = time.monotonic()
for i in range(count):
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(2)
    try:
        s.bind(("127.0.0.1", 0))
        s.connect((host, port))
        s.sendall(b"GET /api/stats HTTP/1.1\r\nHost: x\r\n")
        s.setblocking(False)
        socks.append([s, None])
    except OSError:
        refused += 1
        s.close()
cut_after = []
while time.monotonic() - start < seconds and any(c is None for _, c in socks):
    time.sleep(0.5)
    for entry in socks:
        s, cut = entry
        if cut is not None:
            continue
        try:
            data = s.recv(4096)
            if not data:
                entry[1] = time.monotonic() - start  # closed by the server
                continue
        except BlockingIOError:
            pass
        except OSError:
            entry[1] = time.monotonic() - start
            continue
        try:
            s.send(b"X-Slow: y\r\n")
        except OSError:
            entry[1] = time.monotonic() - start
for s, cut in socks:
    if cut is not None:
        cut_after.append(cut)
    s.close()
# A connection the server accepted and closed at once (over the per-client limit) counts as refused.
early = sum(1 for c in cut_after if c < 0.9)
print(json.dumps({"held": len(socks) - early, "refused": refused + early, "cut": len(cut_after) - early,
                  "max_cut_after": round(max([c for c in cut_after if c >= 0.9] or [0]), 1)}))
