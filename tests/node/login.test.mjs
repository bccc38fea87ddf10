// login.test.mjs BASE USER PASSWORD: a translator logs in at the translation desk (/translate) in headless Chromium:
// a wrong password is refused with the reason, the right one shows who is logged in and loads the list; the session
// cookie is invisible to scripts (HttpOnly), and a reload finds the session again. Prints "ok N - what" lines.
import { browserTest } from "./tap.mjs";

const [base, user, password] = process.argv.slice(2);
await browserTest("the login test", async ({ ok, browser, errors }) => {
  const ctx = await browser.newContext({ locale: "zh-CN" });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(base + "/translate");
  await page.fill("#tr-user", user);
  await page.fill("#tr-pass", "not the password at all");
  await page.click("#tr-login-btn");
  await page.waitForFunction(() => document.querySelector("#tr-status").textContent.length > 0);
  const refused = await page.textContent("#tr-status");
  ok("a wrong password is refused, saying so in Chinese", refused.includes("用户名或密码错误"), refused);
  await page.fill("#tr-pass", password);
  await page.click("#tr-login-btn");
  await page.waitForFunction(() => document.querySelector("#tr-who").textContent.includes("已登录"));
  ok("the page says who is logged in, and as what", (await page.textContent("#tr-who")).includes(user + "（译员）"), await page.textContent("#tr-who"));
  await page.waitForFunction(() => document.querySelector("#tr-status").textContent.includes("待校对"));
  ok("the desk's list loads with the session", true);
  ok("the session cookie is not readable by scripts (HttpOnly)", !(await page.evaluate(() => document.cookie)).includes("tbtwarn_session"), await page.evaluate(() => document.cookie));
  const cookies = await ctx.cookies();
  const c = cookies.find((x) => x.name === "tbtwarn_session");
  ok("the browser keeps it as SameSite=Strict, HttpOnly", c && c.sameSite === "Strict" && c.httpOnly, c);
  await page.reload();
  await page.waitForFunction(() => document.querySelector("#tr-who").textContent.includes("已登录"));
  ok("a reload finds the session again", true);
  ok("no script error", errors.length === 0, errors);
});
