// tbtwarn web UI: search, notification, dashboard, subscribe and manage pages, in Chinese and English. No build
// step and no library: the DOM is built with createElement and textContent (never HTML from data).
"use strict";

const T = {
  zh: {
    skip: "跳到正文", nav_search: "检索", nav_dashboard: "态势", nav_subscribe: "订阅预警", footer: "数据来源：WTO ePing 及各成员通报。tbtwarn 为广东出口企业提供预警。", calendar: "日历", staff_login: "工作人员登录",
    search_title: "检索 TBT/SPS 通报", search_label: "检索词（支持 member:USA、hs:8507、category:toys_games、\"短语\"、OR、NOT；text:词语 检索法规正文）", search_button: "检索",
    filters: "筛选", member: "通报成员", category: "产品类别", type: "类型", risk: "风险", year: "年份", kind: "文件类型",
    from: "通报日期自", to: "至", open: "仅看仍可评议", any: "不限", sort: "排序", relevance: "相关度", date: "最新", results: "条结果",
    export_csv: "导出 CSV", export_jsonl: "导出 JSON Lines", prev: "上一页", next: "下一页", page: "第 {0} 页", no_results: "没有符合条件的通报。",
    deadline: "评议截止", days_left: "还剩 {0} 天", passed: "已截止", today: "今天截止", clear: "清除筛选", high: "高", medium: "中", low: "低",
    symbol: "通报号", market: "通报成员", title: "标题", title_zh: "中文标题", products: "涉及产品", description: "内容", objectives: "目的", agency: "负责机构",
    distributed: "通报日期", adoption: "拟批准日期", entry_into_force: "拟生效日期", hs: "HS 编码", ics: "ICS 编码", documents: "法规文本", notification: "通报原文", description_en: "内容（英文原文）", mt_hint: "由机器翻译，仅供参考；以英文原文为准", draft_done: "正文已收录，可用 text: 检索", draft_pending: "正文待获取", draft_failed: "正文无法获取", draft_skipped: "正文无法读取",
    related: "相关文件", categories: "产品类别与匹配依据", risk_reasons: "风险等级与原因", history: "修订记录", not_found: "档案中没有这份通报。", back: "返回检索",
    dash_title: "态势：广东出口相关的技术性贸易措施", new_week: "本周新通报", total: "档案总数", closing: "即将截止评议（广东产品类别）", within: "{0} 天内",
    by_month: "按月通报数", by_member: "通报最多的成员", by_category: "涉及最多的产品类别", sources: "数据源状态", source: "数据源", health: "状态", last_success: "最近成功", last_error: "最近错误",
    sub_title: "订阅预警", sub_intro: "选择您关心的产品、市场和关键词。新通报和评议截止前的提醒将发送给您。", email: "电子邮箱", name: "联系人", org: "单位", lang: "预警语言",
    markets: "目标市场（不选则为全部）", keywords: "关键词（可选；用逗号分隔，命中任意一个即可）", preview_n: (n, d) => `按这些条件，自 ${d} 以来的 90 天内共有 ${n} 条通报会提醒您。最新三条：`, preview_none: (d) => `注意：按这些条件，自 ${d} 以来的 90 天内没有任何通报会提醒您。请放宽类别、市场或关键词。`, channel: "接收方式", frequency: "频率", immediate: "即时", daily: "每日摘要", weekly: "每周摘要", hour: "发送时间（北京时间）",
    url: "机器人或接口地址", secret: "签名密钥（可选）", submit: "订阅", sub_done: "请查收邮件并点击确认链接。确认之前我们不会发送任何预警。", min_risk: "最低风险",
    tr_title: "译文校对", tr_intro: "以下为尚未校对的机器译文（漏用术语的排在前面）。可直接修改后保存为人工译文（今后不会被机器或重新抓取覆盖），或确认无误后标记为已校对。", tr_token: "或使用管理口令", tr_load: "载入", tr_user: "用户名", tr_pass: "密码", tr_login: "登录", tr_as: (u, r) => `已登录：${u}（${r === "translator" ? "译员" : r === "admin" ? "管理员" : r}）`, tr_count: (n) => `待校对 ${n} 条`, tr_flags: "术语：", tr_save: "保存为人工译文", tr_ok: "译文无误，标记已校对", manage_title: "管理订阅", manage_lang: "预警邮件与本页的语言", lang_saved: "已保存：今后的预警将使用中文。", sub_matched: (n, d) => `自 ${d} 以来 90 天内，这项订阅会提醒您 ${n} 条通报。最新：`, your_subs: "您的订阅", remove: "删除", add_sub: "添加订阅", status: "状态", bad_link: "链接无效或已过期。", loading: "加载中……", error: "出错了：",
    open_yes: "可评议", channel_email: "电子邮件", webhook: "Webhook", wecom: "企业微信机器人", dingtalk: "钉钉机器人", feishu: "飞书机器人", calendar_sub: "订阅日历",
  },
  en: {
    skip: "Skip to content", nav_search: "Search", nav_dashboard: "Dashboard", nav_subscribe: "Subscribe", footer: "Sources: WTO ePing and members' notifications. tbtwarn warns Guangdong's exporters.", calendar: "Calendar", staff_login: "Staff login",
    search_title: "Search TBT/SPS notifications", search_label: "Search (member:USA, hs:8507, category:toys_games, \"phrases\", OR, NOT work; text:words searches the draft texts)", search_button: "Search",
    filters: "Filters", member: "Member", category: "Category", type: "Type", risk: "Risk", year: "Year", kind: "Document",
    from: "Distributed from", to: "to", open: "Open for comment only", any: "Any", sort: "Sort", relevance: "Relevance", date: "Newest", results: "results",
    export_csv: "Export CSV", export_jsonl: "Export JSON Lines", prev: "Previous", next: "Next", page: "Page {0}", no_results: "No notification matches.",
    deadline: "Comments until", days_left: "{0} days left", passed: "closed", today: "closes today", clear: "Clear filters", high: "high", medium: "medium", low: "low",
    symbol: "Symbol", market: "Member", title: "Title", title_zh: "Chinese title", products: "Products covered", description: "Description", objectives: "Objectives", agency: "Agency",
    distributed: "Distributed", adoption: "Proposed adoption", entry_into_force: "Entry into force", hs: "HS codes", ics: "ICS codes", documents: "Texts", notification: "Notification", description_en: "Description (English original)", mt_hint: "machine translation, for reference; the English original prevails", draft_done: "text indexed, searchable with text:", draft_pending: "text not fetched yet", draft_failed: "text could not be fetched", draft_skipped: "text could not be read",
    related: "Related documents", categories: "Categories and evidence", risk_reasons: "Risk and reasons", history: "History", not_found: "This notification is not in the archive.", back: "Back to search",
    dash_title: "Dashboard: technical regulations that touch Guangdong's exports", new_week: "New this week", total: "In the archive", closing: "Comment periods closing (Guangdong categories)", within: "within {0} days",
    by_month: "Notifications by month", by_member: "Members notifying most", by_category: "Categories concerned most", sources: "Sources", source: "Source", health: "Health", last_success: "Last success", last_error: "Last error",
    sub_title: "Subscribe to alerts", sub_intro: "Choose the products, markets and words you care about. New notifications and reminders before comment deadlines will reach you.", email: "E-mail", name: "Contact name", org: "Organisation", lang: "Language of alerts",
    markets: "Markets (none: all)", keywords: "Keywords (optional; separate with commas: any of them matches)", preview_n: (n, d) => `With these filters, ${n} notifications since ${d} (90 days) would have alerted you. The three newest:`, preview_none: (d) => `Note: with these filters, no notification since ${d} (90 days) would have alerted you. Widen the categories, markets or keywords.`, channel: "Delivery", frequency: "Frequency", immediate: "Immediate", daily: "Daily digest", weekly: "Weekly digest", hour: "Hour (Beijing time)",
    url: "Robot or endpoint URL", secret: "Signing secret (optional)", submit: "Subscribe", sub_done: "Check your mailbox: a message asks you to confirm. Nothing is sent before that.", min_risk: "Minimum risk",
    tr_title: "Translation review", tr_intro: "Machine translations not reviewed yet (those that missed a glossary term first). Correct one and save it as a person's text (never replaced by a machine or a later crawl), or mark it reviewed.", tr_token: "Or the admin token", tr_load: "Load", tr_user: "User", tr_pass: "Password", tr_login: "Log in", tr_as: (u, r) => `Logged in: ${u} (${r})`, tr_count: (n) => `${n} to review`, tr_flags: "Glossary: ", tr_save: "Save as a person's text", tr_ok: "Correct: mark reviewed", manage_title: "Manage subscriptions", manage_lang: "Language of your alerts and of this page", lang_saved: "Saved: alerts will now be in English.", sub_matched: (n, d) => `Since ${d} (90 days), this subscription would have alerted you to ${n} notifications. Newest:`, your_subs: "Your subscriptions", remove: "Remove", add_sub: "Add a subscription", status: "Status", bad_link: "This link is not valid.", loading: "Loading…", error: "Error: ",
    open_yes: "open", channel_email: "E-mail", webhook: "Webhook", wecom: "WeCom robot", dingtalk: "DingTalk robot", feishu: "Feishu robot", calendar_sub: "Calendar",
  },
};

