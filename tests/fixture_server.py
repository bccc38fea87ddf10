#!/usr/bin/env python3
"""fixture_server.py ROOT: an HTTP server on 127.0.0.1 for the crawler tests. It serves the fixtures under ROOT in
the real formats and misbehaves on demand. Prints its port on the first line of stdout, then serves until killed.

Paths:
  /eping/search?...      ePing API pages made from ROOT/samples/eping-2025-03-a.json (key header required)
  /docs/NAME             a file of ROOT/samples with ETag and Last-Modified (304 on a match)
  /web/...               ROOT/web files; .html pages are sent in GBK, as Chinese platforms do
  /flaky                 500 twice, then a good WTO form
  /slow                  answers after 3 s          /reset     closes the connection mid-response
  /500                   an error page              /429       Too Many Requests with Retry-After: 120
  /redirect-file         302 to file:///etc/passwd  /big       a body of 3 MiB
  /redirect-here         302 to a document on the same host
  /drafts/NAME           a file of ROOT/drafts (draft texts) with its type; /moved/NAME: 301 to it; /loop: 302 to itself
  /redirect-local        302 to the same document through http://localhost (another host, on loopback)
  /badgzip               gzip cut short             /badutf8   a form with invalid UTF-8 bytes
  /gzipdoc               a form sent gzipped        /gzipbomb  20 MiB of zeros in 20 KiB of gzip
  /wrongtype             ePing JSON sent as text/html
  /xxe.xml               a feed with external entities (/leak must never be requested)
  /bomb.xml              a feed with an entity-expansion bomb
  /requests              what was requested so far, as JSON
"""
import gzip
import hashlib
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = sys.argv[1]
KEY = os.environ.get("FIXTURE_KEY", "test-key-123")
LOG = []
LOCK = threading.Lock()
COUNTS = {}

with open(os.path.join(ROOT, "samples", "eping-2025-03-a.json"), encoding="utf-8") as f:
    ITEMS = json.load(f)["items"]


