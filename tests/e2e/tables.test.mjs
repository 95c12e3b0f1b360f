// tables.test.mjs - the staff and admin tables as people use them (issue
// 12, items 5 and 11): at 1280x800 and at 360x740 each row's main action
// is on screen without a sideways scroll (the table is measured against
// its region and the viewport), the rest of a row's actions open from its
// "More" menu by keyboard (Enter, arrows, Escape back to the button),
// searching narrows the registrations, the counts per status put those
// waiting for approval first, several registrations are approved at once
// with the one that cannot be approved reported by name, and the audit log
// reads as sentences with names, filtered by person, action and day. Every
// state is checked with axe-core; screenshots before and after are kept.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  DESKTOP, PHONE, apiSession, assertNoProblems, checkPage, env, lastMailId, launch, linkIn, logIn, newContext, settle, verifiedAccount, waitForMail,
} from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

// The table fits its region (no sideways scroll) and every main action of
// the rows is inside the viewport.
async function mainActionsVisible(page, what) {
  const m = await page.evaluate(() => {
    const wrap = document.querySelector("#list .table-wrap");
    const vw = document.documentElement.clientWidth;
    const actions = [...document.querySelectorAll("#list .main-action")].map((b) => b.getBoundingClientRect());
    return {
      vw,
      page: document.documentElement.scrollWidth,
      table: wrap.scrollWidth,
      region: wrap.clientWidth,
      actions: actions.length,
      rightmost: Math.max(0, ...actions.map((r) => r.right)),
    };
  });
  assert.ok(m.actions > 0, `${what}: rows have a main action`);
  assert.ok(m.table <= m.region + 1, `${what}: the table (${m.table} px) fits its region (${m.region} px)`);
  assert.ok(m.page <= m.vw, `${what}: the page (${m.page} px) fits the viewport (${m.vw} px)`);
  assert.ok(m.rightmost <= m.vw, `${what}: the main actions end at ${m.rightmost} px, inside ${m.vw} px`);
}

const NEXT = new Date().getFullYear() + 1;
const TITLE = "Urban Heat Resilience Workshop";
const PEOPLE = [
  { email: "ana.reyes@makati.example.org", name: "Ana Reyes", password: "jeepney mango plaza rain 4" },
  { email: "budi.santoso@surabaya.example.org", name: "Budi Santoso", password: "harbour bridge kite sun 8" },
  { email: "chitra.rao@pune.example.org", name: "Chitra Rao", password: "monsoon fort garden tea 3" },
  { email: "dang.minh@danang.example.org", name: "Dang Van Minh", password: "marble river lantern 5" },
];