const KEY_MARKETS = ["USA", "EU", "JPN", "KOR", "GBR", "CAN", "AUS", "IND", "VNM", "THA", "MYS", "IDN", "PHL", "SGP", "SAU", "ARE", "MEX", "BRA", "CHL", "TUR", "RUS", "ZAF", "EGY", "KEN", "TPKM"];

let lang = (() => {
  const p = new URLSearchParams(location.search).get("lang");
  if (p === "zh" || p === "en") return p;
  const saved = localStorage.getItem("tbtwarn.lang");
  if (saved === "zh" || saved === "en") return saved;
  const nav = (navigator.languages || [navigator.language || "zh"]).map((l) => l.toLowerCase());
  const zh = nav.findIndex((l) => l.startsWith("zh")), en = nav.findIndex((l) => l.startsWith("en"));
  return en >= 0 && (zh < 0 || en < zh) ? "en" : "zh";
})();

function t(key, ...args) {
  let s = (T[lang] && T[lang][key]) || T.zh[key] || key;
  args.forEach((a, i) => { s = s.replace("{" + i + "}", a); });
  return s;
}

// el("tag", {attr: value, on: {click: fn}}, child, "text", ...)
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
  return e;
}

const main = () => document.getElementById("main");
let categories = null;

// Forms that change something carry a CSRF token bound to this browser's address (GET /api/csrf), fetched once an hour.
let csrf = null;
async function csrfToken() {
  if (!csrf || Date.now() - csrf.at > 3600 * 1000) {
    const r = await fetch("/api/csrf", { headers: { Accept: "application/json" } });
    csrf = { token: (await r.json()).csrf, at: Date.now() };
  }
  return csrf.token;
}

async function api(path, opts) {
  opts = Object.assign({}, opts || {});
  const headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
  // A staff session's own token (the desk) is kept; the public forms' token otherwise.
  if (opts.method && opts.method !== "GET" && !headers["X-CSRF-Token"]) headers["X-CSRF-Token"] = await csrfToken();
  opts.headers = headers;
  const r = await fetch(path, opts);
  const body = await r.json().catch(() => ({ message: r.statusText }));
  if (!r.ok) throw new Error((lang === "zh" && body.message_zh) || body.message || r.statusText);
  return body;
}

async function loadCategories() {
  if (!categories) categories = await api("/api/categories");
  return categories;
}

function catName(id) {
  const c = (categories || []).find((x) => x.id === id);
  return c ? (lang === "en" ? c.name_en : c.name_zh) : id;
}

function riskBadge(level) {
  return level ? el("span", { class: "badge " + level }, t("risk") + " " + t(level)) : null;
}

// Days left as the server counts them (its "today"), else from the browser's clock.
function daysLeft(deadline, today, known) {
  if (!deadline) return "";
  const d = Number.isInteger(known) ? known : Math.round((Date.parse(deadline) - Date.parse(today || new Date().toISOString().slice(0, 10))) / 86400000);
  return d > 0 ? t("days_left", d) : d === 0 ? t("today") : t("passed");
}

function setTitle(s) { document.title = s + " · tbtwarn"; }

function applyChrome() {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  const b = document.getElementById("lang-switch");
  b.textContent = lang === "en" ? "中文" : "EN";
  b.setAttribute("aria-label", lang === "en" ? "切换到中文" : "Switch to English");
  document.querySelectorAll("#nav a").forEach((a) => {
    const here = a.getAttribute("href") === location.pathname || (a.getAttribute("href") === "/" && location.pathname.startsWith("/n/"));
    if (here) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  });
}

// ---- search ----

const FILTERS = ["member", "category", "type", "risk", "kind"];

async function pageSearch() {
  await loadCategories().catch(() => null);
  const params = new URLSearchParams(location.search);
  params.delete("lang");
  setTitle(t("search_title"));
  const m = main();
  m.replaceChildren();
  const q = el("input", { type: "search", id: "q", name: "q", value: params.get("q") || "", autocomplete: "off" });
  const form = el("form", { class: "searchbar", role: "search", on: { submit: (e) => { e.preventDefault(); params.set("q", q.value); params.delete("page"); go(params); } } },
    el("label", { for: "q", class: "visually-hidden" }, t("search_label")), q, el("button", { type: "submit" }, t("search_button")));
  m.append(el("h1", {}, t("search_title")), el("p", { class: "meta" }, t("search_label")), form);
  const side = el("aside", { class: "filters", "aria-label": t("filters") });
  const body = el("section", { "aria-live": "polite" }, el("p", {}, t("loading")));
  m.append(el("div", { class: "layout" }, side, body));

  // Dates and "open" are inputs; the rest are facets below.
  const from = el("input", { type: "date", id: "from", value: params.get("from") || "" });
  const to = el("input", { type: "date", id: "to", value: params.get("to") || "" });
  const open = el("input", { type: "checkbox", id: "open", checked: params.get("open") === "yes" });
  const apply = () => {
    from.value ? params.set("from", from.value) : params.delete("from");
    to.value ? params.set("to", to.value) : params.delete("to");
    open.checked ? params.set("open", "yes") : params.delete("open");
    params.delete("page");
    go(params);
  };
  [from, to].forEach((i) => i.addEventListener("change", apply));
  open.addEventListener("change", apply);
  side.append(el("h2", {}, t("filters")),
    el("label", { for: "from" }, t("from")), from, el("label", { for: "to" }, t("to")), to,
    el("label", { class: "check", for: "open" }, open, t("open")));
  const facetBox = el("div");
  side.append(facetBox);
  if (FILTERS.some((f) => params.get(f)) || params.get("from") || params.get("to") || params.get("open"))
    side.append(el("p", {}, el("a", { href: "/?" + new URLSearchParams({ q: params.get("q") || "" }) }, t("clear"))));

  let res;
  try {
    res = await api("/api/notifications?" + params.toString() + "&per_page=20");
  } catch (e) {
    body.replaceChildren(el("p", { class: "error", role: "alert" }, t("error") + e.message));
    return;
  }
  const sort = el("select", { id: "sort", on: { change: () => { params.set("sort", sort.value); params.delete("page"); go(params); } } },
    el("option", { value: "relevance", selected: res.sort === "relevance" }, t("relevance")),
    el("option", { value: "date", selected: res.sort === "date" }, t("date")));
  const exp = new URLSearchParams(params);
  exp.delete("page");
  body.replaceChildren(el("div", { class: "toolbar" },
    el("strong", { id: "total" }, res.total + " " + t("results")),
    el("label", { for: "sort", class: "check" }, t("sort")), sort,
    el("a", { class: "button secondary", href: "/api/export.csv?" + exp, download: "" }, t("export_csv")),
    el("a", { class: "button secondary", href: "/api/export.jsonl?" + exp, download: "" }, t("export_jsonl")),
    el("a", { href: "/feeds/notifications.atom?" + exp }, "Atom")));
  if (!res.hits.length) body.append(el("p", {}, t("no_results")));
  const list = el("ol", { class: "results", start: (res.page - 1) * res.per_page + 1 });
  for (const h of res.hits) {
    list.append(el("li", {},
      el("div", {}, el("a", { href: h.url, class: "sym" }, h.symbol), " ", riskBadge(h.risk)),
      el("div", {}, lang === "zh" && h.title_zh ? h.title_zh : h.title,
        lang === "zh" && h.title_zh && h.title_zh_by === "machine" ? el("span", { class: "mt", title: h.title }, "机器翻译") : null),
      lang === "zh" && h.summary_zh ? el("div", { class: "summary" }, h.summary_zh) : null,
      el("div", { class: "meta" }, [(lang === "zh" && h.member_name_zh) || h.member_name || h.member, h.type, h.distributed,
        h.comment_deadline ? t("deadline") + " " + h.comment_deadline + " (" + daysLeft(h.comment_deadline, null, h.days_left) + ")" : null].filter(Boolean).join(" · ")),
      el("div", {}, (h.categories || []).map((c) => el("span", { class: "tag" }, catName(c))))));
  }
  body.append(list);
  const pages = Math.ceil(res.total / res.per_page);
  if (pages > 1) {
    const pg = (n) => { const p = new URLSearchParams(params); p.set("page", n); return "/?" + p; };
    body.append(el("nav", { class: "pager", "aria-label": "pages" },
      res.page > 1 ? el("a", { href: pg(res.page - 1), rel: "prev" }, t("prev")) : null,
      el("span", {}, t("page", res.page) + " / " + pages),
      res.page < pages ? el("a", { href: pg(res.page + 1), rel: "next" }, t("next")) : null));
  }
  // Facets: each value filters (and is shown as chosen when it does).
  for (const f of FILTERS.concat(["year"])) {
    const counts = (res.facets || {})[f] || {};
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 30);
    if (!entries.length) continue;
    const ul = el("ul", { class: "facet", "aria-label": t(f) });
    for (const [v, n] of entries) {
      const label = f === "category" ? catName(v) : f === "risk" ? t(v) : v;
      const chosen = params.getAll(f).includes(v) || (params.get(f) || "").split(",").includes(v);
      ul.append(el("li", {}, el("button", { type: "button", "aria-pressed": chosen ? "true" : "false", "data-facet": f, "data-value": v,
        on: { click: () => {
          if (f === "year") { params.set("from", v + "-01-01"); params.set("to", v + "-12-31"); }
          else if (chosen) params.delete(f); else params.set(f, v);
          params.delete("page"); go(params);
        } } }, chosen ? "✓ " + label : label), el("span", { class: "count" }, String(n))));
    }
    facetBox.append(el("h3", {}, t(f)), ul);
  }
}

