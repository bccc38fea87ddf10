#!/usr/bin/env python3
"""webhook_receiver.py SECRET: receives webhooks on 127.0.0.1 and checks Standard Webhooks v1 signatures with its own
implementation (HMAC-SHA256 over id.timestamp.body, key = base64 after whsec_). Prints its port first.
Paths: /ok answers 204, /busy 500, /slow-down 429 (Retry-After: 3600), /gone 410. GET /log returns what arrived."""
import base64
import hashlib
import hmac
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = sys.argv[1]
KEY = base64.b64decode(SECRET[len("whsec_"):] if SECRET.startswith("whsec_") else SECRET)
LOG = []
LOCK = threading.Lock()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with LOCK:
            self.reply(200, json.dumps(LOG).encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        wid, ts, sig = (self.headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
        expected = base64.b64encode(hmac.new(KEY, ("%s.%s." % (wid, ts)).encode() + body, hashlib.sha256).digest()).decode()
        ok = any(s.split(",", 1)[1] == expected for s in (sig or "").split() if "," in s)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        with LOCK:
            LOG.append({"path": self.path, "id": wid, "verified": ok, "symbol": (payload or {}).get("notification", {}).get("symbol")})
        if self.path == "/busy":
            return self.reply(500, b"busy")
        if self.path == "/slow-down":
            return self.reply(429, b"", {"Retry-After": "3600"})
        if self.path == "/gone":
            return self.reply(410, b"gone")
        return self.reply(204)


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
print(srv.server_port, flush=True)
srv.serve_forever()