test("staff tables fit, their menus work by keyboard, search narrows, bulk approval reports each row; the audit log reads as sentences", async () => {
  // The scene: an activity by approval with three seats; four requests, and
  // Chitra Rao already approved.
  const setup = await newContext(browser);
  const staffApi = await apiSession(setup, env.staffEmail, env.staffPassword);
  const created = await staffApi("POST", "/api/activities", {
    kind: "workshop", title: TITLE, timezone: "Asia/Manila", city: "Makati", country: "Philippines",
    starts_on: `${NEXT}-04-14`, ends_on: `${NEXT}-04-16`, mode: "approval", capacity: 3,
  });
  assert.equal(created.status, 201);
  const id = created.body.id;
  assert.equal((await staffApi("POST", `/api/activities/${id}/publish`)).status, 200);
  const enrolment = {};
  for (const p of PEOPLE) {
    const ctx = await newContext(browser);
    await verifiedAccount(ctx, p);
    const call = await apiSession(ctx, p.email, p.password);
    const r = await call("POST", `/api/activities/${id}/enrollments`, { answers: {} });
    assert.equal(r.status, 201);
    assert.equal(r.body.status, "pending_approval");
    enrolment[p.name] = r.body.id;
    await ctx.close();
  }
  assert.equal((await staffApi("POST", `/api/enrollments/${enrolment["Chitra Rao"]}/approve`)).status, 200);
  const me = await staffApi("GET", "/api/me");
  const staffName = me.body.name;
  await setup.close();

  const context = await newContext(browser);
  const page = await context.newPage();
  await page.goto(`${env.base}/login.html`);
  await settle(page);
  await logIn(page, env.staffEmail, env.staffPassword);
  await page.waitForURL((u) => !u.pathname.endsWith("/login.html"));

  // The staff activity list: the counts, those waiting for approval first.
  await page.goto(`${env.base}/staff/activities.html`);
  await settle(page);
  const first = page.locator("#list tbody tr").first();
  assert.match(await first.textContent(), new RegExp(TITLE), "the activity waiting for approvals comes first");
  assert.match(await first.textContent(), /3 waiting for approval/);
  assert.match(await first.textContent(), /1 confirmed/);
  await mainActionsVisible(page, "staff activities at 1280 px");
  await checkPage(page, "tables-staff-activities");

  // The registrations: the width is used, the main actions are visible.
  await first.getByRole("link", { name: `Registrations: ${TITLE}` }).click();
  await page.waitForURL(`**/staff/registrations.html?id=${id}`);
  await settle(page);
  await mainActionsVisible(page, "registrations at 1280 px");
  const counts = page.getByRole("navigation", { name: "Registrations by status" });
  const countLinks = counts.getByRole("link");
  assert.equal(await countLinks.first().textContent(), "Waiting for approval: 3", "pending approvals first");
  assert.match(await counts.textContent(), /Confirmed: 1/);
  await checkPage(page, "tables-registrations-before");

  // A row's menu by keyboard.
  const more = page.getByRole("button", { name: "More actions: Ana Reyes" });
  await more.focus();
  await page.keyboard.press("Enter");
  assert.equal(await more.getAttribute("aria-expanded"), "true");
  const focused = () => page.evaluate(() => document.activeElement.getAttribute("aria-label") || document.activeElement.textContent);
  assert.equal(await focused(), "Reject: Ana Reyes", "the first item has the focus");
  await page.keyboard.press("ArrowDown");
  assert.equal(await focused(), "Move to the waiting list: Ana Reyes");
  await page.keyboard.press("End");
  assert.equal(await focused(), "Cancel registration: Ana Reyes");
  await page.keyboard.press("ArrowDown");
  assert.equal(await focused(), "Reject: Ana Reyes", "the arrows go round");
  await settle(page); // axe with the menu open
  await page.screenshot({ path: `${env.artifacts}/tables-row-menu-open-1280x800.png` });
  await page.keyboard.press("Escape");
  assert.equal(await more.getAttribute("aria-expanded"), "false");
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains("menu-button")), true,
    "Escape returns to the menu's button");
  assert.equal(await page.locator("#list ul.row-menu-list:not([hidden])").count(), 0);

  // Search narrows the list (and the counts).
  await page.getByLabel("Name, email or organisation").fill("budi");
  await page.getByRole("button", { name: "Filter" }).click();
  await settle(page);
  assert.equal(await page.locator("#list tbody tr").count(), 1);
  assert.match(await page.locator("#list tbody tr").first().textContent(), /Budi Santoso/);
  assert.equal(await countLinks.first().textContent(), "Waiting for approval: 1");
  assert.match(page.url(), /q=budi/);
  await checkPage(page, "tables-registrations-search", { shots: false });
  await page.getByLabel("Name, email or organisation").fill("");
  await page.getByRole("button", { name: "Filter" }).click();
  await settle(page);
  assert.equal(await page.locator("#list tbody tr").count(), 4);

  // Approve three at once: Chitra Rao is already confirmed and is reported.
  const bulk = page.getByRole("group", { name: "Selected registrations" });
  assert.equal(await bulk.getByRole("button", { name: "Approve selected" }).isDisabled(), true);
  for (const name of ["Ana Reyes", "Budi Santoso", "Chitra Rao"]) await page.getByLabel(`Select ${name}`).check();
  await bulk.getByText("3 selected").waitFor();
  await settle(page);
  await bulk.getByRole("button", { name: "Approve selected" }).click();
  const result = page.locator("#result");
  await result.getByText("2 registrations approved.", { exact: false }).waitFor();
  assert.match(await result.textContent(), /1 was not changed:/);
  assert.match(await result.textContent(), /Chitra Rao: /);
  await settle(page);
  const check = await newContext(browser);
  const checkApi = await apiSession(check, env.staffEmail, env.staffPassword);
  const list = await checkApi("GET", `/api/activities/${id}/enrollments`);
  const statusOf = (name) => list.body.items.find((e) => e.name === name).status;
  assert.equal(statusOf("Ana Reyes"), "confirmed");
  assert.equal(statusOf("Budi Santoso"), "confirmed");
  assert.equal(statusOf("Chitra Rao"), "confirmed");
  assert.equal(statusOf("Dang Van Minh"), "pending_approval");
  assert.deepEqual(list.body.counts, { pending_approval: 1, confirmed: 3, waitlisted: 0, attended: 0, rejected: 0, cancelled: 0 });
  await check.close();
  assert.equal(await countLinks.first().textContent(), "Waiting for approval: 1");
  await checkPage(page, "tables-registrations-after");

  // At 360 px: rows are cards, the main action is on screen.
  await page.setViewportSize(PHONE);
  await settle(page);
  await mainActionsVisible(page, "registrations at 360 px");
  await page.setViewportSize(DESKTOP);

  // The audit log as sentences, filtered by person, action and day.
  const adminContext = await newContext(browser);
  const admin = await adminContext.newPage();
  await admin.goto(`${env.base}/login.html`);
  await settle(admin);
  await logIn(admin, env.adminEmail, env.adminPassword);
  await admin.waitForURL((u) => !u.pathname.endsWith("/login.html"));
  await admin.goto(`${env.base}/admin/audit.html`);
  await settle(admin);
  await checkPage(admin, "tables-audit-before");
  await admin.getByLabel("Person (name or email address)").fill("Ana Reyes");
  await admin.getByLabel(/^Action/).fill("enrollment.");
  const today = new Date().toISOString().slice(0, 10);
  await admin.getByLabel("From (day, UTC)").fill(today);
  await admin.getByLabel("To (day, UTC)").fill(today);
  await admin.getByRole("button", { name: "Filter" }).click();
  await settle(admin);
  const rows = admin.locator("#list tbody tr");
  assert.equal(await rows.count(), 1, "one registration change about Ana Reyes today");
  assert.equal(await rows.first().locator(".audit-sentence").textContent(), `${staffName} approved Ana Reyes for ${TITLE}`);
  assert.match(await rows.first().textContent(), /enrollment\.approve/, "the code stays beside the sentence");
  assert.match(admin.url(), /person=Ana/);
  await mainActionsVisibleOrNone(admin);
  await checkPage(admin, "tables-audit-after");
  // A day with nothing: the empty state.
  await admin.getByLabel("From (day, UTC)").fill("2000-01-01");
  await admin.getByLabel("To (day, UTC)").fill("2000-01-02");
  await admin.getByRole("button", { name: "Filter" }).click();
  await settle(admin);
  await admin.getByText("Nothing was logged for this filter.").waitFor();

  // The accounts table: one action on each row, the rest in the menu.
  await admin.goto(`${env.base}/admin/accounts.html?q=${encodeURIComponent("chitra")}`);
  await settle(admin);
  await mainActionsVisible(admin, "accounts at 1280 px");
  assert.equal(await admin.getByLabel("Role", { exact: true }).locator("option[value=participant]").textContent(), "Participant (1)",
    "the count of each role, with the search");
  await admin.getByLabel("Role", { exact: true }).selectOption("staff");
  await settle(admin);
  await admin.getByText("No account matches.").waitFor();
  assert.match(admin.url(), /role=staff/);
  await admin.getByLabel("Role", { exact: true }).selectOption("");
  await settle(admin);
  await checkPage(admin, "tables-accounts");
  await admin.goto(`${env.base}/admin/outbox.html`);
  await settle(admin);
  assert.match(await admin.getByLabel("Status").locator("option[value=sent]").textContent(), /^Sent \(\d+\)$/);
  await checkPage(admin, "tables-outbox");

  await assertNoProblems(context);
  await assertNoProblems(adminContext);
  await adminContext.close();
  await context.close();
});

// The audit table has no actions; it must fit all the same.
async function mainActionsVisibleOrNone(page) {
  const m = await page.evaluate(() => {
    const wrap = document.querySelector("#list .table-wrap");
    return { table: wrap.scrollWidth, region: wrap.clientWidth };
  });
  assert.ok(m.table <= m.region + 1, `the audit table (${m.table} px) fits its region (${m.region} px)`);
}