function go(params) {
  const qs = params.toString();
  history.pushState(null, "", location.pathname + (qs ? "?" + qs : ""));
  route();
}

// ---- one notification ----

async function pageNotification(symbol) {
  await loadCategories().catch(() => null);
  const m = main();
  m.replaceChildren(el("p", {}, t("loading")));
  let n;
  try {
    n = await api("/api/notifications/" + symbol.split("/").map(encodeURIComponent).join("/"));
  } catch (e) {
    m.replaceChildren(el("h1", {}, symbol), el("p", { class: "error", role: "alert" }, t("not_found")), el("a", { href: "/" }, t("back")));
    return;
  }
  const en = n.text.en || {}, zh = n.text.zh || {};
  const pick = (f) => (lang === "zh" && zh[f]) || en[f] || zh[f];
  const title = pick("title") || n.symbol;
  setTitle(n.symbol);
  const dl = el("dl", { class: "record" });
  const row = (k, v) => { if (v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && !v.length)) dl.append(el("dt", {}, t(k)), el("dd", {}, v)); };
  const date = (d) => d && (d.date || (lang === "zh" && d.text_zh) || d.text);
  row("symbol", n.symbol);
  row("market", (pick("member_name") || n.member) + " (" + n.member + ")");
  row("type", n.type.toUpperCase() + " · " + n.kind);
  // Machine text is labelled, and the English original stays beside it (one hover, one row away).
  const prov = (n.translations && n.translations.zh) || {};
  const label = (f) => prov[f] && prov[f].by === "machine" ? el("span", { class: "mt", title: t("mt_hint") }, prov[f].reviewed ? "机器翻译·已校对" : "机器翻译")
    : prov[f] && prov[f].by === "human" ? el("span", { class: "mt human" }, "人工译文") : null;
  const withLabel = (f) => { const v = pick(f); if (!v) return v; return lang === "zh" && zh[f] === v ? [v, " ", label(f)] : v; };
  row("title", en.title);
  row("title_zh", zh.title ? [zh.title, " ", label("title")] : null);
  row("products", withLabel("products"));
  row("description", withLabel("description"));
  if (lang === "zh" && zh.description && en.description) row("description_en", en.description);
  row("objectives", (n.objectives_zh && lang === "zh" ? n.objectives_zh : n.objectives || []).join(lang === "zh" ? "；" : "; "));
  row("agency", pick("agency"));
  row("distributed", date(n.dates.distributed));
  const dd = n.dates.comment_deadline && n.dates.comment_deadline.date;
  row("deadline", dd ? dd + " (" + daysLeft(dd, null, n.days_left) + ")" : date(n.dates.comment_deadline));
  row("adoption", date(n.dates.adoption));
  row("entry_into_force", date(n.dates.entry_into_force));
  row("hs", (n.hs || []).join(", "));
  row("ics", (n.ics || []).join(", "));
  // Only plain web addresses become links (the server keeps no others; this holds even if one slipped in).
  const link = (u) => /^https?:\/\/[^\s"<>`]+$/i.test(u) ? el("a", { href: u, rel: "noopener noreferrer" }, u) : u;
  if (n.notification_url) row("notification", link(n.notification_url));
  const draft = {};
  (n.draft_texts || []).forEach((d) => { draft[d.url] = d; });
  const docState = (u) => draft[u] ? el("span", { class: "muted", title: draft[u].error || "" }, " （" + t("draft_" + draft[u].state) + "）") : null;
  if ((n.document_urls || []).length) row("documents", el("ul", {}, n.document_urls.map((u) => el("li", {}, link(u), docState(u)))));
  const cats = el("ul", {}, (n.categories || []).map((c) => el("li", {}, el("strong", {}, lang === "en" ? c.name_en : c.name_zh), " — ", (lang === "zh" && c.evidence_zh) || c.evidence,
    " (", Math.round(c.confidence * 100) + "%", ")")));
  const risk = n.risk ? el("div", {}, riskBadge(n.risk.level), el("ul", {}, ((lang === "zh" && n.risk.reasons_zh) || n.risk.reasons || []).map((r) => el("li", {}, r)))) : null;
  const related = el("ul", {}, (n.related || []).map((r) => el("li", {}, el("a", { href: "/n/" + r.symbol }, r.symbol), " · ", r.relation, " · ", r.distributed || "", " · ", r.title || "")));
  m.replaceChildren(el("p", {}, el("a", { href: "/" }, "← " + t("back"))),
    el("h1", {}, n.symbol, " ", riskBadge(n.risk && n.risk.level)), el("p", {}, title),
    lang === "zh" && n.summary_zh ? el("p", { class: "summary", id: "summary-zh" }, n.summary_zh) : null,
    analysisView(n.analysis, link), adviceView(n.advice, link), dl,
    el("h2", {}, t("categories")), cats.childNodes.length ? cats : el("p", {}, "—"),
    el("h2", {}, t("risk_reasons")), risk,
    el("h2", {}, t("related")), related.childNodes.length ? related : el("p", {}, "—"),
    (n.history || []).length ? el("h2", {}, t("history")) : null,
    (n.history || []).length ? el("ul", {}, n.history.map((h) => el("li", {}, "v" + h.version + " · " + h.replaced_at + " · " + (h.changed_fields || []).join(", ")))) : null);
  // Staff work here: analysts and admins on the analysis, experts' advice, the firms' reports and the comment; experts
  // on their advice.
  if (document.cookie.split("; ").includes("tbtwarn_staff=1")) m.append(...await staffPanel(n.symbol, link));
}

// Experts' advice an analyst accepted, each with its author's name.
function adviceView(list, link) {
  if (!(list || []).length) return null;
  const zh = lang !== "en";
  return el("section", { class: "analysis", id: "advice" }, el("h2", {}, zh ? "专业机构建议" : "Advice from experts"),
    list.map((a) => el("div", { class: "advice" }, el("p", {}, a.text_zh),
      (a.links || []).length ? el("ul", {}, a.links.map((u) => el("li", {}, link(u)))) : null,
      el("p", { class: "meta" }, "— " + a.name + " · " + (a.updated_at || "").slice(0, 10)))));
}

const notifPath = (symbol) => "/api/notifications/" + symbol.split("/").map(encodeURIComponent).join("/");

