// checkin.test.mjs - check-in at the door on a 360 x 740 phone (issue 14):
// a two-day activity with 300 registrations loaded once; searching by
// name, accents left out, by organisation and by email narrows the list
// without another request; one tap marks a person arrived (aria-pressed,
// the count at the top, the polite announcement), the other day is its
// own, both days make them Attended, "Undo" and a second tap take it back;
// the keyboard alone (search, Enter, Space) checks someone in; a person on
// the waiting list has no button; one day of two is made enough to be
// Attended. Every state is checked with axe-core and
// for horizontal overflow at 360 px, and photographed.
//
// The 300 registrations are written straight into the test database (as
// the integration suites do with harness_sql): tests/e2e/run.sh exports its
// CONVENE_DATABASE_URL to the tests.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import path from "node:path";
import {
  PHONE, apiSession, assertNoProblems, axe, env, launch, logIn, newContext, overflow, settle,
} from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

function sql(text) {
  const url = process.env.CONVENE_DATABASE_URL;
  assert.ok(url, "CONVENE_DATABASE_URL is set (tests/e2e/run.sh exports it)");
  return execFileSync("psql", [url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", text], { encoding: "utf8" }).trim();
}

// The standard check at the phone's size: axe, no overflow, a screenshot.
async function phoneState(page, name) {
  await settle(page, { axe: false });
  await axe(page, `${name} at 360 px`);
  assert.deepEqual(await overflow(page), [], `${name} overflows at 360 px`);
  await page.screenshot({ path: path.join(env.artifacts, `${name}-360x740.png`), fullPage: false });
}

const NEXT = new Date().getFullYear() + 1;
const STAMP = Date.now();

test("staff check people in at the door on a phone, with 300 registrations", async () => {
  const setup = await newContext(browser);
  const staffApi = await apiSession(setup, env.staffEmail, env.staffPassword);
  const created = await staffApi("POST", "/api/activities", {
    kind: "training_programme", title: "Resilient Ports Training", timezone: "Asia/Seoul", city: "Busan",
    country: "Republic of Korea", starts_on: `${NEXT}-09-14`, ends_on: `${NEXT}-09-15`, mode: "open",
  });
  assert.equal(created.status, 201);
  const id = created.body.id;
  assert.equal((await staffApi("POST", `/api/activities/${id}/publish`)).status, 200);
  await setup.close();

  // 297 participants plus three the test looks for; two on the waiting
  // list. Organisations from the seed, in turn.
  sql(`
    WITH orgs AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM organisations),
    people(n, name, email, org) AS (
      SELECT i, 'Participant ' || lpad(i::text, 3, '0'), 'p' || i || '-${STAMP}@door.example.org',
             (SELECT id FROM orgs WHERE k = i % (SELECT count(*) FROM orgs))
        FROM generate_series(1, 297) i
      UNION ALL SELECT 298, 'Kim Min-jun', 'minjun.kim-${STAMP}@seoul.example.org',
             (SELECT id FROM organisations WHERE name = 'Seoul Metropolitan Government')
      UNION ALL SELECT 299, 'Nguyễn Thị Lan', 'lan.nguyen-${STAMP}@hue.example.org', NULL
      UNION ALL SELECT 300, 'Somchai Jaidee', 'somchai-${STAMP}@bma.example.org',
             (SELECT id FROM organisations WHERE name = 'Bangkok Metropolitan Administration')),
    acc AS (
      INSERT INTO accounts (email, password_hash, name, organisation_id, email_verified_at)
      SELECT email, 'x', name, org, now() FROM people RETURNING id, email)
    INSERT INTO enrollments (activity_id, account_id, organisation_id, status, waitlist_seq)
    SELECT ${id}, acc.id, p.org, CASE WHEN p.n IN (5, 6) THEN 'waitlisted' ELSE 'confirmed' END,
           CASE WHEN p.n IN (5, 6) THEN p.n END
      FROM people p JOIN acc ON acc.email = p.email;
    UPDATE activities SET confirmed_count = 298, waitlist_counter = 6 WHERE id = ${id};`);

  const context = await newContext(browser, { viewport: PHONE, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  const loads = [];
  page.on("request", (req) => {
    if (new URL(req.url()).pathname === `/api/activities/${id}/checkin` && req.method() === "GET") loads.push(req.url());
  });
  await page.goto(`${env.base}/login.html`);
  await settle(page);
  await logIn(page, env.staffEmail, env.staffPassword);
  await page.waitForURL((u) => !u.pathname.endsWith("/login.html"));

  // The staff activity page links to the check-in.
  await page.goto(`${env.base}/staff/activity.html?id=${id}`);
  await settle(page);
  await page.getByRole("link", { name: "Check-in at the door" }).click();
  await page.waitForURL((u) => u.pathname === "/staff/checkin.html" && u.searchParams.get("id") === String(id));
  await settle(page);
  await page.getByRole("heading", { level: 1, name: "Check-in: Resilient Ports Training" }).waitFor();

  const list = page.getByRole("list", { name: "Registrations" });
  const shown = () => list.locator("li:not([hidden])").count();
  const arrived = page.locator("#count-arrived");
  const countText = page.locator("#count-text");
  assert.equal(await shown(), 300);
  assert.equal(await arrived.textContent(), "0");
  assert.match(await countText.textContent(), /on day 1 of 298 expected · 0 attended/);
  assert.equal(await page.locator("#match-count").textContent(), "300 registrations");
  assert.equal(await page.getByLabel("Day", { exact: true }).inputValue(), "1");
  await phoneState(page, "checkin-start");

  // Search as you type: by name, accents left out, by organisation, by email.
  const search = page.getByLabel("Search by name, email or organisation");
  await search.pressSequentially("kim min");
  await page.waitForFunction(() => document.querySelectorAll("#people li:not([hidden])").length === 1);
  assert.equal(await page.locator("#match-count").textContent(), "1 of 300 matches");
  const kim = page.getByRole("button", { name: "Arrived: Kim Min-jun" });
  assert.equal(await kim.getAttribute("aria-pressed"), "false");
  await phoneState(page, "checkin-search");
  await search.fill("nguyen");
  await page.getByRole("button", { name: "Arrived: Nguyễn Thị Lan" }).waitFor();
  assert.equal(await shown(), 1);
  await search.fill("bangkok metropolitan");
  await page.getByRole("button", { name: "Arrived: Somchai Jaidee" }).waitFor();
  assert.ok((await shown()) >= 1);
  for (const row of await list.locator("li:not([hidden])").all()) {
    assert.match(await row.textContent(), /Bangkok Metropolitan Administration/);
  }
  await search.fill("nobody-at-all");
  await page.getByText("Nobody matches the search.").waitFor();
  assert.equal(await shown(), 0);
  await phoneState(page, "checkin-no-match");
  await search.fill(`minjun.kim-${STAMP}`);
  await kim.waitFor();

  // One tap: arrived on day 1; the count and the announcement follow.
  await kim.tap();
  await page.waitForFunction(() => document.querySelector("#people li:not([hidden]) button")?.getAttribute("aria-pressed") === "true"
    && !document.querySelector("[aria-busy=true]"));
  assert.equal(await arrived.textContent(), "1");
  assert.equal(await page.locator("#announce").textContent(), "Marked Kim Min-jun as arrived on day 1.");
  assert.equal(await page.locator("#announce").getAttribute("aria-live"), "polite");
  assert.match(await list.locator("li:not([hidden])").textContent(), /Days 1 of 2/);
  await phoneState(page, "checkin-marked");

  // Day 2 is its own: not pressed there; marking it too makes Attended.
  await page.getByLabel("Day", { exact: true }).selectOption("2");
  await page.waitForFunction(() => document.querySelector("#people li:not([hidden]) button")?.getAttribute("aria-pressed") === "false");
  assert.equal(await arrived.textContent(), "0");
  await kim.tap();
  await page.waitForFunction(() => document.getElementById("count-arrived").textContent === "1");
  assert.match(await countText.textContent(), /on day 2 of 298 expected · 1 attended/);
  assert.match(await list.locator("li:not([hidden])").textContent(), /Attended/);
  await phoneState(page, "checkin-attended");

  // Undo (the button beside the announcement) takes day 2 back.
  await page.getByRole("button", { name: "Undo" }).tap();
  await page.waitForFunction(() => document.getElementById("count-arrived").textContent === "0"
    && !document.querySelector("[aria-busy=true]"));
  assert.equal(await kim.getAttribute("aria-pressed"), "false");
  assert.equal(await page.locator("#announce").textContent(), "Kim Min-jun is no longer marked as arrived on day 2.");
  assert.match(await countText.textContent(), /0 attended/);
  assert.match(await list.locator("li:not([hidden])").textContent(), /Confirmed/);
  await phoneState(page, "checkin-undone");

  // Back on day 1: still marked there; a second tap undoes it.
  await page.getByLabel("Day", { exact: true }).selectOption("1");
  assert.equal(await kim.getAttribute("aria-pressed"), "true");
  assert.equal(await arrived.textContent(), "1");
  await kim.tap();
  await page.waitForFunction(() => document.getElementById("count-arrived").textContent === "0"
    && !document.querySelector("[aria-busy=true]"));
  assert.equal(await kim.getAttribute("aria-pressed"), "false");

  // The keyboard alone: type, Enter goes to the first person, Space marks.
  await search.fill("");
  await search.focus();
  await page.keyboard.type("somchai");
  await page.keyboard.press("Enter");
  const somchai = page.getByRole("button", { name: "Arrived: Somchai Jaidee" });
  assert.equal(await somchai.evaluate((el) => el === document.activeElement), true);
  await page.keyboard.press("Space");
  await page.waitForFunction(() => document.getElementById("count-arrived").textContent === "1"
    && !document.querySelector("[aria-busy=true]"));
  assert.equal(await somchai.getAttribute("aria-pressed"), "true");
  assert.equal(await somchai.evaluate((el) => el === document.activeElement), true, "the focus stays on the button");
  assert.equal(await page.locator("#announce").textContent(), "Marked Somchai Jaidee as arrived on day 1.");

  // Someone on the waiting list has no button.
  // By the address: "participant 005" would also match every address
  // whose time stamp holds "005".
  await search.fill(`p5-${STAMP}@`);
  await page.waitForFunction(() => document.querySelectorAll("#people li:not([hidden])").length === 1);
  const waiting = list.locator("li:not([hidden])");
  assert.equal(await waiting.getByRole("button").count(), 0);
  assert.match(await waiting.textContent(), /On the waiting list/);
  assert.match(await waiting.textContent(), /Cannot be checked in/);
  await phoneState(page, "checkin-waitlisted");

  // All of it came from one load of the list.
  assert.equal(loads.length, 1, "the registrations were loaded once");

  // The rule: one day of two makes attended; Somchai (day 1) is at once.
  await search.fill("somchai");
  const rule = page.getByRole("region", { name: "Days that make “attended”" });
  const needed = rule.getByLabel("Attended after");
  assert.equal(await needed.inputValue(), "");
  assert.equal(await needed.locator("option:checked").textContent(), "All 2 days");
  await needed.selectOption({ label: "1 day of 2" });
  await rule.getByRole("button", { name: "Save the rule" }).tap();
  await page.getByText("Saved: 1 day marked makes a participant attended.").waitFor();
  await page.waitForFunction(() => /1 attended/.test(document.getElementById("count-text").textContent));
  assert.match(await list.locator("li:not([hidden])").textContent(), /Attended/);
  assert.equal(await somchai.getAttribute("aria-pressed"), "true");
  assert.equal(await search.inputValue(), "somchai", "the search is kept");
  await rule.scrollIntoViewIfNeeded();
  await phoneState(page, "checkin-rule");
  assert.equal(loads.length, 2, "the rule loaded the list again, once");

  // The server agrees.
  const check = await newContext(browser);
  const staff2 = await apiSession(check, env.staffEmail, env.staffPassword);
  const state = await staff2("GET", `/api/activities/${id}/checkin`);
  assert.equal(state.status, 200);
  assert.deepEqual(state.body.counts, { expected: 298, attended: 1, arrived: [1, 0] });
  assert.equal(state.body.activity.days_needed, 1);
  const byName = Object.fromEntries(state.body.items.map((e) => [e.name, e]));
  assert.deepEqual(byName["Somchai Jaidee"].days, [1]);
  assert.deepEqual(byName["Kim Min-jun"].days, []);
  assert.equal(byName["Kim Min-jun"].status, "confirmed");
  await check.close();

  await assertNoProblems(context);
  await context.close();
});
