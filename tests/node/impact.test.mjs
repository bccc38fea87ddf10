// impact.test.mjs URL: a firm follows its alert's link "这项措施影响我们吗？" on a phone (390 px wide, touch) in headless
// Chromium: the page names the notification, the form fits the screen, a report is sent and said saved, and the page
// shows it again when opened anew. Prints "ok N - what" lines.
import { browserTest } from "./tap.mjs";

const [url] = process.argv.slice(2); // and, optionally, an analyst's credentials as JSON
await browserTest("the impact test", async ({ ok, browser, errors }) => {
  const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector("#impact-form");
  ok("the page names the notification", (await page.textContent("main")).includes("G/TBT/N/KOR/1210"), await page.textContent("h1"));
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  ok("the form fits a phone's width (no sideways scrolling)", wide <= 390, wide);
  const box = await page.locator("#impact-form button[type=submit]").boundingBox();
  ok("the button is large enough to touch (44 px)", box && box.height >= 44, box);
  await page.check("input[name=affected][value=yes]");
  await page.fill("#impact-hs", "850440");
  await page.selectOption("#impact-value", "10m-100m");
  await page.selectOption("#impact-city", "佛山");
  await page.fill("#impact-concern", "无线充电器需重新做电磁兼容测试，周期约两个月。");
  await page.check("input[name=join][value=stc]");
  await page.tap("#impact-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#impact-status").textContent.length > 0);
  const said = await page.textContent("#impact-status");
  ok("the report is sent and said saved", said.includes("已提交"), said);
  await page.reload();
  await page.waitForSelector("#impact-form");
  const again = await page.evaluate(() => [document.querySelector("input[name=affected]:checked")?.value, document.querySelector("#impact-value").value,
    document.querySelector("#impact-concern").value, document.querySelector("input[name=join]:checked")?.value, document.querySelector("#impact-city").value]);
  ok("opened anew, the page shows the report to edit", again[0] === "yes" && again[1] === "10m-100m" && again[2].includes("电磁兼容") && again[3] === "stc" && again[4] === "佛山", again);
  // An analyst's dashboard ranks the measures firms reported on.
  if (process.argv[3]) {
    const staff = await browser.newContext({ locale: "zh-CN" });
    const sp = await staff.newPage();
    sp.on("pageerror", (e) => errors.push(String(e)));
    await sp.goto(new URL(url).origin + "/translate");
    const who = await sp.evaluate(async (cred) => (await fetch("/api/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: cred })).status, process.argv[3]);
    await sp.goto(new URL(url).origin + "/dashboard");
    await sp.waitForSelector("#ranking tbody tr");
    const first = await sp.textContent("#ranking tbody tr");
    ok("an analyst's dashboard ranks the measures by reported impact", who === 200 && first.includes("G/TBT/N/KOR/1210"), [who, first]);
    await sp.waitForSelector("#response-summary tbody tr");
    const rt = await sp.textContent("#response-summary");
    ok("and shows the service's response times", rt.includes("首次预警") && rt.includes("发布解读") && rt.includes("提交评议"), rt);
    await staff.close();
  }
  ok("no script error", errors.length === 0, errors);
});