async function staffPanel(symbol, link) {
  let staff;
  try { staff = await api("/api/session"); } catch (e) { return []; }
  const out = [];
  if (staff.role === "analyst" || staff.role === "admin") {
    out.push(await analysisEditor(symbol, staff));
    out.push(await adviceDesk(symbol, staff, link));
    out.push(await impactDesk(symbol));
    out.push(await commentDesk(symbol, staff));
    out.push(await responseTimes(symbol));
  } else if (staff.role === "expert") {
    out.push(await adviceDesk(symbol, staff, link));
  }
  return out.filter((x) => x);
}

// Advice: an expert writes theirs (it waits for an analyst); an analyst accepts or withdraws each entry.
async function adviceDesk(symbol, staff, link) {
  const zh = lang !== "en", path = notifPath(symbol) + "/advice";
  const status = el("p", { id: "adv-status", role: "status" });
  const list = el("ul", { id: "adv-list" });
  const hdr = { "Content-Type": "application/json", "X-CSRF-Token": staff.csrf };
  const load = async () => {
    let all = [];
    try { all = await api(path + "?all=1"); } catch (e) { status.textContent = t("error") + e.message; }
    list.replaceChildren(...all.map((a) => el("li", {}, a.text_zh, " — ", a.name, " · ",
      el("strong", {}, a.published ? (zh ? "已发布" : "published") : (zh ? "待审核" : "waiting")),
      staff.role !== "expert" ? el("button", { type: "button", class: "adv-accept", on: { click: async () => {
        try { await api(path + "/" + a.id, { method: "PUT", headers: hdr, body: JSON.stringify({ published: !a.published }) }); await load(); }
        catch (e) { status.textContent = t("error") + e.message; }
      } } }, a.published ? (zh ? "撤回" : "Withdraw") : (zh ? "采纳并发布" : "Accept")) : null)));
  };
  await load();
  const text = el("textarea", { id: "adv-text", rows: 3 });
  const f = el("form", { id: "advice-editor", class: "impact" }, el("h2", {}, zh ? "专业机构建议" : "Experts' advice"), list,
    el("label", { for: "adv-text" }, zh ? "新增建议（专家提交后由分析员审核发布）" : "New advice (an analyst accepts it)"), text,
    el("button", { type: "submit" }, zh ? "提交建议" : "Add"), status);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api(path, { method: "POST", headers: hdr, body: JSON.stringify({ text_zh: text.value }) });
      text.value = "";
      status.textContent = zh ? "已提交" : "Added";
      await load();
    } catch (err) { status.textContent = t("error") + err.message; }
  });
  return f;
}

// What firms reported on this notification, aggregated, with the CSV of the reports.
async function impactDesk(symbol) {
  const zh = lang !== "en";
  let a;
  try { a = await api(notifPath(symbol) + "/impact"); } catch (e) { return null; }
  const v = a.export_value_cny || {};
  const money = (x) => x === null || x === undefined ? (zh ? "以上" : "+") : (x / 1e6).toLocaleString() + (zh ? " 百万元" : " M CNY");
  return el("section", { id: "impact-desk", class: "analysis" }, el("h2", {}, zh ? "企业影响反馈" : "Firms' impact reports"),
    el("p", {}, zh ? `共 ${a.reports} 家企业反馈，${a.affected} 家受影响，${a.unsure} 家不确定；涉及年出口额 ${money(v.min)} 至 ${money(v.max)}。`
      : `${a.reports} reports, ${a.affected} affected, ${a.unsure} unsure; exports at stake ${money(v.min)} to ${money(v.max)}.`),
    (a.concerns || []).length ? el("ul", {}, a.concerns.map((c) => el("li", {}, c.concern, c.org ? " — " + c.org : "", c.city ? " · " + c.city : ""))) : null,
    groupTable(zh ? "按产品类别" : "By category", a.by_category, (k, g) => g.name_zh || k),
    groupTable(zh ? "按城市" : "By city", a.by_city, (k) => k),
    el("p", {}, el("a", { href: notifPath(symbol) + "/impact?format=csv", download: "" }, zh ? "下载全部反馈（CSV）" : "Download the reports (CSV)")));
}

// The service's own response-time record for this notification: from distribution to the first alert, the
// published analysis and the comment sent.
async function responseTimes(symbol) {
  const zh = lang !== "en";
  let d;
  try { d = await api(notifPath(symbol) + "/response-times"); } catch (e) { return null; }
  const row = (label, date, days) => el("tr", {}, el("th", {}, label), el("td", {}, date ? date.slice(0, 10) : "—"),
    el("td", {}, days === null || days === undefined ? "" : (zh ? `${days} 天` : `${days} days`)));
  return el("section", { id: "response-times", class: "analysis" }, el("h2", {}, zh ? "响应时间" : "Response times"),
    el("table", { class: "groups" },
      row(zh ? "通报分发" : "Distributed", d.distributed, null),
      row(zh ? "首次预警" : "First alert", d.first_alert, d.days_to_first_alert),
      row(zh ? "发布解读" : "Analysis published", d.analysis_published, d.days_to_analysis),
      row(zh ? "提交评议" : "Comment sent", d.comment_sent, d.days_to_comment)));
}

// Reports grouped (by category, by city): a small table, most affected first.
function groupTable(caption, groups, name) {
  const zh = lang !== "en";
  const rows = Object.entries(groups || {}).sort((x, y) => y[1].affected - x[1].affected || y[1].reports - x[1].reports);
  if (!rows.length) return null;
  return el("table", { class: "groups" }, el("caption", {}, caption),
    el("tr", {}, el("th", {}, ""), el("th", {}, zh ? "反馈" : "Reports"), el("th", {}, zh ? "受影响" : "Affected"), el("th", {}, zh ? "关切" : "Concerns")),
    rows.map(([k, g]) => el("tr", {}, el("td", {}, name(k, g)), el("td", {}, String(g.reports)), el("td", {}, String(g.affected)), el("td", {}, String(g.concerns)))));
}

// The comment to the notifying member: its text, its status and the dates.
async function commentDesk(symbol, staff) {
  const zh = lang !== "en", path = notifPath(symbol) + "/comment";
  let c;
  try { c = await api(path); } catch (e) { return null; }
  const status = el("p", { id: "cm-status", role: "status" });
  const text = el("textarea", { id: "cm-text", rows: 12 }, c.text || "");
  const sel = el("select", { id: "cm-state" }, ["draft", "sent", "answered"].map((x) =>
    el("option", { value: x, selected: c.status === x }, { draft: zh ? "草稿" : "draft", sent: zh ? "已提交" : "sent", answered: zh ? "已答复" : "answered" }[x])));
  const sent = el("input", { type: "date", id: "cm-sent", value: c.sent_on || "" });
  const answered = el("input", { type: "date", id: "cm-answered", value: c.answered_on || "" });
  const f = el("form", { id: "comment-editor", class: "impact" }, el("h2", {}, zh ? "评议意见" : "Comment"),
    el("p", { class: "meta" }, (zh ? "致：" : "To: ") + (c.to || ""), el("br"), (zh ? "主题：" : "Subject: ") + (c.subject || ""),
      c.comment_deadline ? [el("br"), (zh ? "评议截止日：" : "Deadline: ") + c.comment_deadline] : null),
    el("label", { for: "cm-text" }, zh ? "正文（英文）" : "Text"), text,
    el("label", { for: "cm-state" }, zh ? "状态" : "Status"), sel,
    el("label", { for: "cm-sent" }, zh ? "提交日期" : "Sent on"), sent,
    el("label", { for: "cm-answered" }, zh ? "答复日期" : "Answered on"), answered,
    el("button", { type: "submit" }, zh ? "保存" : "Save"), " ",
    el("a", { href: path + "?format=doc", download: "" }, zh ? "下载 Word 文件" : "Download as Word"), status);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { status: sel.value, text: text.value };
    if (sent.value) body.sent_on = sent.value;
    if (answered.value) body.answered_on = answered.value;
    try {
      await api(path, { method: "PUT", headers: { "Content-Type": "application/json", "X-CSRF-Token": staff.csrf }, body: JSON.stringify(body) });
      status.textContent = zh ? "已保存" : "Saved";
    } catch (err) { status.textContent = t("error") + err.message; }
  });
  return f;
}

