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
