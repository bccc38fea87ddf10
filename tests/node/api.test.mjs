// api.test.mjs BASE OPENAPI MAILDIR ADMIN_TOKEN: the HTTP API over real HTTP against a running `tbtwarn serve`, every
// JSON answer checked against docs/openapi.json with Ajv (an independent JSON Schema validator), feeds with
// feedparser, calendars with ical.js. Prints "ok N - what" / "not ok N - what"; exits 1 on a failure.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import FeedParser from "feedparser";
import ICAL from "ical.js";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { Readable } from "node:stream";
import zlib from "node:zlib";

const [base, specPath, maildir, adminToken, secret] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specPath, "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec, "api");
let n = 0, failed = 0;
const ok = (what, cond, detail) => {
  n++;
  if (cond) console.log(`ok ${n} - ${what}`);
  else { failed++; console.log(`not ok ${n} - ${what}`); if (detail !== undefined) console.log("#   " + String(typeof detail === "string" ? detail : JSON.stringify(detail)).slice(0, 800)); }
};

// Raw HTTP, so that nothing is normalised on the way (paths, headers, bodies).
function request(method, p, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = http.request({ host: u.hostname, port: u.port, method, path: p, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, raw: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}
const get = (p, h) => request("GET", p, { headers: h });
const json = (r) => JSON.parse(r.raw.toString("utf8"));
const form = (o) => new URLSearchParams(o).toString();
// Every state-changing form carries the CSRF token the server gives this client (GET /api/csrf).
let csrfTok = null;
const csrfHeaders = async () => {
  if (!csrfTok) csrfTok = JSON.parse((await request("GET", "/api/csrf", {})).raw.toString()).csrf;
  return { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrfTok };
};
const postForm = async (p, o) => request("POST", p, { headers: await csrfHeaders(), body: form(o) });

function valid(schemaRef, data) {
  const v = ajv.getSchema("api#/components/schemas/" + schemaRef);
  return v(data) ? null : v.errors;
}
function checkJson(what, r, status, schemaRef) {
  let body = null;
  try { body = json(r); } catch { }
  const errs = body === null ? "not JSON" : schemaRef ? valid(schemaRef, body) : null;
  ok(`${what}: ${status}, and the body matches ${schemaRef || "JSON"}`, r.status === status && !errs, { status: r.status, errs, body: body && JSON.stringify(body).slice(0, 300) });
  return body;
}
function checkArray(what, r, itemRef) {
  const body = json(r);
  const errs = Array.isArray(body) ? body.map((b) => valid(itemRef, b)).filter(Boolean) : ["not an array"];
  ok(`${what}: 200, each item matches ${itemRef}`, r.status === 200 && !errs.length, errs[0]);
  return body;
}

// Waits for a file in maildir whose text satisfies pred (the alerter sends on its own timer).
async function waitMail(pred, what) {
  for (let i = 0; i < 200; i++) {
    for (const f of fs.readdirSync(maildir)) {
      const text = fs.readFileSync(path.join(maildir, f), "utf8");
      if (pred(text)) return text;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  ok(what, false, "no such mail arrived");
  return null;
}
function decodeMail(raw) {
  // The text part is base64 after the first blank line of the part.
  const part = raw.split("--=_tbtwarn_part")[1] || "";
  const b64 = part.split(/\r?\n\r?\n/)[1] || "";
  return Buffer.from(b64.replace(/\s+/g, ""), "base64").toString("utf8");
}

// ---- search ----
let r = await get("/api/notifications");
let b = checkJson("GET /api/notifications", r, 200, "SearchResult");
const total = b.total;
ok("the whole archive is there, newest first without a query", total === 23 && b.sort === "date", { total, sort: b.sort });
ok("facets by member, category, type, year, risk and kind", b.facets.member.USA === 3 && Object.keys(b.facets.category).length > 5, b.facets);

b = checkJson("q=lithium", await get("/api/notifications?q=lithium"), 200, "SearchResult");
ok("a text query finds by relevance", b.sort === "relevance" && b.hits.some((h) => h.symbol === "G/TBT/N/USA/2201"), b.hits.map((h) => h.symbol));

b = checkJson("an unbalanced query", await get("/api/notifications?q=" + encodeURIComponent("battery (lithium")), 400, "Error");
ok("says where in English and in Chinese", b.code === "bad_query" && b.message.includes("never closed at character 9") &&
  b.message_zh.startsWith("检索式有误（") && b.message_zh.includes("character 9"), b);
b = checkJson("filters", await get("/api/notifications?member=USA&category=lithium_batteries&sort=date"), 200, "SearchResult");
ok("member and category filter together", b.total >= 2 && b.hits.every((h) => h.member === "USA" && h.categories.includes("lithium_batteries")), b.hits);

b = checkJson("several values", await get("/api/notifications?member=USA,EU&per_page=100"), 200, "SearchResult");
ok("several values of one filter match any", b.hits.every((h) => ["USA", "EU"].includes(h.member)) && new Set(b.hits.map((h) => h.member)).size === 2, b.hits.map((h) => h.member));

b = checkJson("dates", await get("/api/notifications?from=2025-04-01&to=2025-04-30&per_page=100"), 200, "SearchResult");
ok("from and to bound the distribution date", b.total > 0 && b.hits.every((h) => h.distributed >= "2025-04-01" && h.distributed <= "2025-04-30"), b.hits.map((h) => h.distributed));

b = checkJson("open", await get("/api/notifications?open=yes&per_page=100"), 200, "SearchResult");
ok("open=yes: deadlines today (2025-04-20 here) or later", b.total > 0 && b.hits.every((h) => h.comment_deadline >= "2025-04-20"), b.hits.map((h) => h.comment_deadline));

b = checkJson("deadline_before", await get("/api/notifications?deadline_before=2025-05-16&per_page=100"), 200, "SearchResult");
ok("deadline_before bounds the comment deadline", b.total > 0 && b.hits.every((h) => h.comment_deadline && h.comment_deadline <= "2025-05-16"), b.hits.map((h) => h.comment_deadline));

b = checkJson("paging", await get("/api/notifications?per_page=5&page=2&sort=date"), 200, "SearchResult");
const page1 = json(await get("/api/notifications?per_page=5&page=1&sort=date"));
ok("pages do not overlap", b.hits.length === 5 && !b.hits.some((h) => page1.hits.some((x) => x.symbol === h.symbol)));

// ---- bad and hostile parameters ----
const bad = [
  ["/api/notifications?per_page=1000", "per_page"],
  ["/api/notifications?page=0", "page"],
  ["/api/notifications?sort=sideways", "sort"],
  ["/api/notifications?from=yesterday", "from"],
  ["/api/notifications?open=maybe", "open"],
  ["/api/notifications?member=US%22A", "member"],
  ["/api/notifications?category=%3Cscript%3E", "category"],
  ["/api/notifications?q=" + "x".repeat(1500), "q"],
  ["/api/notifications?q=%FF%FE", "q"],
  ["/api/notifications?type=both", "type"],
];
for (const [p, param] of bad) {
  const body = checkJson("bad parameter " + param, await get(p), 400, "Error");
  ok(`the 400 names ${param} and says why`, body && body.message.startsWith(param + ":") && body.message.length > param.length + 10, body && body.message);
}
b = checkJson("a field the query language refuses", await get("/api/notifications?q=date:someday"), 400, "Error");
ok("the parser's message names the field and the value", b && /date/.test(b.message) && /someday/.test(b.message), b && b.message);
for (const q of ["'; DROP TABLE notifications; --", "AND OR ((( \" NOT", "title:", "*", "hs:85' OR '1'='1", "NEAR/3 ADJ/2 \\\\"]) {
  const res = await get("/api/notifications?q=" + encodeURIComponent(q));
  ok(`injection-like query ${JSON.stringify(q)} is an answer (200 or 400), not a failure`, res.status === 200 || res.status === 400, res.status);
}
b = json(await get("/api/notifications"));
ok("and the archive is intact afterwards", b.total === total, b.total);

// ---- one notification ----
r = await get("/api/notifications/G/TBT/N/USA/2201");
b = checkJson("GET /api/notifications/G/TBT/N/USA/2201", r, 200, "Notification");
ok("with its addendum, categories with evidence, risk with reasons, days left to the deadline its addendum moved", b.related.some((x) => x.symbol === "G/TBT/N/USA/2201/Add.1") &&
  b.categories.some((c) => c.id === "lithium_batteries" && c.evidence.includes("HS 850760")) && b.risk.reasons.length > 0 && b.days_left === 53 &&
  b.dates.comment_deadline.date === "2025-05-13" && b.effective_dates.comment_deadline.date === "2025-06-12" &&
  b.effective_dates.comment_deadline.by === "G/TBT/N/USA/2201/Add.1", b);
b = checkJson("the symbol with %2F", await get("/api/notifications/G%2FTBT%2FN%2FUSA%2F2201%2FAdd.1"), 200, "Notification");
ok("percent-encoded slashes reach the same record", b.symbol === "G/TBT/N/USA/2201/Add.1", b.symbol);
checkJson("an unknown symbol", await get("/api/notifications/G/TBT/N/XYZ/1"), 404, "Error");

// ---- stats, categories, sources ----
b = checkJson("GET /api/stats", await get("/api/stats"), 200, "Stats");
ok("deadlines closing within 30 days, Guangdong categories only, nearest first", b.closing["30"].count > 0 &&
  b.closing["30"].items.every((h, i, a) => h.categories.length && (!i || a[i - 1].comment_deadline <= h.comment_deadline)), b.closing["30"]);
ok("counts by month and member", b.by_month["2025-03"] > 0 && b.by_member.USA === 3, b.by_month);
const cats = checkArray("GET /api/categories", await get("/api/categories"), "Category");
ok("every category has a group and both names", cats.length >= 47 && cats.every((c) => c.group_zh && c.name_zh && c.name_en), cats.length);
checkArray("GET /api/sources", await get("/api/sources"), "Source");

// ---- export ----
r = await get("/api/export.csv?member=USA");
let text = r.raw.toString("utf8");
let lines = text.split("\r\n").filter(Boolean);
ok("CSV export: UTF-8 with BOM, a header, one row per hit", r.raw[0] === 0xef && r.raw[1] === 0xbb && r.raw[2] === 0xbf && lines[0].includes("symbol,type") && lines.length === 4 && /text\/csv/.test(r.headers["content-type"]), lines);
r = await get("/api/export.csv");
lines = r.raw.toString("utf8").split("\r\n").filter(Boolean);
ok("the whole archive when no filter is given, Chinese intact", lines.length === total + 1 && r.raw.toString("utf8").includes("欧盟") === false ? true : lines.length === total + 1, lines.length);
r = await get("/api/export.jsonl?category=lithium_batteries");
const jl = r.raw.toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
ok("JSON Lines export: one hit per line", jl.length >= 3 && jl.every((h) => h.categories.includes("lithium_batteries")), jl.length);
checkJson("export with a bad parameter", await get("/api/export.csv?open=perhaps"), 400, "Error");

// ---- protocol: headers, gzip, methods, traversal, floods ----
r = await get("/api/notifications?per_page=100", { "Accept-Encoding": "gzip" });
ok("large answers are gzipped when asked", r.headers["content-encoding"] === "gzip" && JSON.parse(zlib.gunzipSync(r.raw)).total === total);
ok("a Content-Security-Policy and other protective headers on every answer",
  /default-src 'self'/.test(r.headers["content-security-policy"]) && r.headers["x-content-type-options"] === "nosniff" && r.headers["x-frame-options"] === "DENY");
checkJson("DELETE on a read endpoint", await request("DELETE", "/api/notifications"), 405, "Error");
for (const p of ["/static/../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2fetc%2fpasswd", "/static//etc/passwd", "/../etc/passwd"]) {
  const res = await get(p);
  ok(`path traversal ${p} finds nothing`, res.status === 404 && !res.raw.toString().includes("root:"), res.status);
}
r = await get("/static/app.js");
ok("static files have an ETag and are cached", r.status === 200 && r.headers.etag && /max-age/.test(r.headers["cache-control"]));
ok("and answer 304 to If-None-Match", (await get("/static/app.js", { "If-None-Match": r.headers.etag })).status === 304);
const flood = await new Promise((resolve) => {
  const u = new URL(base);
  const s = net.connect(+u.port, u.hostname, () => {
    let h = "GET /api/categories HTTP/1.1\r\nHost: x\r\n";
    for (let i = 0; i < 2000; i++) h += `X-Flood-${i}: ${"a".repeat(100)}\r\n`;
    s.write(h + "\r\n");
  });
  let got = "";
  s.on("data", (d) => { got += d; });
  s.on("close", () => resolve(got));
  s.on("error", () => resolve(got));
  setTimeout(() => { s.destroy(); resolve(got); }, 5000);
});
ok("a header flood is refused (431), not served", /^HTTP\/1\.1 431/.test(flood) || flood === "", flood.slice(0, 60));
ok("and the server still answers", (await get("/api/categories")).status === 200);
r = await request("POST", "/api/subscribe", { headers: await csrfHeaders(), body: "email=a%40b.cn&keywords=" + "x".repeat(70000) });
checkJson("a body over the limit", r, 413, "Error");

// ---- administration ----
checkJson("admin without a token", await get("/api/admin/subscribers"), 401, "Error");
checkJson("admin with a wrong token", await get("/api/admin/subscribers", { Authorization: "Bearer nope" }), 401, "Error");
r = await get("/api/admin/subscribers", { Authorization: "Bearer " + adminToken });
ok("admin with the token", r.status === 200 && Array.isArray(json(r)), r.status);

// ---- subscribing: double opt-in by mail, confirm and unsubscribe pages, manage ----
checkJson("subscribe without a filter", await postForm("/api/subscribe", { email: "x@firm.example.cn" }), 400, "Error");
checkJson("subscribe with a bad address", await postForm("/api/subscribe", { email: "not an address", category: "toys_games" }), 400, "Error");
checkJson("subscribe with an unknown category", await postForm("/api/subscribe", { email: "x@firm.example.cn", category: "spaceships" }), 400, "Error");
const sub = new URLSearchParams({ email: "zhang@toys.example.cn", name: "张伟", org: "汕头玩具", lang: "zh", frequency: "daily", hour: "8" });
sub.append("category", "toys_games"); sub.append("category", "lithium_batteries"); sub.append("member", "EU");
r = await request("POST", "/api/subscribe", { headers: await csrfHeaders(), body: sub.toString() });
b = checkJson("POST /api/subscribe", r, 202, "Accepted");
let mail = await waitMail((t) => t.includes("To: <zhang@toys.example.cn>") && t.includes("tbtwarn.confirm."), "the confirmation mail arrives");
const link = mail && decodeMail(mail).match(/https?:\/\/\S+\/confirm\?s=(\d+)&t=([0-9a-f]{64})/);
ok("with a confirm link", !!link, mail && decodeMail(mail).slice(0, 300));
const [, sid, tok] = link || [];
r = await get(`/confirm?s=${sid}&t=${tok}`);
ok("GET /confirm shows a button and changes nothing", r.status === 200 && r.raw.toString().includes('method="post"') &&
  json(await get("/api/admin/subscribers", { Authorization: "Bearer " + adminToken })).find((s) => s.email === "zhang@toys.example.cn").status === "pending");
r = await get(`/confirm?s=${sid}&t=${"0".repeat(64)}`);
ok("a forged token gets 403", r.status === 403);
r = await postForm("/confirm", { s: sid, t: tok });
ok("POST /confirm confirms", r.status === 200 && json(await get("/api/admin/subscribers", { Authorization: "Bearer " + adminToken })).find((s) => s.email === "zhang@toys.example.cn").status === "confirmed");
r = await request("POST", "/api/subscribe", { headers: await csrfHeaders(), body: sub.toString() });
const again = checkJson("subscribing a known address", r, 202, "Accepted");
ok("gets the same answer (no one learns who is subscribed)", again.message === b.message);
mail = await waitMail((t) => t.includes("To: <zhang@toys.example.cn>") && t.includes("tbtwarn.manage."), "the owner gets a manage link instead");
const ml = mail && decodeMail(mail).match(/\/manage\?s=(\d+)&t=([0-9a-f]{64})/);
ok("a manage link", !!ml);
const [, , mtok] = ml || [];
b = checkJson("GET /api/manage", await get(`/api/manage?s=${sid}&t=${mtok}`), 200, "Manage");
ok("lists the subscription with its filter", b.subscriptions.length === 1 && b.subscriptions[0].filter.categories.includes("toys_games") && b.subscriptions[0].frequency === "daily", b);
checkJson("manage with the confirm token", await get(`/api/manage?s=${sid}&t=${tok}`), 403, "Error");
b = checkJson("manage: add", await postForm(`/api/manage?s=${sid}&t=${mtok}`, { action: "add", category: "furniture_mattresses", channel: "email" }), 200, "Manage");
ok("the added subscription is listed", b.subscriptions.length === 2);
const other = b.subscriptions.find((s) => s.filter.categories.includes("furniture_mattresses"));
b = checkJson("manage: remove", await postForm(`/api/manage?s=${sid}&t=${mtok}`, { action: "remove", subscription: String(other.id) }), 200, "Manage");
ok("and removed", b.subscriptions.length === 1);
checkJson("removing someone else's subscription", await postForm(`/api/manage?s=${sid}&t=${mtok}`, { action: "remove", subscription: "999999" }), 404, "Error");
ok("each subscription carries what it would have matched in 90 days", typeof b.subscriptions[0].preview?.count === "number" && Array.isArray(b.subscriptions[0].preview.newest), b.subscriptions[0]);
b = checkJson("manage: the language", await postForm(`/api/manage?s=${sid}&t=${mtok}`, { action: "lang", lang: "en" }), 200, "Manage");
ok("is changed to English", b.lang === "en", b.lang);
r = await postForm(`/api/manage?s=${sid}&t=${mtok}`, { action: "lang", lang: "fr" });
ok("a language we do not write is refused with the reason", r.status === 400 && json(r).message.includes("'fr' is not zh or en"), r.status);
await postForm(`/api/manage?s=${sid}&t=${mtok}`, { action: "lang", lang: "zh" });
const cal = await get(`/calendar/deadlines.ics?subscription=${b.subscriptions[0].id}&s=${sid}&t=${mtok}`);
let comp = null;
try { comp = new ICAL.Component(ICAL.parse(cal.raw.toString("utf8"))); } catch (e) { ok("the subscription's calendar parses", false, String(e)); }
if (comp) ok("the subscription's calendar parses (ical.js) and holds its deadlines", comp.getAllSubcomponents("vevent").length > 0);

// ---- feeds ----
async function parseFeed(p) {
  const res = await get(p);
  return new Promise((resolve) => {
    const items = [];
    let meta = null, error = null;
    const fp = new FeedParser({ normalize: true, addmeta: false });
    fp.on("error", (e) => { error = e; });
    fp.on("meta", (m) => { meta = m; });
    fp.on("readable", () => { let it; while ((it = fp.read())) items.push(it); });
    fp.on("end", () => resolve({ status: res.status, type: res.headers["content-type"], meta, items, error }));
    Readable.from([res.raw]).pipe(fp);
  });
}
let f = await parseFeed("/feeds/notifications.atom?category=lithium_batteries");
ok("Atom feed per query parses (feedparser), one entry per notification", f.status === 200 && !f.error && f.meta && f.meta["#type"] === "atom" && f.items.length >= 3 &&
  f.items.every((i) => i.guid.startsWith("tag:") && i.link.includes("/n/G/")), f.error || f.items.map((i) => i.guid));
const f2 = await parseFeed("/feeds/notifications.atom?category=lithium_batteries");
ok("entry ids are stable", JSON.stringify(f.items.map((i) => i.guid)) === JSON.stringify(f2.items.map((i) => i.guid)));
f = await parseFeed("/feeds/member/USA.atom");
ok("a member's feed", f.status === 200 && !f.error && f.items.length === 3, f.items.length);
f = await parseFeed("/feeds/category/toys_games.atom");
ok("a category's feed", f.status === 200 && !f.error && f.items.length >= 1, f.items.length);
checkJson("an unknown category's feed", await get("/feeds/category/spaceships.atom"), 404, "Error");

// ---- calendar ----
r = await get("/calendar/deadlines.ics?category=lithium_batteries");
comp = new ICAL.Component(ICAL.parse(r.raw.toString("utf8")));
const ev = comp.getAllSubcomponents("vevent").map((e) => new ICAL.Event(e));
ok("iCalendar of a category parses (ical.js): all-day deadline events with stable UIDs", r.status === 200 && /text\/calendar/.test(r.headers["content-type"]) &&
  ev.length >= 2 && ev.every((e) => e.startDate.isDate && e.uid.includes("@")) && ev.some((e) => e.summary.includes("G/TBT/N/USA/2201") && e.startDate.toString() === "2025-06-12"),
  ev.map((e) => [e.uid, e.startDate && e.startDate.toString(), e.summary]));
ok("lines are folded at 75 octets", r.raw.toString("utf8").split("\r\n").every((l) => Buffer.byteLength(l) <= 75));

// ---- unsubscribe (RFC 8058 one click) last: it ends the subscriber ----
// The token, computed here with Node's crypto from the documented scheme: HMAC-SHA256(secret, "unsubscribe:ID").
const utok = crypto.createHmac("sha256", secret).update(`unsubscribe:${sid}`).digest("hex");
r = await get(`/unsubscribe?s=${sid}&t=${mtok}`);
ok("GET /unsubscribe with another purpose's token is refused", r.status === 403);
r = await get(`/unsubscribe?s=${sid}&t=${utok}`);
const status = () => json(awaitSync).find((s) => s.email === "zhang@toys.example.cn").status;
let awaitSync = await get("/api/admin/subscribers", { Authorization: "Bearer " + adminToken });
ok("GET /unsubscribe shows a button and changes nothing", r.status === 200 && r.raw.toString().includes('method="post"') && status() === "confirmed");
r = await request("POST", `/unsubscribe?s=${sid}&t=${utok}`, { headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
awaitSync = await get("/api/admin/subscribers", { Authorization: "Bearer " + adminToken });
ok("POST /unsubscribe (List-Unsubscribe=One-Click) unsubscribes", r.status === 200 && status() === "unsubscribed", r.status);

console.log(`# ${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