// The province's published analysis and advice, for everyone.
function analysisView(a, link) {
  if (!a) return null;
  const zh = lang !== "en";
  return el("section", { class: "analysis", id: "analysis" }, el("h2", {}, zh ? "专家解读与应对建议" : "Analysis and advice"),
    a.summary_zh ? el("p", {}, a.summary_zh) : null,
    a.requirements_zh ? el("p", {}, el("strong", {}, zh ? "措施要求：" : "What it requires: "), a.requirements_zh) : null,
    (a.actions_zh || []).length ? el("ol", {}, a.actions_zh.map((x) => el("li", {}, x))) : null,
    (a.links || []).length ? el("ul", {}, a.links.map((u) => el("li", {}, link(u)))) : null,
    el("p", { class: "meta" }, (a.expert || a.author || "") + (a.published_at ? " · " + a.published_at.slice(0, 10) : "") +
      (a.machine_model ? (zh ? " · 初稿由机器生成，经分析员审核" : " · drafted by a machine, reviewed by an analyst") : "")));
}

// The analysis editor: the current text (a draft or the published one), saved as a draft or published; a machine
// draft asked of the provider fills it, and is published only once the analyst ticks that they reviewed it.
async function analysisEditor(symbol, staff) {
  const zh = lang !== "en";
  const path = notifPath(symbol) + "/analysis";
  let cur = {};
  try { cur = await api(path + "?draft=1"); } catch (e) { /* none yet */ }
  const field = (id, label, value, rows) => [el("label", { for: id }, label), el("textarea", { id, rows: rows || 3 }, value || "")];
  const status = el("p", { id: "an-status", role: "status" });
  const pub = el("input", { type: "checkbox", id: "an-published", checked: !!cur.published });
  const reviewed = el("input", { type: "checkbox", id: "an-reviewed" });
  const banner = el("p", { id: "an-machine", class: "warn", hidden: !cur.machine },
    zh ? "这是机器生成的草稿：请逐句核对事实、日期和标准编号，修改后再发布。" : "A machine draft: check every fact, date and standard before publishing.",
    el("label", { class: "choice" }, reviewed, " ", zh ? "我已审核机器草稿" : "I reviewed the machine draft"));
  const fill = (a) => {
    document.getElementById("an-summary").value = a.summary_zh || "";
    document.getElementById("an-req").value = a.requirements_zh || "";
    document.getElementById("an-actions").value = (a.actions_zh || []).join("\n");
    document.getElementById("an-links").value = (a.links || []).join("\n");
    banner.hidden = !a.machine;
  };
  const hdr = { "Content-Type": "application/json", "X-CSRF-Token": staff.csrf };
  const ask = el("button", { type: "button", id: "an-draft", hidden: !!(cur.summary_zh && !cur.machine), on: { click: async () => {
    try {
      await api(path + "/draft", { method: "POST", headers: hdr });
      status.textContent = zh ? "正在生成机器草稿…" : "Drafting…";
      for (let i = 0; i < 60; i++) {
        await new Promise((ok) => setTimeout(ok, 2000));
        const q = await api(path + "/draft");
        if (q.state === "done") { fill(await api(path + "?draft=1")); status.textContent = zh ? "机器草稿已生成，请审核" : "Drafted: review it"; return; }
        if (q.state !== "pending" && q.state !== "working") { status.textContent = t("error") + (q.error || q.state); return; }
      }
    } catch (err) { status.textContent = t("error") + err.message; }
  } } }, zh ? "生成机器草稿" : "Ask for a machine draft");
  const f = el("form", { id: "analysis-editor", class: "impact" },
    el("h2", {}, zh ? "编辑解读与应对建议" : "Edit the analysis"), banner,
    field("an-summary", zh ? "解读（必填，发布前）" : "Summary", cur.summary_zh),
    field("an-req", zh ? "措施要求" : "What it requires", cur.requirements_zh),
    field("an-actions", zh ? "应对建议（每行一条）" : "Actions, one a line", (cur.actions_zh || []).join("\n"), 4),
    field("an-links", zh ? "参考链接（每行一个）" : "Links, one a line", (cur.links || []).join("\n"), 2),
    el("label", { class: "choice" }, pub, " ", zh ? "发布（已收到预警的企业将收到一次跟进通知）" : "Publish (firms already alerted get one follow-up)"),
    el("button", { type: "submit", id: "an-save" }, zh ? "保存" : "Save"), " ", ask, status);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const lines = (id) => document.getElementById(id).value.split("\n").map((x) => x.trim()).filter((x) => x);
    const body = { summary_zh: document.getElementById("an-summary").value, requirements_zh: document.getElementById("an-req").value,
      actions_zh: lines("an-actions"), links: lines("an-links"), published: pub.checked };
    if (!banner.hidden) body.reviewed = reviewed.checked;
    try {
      const r = await api(path, { method: "PUT", headers: hdr, body: JSON.stringify(body) });
      banner.hidden = true;
      status.textContent = (zh ? "已保存" : "Saved") + (r.followups_queued ? (zh ? `，已安排 ${r.followups_queued} 条跟进通知` : `, ${r.followups_queued} follow-ups queued`) : "");
    } catch (err) { status.textContent = t("error") + err.message; }
  });
  return f;
}

// ---- dashboard ----

function barChart(entries, label, opts) {
  const w = 640, bh = 20, gap = 4, left = (opts && opts.left) || 150;
  const max = Math.max(1, ...entries.map((e) => e[1]));
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${entries.length * (bh + gap) + 4}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  entries.forEach(([k, v], i) => {
    const y = i * (bh + gap);
    const mk = (tag, attrs, text) => { const n = document.createElementNS("http://www.w3.org/2000/svg", tag); for (const [a, b] of Object.entries(attrs)) n.setAttribute(a, b); if (text !== undefined) n.textContent = text; svg.append(n); };
    mk("text", { x: left - 6, y: y + 14, "text-anchor": "end" }, k);
    mk("rect", { x: left, y, width: Math.max(1, ((w - left - 50) * v) / max), height: bh, class: "bar" });
    mk("text", { x: left + ((w - left - 50) * v) / max + 4, y: y + 14 }, String(v));
  });
  // The numbers as a table too, for screen readers and copying.
  const table = el("table", { class: "visually-hidden" }, el("caption", {}, label), entries.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, String(v)))));
  return el("figure", {}, svg, table);
}

