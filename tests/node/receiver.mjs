// receiver.mjs SECRET [ROBOT_SECRET]: a webhook and group-robot receiver on 127.0.0.1 for tbtwarn's tests. Prints its
// port first. Standard Webhooks signatures are verified with the npm standardwebhooks package; DingTalk's and
// Feishu's signatures with Node's own crypto, after their published algorithms: implementations independent of ours.
//
// Webhooks:  /ok 204, /busy 500, /slow-down 429 with Retry-After: 3600, /gone 410, /hang never answers,
//            /flaky answers 500 to the first request for each webhook-id, then 204.
// Robots:    /wecom (markdown, content at most 4096 bytes), /wecom-limit (errcode 45009, a rate limit),
//            /dingtalk (timestamp and sign in the query), /feishu (timestamp and sign in the body).
// GET /log   what arrived: [{path, id, verified, type, symbol, body}], in order.
import crypto from "node:crypto";
import http from "node:http";
import { Webhook } from "standardwebhooks";

const secret = process.argv[2];
const robotSecret = process.argv[3] || "";
const wh = new Webhook(secret);
const log = [];
const seen = new Map();

function dingtalkOk(url) {
  const ts = url.searchParams.get("timestamp");
  const sign = url.searchParams.get("sign");
  if (!ts || !sign || Math.abs(Date.now() - Number(ts)) > 3600 * 1000) return false;
  const want = crypto.createHmac("sha256", robotSecret).update(`${ts}\n${robotSecret}`).digest("base64");
  return sign === want; // searchParams has already decoded the URL encoding
}

function feishuOk(body) {
  if (!body.timestamp || !body.sign || Math.abs(Date.now() / 1000 - Number(body.timestamp)) > 3600) return false;
  const want = crypto.createHmac("sha256", `${body.timestamp}\n${robotSecret}`).update("").digest("base64");
  return body.sign === want;
}

function reply(res, code, body, headers = {}) {
  const data = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(code, { "Content-Length": Buffer.byteLength(data), ...headers });
  res.end(data);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url, "http://127.0.0.1");
    const path = url.pathname;
    if (req.method === "GET") return reply(res, 200, log);
    let body = null;
    try {
      body = JSON.parse(raw);
    } catch {
      body = null;
    }
    const entry = { path, id: req.headers["webhook-id"] || null, verified: false, type: null, symbol: null, body };
    if (path.startsWith("/wecom")) {
      entry.verified = body?.msgtype === "markdown" && typeof body.markdown?.content === "string" &&
        Buffer.byteLength(body.markdown.content) <= 4096;
      log.push(entry);
      if (path === "/wecom-limit") return reply(res, 200, { errcode: 45009, errmsg: "api freq out of limit" });
      return reply(res, 200, entry.verified ? { errcode: 0, errmsg: "ok" } : { errcode: 40008, errmsg: "invalid message type" });
    }
    if (path === "/dingtalk") {
      entry.verified = dingtalkOk(url) && body?.msgtype === "markdown" && !!body.markdown?.title && !!body.markdown?.text;
      log.push(entry);
      return reply(res, 200, entry.verified ? { errcode: 0, errmsg: "ok" } : { errcode: 310000, errmsg: "sign not match" });
    }
    if (path === "/feishu") {
      entry.verified = !!body && feishuOk(body) && body.msg_type === "post" && !!body.content?.post;
      log.push(entry);
      return reply(res, 200, entry.verified ? { code: 0, msg: "success" } : { code: 19021, msg: "sign match fail" });
    }
    try {
      wh.verify(raw, req.headers);
      entry.verified = true;
    } catch {
      entry.verified = false;
    }
    entry.type = body?.type ?? null;
    entry.symbol = body?.notification?.symbol ?? null;
    log.push(entry);
    if (path === "/busy") return reply(res, 500, "busy");
    if (path === "/slow-down") return reply(res, 429, "", { "Retry-After": "3600" });
    if (path === "/gone") return reply(res, 410, "gone");
    if (path === "/hang") return; // never answers
    if (path === "/flaky") {
      const n = (seen.get(entry.id) || 0) + 1;
      seen.set(entry.id, n);
      if (n === 1) return reply(res, 500, "first time fails");
    }
    res.writeHead(204);
    res.end();
  });
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
