// advice.test.mjs BASE SYMBOL OTHER ANALYST EXPERT: in headless Chromium, on a notification's page, an expert adds
// advice (it waits), the analyst accepts it and a visitor then reads it under the expert's organisation; on OTHER
// (no analysis yet) the analyst asks for a machine draft, sees it marked as the machine's, cannot publish it before
// ticking that they reviewed it, then publishes it; the comment desk saves the comment's status. CREDENTIALS are
// the JSON bodies of POST /api/session. Prints "ok N - what" lines.
import { browserTest } from "./tap.mjs";

const [base, symbol, other, analyst, expert] = process.argv.slice(2);
async function staffPage(browser, errors, cred) {
  const ctx = await browser.newContext({ locale: "zh-CN" });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(base + "/");
  const st = await page.evaluate(async (c) => (await fetch("/api/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: c })).status, cred);
  return { page, st };
}
const status = (page, sel) => page.waitForFunction((s) => document.querySelector(s).textContent.length > 0, sel).then(() => page.textContent(sel));

await browserTest("the advice test", async ({ ok, browser, errors }) => {
  const ex = await staffPage(browser, errors, expert);
  ok("the expert logs in", ex.st === 200, ex.st);
  await ex.page.goto(base + "/n/" + symbol);
  await ex.page.waitForSelector("#advice-editor");
  ok("an expert gets the advice form, not the analysis editor", (await ex.page.$("#analysis-editor")) === null);
  await ex.page.fill("#adv-text", "建议出口企业在新规生效前完成无线充电器的电磁兼容预测试。");
  await ex.page.click("#advice-editor button[type=submit]");
  const said = await status(ex.page, "#adv-status");
  ok("the advice is sent", said.includes("已提交"), said);
  await ex.page.waitForFunction(() => document.querySelector("#adv-list").textContent.includes("待审核"));
  ok("and waits for an analyst", true);

  const an = await staffPage(browser, errors, analyst);
  ok("the analyst logs in", an.st === 200, an.st);
  await an.page.goto(base + "/n/" + symbol);
  await an.page.waitForSelector("#adv-list .adv-accept");
  await an.page.click("#adv-list .adv-accept");
  await an.page.waitForFunction(() => document.querySelector("#adv-list").textContent.includes("已发布"));
  ok("the analyst accepts it", true);
  const imp = await an.page.textContent("#impact-desk");
  ok("the analyst sees the firms' reports summarised, with the CSV", imp.includes("企业影响反馈") && imp.includes("CSV"), imp);
  const rt = await an.page.textContent("#response-times");
  ok("and the service's response-time record for the notification", rt.includes("响应时间") && rt.includes("通报分发") && rt.includes("发布解读"), rt);

  const anon = await browser.newContext({ locale: "zh-CN" });
  const v = await anon.newPage();
  v.on("pageerror", (e) => errors.push(String(e)));
  await v.goto(base + "/n/" + symbol);
  await v.waitForSelector("#advice");
  const text = await v.textContent("#advice");
  ok("a visitor reads the advice under the expert's organisation", text.includes("电磁兼容预测试") && text.includes("东莞电子产品检测中心"), text);
  ok("and no staff desk for a visitor", (await v.$("#advice-editor")) === null && (await v.$("#comment-editor")) === null);

  await an.page.goto(base + "/n/" + other);
  await an.page.waitForSelector("#an-draft");
  await an.page.click("#an-draft");
  await an.page.waitForFunction(() => !document.querySelector("#an-machine").hidden, null, { timeout: 30000 });
  const draft = await an.page.inputValue("#an-summary");
  ok("the machine draft fills the editor, marked as the machine's", draft.length > 10, draft);
  await an.page.check("#an-published");
  await an.page.click("#an-save");
  await an.page.waitForFunction(() => document.querySelector("#an-status").textContent.includes("机器草稿"));
  ok("publishing it unreviewed is refused, saying why", true);
  await an.page.check("#an-reviewed");
  await an.page.fill("#an-actions", "在评议截止日前提交评议意见\n安排检测");
  await an.page.click("#an-save");
  await an.page.waitForFunction(() => document.querySelector("#an-status").textContent.includes("已保存"));
  ok("reviewed, it is published", true);
  await v.goto(base + "/n/" + other);
  await v.waitForSelector("#analysis");
  const pubd = await v.textContent("#analysis");
  ok("a visitor reads it, saying it began as a machine draft", pubd.includes("初稿由机器生成") && pubd.includes("安排检测"), pubd);

  await an.page.selectOption("#cm-state", "sent");
  await an.page.fill("#cm-sent", "2025-04-02");
  await an.page.click("#comment-editor button[type=submit]");
  const cs = await status(an.page, "#cm-status");
  ok("the comment desk saves the comment as sent", cs.includes("已保存"), cs);
  ok("no script error", errors.length === 0, errors);
});