async function pageDashboard() {
  await loadCategories().catch(() => null);
  setTitle(t("nav_dashboard"));
  const m = main();
  m.replaceChildren(el("p", {}, t("loading")));
  let s;
  try { s = await api("/api/stats"); } catch (e) { m.replaceChildren(el("p", { class: "error", role: "alert" }, t("error") + e.message)); return; }
  const closing = s.closing || {};
  m.replaceChildren(el("h1", {}, t("dash_title")),
    el("div", { class: "cards" },
      el("div", { class: "card" }, el("div", {}, t("new_week")), el("div", { class: "big", id: "new-week" }, String((s.new_this_week || { total: 0 }).total))),
      ["7", "14", "30"].map((k) => el("div", { class: "card" }, el("div", {}, t("closing") + " · " + t("within", k)), el("div", { class: "big" }, String((closing[k] || { count: 0 }).count)))),
      el("div", { class: "card" }, el("div", {}, t("total")), el("div", { class: "big" }, String(s.total)))));
  // For staff (an analyst's or admin's session): the measures firms reported on, most affected first, then the
  // soonest deadline, with the comment's status.
  if (document.cookie.split("; ").includes("tbtwarn_staff=1")) try {
    const ranked = await api("/api/staff/ranking");
    const zh = lang !== "en";
    const status = { none: zh ? "未起草" : "none", draft: zh ? "草稿" : "draft", sent: zh ? "已提交" : "sent", answered: zh ? "已答复" : "answered" };
    m.append(el("h2", { id: "ranking-title" }, zh ? "企业反映影响最多的措施（截止日期最近优先）" : "Most reported impact, deadline soonest"),
      el("table", { id: "ranking" }, el("thead", {}, el("tr", {}, el("th", {}, t("symbol")), el("th", {}, zh ? "受影响企业" : "Firms affected"),
        el("th", {}, zh ? "涉及年出口额（人民币）" : "Exports at stake (CNY)"), el("th", {}, t("deadline")), el("th", {}, zh ? "评议意见" : "Comment"))),
        el("tbody", {}, ranked.map((x) => el("tr", {}, el("td", {}, el("a", { href: "/n/" + x.symbol }, x.symbol), " ", x.title_zh || ""),
          el("td", {}, `${x.affected} / ${x.reports}`),
          el("td", {}, (x.export_value_cny.min / 1e6).toFixed(0) + (x.export_value_cny.max === null ? "+" : "–" + (x.export_value_cny.max / 1e6).toFixed(0)) + (zh ? " 百万" : " M")),
          el("td", {}, x.comment_deadline ? x.comment_deadline + " (" + daysLeft(x.comment_deadline, s.today, x.days_left) + ")" : "—"),
          el("td", {}, status[x.comment] || x.comment))))));
    // The service's own response-time record, over the last 180 days.
    const rt = await api("/api/staff/response-times");
    const cell = (v) => el("td", {}, v === null || v === undefined ? "—" : String(v));
    const line = (label, x) => el("tr", {}, el("th", {}, label), cell(x.count), cell(x.median_days), cell(x.p90_days), cell(x.max_days));
    m.append(el("h2", { id: "response-title" }, zh ? `本服务的响应时间（${rt.since} 以来分发的通报，单位：天）` : `Our response times (notifications distributed since ${rt.since}, days)`),
      el("table", { id: "response-summary" }, el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", {}, zh ? "项数" : "Count"),
        el("th", {}, zh ? "中位数" : "Median"), el("th", {}, zh ? "90% 在" : "90th pct"), el("th", {}, zh ? "最长" : "Max"))),
      el("tbody", {}, line(zh ? "分发 → 首次预警" : "to the first alert", rt.first_alert), line(zh ? "分发 → 发布解读" : "to the analysis", rt.analysis),
        line(zh ? "分发 → 提交评议" : "to the comment", rt.comment))));
  } catch (e) { /* not staff: the public dashboard only */ }
  const soon = (closing["30"] || { items: [] }).items;
  m.append(el("h2", {}, t("closing") + " · " + t("within", 30)));
  m.append(soon.length ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, t("deadline")), el("th", {}, t("symbol")), el("th", {}, t("category")), el("th", {}, t("title")))),
    el("tbody", {}, soon.map((h) => el("tr", {}, el("td", {}, h.comment_deadline + " (" + daysLeft(h.comment_deadline, s.today, h.days_left) + ")"),
      el("td", {}, el("a", { href: h.url }, h.symbol)), el("td", {}, (h.categories || []).map(catName).join("、")), el("td", {}, (lang === "zh" && h.title_zh) || h.title))))) : el("p", {}, "—"));
  const months = Object.entries(s.by_month || {}).sort((a, b) => a[0].localeCompare(b[0])).slice(-18);
  m.append(el("h2", {}, t("by_month")), barChart(months, t("by_month"), { left: 70 }));
  const members = Object.entries(s.by_member || {}).sort((a, b) => b[1] - a[1]).slice(0, 15);
  m.append(el("h2", {}, t("by_member")), barChart(members, t("by_member"), { left: 70 }));
  const cats = Object.entries(s.by_category || {}).sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => [catName(k), v]);
  m.append(el("h2", {}, t("by_category")), barChart(cats, t("by_category"), { left: 230 }));
  m.append(el("h2", {}, t("sources")), el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, t("source")), el("th", {}, t("health")), el("th", {}, t("last_success")), el("th", {}, t("last_error")))),
    el("tbody", {}, (s.sources || []).map((x) => el("tr", {}, el("td", {}, x.name), el("td", { class: x.health === "ok" ? "health-ok" : "health-bad" }, x.health),
      el("td", {}, x.last_success || "—"), el("td", {}, x.last_error || x.disabled_because || ""))))));
}

// ---- subscribe and manage ----

function subscriptionForm(onSubmit, withIdentity) {
  const f = el("form", { id: "subscribe-form", novalidate: true });
  const field = (id, type, label, attrs) => el("div", {}, el("label", { for: id }, label), el("input", Object.assign({ id, name: id, type }, attrs || {})));
  if (withIdentity) {
    f.append(el("div", { class: "row" }, field("email", "email", t("email") + " *", { required: true, autocomplete: "email" }),
      field("name", "text", t("name"), { autocomplete: "name" }), field("org", "text", t("org"), { autocomplete: "organization" })));
    f.append(el("label", { for: "lang" }, t("lang")), el("select", { id: "lang", name: "lang" },
      el("option", { value: "zh", selected: lang === "zh" }, "中文"), el("option", { value: "en", selected: lang === "en" }, "English")));
  }
  const groups = {};
  for (const c of categories || []) (groups[lang === "en" ? c.group_en : c.group_zh] ||= []).push(c);
  const box = el("div", { class: "groups" });
  for (const [g, cs] of Object.entries(groups))
    box.append(el("fieldset", {}, el("legend", {}, g), cs.map((c) => el("label", { class: "check" },
      el("input", { type: "checkbox", name: "category", value: c.id }), lang === "en" ? c.name_en : c.name_zh))));
  f.append(el("h2", {}, t("category")), box);
  f.append(el("h2", {}, t("markets")), el("div", { class: "groups" }, el("fieldset", {}, el("legend", { class: "visually-hidden" }, t("markets")),
    KEY_MARKETS.map((mk) => el("label", { class: "check" }, el("input", { type: "checkbox", name: "member", value: mk }), mk)))));
  f.append(field("keywords", "text", t("keywords")));
  const channel = el("select", { id: "channel", name: "channel" }, ["email", "wecom", "dingtalk", "feishu", "webhook"].map((c) => el("option", { value: c }, t(c === "email" ? "channel_email" : c))));
  const robot = el("div", { class: "row", hidden: true }, field("url", "url", t("url")), field("secret", "text", t("secret")));
  channel.addEventListener("change", () => { robot.hidden = channel.value === "email"; });
  const freq = el("select", { id: "frequency", name: "frequency" }, ["immediate", "daily", "weekly"].map((c) => el("option", { value: c }, t(c))));
  const risk = el("select", { id: "min_risk", name: "min_risk" }, el("option", { value: "" }, t("any")), ["medium", "high"].map((c) => el("option", { value: c }, t(c))));
  f.append(el("div", { class: "row" }, el("div", {}, el("label", { for: "channel" }, t("channel")), channel),
    el("div", {}, el("label", { for: "frequency" }, t("frequency")), freq), field("hour", "number", t("hour"), { min: 0, max: 23, value: 9 }),
    el("div", {}, el("label", { for: "min_risk" }, t("min_risk")), risk)), robot);
  // What these filters would have matched in the last 90 days, so that nobody saves a subscription that never fires.
  const preview = el("div", { id: "subscribe-preview", class: "preview", "aria-live": "polite" });
  let timer = null;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = new URLSearchParams();
      for (const [k, v] of new FormData(f)) if (v !== "" && ["category", "member", "keywords", "min_risk", "type", "hs"].includes(k)) q.append(k, v);
      if (![...q.keys()].some((k) => k !== "min_risk")) { preview.replaceChildren(); return; }
      try {
        const r = await api("/api/preview?" + q);
        preview.replaceChildren(r.count
          ? el("div", {}, el("p", { class: "notice" }, t("preview_n")(r.count, r.since)),
              el("ul", {}, r.newest.map((h) => el("li", {}, el("a", { href: h.url }, h.symbol), " ", (lang === "zh" && h.title_zh) || h.title))))
          : el("p", { class: "error" }, t("preview_none")(r.since)));
      } catch (err) {
        preview.replaceChildren(el("p", { class: "error" }, t("error") + err.message));
      }
    }, 300);
  };
  f.addEventListener("change", refresh);
  f.addEventListener("input", refresh);
  const out = el("div", { "aria-live": "polite" });
  f.append(preview, el("p", {}, el("button", { type: "submit" }, withIdentity ? t("submit") : t("add_sub"))), out);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new URLSearchParams(new FormData(f));
    for (const [k, v] of [...data.entries()]) if (v === "") data.delete(k);
    try {
      const res = await onSubmit(data);
      out.replaceChildren(el("p", { class: "notice", role: "status", id: "subscribe-result" }, res));
    } catch (err) {
      out.replaceChildren(el("p", { class: "error", role: "alert", id: "subscribe-result" }, t("error") + err.message));
    }
  });
  return f;
}

