// desk.test.mjs BASE TOKEN SYMBOL TEXT: the translation desk (/translate) in headless Chromium: the admin token
// loads the machine texts to review beside their English; the title of SYMBOL is corrected to TEXT and saved as a
// person's text. Prints "ok N - what" lines.
import { browserTest } from "./tap.mjs";

const [base, token, symbol, text] = process.argv.slice(2);
await browserTest("the desk test", async ({ ok, browser, errors }) => {
  const ctx = await browser.newContext({ locale: "zh-CN" });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(base + "/translate");
  await page.fill("#tr-token", "wrong");
  await page.click("#tr-load");
  await page.waitForFunction(() => document.querySelector("#tr-status").textContent.length > 0);
  ok("a wrong token is refused with the reason", (await page.textContent("#tr-status")).includes("Bearer"), await page.textContent("#tr-status"));
  await page.fill("#tr-token", token);
  await page.click("#tr-load");
  await page.waitForSelector(".tr-item");
  const items = await page.$$eval(".tr-item", (li) => li.map((x) => x.textContent));
  ok("the desk lists machine texts beside their English", items.length > 0 && items.some((t) => t.includes(symbol) && t.includes("机器翻译")), items.slice(0, 2));
  const exact = new RegExp("^" + symbol.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&") + "$");
  const item = page.locator(".tr-item").filter({ has: page.locator("a.sym", { hasText: exact }) }).filter({ hasText: "标题" }).first();
  await item.locator("textarea").fill(text);
  await item.locator("button").first().click();
  await item.locator("text=✓").waitFor();
  const rec = await page.evaluate(async (s) => (await fetch("/api/notifications/" + s)).json(), symbol);
  ok("the corrected title is saved as a person's text", rec.text.zh.title === text && rec.translations.zh.title.by === "human", rec.translations);
  ok("no script error", errors.length === 0, errors);
});
