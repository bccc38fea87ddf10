// tap.mjs: the "ok N - what" lines the browser tests print, and Debian's Chromium launched for them.
import { chromium } from "playwright-core";

export function tap() {
  const t = { n: 0, failed: 0 };
  t.ok = (what, cond, detail) => {
    t.n++;
    if (cond) console.log(`ok ${t.n} - ${what}`);
    else { t.failed++; console.log(`not ok ${t.n} - ${what}`); if (detail !== undefined) console.log("#   " + JSON.stringify(detail).slice(0, 600)); }
  };
  return t;
}

export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
}

// browserTest(NAME, body): Chromium launched, body({ok, browser, errors}) run (errors: the pages' script errors, to
// push to), a throw reported as a failed check, the browser closed, the exit status the checks' verdict.
export async function browserTest(name, body) {
  const t = tap();
  const browser = await launch();
  const errors = [];
  try {
    await body({ ok: t.ok, browser, errors });
  } catch (e) {
    t.ok(name + " ran to the end", false, String(e));
  }
  await browser.close();
  process.exit(t.failed ? 1 : 0);
}