async function pageSubscribe() {
  await loadCategories().catch(() => null);
  setTitle(t("sub_title"));
  main().replaceChildren(el("h1", {}, t("sub_title")), el("p", {}, t("sub_intro")),
    subscriptionForm(async (data) => {
      const r = await api("/api/subscribe", { method: "POST", body: data, headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" } });
      return r.message || t("sub_done");
    }, true));
}

async function pageManage() {
  await loadCategories().catch(() => null);
  setTitle(t("manage_title"));
  const p = new URLSearchParams(location.search);
  const auth = new URLSearchParams({ s: p.get("s") || "", t: p.get("t") || "" });
  const m = main();
  const render = (me) => {
    const list = el("ul", { class: "results" }, me.subscriptions.map((s) => {
      const f = s.filter || {};
      const what = [(f.categories || []).map(catName).join("、"), (f.members || []).join(" "), (f.hs || []).map((h) => "HS " + h).join(" "), f.query || ""].filter(Boolean).join(" · ");
      const pv = s.preview;
      const matched = !pv ? null : pv.count
        ? el("div", { class: "notice sub-preview" }, t("sub_matched")(pv.count, pv.since), " ",
            pv.newest.map((h, i) => [i ? "、" : "", el("a", { href: h.url }, h.symbol)]))
        : el("div", { class: "error sub-preview" }, t("preview_none")(pv.since));
      return el("li", {}, el("div", {}, el("strong", {}, "#" + s.id + " "), what),
        el("div", { class: "meta" }, t(s.channel === "email" ? "channel_email" : s.channel) + " · " + t(s.frequency) + (s.active ? "" : " · off")),
        matched,
        el("div", {}, el("a", { href: "/calendar/deadlines.ics?subscription=" + s.id + "&" + auth }, t("calendar_sub")), " ",
          el("button", { type: "button", class: "secondary", on: { click: async () => {
            const body = new URLSearchParams(auth); body.set("action", "remove"); body.set("subscription", s.id);
            render(await api("/api/manage", { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded" } }));
          } } }, t("remove"))));
    }));
    // The language the subscriber reads: the page follows it, and offers to change it (alerts follow too).
    const langSel = el("select", { id: "manage-lang", name: "lang" },
      el("option", { value: "zh", selected: me.lang === "zh" }, "中文"), el("option", { value: "en", selected: me.lang === "en" }, "English"));
    const langOut = el("span", { id: "manage-lang-result", role: "status" });
    langSel.addEventListener("change", async () => {
      const body = new URLSearchParams(auth); body.set("action", "lang"); body.set("lang", langSel.value);
      try {
        const r = await api("/api/manage", { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
        lang = r.lang;
        localStorage.setItem("tbtwarn.lang", lang);
        applyChrome();
        render(r);
        document.getElementById("manage-lang-result").textContent = t("lang_saved");
      } catch (err) {
        langOut.textContent = t("error") + err.message;
      }
    });
    m.replaceChildren(el("h1", {}, t("manage_title")), el("p", {}, me.email + " · " + t("status") + ": " + me.status),
      el("p", {}, el("label", { for: "manage-lang" }, t("manage_lang")), " ", langSel, " ", langOut),
      el("h2", {}, t("your_subs")), list, el("h2", {}, t("add_sub")),
      subscriptionForm(async (data) => {
        for (const [k, v] of auth) data.set(k, v);
        data.set("action", "add");
        render(await api("/api/manage", { method: "POST", body: data, headers: { "Content-Type": "application/x-www-form-urlencoded" } }));
        return "✓";
      }, false));
  };
  try {
    const me = await api("/api/manage?" + auth);
    // Without an explicit ?lang=, the page speaks the subscriber's language.
    if (!p.get("lang") && (me.lang === "zh" || me.lang === "en") && me.lang !== lang) { lang = me.lang; applyChrome(); setTitle(t("manage_title")); }
    render(me);
  } catch (e) { m.replaceChildren(el("h1", {}, t("manage_title")), el("p", { class: "error", role: "alert" }, t("bad_link"))); }
}

// ---- a firm's impact report (这项措施影响我们吗？) ----

// Guangdong's prefecture-level cities, as the server accepts them (web/impact.c).
const GD_CITIES = ["广州", "深圳", "珠海", "汕头", "佛山", "韶关", "湛江", "肇庆", "江门", "茂名", "惠州", "梅州", "汕尾", "河源",
  "阳江", "清远", "东莞", "中山", "潮州", "揭阳", "云浮", "其他"];

// Reached from the signed link in an alert (s, n, t): no account. Saved as a form (the names scripts use: affected,
// hs, markets, export_value, concern, join, consent, csrf); editable until the comment deadline.
async function pageImpact() {
  const zh = lang !== "en";
  setTitle(zh ? "这项措施影响我们吗？" : "Does this affect you?");
  const m = main();
  const q = new URLSearchParams(location.search);
  const link = { s: q.get("s") || "", n: q.get("n") || "", t: q.get("t") || "" };
  let d;
  try { d = await api("/api/impact?" + new URLSearchParams(link)); } catch (e) {
    m.replaceChildren(el("h1", {}, zh ? "这项措施影响我们吗？" : "Does this affect you?"), el("p", { class: "error", role: "alert" }, t("bad_link")));
    return;
  }
  const r = d.report || {};
  const radio = (name, value, label) => el("label", { class: "choice" },
    el("input", { type: "radio", name, value, checked: r[name] === value || (!r[name] && name === "join" && value === "none") }), " ", label);
  const opt = (value, label) => el("option", { value, selected: r.export_value === value }, label);
  const status = el("p", { id: "impact-status", role: "status" });
  const f = el("form", { id: "impact-form", class: "impact" },
    el("fieldset", {}, el("legend", {}, zh ? "是否影响贵企业？" : "Does it affect your firm?"),
      radio("affected", "yes", zh ? "是" : "Yes"), radio("affected", "no", zh ? "否" : "No"), radio("affected", "unsure", zh ? "不确定" : "Not sure")),
    el("label", { for: "impact-hs" }, zh ? "涉及的产品（HS 编码，逗号分隔）" : "Products (HS codes, commas)"),
    el("input", { id: "impact-hs", name: "hs", inputmode: "numeric", value: r.hs || "" }),
    el("label", { for: "impact-markets" }, zh ? "涉及的市场（如 KOR, USA）" : "Markets (e.g. KOR, USA)"),
    el("input", { id: "impact-markets", name: "markets", value: r.markets || d.notification.member || "" }),
    el("label", { for: "impact-city" }, zh ? "企业所在城市" : "Your city"),
    el("select", { id: "impact-city", name: "city" }, el("option", { value: "" }, zh ? "不便提供" : "Rather not say"),
      GD_CITIES.map((c) => el("option", { value: c, selected: r.city === c }, c))),
    el("label", { for: "impact-value" }, zh ? "受影响的年出口额（人民币）" : "Exports at stake a year (CNY)"),
    el("select", { id: "impact-value", name: "export_value" }, opt("", zh ? "不便提供" : "Rather not say"),
      opt("lt1m", zh ? "100 万元以下" : "under 1 M"), opt("1m-10m", zh ? "100 万–1000 万元" : "1–10 M"),
      opt("10m-100m", zh ? "1000 万–1 亿元" : "10–100 M"), opt("gt100m", zh ? "1 亿元以上" : "over 100 M")),
    el("label", { for: "impact-concern" }, zh ? "主要关切（几句话即可）" : "Your concern, in a few lines"),
    el("textarea", { id: "impact-concern", name: "concern", rows: 4, maxlength: 600 }, r.concern || ""),
    el("fieldset", {}, el("legend", {}, zh ? "是否愿意参与" : "Would you join"),
      radio("join", "comment", zh ? "评议意见" : "a comment"), radio("join", "stc", zh ? "特别贸易关注" : "a trade concern"), radio("join", "none", zh ? "暂不参与" : "not now")),
    el("label", { class: "choice" }, el("input", { type: "checkbox", name: "consent", value: "yes", checked: !!r.consent }), " ",
      zh ? "同意省商务主管部门与我们联系，并可在材料中注明企业名称" : "The province may contact us and name our firm"),
    el("button", { type: "submit", disabled: !d.open }, zh ? (d.report ? "更新报告" : "提交") : (d.report ? "Update" : "Send")), status);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = new URLSearchParams(new FormData(f));
    for (const k of ["s", "n", "t"]) body.set(k, link[k]);
    body.set("csrf", await csrfToken());
    const res = await fetch("/api/impact", { method: "POST", headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" }, body });
    const j = await res.json().catch(() => ({}));
    status.textContent = res.ok ? (zh ? "已提交，评议截止前可随时修改。谢谢！" : "Saved: you may change it until the deadline. Thank you!") : t("error") + (j.message || res.statusText);
  });
  const n = d.notification;
  m.replaceChildren(el("h1", {}, zh ? "这项措施影响我们吗？" : "Does this affect you?"),
    el("p", {}, el("a", { href: "/n/" + n.symbol, class: "sym" }, n.symbol), " · ", (zh && n.title_zh) || n.title || "",
      n.comment_deadline ? el("span", { class: "meta" }, " · " + (zh ? "评议截止 " : "comments until ") + n.comment_deadline) : null),
    el("p", { class: "meta" }, d.open ? (zh ? "您的回答只报送省商务主管部门，不公开。" : "Your answers go to the province only, never published.")
      : (zh ? "评议期已结束，报告不再修改。" : "The comment period has ended: the report can no longer change.")),
    f);
}

// ---- the translation desk ----

// Machine texts to review, flagged ones first, each beside its English original: save a corrected text (a person's,
// never replaced by a machine or a crawl) or mark it reviewed. A translator logs in (the session's cookie, and its CSRF
// token on every change); the admin token (kept for this tab only) still works for admins.
async function pageTranslate() {
  setTitle(t("tr_title"));
  const m = main();
  const token = sessionStorage.getItem("tbtwarn.admin") || "";
  const tokenIn = el("input", { id: "tr-token", type: "password", value: token, autocomplete: "off" });
  const userIn = el("input", { id: "tr-user", autocomplete: "username" });
  const passIn = el("input", { id: "tr-pass", type: "password", autocomplete: "current-password" });
  const who = el("span", { id: "tr-who", role: "status" });
  const list = el("ol", { class: "results", id: "tr-list" });
  const status = el("p", { id: "tr-status", role: "status" });
  let staff = null;
  const authOf = () => tokenIn.value ? { Authorization: "Bearer " + tokenIn.value } : staff ? { "X-CSRF-Token": staff.csrf } : {};
  const login = async () => {
    try {
      staff = await api("/api/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: userIn.value, password: passIn.value }) });
      passIn.value = "";
      tokenIn.value = "";
      who.textContent = t("tr_as")(staff.user, staff.role);
      load();
    } catch (e) { status.textContent = t("error") + e.message; }
  };
  const load = async () => {
    sessionStorage.setItem("tbtwarn.admin", tokenIn.value);
    const auth = authOf();
    let items;
    try { items = await api("/api/admin/translations", { headers: auth }); } catch (e) { status.textContent = t("error") + e.message; return; }
    status.textContent = t("tr_count")(items.length);
    list.replaceChildren(...items.map((it) => {
      const ta = el("textarea", { rows: 3, "aria-label": it.symbol + " " + it.field }, it.zh);
      const out = el("span", { role: "status" });
      const put = async (body) => {
        try {
          await api("/api/admin/translations/" + it.symbol.split("/").map(encodeURIComponent).join("/"),
            { method: "PUT", headers: Object.assign({ "Content-Type": "application/json" }, auth), body: JSON.stringify(body) });
          out.textContent = " ✓";
        } catch (e) { out.textContent = " " + t("error") + e.message; }
      };
      return el("li", { class: "tr-item" }, el("div", {}, el("a", { href: "/n/" + it.symbol, class: "sym" }, it.symbol), " · ", t(it.field === "title" ? "title" : it.field === "products" ? "products" : "description"),
        " · ", el("span", { class: "mt" }, "机器翻译"), it.flags ? el("span", { class: "error" }, " " + t("tr_flags") + it.flags) : null),
        el("div", { class: "meta", lang: "en" }, it.en || ""), ta,
        el("div", {}, el("button", { type: "button", on: { click: () => put({ field: it.field, zh: ta.value }) } }, t("tr_save")), " ",
          el("button", { type: "button", class: "secondary", on: { click: () => put({ field: it.field, reviewed: true }) } }, t("tr_ok")), out));
    }));
  };
  m.replaceChildren(el("h1", {}, t("tr_title")), el("p", {}, t("tr_intro")),
    el("form", { id: "tr-login", on: { submit: (e) => { e.preventDefault(); login(); } } },
      el("label", { for: "tr-user" }, t("tr_user")), " ", userIn, " ", el("label", { for: "tr-pass" }, t("tr_pass")), " ", passIn, " ",
      el("button", { type: "submit", id: "tr-login-btn" }, t("tr_login")), " ", who),
    el("p", {}, el("label", { for: "tr-token" }, t("tr_token")), " ", tokenIn, " ", el("button", { type: "button", id: "tr-load", on: { click: load } }, t("tr_load"))),
    status, list);
  if (token) return load();
  // Already logged in (the cookie): straight to the list.
  try {
    staff = await api("/api/session");
    who.textContent = t("tr_as")(staff.user, staff.role);
    load();
  } catch (e) { /* not logged in: the form waits */ }
}

// ---- staff login (工作人员登录) ----

// Where to go after logging in: a path of this site given as ?next (never another site), else by role.
function nextPath(role) {
  const n = new URLSearchParams(location.search).get("next") || "";
  if (/^\/(?![\/\\])[^\s]*$/.test(n) && !n.includes("\\")) return n;
  return role === "translator" ? "/translate" : "/dashboard";
}

async function pageLogin() {
  const zh = lang !== "en";
  setTitle(zh ? "工作人员登录" : "Staff login");
  const m = main();
  const status = el("p", { id: "login-status", role: "status" });
  let me = null;
  try { me = await api("/api/session"); } catch (e) { /* not logged in */ }
  const roleZh = { admin: "管理员", analyst: "分析员", translator: "译员", expert: "专家" };
  if (me) {
    const out = el("button", { type: "button", id: "logout", on: { click: async () => {
      try {
        await api("/api/session", { method: "DELETE", headers: { "X-CSRF-Token": me.csrf } });
        pageLogin();
      } catch (err) { status.textContent = t("error") + err.message; }
    } } }, zh ? "退出登录" : "Log out");
    m.replaceChildren(el("h1", {}, zh ? "工作人员登录" : "Staff login"),
      el("p", { id: "login-who" }, zh ? `已登录：${me.user}（${roleZh[me.role] || me.role}）` : `Logged in: ${me.user} (${me.role})`),
      el("p", {}, el("a", { href: nextPath(me.role) }, zh ? "继续" : "Continue"), " ", out), status);
    return;
  }
  const user = el("input", { id: "login-user", autocomplete: "username", required: true });
  const pass = el("input", { id: "login-pass", type: "password", autocomplete: "current-password", required: true });
  const f = el("form", { id: "login-form", class: "impact" },
    el("label", { for: "login-user" }, zh ? "用户名" : "User"), user,
    el("label", { for: "login-pass" }, zh ? "密码" : "Password"), pass,
    el("button", { type: "submit", id: "login-btn" }, zh ? "登录" : "Log in"), status);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const s2 = await api("/api/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: user.value, password: pass.value }) });
      pass.value = "";
      history.pushState(null, "", nextPath(s2.role));
      route();
    } catch (err) { status.textContent = t("error") + err.message; }
  });
  m.replaceChildren(el("h1", {}, zh ? "工作人员登录" : "Staff login"),
    el("p", { class: "meta" }, zh ? "供省商务主管部门的分析员、译员、管理员和受邀专家使用。订阅预警的企业无需登录。"
      : "For the province's analysts, translators, administrators and invited experts. Subscribers need no account."), f);
}

// ---- routing ----

async function route() {
  applyChrome();
  const p = location.pathname;
  if (p.startsWith("/n/")) return pageNotification(decodeURIComponent(p.slice(3)));
  if (p === "/dashboard") return pageDashboard();
  if (p === "/subscribe") return pageSubscribe();
  if (p === "/manage") return pageManage();
  if (p === "/translate") return pageTranslate();
  if (p === "/impact" || p === "/impact/") return pageImpact();
  if (p === "/login") return pageLogin();
  return pageSearch();
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("lang-switch").addEventListener("click", () => {
    lang = lang === "en" ? "zh" : "en";
    localStorage.setItem("tbtwarn.lang", lang);
    route();
  });
  // Links inside the app change the view without reloading; the URL always holds the whole state.
  document.body.addEventListener("click", (e) => {
    const a = e.target.closest("a");
    if (!a || a.target || a.hasAttribute("download") || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const u = new URL(a.href, location.href);
    if (u.origin !== location.origin || !(u.pathname === "/" || u.pathname.startsWith("/n/") || ["/dashboard", "/subscribe", "/manage", "/translate", "/login"].includes(u.pathname))) return;
    e.preventDefault();
    history.pushState(null, "", u.pathname + u.search);
    route();
    document.getElementById("main").focus();
  });
  window.addEventListener("popstate", route);
  route();
});
