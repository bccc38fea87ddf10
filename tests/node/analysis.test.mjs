// analysis.test.mjs BASE SYMBOL CREDENTIALS: an analyst logs in (the session's cookie), opens the notification's page
// in headless Chromium, writes the analysis in the editor and publishes it; a visitor without a session then reads it
// on the same page. Prints "ok N - what" lines.
import { browserTest } from "./tap.mjs";

const [base, symbol, cred] = process.argv.slice(2);
await browserTest("the analysis test", async ({ ok, browser, errors }) => {
  const ctx = await browser.newContext({ locale: "zh-CN" });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(base + "/");
  const st = await page.evaluate(async (c) => (await fetch("/api/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: c })).status, cred);
  ok("the analyst logs in", st === 200, st);
  await page.goto(base + "/n/" + symbol);
  await page.waitForSelector("#analysis-editor");
  ok("the notification's page offers the analyst the editor", true);
  await page.fill("#an-summary", "浏览器中撰写的解读：新规要求无线充电器重新认证。");
  await page.fill("#an-req", "按新版技术法规进行合格评定。");
  await page.fill("#an-actions", "提交评议意见\n联系认证机构");
  await page.check("#an-published");
  await page.click("#an-save");
  await page.waitForFunction(() => document.querySelector("#an-status").textContent.length > 0);
  const said = await page.textContent("#an-status");
  ok("saving publishes it and says the follow-ups were queued", said.includes("已保存"), said);
  const anon = await browser.newContext({ locale: "zh-CN" });
  const p2 = await anon.newPage();
  p2.on("pageerror", (e) => errors.push(String(e)));
  await p2.goto(base + "/n/" + symbol);
  await p2.waitForSelector("#analysis");
  const text = await p2.textContent("#analysis");
  ok("a visitor reads it on the page, with the actions", text.includes("专家解读与应对建议") && text.includes("浏览器中撰写的解读") && text.includes("联系认证机构"), text);
  ok("and no editor for a visitor", (await p2.$("#analysis-editor")) === null);
  ok("no script error", errors.length === 0, errors);
});
