// score.mjs - Lighthouse (mobile profile, its defaults: a Moto G Power
// screen, simulated slow 4G and a 4x slower CPU) on the public pages a
// visitor opens first: the calendar, an activity page and sign-up. Prints
// the four category scores and the cumulative layout shift per page, keeps
// each report (HTML and JSON) in LH_ARTIFACTS, and exits 1 when a score is
// under LH_MIN (default 95). Run by tests/lighthouse/run.sh, which starts
// the server; settings: LH_BASE_URL, LH_ARTIFACTS, CHROME_PATH, LH_MIN,
// LH_RUNS (runs per page at most, the best performance score counts; a run
// that reaches LH_MIN ends them; default 2).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";

const base = (process.env.LH_BASE_URL || "").replace(/\/$/, "");
if (!base) throw new Error("LH_BASE_URL is not set: run tests/lighthouse/run.sh");
const artifacts = process.env.LH_ARTIFACTS || "lighthouse-artifacts";
const min = Number(process.env.LH_MIN || 95);
const runs = Math.max(1, Number(process.env.LH_RUNS || 2));
const categories = ["performance", "accessibility", "best-practices", "seo"];
mkdirSync(artifacts, { recursive: true });

// An activity of the calendar's first page (the soonest upcoming one).
async function firstActivity() {
  const res = await fetch(`${base}/api/activities?per_page=1`);
  if (!res.ok) throw new Error(`GET /api/activities: ${res.status}`);
  const body = await res.json();
  const item = (body.items || [])[0];
  if (!item) throw new Error("the calendar is empty: nothing to measure");
  return item.id;
}

const pages = [
  { name: "calendar", url: `${base}/index.html` },
  { name: "activity", url: `${base}/activity.html?id=${await firstActivity()}` },
  { name: "signup", url: `${base}/signup.html` },
];

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  chromeFlags: [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});

const failures = [];
const rows = [];
try {
  for (const p of pages) {
    let best = null;
    let errors = 0;
    for (let i = 0; i < runs; i++) {
      const result = await lighthouse(p.url, {
        port: chrome.port,
        output: ["html", "json"],
        logLevel: "error",
        onlyCategories: categories,
      });
      const lhr = result.lhr;
      // A trace Chrome failed to record (NO_NAVSTART, NO_FCP on a busy
      // machine) is run again, up to three times a page.
      if (lhr.runtimeError) {
        const why = `${p.name}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`;
        if (++errors > 3) throw new Error(why);
        console.error(`${why}; running it again`);
        i--;
        continue;
      }
      const perf = lhr.categories.performance.score;
      if (!best || perf > best.lhr.categories.performance.score) best = result;
      // A first run that reaches the bar is enough; the others are for a
      // run slowed by something else on the machine.
      if (best.lhr.categories.performance.score * 100 >= min) break;
    }
    const lhr = best.lhr;
    writeFileSync(path.join(artifacts, `${p.name}.report.html`), best.report[0]);
    writeFileSync(path.join(artifacts, `${p.name}.report.json`), best.report[1]);
    const scores = Object.fromEntries(categories.map((c) => [c, Math.round(lhr.categories[c].score * 100)]));
    const cls = lhr.audits["cumulative-layout-shift"].numericValue;
    rows.push({ page: p.name, ...scores, cls: cls.toFixed(3) });
    for (const c of categories) {
      if (scores[c] < min) {
        const failed = lhr.categories[c].auditRefs
          .map((ref) => lhr.audits[ref.id])
          .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode !== "informative"
            && a.scoreDisplayMode !== "notApplicable" && a.scoreDisplayMode !== "manual")
          .map((a) => `${a.id} (${a.displayValue || a.score})`);
        failures.push(`${p.name}: ${c} ${scores[c]} < ${min}; audits not passed: ${failed.join(", ") || "none"}`);
      }
    }
  }
} finally {
  await chrome.kill();
}

const head = ["page", ...categories, "cls"];
const width = (k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length));
const line = (r) => head.map((k) => String(r[k]).padEnd(width(k))).join("  ");
console.log(line(Object.fromEntries(head.map((k) => [k, k]))));
for (const r of rows) console.log(line(r));
writeFileSync(path.join(artifacts, "scores.txt"), [line(Object.fromEntries(head.map((k) => [k, k]))), ...rows.map(line)].join("\n") + "\n");
if (failures.length) {
  console.error(`\nUnder ${min}:\n  ${failures.join("\n  ")}`);
  console.error(`Reports: ${artifacts}/<page>.report.html`);
  process.exit(1);
}
console.log(`All scores at least ${min}. Reports: ${artifacts}`);
