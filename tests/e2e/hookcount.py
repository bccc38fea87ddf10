#!/usr/bin/env python3
"""hookcount.py: an HTTP receiver on every loopback address, IPv4 and IPv6 (a dual-stack socket on ::), that answers
204 to any POST and counts what reached it. Prints its port first. GET /count answers the number of POSTs so far;
/fail answers 500 (a target that keeps failing)."""
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNT = {"post": 0, "fail": 0}
LOCK = threading.Lock()


class Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        with LOCK:
            body = ("%d %d\n" % (COUNT["post"], COUNT["fail"])).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        fail = self.path.startswith("/fail")
        with LOCK:
            COUNT["fail" if fail else "post"] += 1
        self.send_response(500 if fail else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()


srv = Server(("::", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
