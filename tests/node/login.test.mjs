// login.test.mjs BASE USER PASSWORD: a translator logs in at the translation desk (/translate) in headless Chromium:
// a wrong password is refused with the reason, the right one shows who is logged in and loads the list; the session
// cookie is invisible to scripts (HttpOnly), and a reload finds the session again. Then the general staff login page
// (/login, linked from every page's footer): it says who is logged in, logs out, logs in again and goes on to the
// page ?next names (never to another site). Prints "ok N - what" lines.
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

  await page.goto(base + "/");
  await page.click("footer a[href='/login']");
  await page.waitForSelector("#login-who");
  ok("every page's footer leads staff to /login, which says who is logged in", (await page.textContent("#login-who")).includes(user), await page.textContent("#login-who"));
  await page.click("#logout");
  await page.waitForSelector("#login-form");
  ok("logging out there ends the session", !(await ctx.cookies()).some((x) => x.name === "tbtwarn_session" && x.value), await ctx.cookies());
  await page.goto(base + "/login?next=//evil.example/x");
  await page.fill("#login-user", user);
  await page.fill("#login-pass", password);
  await page.click("#login-btn");
  await page.waitForFunction(() => location.pathname !== "/login");
  ok("after logging in, a ?next naming another site is ignored: a translator goes to the desk", new URL(page.url()).host === new URL(base).host && new URL(page.url()).pathname === "/translate", page.url());
  await page.goto(base + "/login?next=/n/G/TBT/N/KOR/1210");
  await page.waitForSelector("#login-who");
  await page.click("#logout");
  await page.waitForSelector("#login-form");
  await page.fill("#login-user", user);
  await page.fill("#login-pass", password);
  await page.click("#login-btn");
  await page.waitForFunction(() => location.pathname.startsWith("/n/"));
  ok("and a ?next on this site is followed", new URL(page.url()).pathname === "/n/G/TBT/N/KOR/1210", page.url());
  ok("no script error", errors.length === 0, errors);
});
