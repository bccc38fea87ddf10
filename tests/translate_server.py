#!/usr/bin/env python3
"""translate_server.py: a translation provider on 127.0.0.1 that follows the published protocols, for the tests.
Prints its port on the first line of stdout, then serves until killed.

  POST /translate              LibreTranslate: JSON {q: string or list, source, target, format, api_key}; answers
                               {translatedText: string or list}; 403 {error} for a wrong api_key when KEY is set
  POST /v1/chat/completions    OpenAI-compatible: {model, messages, ...} with Authorization: Bearer KEY; answers
                               {choices: [{message: {role, content}}]}, the content a JSON {translations: [...]}
  POST /mode                   {mode}: ok, 500, 429 (Retry-After: 1), 400, slow (answers after 5 s), badjson, html,
                               echo (the English back), dropnum (numbers dropped), short (one translation too few)
                               When the user message is a notification's facts ({symbol, title, hs, dates, ...})
                               rather than {segments}, the content is a draft of an analysis {summary_zh,
                               requirements_zh, actions_zh} made from those facts (mode draftbad: English only)
  GET  /requests               what was asked: [{path, segments, model, system, auth}] ({path, draft: symbol, facts,
                               model, system, auth} for drafts)

The "translation" is mechanical but Chinese: each English word becomes two characters chosen by its letters, numbers
and codes stay as they are, and the glossary's Chinese terms for the English terms present are put first.
"""
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = os.environ.get("KEY", "")
CHARS = "规定产品安全要求标准检测标签限量电池玩具材料食品草案通报修订评定程序实施日期范围适用"
GLOSSARY = {}
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "config", "glossary.tsv"), encoding="utf-8") as f:
    for line in f:
        if line.startswith("#") or "\t" not in line:
            continue
        en, zh = line.rstrip("\n").split("\t")[:2]
        GLOSSARY[en.lower()] = zh
STATE = {"mode": "ok"}
LOG = []
LOCK = threading.Lock()


def translate(src, mode):
    if mode == "echo":
        return src
    terms = [zh for en, zh in GLOSSARY.items() if re.search(r"(?<![A-Za-z0-9])" + re.escape(en) + r"(?![A-Za-z0-9])", src, re.I)]
    out = []
    for tok in re.findall(r"[A-Za-z]+|[0-9][0-9A-Za-z./:-]*[0-9A-Za-z]|[0-9]|[.;,]", src):
        if tok[0].isalpha():
            h = sum(map(ord, tok.lower()))
            out.append(CHARS[h % len(CHARS)] + CHARS[(h // 7) % len(CHARS)])
        elif tok[0].isdigit():
            out.append("" if mode == "dropnum" else tok)
        else:
            out.append({".": "。", ";": "；", ",": "，"}[tok])
    return "".join(terms) + "".join(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="application/json", headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/requests":
            with LOCK:
                return self.send(200, LOG)
        self.send(404, {"error": "not found"})

    def answer(self, segments, shape):
        mode = STATE["mode"]
        if mode == "slow":
            time.sleep(5)
        if mode == "500":
            return self.send(500, {"error": "internal error"})
        if mode == "429":
            return self.send(429, {"error": "too many requests"}, headers={"Retry-After": "1"})
        if mode == "400":
            return self.send(400, {"error": "text too long"})
        if mode == "html":
            return self.send(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        if mode == "badjson":
            return self.send(200, b"{\"translatedText\": [\"\xe8\xaf\x91", "application/json")
        out = [translate(s, mode) for s in segments]
        if mode == "short":
            out = out[:-1]
        return self.send(200, shape(out))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            return self.send(400, {"error": "the body is not JSON"})
        if self.path == "/mode":
            STATE["mode"] = body["mode"]
            return self.send(200, STATE)
        if self.path == "/translate":
            q = body.get("q")
            if not isinstance(q, (str, list)) or body.get("source") != "en" or not body.get("target") or body.get("format") != "text":
                return self.send(400, {"error": "q, source, target and format are required"})
            if KEY and body.get("api_key") != KEY:
                return self.send(403, {"error": "Invalid API key"})
            segments = [q] if isinstance(q, str) else q
            with LOCK:
                LOG.append({"path": self.path, "segments": segments, "auth": body.get("api_key")})
            return self.answer(segments, lambda out: {"translatedText": out if isinstance(q, list) else out[0]})
        if self.path == "/v1/chat/completions":
            if KEY and self.headers.get("Authorization") != "Bearer " + KEY:
                return self.send(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
            msgs = body.get("messages")
            if not body.get("model") or not isinstance(msgs, list) or len(msgs) != 2:
                return self.send(400, {"error": {"message": "model and messages are required"}})
            user = json.loads(msgs[1]["content"])
            if "segments" not in user and "symbol" in user:
                return self.draft(body, msgs, user)
            segments = user["segments"]
            with LOCK:
                LOG.append({"path": self.path, "segments": segments, "model": body["model"], "system": msgs[0]["content"],
                            "auth": self.headers.get("Authorization")})

            def shape(out):
                content = "```json\n" + json.dumps({"translations": out}, ensure_ascii=False) + "\n```"
                return {"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}
            return self.answer(segments, shape)
        self.send(404, {"error": "not found"})


    def draft(self, body, msgs, facts):
        with LOCK:
            LOG.append({"path": self.path, "draft": facts["symbol"], "facts": facts, "model": body["model"],
                        "system": msgs[0]["content"], "auth": self.headers.get("Authorization")})
        mode = STATE["mode"]
        if mode in ("500", "429"):
            return self.send(int(mode), {"error": "unavailable"}, headers={"Retry-After": "1"} if mode == "429" else None)
        dates = facts.get("dates") or {}
        deadline = ((dates.get("comment_deadline") or {}).get("date")) or "待核实"
        hs = "、".join(facts.get("hs") or []) or "待核实"
        if mode == "draftbad":
            d = {"summary_zh": "A summary in English only", "requirements_zh": "", "actions_zh": ["Comment"]}
        else:
            d = {"summary_zh": "%s（%s）拟实施新的技术要求，涉及 HS %s 产品，评议截止日 %s。" % (
                     facts.get("member_name") or facts.get("member"), facts["symbol"], hs, deadline),
                 "requirements_zh": "产品须符合通报所列要求：%s" % (facts.get("title") or "待核实"),
                 "actions_zh": ["在 %s 前提交评议意见" % deadline, "按通报所引标准安排检测", "关注最终文本的采纳日期"]}
        content = json.dumps(d, ensure_ascii=False)
        return self.send(200, {"id": "chatcmpl-2", "object": "chat.completion", "model": body["model"],
                               "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                            "finish_reason": "stop"}]})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
