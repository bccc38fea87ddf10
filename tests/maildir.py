#!/usr/bin/env python3
"""maildir.py DIR: the messages smtp-sink kept in DIR as JSON lines, decoded with Python's email package (an
independent MIME parser): {file, to, from, subject, message_id, headers, parts: [content types], text, html}."""
import email
import glob
import json
import os
import sys
from email.header import decode_header, make_header

for f in sorted(glob.glob(os.path.join(sys.argv[1], "*")), key=os.path.getmtime):
    m = email.message_from_bytes(open(f, "rb").read())
    parts = [p for p in m.walk() if not p.is_multipart()]
    def body(t):
        for p in parts:
            if p.get_content_type() == t:
                return p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8")
        return None
    print(json.dumps({
        "file": f,
        "to": m["To"],
        "from": str(make_header(decode_header(m["From"]))) if m["From"] else None,
        "subject": str(make_header(decode_header(m["Subject"]))) if m["Subject"] else None,
        "message_id": m["Message-ID"],
        "headers": {k: v for k, v in m.items() if k.startswith("List-")},
        "parts": [p.get_content_type() for p in parts],
        "text": body("text/plain"),
        "html": body("text/html"),
    }, ensure_ascii=False))
