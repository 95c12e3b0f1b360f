// mail.test.mjs - every mail as people see it: the previews that unit.tmpl
// renders through the real template code with sample variables
// (build/mail-previews/<name>.html, listed in index.json; tests/run.sh and
// tests/e2e/run.sh make them) opened in Chromium at 600 px (a desktop mail
// client's reading pane) and 360 px (a phone), light and dark. Each must
// fit without sideways scrolling, show its button whole, and pass axe.
// Screenshots: build/e2e-artifacts/mail-<name>-<width>[-dark].png.
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { env, launch } from "./lib.mjs";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const previews = process.env.E2E_MAIL_PREVIEWS || path.resolve("../../build/mail-previews");
const axeLog = path.join(env.artifacts, "axe.txt");

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser.close();
});

// axe as for the pages, but for a mail: it is not a page with landmarks,
// so the rules that want every part in a landmark and a <main> are off.
async function axeMail(page, name) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      rules: { region: { enabled: false }, "landmark-one-main": { enabled: false } },
      resultTypes: ["violations"],
    });
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  });
  appendFileSync(axeLog, `mail ${name}: ${found.length} violation(s)\n${found.map((l) => `  ${l}\n`).join("")}`);
  return found;
}

test("every mail fits 600 and 360 px, light and dark, with its button visible and no axe finding", async () => {
  const indexFile = path.join(previews, "index.json");
  assert.ok(existsSync(indexFile), `no ${indexFile}: run the unit test first (ctest -R unit.tmpl)`);
  const mails = JSON.parse(readFileSync(indexFile, "utf8"));
  assert.ok(mails.length >= 18, "every template has a preview");
  const problems = [];
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await context.newPage();
  for (const { name, subject } of mails) {
    const url = pathToFileURL(path.join(previews, `${name}.html`)).href;
    for (const [width, scheme] of [[600, "light"], [360, "light"], [360, "dark"]]) {
      const label = `${name} at ${width} px${scheme === "dark" ? ", dark" : ""}`;
      await page.setViewportSize({ width, height: 800 });
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(url);
      assert.equal(await page.title(), subject, `${name}: the subject is the title`);
      const wide = await page.evaluate(() => {
        const doc = document.documentElement;
        const over = [...document.querySelectorAll("body *")]
          .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 1)
          .map((el) => el.tagName.toLowerCase() + (el.className ? `.${el.className}` : ""));
        return { scroll: doc.scrollWidth, client: doc.clientWidth, over: over.slice(0, 3) };
      });
      if (wide.scroll > wide.client) {
        problems.push(`${label}: ${wide.scroll} px wide in ${wide.client} px (${wide.over.join(", ")})`);
      }
      const button = page.locator("a.button-link");
      if ((await button.count()) !== 1) {
        problems.push(`${label}: ${await button.count()} buttons`);
      } else {
        const box = await button.boundingBox();
        if (!(await button.isVisible()) || !box || box.x < 0 || box.x + box.width > width || box.height < 40) {
          problems.push(`${label}: the button is not whole on screen (${JSON.stringify(box)})`);
        }
        const card = await page.locator("td.card").boundingBox();
        if (width === 600 && card.width > 600) problems.push(`${label}: the card is ${card.width} px wide`);
      }
      if (scheme === "dark") {
        const bg = await page.evaluate(() => getComputedStyle(document.querySelector("td.card")).backgroundColor);
        if (bg === "rgb(255, 255, 255)") problems.push(`${label}: the card stays white in dark mode`);
      }
      for (const v of await axeMail(page, label)) problems.push(`${label}: axe: ${v}`);
      await page.screenshot({
        path: path.join(env.artifacts, `mail-${name}-${width}${scheme === "dark" ? "-dark" : ""}.png`),
        fullPage: true,
      });
    }
  }
  await context.close();
  assert.deepEqual(problems, []);
});
