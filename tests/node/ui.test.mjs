// ui.test.mjs BASE ARTEFACTS MANAGE_PATH: the web UI in headless Chromium (Debian's, driven by playwright-core): search, filter,
// open a notification, switch language, subscribe, manage (MANAGE_PATH: a subscriber's signed manage link, English,
// with one subscription that matches and one that cannot), the dashboard, a phone's screen, keyboard use and labels; no
// script error and no CSP violation anywhere. Screenshots go to ARTEFACTS. Prints "ok N - what" lines.
import { launch, tap } from "./tap.mjs";
import fs from "node:fs";

const [base, artefacts, manageLink] = process.argv.slice(2);
fs.mkdirSync(artefacts, { recursive: true });
const t = tap(), ok = t.ok;
const browser = await launch();
const errors = [];
const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1280, height: 900 } });
const page = await ctx.newPage();
page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
page.on("pageerror", (e) => errors.push(String(e)));
const shot = (name) => page.screenshot({ path: `${artefacts}/${name}.png`, fullPage: true });

try {
  // Search, by keyboard.
  await page.goto(base + "/");
  await page.waitForSelector("#total");
  ok("the search page opens in Chinese for a Chinese browser", (await page.textContent("h1")).includes("检索") && (await page.getAttribute("html", "lang")) === "zh-CN");
  await page.focus("#q");
  await page.keyboard.type("lithium");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => location.search.includes("q=lithium") && document.querySelector("#total"));
  await page.waitForSelector(".results li");
  const hits = await page.$$eval(".results li .sym", (a) => a.map((x) => x.textContent));
  ok("typing a query and Enter searches; the URL holds the query", hits.includes("G/TBT/N/USA/2201") && page.url().includes("q=lithium"), hits);
  await shot("search");
  const digests = await page.$$eval(".results li .summary", (d) => d.map((x) => x.textContent));
  ok("each hit shows its Chinese digest", digests.length === hits.length && digests.every((d) => / · /.test(d)), digests.slice(0, 2));

  // Filter by a facet.
  await page.click('button[data-facet="member"][data-value="CHL"]');
  await page.waitForFunction(() => location.search.includes("member=CHL"));
  await page.waitForFunction(() => document.querySelectorAll(".results li").length === 1);
  const filtered = await page.$$eval(".results li .sym", (a) => a.map((x) => x.textContent));
  ok("a facet filters, and the URL holds the filter", filtered.length === 1 && filtered[0].startsWith("G/TBT/N/CHL/"), filtered);
  const shared = page.url();
  await shot("filtered");
  // The shared URL alone gives the same page.
  const p2 = await ctx.newPage();
  await p2.goto(shared);
  await p2.waitForSelector(".results li");
  ok("the URL can be shared: it reproduces the search", JSON.stringify(await p2.$$eval(".results li .sym", (a) => a.map((x) => x.textContent))) === JSON.stringify(filtered));
  await p2.close();
  const exportHref = await page.getAttribute('a[href^="/api/export.csv"]', "href");
  ok("the export buttons carry the search", exportHref.includes("member=CHL") && exportHref.includes("q=lithium"), exportHref);

  // Open a notification.
  await page.goto(base + "/?q=lithium");
  await page.waitForSelector(".results li");
  await page.click('.results a.sym:text("G/TBT/N/USA/2201")');
  await page.waitForFunction(() => location.pathname === "/n/G/TBT/N/USA/2201");
  await page.waitForSelector("dl.record");
  const body = await page.textContent("main");
  ok("a notification page: the digest, record, categories with evidence, risk with reasons, related documents, in Chinese",
    (await page.textContent("#summary-zh")).startsWith("美国 · 技术法规草案") &&
    body.includes("锂离子蓄电池") && body.includes("标题含“lithium-ion”") && body.includes("广东重点出口市场") && body.includes("G/TBT/N/USA/2201/Add.1") && body.includes("还剩"), body.slice(0, 400));
  await shot("notification");

  // Switch the language.
  await page.click("#lang-switch");
  await page.waitForFunction(() => document.documentElement.lang === "en");
  await page.waitForFunction(() => document.querySelector("dl.record"), null, { timeout: 5000 }).catch(() => null);
  const en = await page.textContent("main");
  ok("switching to English relabels the page", en.includes("Categories and evidence") && (await page.textContent("#nav")).includes("Search"), en.slice(0, 200));
  await shot("english");
  await page.click("#lang-switch");
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  await page.waitForSelector("dl.record");

  // Dashboard.
  await page.goto(base + "/dashboard");
  await page.waitForSelector("svg.chart");
  const charts = await page.$$eval('svg.chart[role="img"]', (s) => s.length);
  const closing = await page.$$eval("table tbody tr", (r) => r.length);
  ok("the dashboard shows charts and the deadlines closing soon", charts === 3 && closing > 0, { charts, closing });
  await shot("dashboard");

  // Subscribe.
  await page.goto(base + "/subscribe");
  await page.waitForSelector("#subscribe-form");
  await page.fill("#email", "ui-test@lamps.example.cn");
  await page.fill("#org", "中山灯饰有限公司");
  await page.check('input[name="category"][value="lighting_led"]');
  await page.check('input[name="member"][value="EU"]');
  await page.selectOption("#frequency", "weekly");
  await page.click('#subscribe-form button[type="submit"]');
  await page.waitForSelector("#subscribe-result");
  const result = await page.textContent("#subscribe-result");
  ok("the subscribe form asks to confirm by e-mail", (await page.getAttribute("#subscribe-result", "class")) === "notice" && result.includes("确认"), result);
  await shot("subscribe");
  await page.goto(base + "/subscribe");
  await page.waitForSelector("#subscribe-form");
  await page.fill("#email", "ui-test2@lamps.example.cn");
  const before = errors.length;
  await page.click('#subscribe-form button[type="submit"]');
  await page.waitForSelector("#subscribe-result");
  ok("a subscription to nothing is refused with the reason", (await page.getAttribute("#subscribe-result", "class")) === "error");
  // The browser logs the intended 400 as a failed resource: that one is expected.
  errors.splice(before, errors.slice(before).filter((e) => /status of 400/.test(e)).length);

  // Accessibility: every control has a label; the skip link works from the keyboard.
  const unlabelled = await page.$$eval("input:not([type=hidden]), select", (els) =>
    els.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")).map((e) => e.outerHTML));
  ok("every form control has a label", unlabelled.length === 0, unlabelled);
  await page.goto(base + "/");
  await page.waitForSelector("#total");
  await page.keyboard.press("Tab");
  ok("the first Tab reaches the skip link", await page.evaluate(() => document.activeElement.classList.contains("skip")));

  // Manage: the page speaks the subscriber's language, previews each subscription, and offers the other language.
  await page.goto(base + manageLink);
  await page.waitForSelector("#manage-lang");
  ok("the manage page speaks the subscriber's language (English) in a Chinese browser",
    (await page.textContent("h1")) === "Manage subscriptions" && (await page.getAttribute("html", "lang")) === "en");
  const previews = await page.$$eval(".sub-preview", (p) => p.map((x) => [x.className, x.textContent]));
  ok("each subscription says what it would have matched in 90 days; one that cannot fire is flagged",
    previews.length === 2 && previews[0][0].includes("notice") && /alerted you to [1-9]\d* notifications/.test(previews[0][1]) &&
    previews[1][0].includes("error") && previews[1][1].includes("no notification"), previews);
  await page.selectOption("#manage-lang", "zh");
  await page.waitForFunction(() => document.querySelector("h1").textContent === "管理订阅");
  const saved = await page.textContent("#manage-lang-result");
  const me = await page.evaluate(async (q) => (await fetch("/api/manage?" + q)).json(), new URL(base + manageLink).search.slice(1));
  ok("choosing 中文 switches the page and the subscriber's alerts to Chinese", saved.includes("中文") && me.lang === "zh" &&
    (await page.textContent(".sub-preview")).includes("这项订阅会提醒您"), { saved, lang: me.lang });
  await shot("manage");

  // A phone.
  const phone = await browser.newContext({ locale: "en-US", viewport: { width: 375, height: 740 }, isMobile: true });
  const pp = await phone.newPage();
  pp.on("pageerror", (e) => errors.push(String(e)));
  await pp.goto(base + "/?q=battery");
  await pp.waitForSelector(".results li");
  const overflow = await pp.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
  ok("on a phone: English for an English browser, nothing wider than the screen", (await pp.getAttribute("html", "lang")) === "en" && overflow <= 1, overflow);
  await pp.screenshot({ path: `${artefacts}/phone.png`, fullPage: true });
  await phone.close();

  ok("no script error and no Content-Security-Policy violation on any page", errors.length === 0, errors);
} catch (e) {
  ok("the browser test ran to the end", false, String(e));
  await shot("failure").catch(() => {});
}
await browser.close();
console.log(`# ${t.n - t.failed} passed, ${t.failed} failed`);
process.exit(t.failed ? 1 : 0);