def bomb():
    ents = ['<!ENTITY a0 "ha">'] + ['<!ENTITY a%d "%s">' % (i, ("&a%d;" % (i - 1)) * 10) for i in range(1, 10)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE rss [%s]>\n<rss version="2.0"><channel><title>b</title><item>'
            '<title>G/TBT/N/USA/2298 &a9;</title></item></channel></rss>\n' % "".join(ents)).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="text/plain; charset=utf-8", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        with LOCK:
            LOG.append({"path": url.path, "query": url.query,
                        "key": self.headers.get("Ocp-Apim-Subscription-Key"),
                        "accept": self.headers.get("Accept"),
                        "inm": self.headers.get("If-None-Match")})
            COUNTS[url.path] = COUNTS.get(url.path, 0) + 1
            count = COUNTS[url.path]
        p = url.path
        if p == "/requests":
            with LOCK:
                return self.send(200, json.dumps(LOG).encode(), "application/json")
        if p == "/eping/search":
            if self.headers.get("Ocp-Apim-Subscription-Key") != KEY:
                return self.send(401, b'{"statusCode": 401, "message": "Access denied due to missing subscription key."}',
                                 "application/json")
            page = int(q.get("page", ["1"])[0])
            size = int(q.get("pageSize", ["4"])[0])
            domain = q.get("domainIds", ["1"])[0]
            items = [i for i in ITEMS if (i.get("area") == "SPS") == (domain == "2")]
            chunk = items[(page - 1) * size: page * size]
            body = {"currentPage": page, "pageSize": size, "totalCount": len(items), "items": chunk}
            return self.send(200, json.dumps(body).encode(), "application/json; charset=utf-8")
        if p.startswith("/drafts/"):
            # The draft texts notifications link to, with the types real servers give them.
            name = os.path.basename(p)
            path = os.path.join(ROOT, "drafts", name)
            if not os.path.isfile(path):
                return self.send(404, b"not found")
            types = {".pdf": "application/pdf", ".html": "text/html; charset=utf-8", ".bin": "application/octet-stream",
                     ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
            return self.send(200, open(path, "rb").read(), types.get(os.path.splitext(name)[1], "text/plain"))
        if p.startswith("/moved/"):
            return self.send(301, b"", headers={"Location": "/drafts/" + os.path.basename(p)})
        if p == "/loop":
            return self.send(302, b"", headers={"Location": "/loop"})
        if p.startswith("/docs/"):
            name = os.path.basename(p)
            path = os.path.join(ROOT, "samples", name)
            if not os.path.isfile(path):
                return self.send(404, b"not found")
            data = open(path, "rb").read()
            etag = '"%s"' % hashlib.sha1(data).hexdigest()[:16]
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            return self.send(200, data, "text/plain; charset=utf-8",
                             {"ETag": etag, "Last-Modified": "Tue, 06 May 2025 08:00:00 GMT"})
        if p.startswith("/web/") or p.startswith("/gd/"):
            rel = p[len("/web/"):] if p.startswith("/web/") else p[len("/gd/"):]
            path = os.path.normpath(os.path.join(ROOT, "web", rel))
            if not path.startswith(os.path.join(ROOT, "web")) or not os.path.isfile(path):
                return self.send(404, b"not found")
            data = open(path, "rb").read()
            if path.endswith(".html"):
                return self.send(200, data.decode("utf-8").encode("gbk"), "text/html")
            data = data.replace(b"PORT", str(self.server.server_port).encode())
            return self.send(200, data, "application/rss+xml" if b"<rss" in data else "application/atom+xml")
        if p == "/flaky":
            if count <= 2:
                return self.send(500, b"internal error")
            return self.send(200, open(os.path.join(ROOT, "samples", "wto-tbt-vnm-245.txt"), "rb").read())
        if p == "/slow":
            time.sleep(3)
            return self.send(200, b"too late")
        if p == "/reset":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"G/TBT/N/USA/1\n")
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            return
        if p == "/500":
            return self.send(500, b"<html><body>Internal Server Error</body></html>", "text/html")
        if p == "/429":
            return self.send(429, b"slow down", headers={"Retry-After": "120"})
        if p == "/redirect-here":
            return self.send(302, b"", headers={"Location": "/docs/wto-tbt-vnm-245.txt"})
        if p == "/redirect-local":
            port = self.server.server_address[1]
            return self.send(302, b"", headers={"Location": "http://localhost:%d/docs/wto-tbt-vnm-245.txt" % port})
        if p == "/redirect-file":
            return self.send(302, b"", headers={"Location": "file:///etc/passwd"})
        if p == "/big":
            return self.send(200, b"x" * (3 * 1024 * 1024))
        if p == "/badgzip":
            z = gzip.compress(open(os.path.join(ROOT, "samples", "wto-tbt-vnm-245.txt"), "rb").read())
            return self.send(200, z[: len(z) // 2], headers={"Content-Encoding": "gzip"})
        if p == "/gzipdoc":
            z = gzip.compress(open(os.path.join(ROOT, "samples", "wto-sps-aus-612.txt"), "rb").read())
            return self.send(200, z, headers={"Content-Encoding": "gzip"})
        if p == "/gzipbomb":
            return self.send(200, gzip.compress(b"\0" * (20 * 1024 * 1024)), headers={"Content-Encoding": "gzip"})
        if p == "/badutf8":
            return self.send(200, b"G/TBT/N/USA/77\n1. Notifying Member: \xff\xfe\xff\n")
        if p == "/wrongtype":
            return self.send(200, json.dumps({"items": [ITEMS[0]]}).encode(), "text/html")
        if p == "/xxe.xml":
            data = open(os.path.join(ROOT, "web", "xxe.xml"), "rb").read()
            return self.send(200, data.replace(b"PORT", str(self.server.server_port).encode()), "application/rss+xml")
        if p == "/bomb.xml":
            return self.send(200, bomb(), "application/rss+xml")
        return self.send(404, b"not found")


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print(srv.server_port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
