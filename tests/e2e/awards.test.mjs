// awards.test.mjs - the SDG Awards year in a real browser: staff create a
// cycle (the error summary first), confirm a member's affiliation; the
// member (told first that it is unconfirmed) drafts a case that saves
// itself, sees the type and size errors of attachments, submits it after
// the review step; staff assign two judges and record a conflict for one
// (who then does not see the case); the other judge scores ("save and
// next"); members vote and one changes the vote, another withdraws and
// votes again; staff read the progress and the vote report; the phases
// close; staff preview and publish; the gallery and the results show the
// case. Every awards page is photographed at 1280x800 and 360x740 and
// checked for overflow at 360 px and with axe (see lib.mjs).
//
// The phases are moved by staff through the API (PATCH of the cycle's
// instants), never by waiting. Steps that need routes other branches are
// building (files, results, publish, gallery, CSV) are skipped, saying
// so, while the server answers 404 for them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  allowApi, assertNoProblems, checkPage, env, lastMailId, launch, linkIn, logIn, newContext, settle, waitForMail,
} from "./lib.mjs";

// ---- The scene ------------------------------------------------------------

// `convene seed` prints "  EMAIL  ROLES  password: PASSWORD" per account.
const seeded = {};
for (const line of (process.env.E2E_SEED_OUTPUT || "").split("\n")) {
  const m = /^\s*(\S+@\S+)\s+\S+\s+password:\s+(\S+)/.exec(line);
  if (m) seeded[m[1]] = m[2];
}
function password(email) {
  assert.ok(seeded[email], `the seed printed the password of ${email} (E2E_SEED_OUTPUT from run.sh)`);
  return seeded[email];
}
const MEMBER = "minjun.kim@seoul.example.org"; // Seoul: writes case A
const MEMBER2 = "maria.santos@makati.example.org"; // Makati: case B, through the API
const JUDGE = "judge@convene.example.org"; // Aiko Tanaka, Yokohama
const JUDGE2 = "amit.sharma@kathmandu.example.org"; // made a judge, conflicted with case A
const VOTER = "somchai@bangkok.example.org";
// A voter of its own (accounts.test.mjs changes seeded passwords).
const VOTER2 = "voter.awards@hanoi.example.org";
const VOTER2_PASSWORD = "lotus lantern river vote 2026";
const CYCLE = "SDG Awards 2026";
const CAT1 = "Climate Action and Resilience";
const CAT2 = "Inclusive and Safe Cities";
const CASE_A = "Seoul Green Rooftops: 4,000 roofs cooling the city · 서울 녹색 지붕";
const CASE_B = "Makati Flood Early Warning by Text Message";

// Which of the routes other branches are building answer here: a missing
// route is 404 whoever asks; an existing one refuses a caller without a
// session (401) or finds nothing to show.
async function routeStatus(method, path) {
  const r = await fetch(`${env.base}${path}`, { method, headers: { Accept: "application/json" } });
  return r.status;
}
const has = {
  files: (await routeStatus("POST", "/api/submissions/1/files")) !== 404,
  results: (await routeStatus("POST", "/api/awards/cycles/1/publish")) !== 404,
  gallery: (await routeStatus("GET", "/api/awards/gallery")) !== 404,
  csv: (await routeStatus("GET", "/api/awards/cycles/1/votes.csv")) !== 404,
};
const needs = (what, route) => (has[what] ? false : `needs the ${route} route (answers 404 here)`);

let browser;
const state = {}; // ids shared by the steps, in order
before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

// Logs a browser context in through the API; returns a call(method, path,
// body) that sends the session's CSRF token.
async function apiSession(context, email, pw) {
  const r = await context.request.post(`${env.base}/api/auth/login`, { data: { email, password: pw } });
  assert.equal(r.status(), 200, `log-in of ${email}`);
  const { csrf_token: csrf } = await r.json();
  return async (method, path, data) => {
    const res = await context.request.fetch(`${env.base}${path}`, {
      method, data, headers: method === "GET" ? {} : { "X-CSRF-Token": csrf },
    });
    const type = res.headers()["content-type"] || "";
    return { status: res.status(), body: type.startsWith("application/json") ? await res.json() : await res.text(), headers: res.headers() };
  };
}

// A page logged in as `email` through the log-in page, then at `path`.
// allows: [status, method, path, why] answers the page may get on purpose.
async function loggedIn(email, pw, path, allows = []) {
  const context = await newContext(browser);
  for (const a of allows) allowApi(context, ...a);
  const page = await context.newPage();
  await page.goto(`${env.base}/login.html?next=${encodeURIComponent(path)}`);
  await settle(page);
  await logIn(page, email, pw);
  await page.waitForURL(`**${path.split("?")[0]}*`);
  await settle(page);
  return { context, page };
}

// Signs up and confirms an account through the API and the caught mail.
async function verifiedAccount(email, pw, name) {
  const context = await newContext(browser);
  const before = await lastMailId();
  const r = await context.request.post(`${env.base}/api/auth/signup`, { data: { email, password: pw, name } });
  assert.equal(r.status(), 202);
  const mail = await waitForMail(email, /confirm your email address/i, { after: before });
  const token = new URL(linkIn(mail, "verify-email.html")).searchParams.get("token");
  const v = await context.request.post(`${env.base}/api/auth/verify`, { data: { token } });
  assert.equal(v.status(), 200);
  await context.close();
}

async function accountId(call, email) {
  const r = await call("GET", `/api/accounts?q=${encodeURIComponent(email)}`);
  assert.equal(r.status, 200);
  const a = r.body.items.find((x) => x.email === email);
  assert.ok(a, `an account ${email}`);
  return a.id;
}

// "2026-11-29T10:00" in the browser contexts' zone (Asia/Seoul).
function seoulInput(ms) {
  const s = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Asia/Seoul", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).format(new Date(ms));
  return s.replace(" ", "T");
}

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const iso = (ms) => new Date(ms).toISOString();

// Moves the cycle's windows so that the phase wanted holds now.
async function setPhase(call, phase) {
  const now = Date.now();
  const w = {
    vote_and_jury: {
      submission_opens_at: iso(now - 3 * HOUR), submission_closes_at: iso(now - 2 * HOUR),
      voting_opens_at: iso(now - HOUR), voting_closes_at: iso(now + DAY),
      evaluation_opens_at: iso(now - HOUR), evaluation_closes_at: iso(now + 2 * DAY),
    },
    closed: {
      submission_opens_at: iso(now - 3 * HOUR), submission_closes_at: iso(now - 2 * HOUR),
      voting_opens_at: iso(now - HOUR), voting_closes_at: iso(now - 60 * 1000),
      evaluation_opens_at: iso(now - HOUR), evaluation_closes_at: iso(now - 60 * 1000),
    },
  }[phase];
  const r = await call("PATCH", `/api/awards/cycles/${state.cycleId}`, w);
  assert.equal(r.status, 200, `the cycle moves to ${phase}: ${JSON.stringify(r.body)}`);
  return r.body;
}

// ---- 1. Staff create the cycle --------------------------------------------

test("staff create a cycle: an error summary linking to the fields, then the cycle", async () => {
  const { context, page } = await loggedIn(env.staffEmail, env.staffPassword, "/staff/awards.html");
  // The seed brings the 2023 cycle, closed.
  assert.match(await page.locator("main").innerText(), /CityNet-ESCAP SDG City Awards 2023\s*2023 · 4 categories[\s\S]*Closed, results to come/);
  await page.getByRole("link", { name: "New cycle" }).click();
  await page.waitForURL("**/staff/award-cycle.html");
  await settle(page);
  assert.match(await page.locator("#zone-hint").innerText(), /Asia\/Seoul/, "the times say their zone");

  // Nothing filled in: the summary at the top says what to do, each entry a link.
  await page.getByRole("button", { name: "Save the cycle" }).click();
  const summary = page.locator("#error-summary");
  await summary.waitFor();
  assert.match(await summary.innerText(), /There is a problem/);
  assert.match(await summary.innerText(), /Enter a title for the cycle/);
  assert.match(await summary.innerText(), /Enter the category's name/);
  await settle(page);
  await summary.getByRole("link", { name: "Enter a title for the cycle" }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), "title", "the link leads to the field");
  await checkPage(page, "awards-staff-cycle-errors");

  const now = Date.now();
  await page.getByLabel("Title", { exact: true }).fill(CYCLE);
  await page.getByLabel("Submissions open").fill(seoulInput(now - HOUR));
  await page.getByLabel("Submissions close").fill(seoulInput(now + 2 * DAY));
  await page.getByLabel("Public vote opens").fill(seoulInput(now + 3 * DAY));
  await page.getByLabel("Public vote closes").fill(seoulInput(now + 4 * DAY));
  await page.getByLabel("Jury evaluation opens").fill(seoulInput(now + 3 * DAY));
  await page.getByLabel("Jury evaluation closes").fill(seoulInput(now + 5 * DAY));
  await page.getByLabel("Jury share (%)").fill("60");
  assert.equal(await page.getByLabel("Public vote share (%)").inputValue(), "40", "the shares complete each other");
  await page.getByLabel("Judges per case, at least").fill("2");
  await page.getByLabel("Finalists per category").fill("2");
  await page.getByLabel("Category name").first().fill(CAT1);
  await page.getByRole("button", { name: "Add a category" }).click();
  await page.getByLabel("Category name").nth(1).fill(CAT2);
  await page.getByLabel("Criterion name").first().fill("Impact");
  await page.getByLabel("Weight").first().fill("2");
  await page.getByRole("button", { name: "Add a criterion" }).click();
  await page.getByLabel("Criterion name").nth(1).fill("Replicability");
  await page.getByLabel("Highest score").nth(1).fill("5");
  await page.getByRole("button", { name: "Save the cycle" }).click();
  await page.waitForURL(/award-cycle\.html\?id=\d+/);
  await settle(page);
  state.cycleId = Number(new URL(page.url()).searchParams.get("id"));
  const banner = page.locator("#banner");
  assert.match(await banner.innerText(), /The cycle is created/, "the confirmation is at the top");
  assert.equal(await page.getByLabel("Category name").count(), 2);
  await checkPage(page, "awards-staff-cycle");

  await page.goto(`${env.base}/staff/awards.html`);
  await settle(page);
  const row = page.locator("tr", { hasText: CYCLE });
  await row.getByRole("link", { name: `Edit: ${CYCLE}` }).waitFor();
  // The row's main action is visible at 1280 px without scrolling sideways.
  const box = await row.getByRole("link", { name: `Edit: ${CYCLE}` }).boundingBox();
  assert.ok(box && box.x + box.width <= 1280, "Edit is visible at 1280 px");
  assert.match(await row.innerText(), /Cases can be submitted/);
  assert.match(await row.innerText(), /Submissions close/);
  await row.locator("summary", { hasText: "More" }).click();
  assert.ok(await row.getByRole("link", { name: "Judges" }).isVisible(), "the other actions are in the menu");
  await checkPage(page, "awards-staff-cycles");
  await assertNoProblems(context);
  await context.close();
});

// ---- 2. A member: unconfirmed, confirmed, drafts, attaches, submits ---------

test("a member is told to get confirmed, staff confirm it, it drafts a case that saves itself and submits it", async () => {
  const { context, page } = await loggedIn(MEMBER, password(MEMBER), "/awards/index.html");
  allowApi(context, 404, "GET", /^\/api\/me\/submissions$/, "no list of an organisation's cases yet: the page falls back");
  const main = page.locator("main");
  assert.match(await main.innerText(), new RegExp(CYCLE));
  assert.match(await main.innerText(), /Cases can be submitted/);
  assert.match(await main.innerText(), /Submissions close in \d+ days? \d+ hours?, on .*\(Asia\/Seoul\)/, "a countdown with the zone");
  assert.match(await main.innerText(), /Impact/);
  assert.match(await main.innerText(), /60% the jury's score and 40% the public vote/);
  await checkPage(page, "awards-cycle");

  await page.getByRole("link", { name: "Start a case" }).click();
  await page.waitForURL("**/awards/case-edit.html*");
  await settle(page);
  assert.match(await page.locator("#gate").innerText(), /Your membership is not confirmed yet/);
  assert.match(await page.locator("#gate").innerText(), /Ask the Secretariat to confirm you/);
  assert.ok(await page.getByLabel("Title", { exact: true }).isDisabled(), "the form waits for the confirmation");
  await checkPage(page, "awards-case-unconfirmed");

  // Staff confirm the affiliation on their page.
  const staff = await loggedIn(env.staffEmail, env.staffPassword, "/staff/affiliations.html");
  await staff.page.getByLabel("Name or email address").fill("minjun");
  await staff.page.getByRole("button", { name: "Filter" }).click();
  await settle(staff.page);
  const row = staff.page.locator("tr", { hasText: MEMBER });
  assert.match(await row.innerText(), /Waiting/);
  await checkPage(staff.page, "awards-staff-affiliations");
  await row.getByRole("button", { name: /^Confirm: 김민준 belongs to Seoul/ }).click();
  await staff.page.locator("#result.notice.ok").waitFor();
  assert.match(await staff.page.locator("#result").innerText(), /김민준 is confirmed as a member of Seoul/);
  assert.match(await staff.page.locator("tr", { hasText: MEMBER }).innerText(), /Confirmed/);
  await settle(staff.page);
  // The second city's member, confirmed through the API for its own case.
  const staffCall = await apiSession(staff.context, env.staffEmail, env.staffPassword);
  const maria = await accountId(staffCall, MEMBER2);
  assert.equal((await staffCall("POST", `/api/accounts/${maria}/organisation/confirm`)).status, 200);
  await assertNoProblems(staff.context);
  await staff.context.close();

  // The member writes the case.
  await page.reload();
  await settle(page);
  assert.equal(await page.locator("#gate-note").count(), 0);
  await page.getByRole("button", { name: "Save the draft" }).click();
  const summary = page.locator("#error-summary");
  await summary.waitFor();
  for (const m of ["Choose a category", "Choose between 1 and 5 goals", "Enter a title", "Write a summary", "Describe the case"]) {
    assert.match(await summary.innerText(), new RegExp(m));
  }
  await settle(page);
  await summary.getByRole("link", { name: "Enter a title" }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), "title");
  await checkPage(page, "awards-case-errors");

  await page.getByLabel("Category").selectOption({ label: CAT1 });
  await page.getByLabel("11. Sustainable Cities and Communities").check();
  await page.getByLabel("13. Climate Action").check();
  assert.match(await page.locator("#sdgs-count").innerText(), /2 of 5 goals chosen/);
  await page.getByLabel("Title", { exact: true }).fill(CASE_A);
  assert.match(await page.locator("#title-count").innerText(), new RegExp(`${[...CASE_A].length} of 300 characters`));
  await page.getByLabel("Summary", { exact: true }).fill("Green roofs on 4,000 public and private buildings lowered summer roof temperatures and stored rain.");
  assert.match(await page.locator("main").innerText(), /Changes not saved yet|Saving|All changes saved|Not saved yet/);
  await page.getByLabel("Description", { exact: true }).fill("Since 2019 Seoul has subsidised green roofs. ".repeat(20));
  await page.getByLabel(/Publish this case in the public gallery/).check();
  await page.locator("#save-state.ok", { hasText: "All changes saved" }).waitFor();
  await page.waitForURL(/case-edit\.html\?id=\d+/);
  state.caseA = Number(new URL(page.url()).searchParams.get("id"));
  assert.match(await page.locator("#save-state").innerText(), /All changes saved \(.*\(Asia\/Seoul\)\)/);
  // A change saves itself too.
  await page.getByRole("textbox", { name: /Partners/ }).fill("Seoul Institute; Korea Green Building Council");
  await page.locator("#save-state.ok").waitFor();
  await settle(page);

  // Attachments: refused before any upload for their type and size.
  await page.getByLabel("File to attach").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("plain text") });
  assert.match(await page.locator('[data-error-for="file"]').innerText(), /notes\.txt is not a PDF, PNG or JPEG file/);
  await page.getByLabel("File to attach").setInputFiles({ name: "huge.pdf", mimeType: "application/pdf", buffer: Buffer.alloc(11 * 1024 * 1024, 32) });
  assert.match(await page.locator('[data-error-for="file"]').innerText(), /huge\.pdf is 11\.0 MB: files can be at most 10 MB/);
  await checkPage(page, "awards-case-file-error");
  if (has.files) {
    const pdf = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
    await page.getByLabel("File to attach").setInputFiles({ name: "rooftops-report.pdf", mimeType: "application/pdf", buffer: pdf });
    await page.getByRole("button", { name: "Attach the file" }).click();
    await page.locator("#upload-result.notice.ok", { hasText: "rooftops-report.pdf is attached" }).waitFor();
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
    await page.getByLabel("File to attach").setInputFiles({ name: "budget.png", mimeType: "image/png", buffer: png });
    await page.getByLabel("Who may see it").selectOption("jury");
    await page.getByRole("button", { name: "Attach the file" }).click();
    await page.locator("#upload-result.notice.ok", { hasText: "budget.png is attached" }).waitFor();
    const list = await page.locator("#file-list").innerText();
    assert.match(list, /rooftops-report\.pdf[\s\S]*Public/);
    assert.match(list, /budget\.png[\s\S]*Jury only/);
  } else {
    console.log("awards: the files route answers 404 here: the two attachments are left out");
  }

  // The review lists what is missing, and leads to it.
  await page.getByLabel("Description", { exact: true }).fill("");
  await page.locator("#save-state.ok").waitFor();
  await page.getByRole("button", { name: "Review and submit" }).click();
  const dialog = page.getByRole("dialog", { name: "Some things are missing" });
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /Describe the case/);
  await settle(page);
  await dialog.getByRole("link", { name: "Describe the case" }).click();
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === "description");
  await page.getByLabel("Description", { exact: true }).fill("Since 2019 Seoul has subsidised green roofs on public buildings. ".repeat(10));
  await page.locator("#save-state.ok").waitFor();
  await page.getByRole("button", { name: "Review and submit" }).click();
  const ready = page.getByRole("dialog", { name: "Submit this case?" });
  await ready.waitFor();
  assert.match(await ready.innerText(), new RegExp(CAT1));
  assert.match(await ready.innerText(), /11\. Sustainable Cities and Communities; 13\. Climate Action/);
  await settle(page);
  await ready.getByRole("button", { name: "Submit the case" }).click();
  await page.locator("#banner.notice.ok").waitFor();
  assert.match(await page.locator("#banner").innerText(), /Your case is submitted/);
  assert.ok(await page.evaluate(() => document.activeElement.id === "banner"), "the confirmation at the top has the focus");
  assert.match(await page.locator("#submit-box").innerText(), /Submitted/);
  await checkPage(page, "awards-case-edit");

  await page.goto(`${env.base}/awards/my-cases.html`);
  await settle(page);
  const mine = page.locator("tr", { hasText: CASE_A });
  assert.match(await mine.innerText(), /Submitted/);
  assert.ok(await mine.getByRole("link", { name: `Continue: ${CASE_A}` }).isVisible());
  await checkPage(page, "awards-my-cases");
  await assertNoProblems(context);
  await context.close();

  // The second city's case, through the API.
  const mc = await newContext(browser);
  const mcall = await apiSession(mc, MEMBER2, password(MEMBER2));
  const cycle = (await mcall("GET", `/api/awards/cycles/${state.cycleId}`)).body;
  state.cat1 = cycle.categories.find((c) => c.name === CAT1).id;
  state.cat2 = cycle.categories.find((c) => c.name === CAT2).id;
  const created = await mcall("POST", `/api/awards/cycles/${state.cycleId}/submissions`, {
    category_id: state.cat1, sdgs: [11, 13], title: CASE_B, gallery_consent: true,
    summary: "Residents in flood zones get a text message an hour before the water rises.",
    description: "Makati links river gauges to a text message service run with the telecoms.",
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  state.caseB = created.body.id;
  assert.equal((await mcall("POST", `/api/submissions/${state.caseB}/submit`)).status, 200);
  await mc.close();
});

// ---- 3. Staff assign two judges; one is conflicted --------------------------

test("staff assign two judges and record a conflict; the conflicted judge does not see the case", async () => {
  const adminContext = await newContext(browser);
  const admin = await apiSession(adminContext, env.adminEmail, env.adminPassword);
  state.judge2 = await accountId(admin, JUDGE2);
  assert.equal((await admin("PUT", `/api/admin/accounts/${state.judge2}/roles/judge`)).status, 200);
  await adminContext.close();

  const { context, page } = await loggedIn(env.staffEmail, env.staffPassword, `/staff/award-judges.html?cycle=${state.cycleId}`);
  const cat = page.locator("section", { has: page.getByRole("heading", { name: CAT1, level: 2 }) });
  for (const name of ["Aiko Tanaka", "अमित शर्मा"]) {
    const select = cat.getByLabel(`Judge to add to ${CAT1}`);
    const value = await select.evaluate((el, n) => [...el.options].find((o) => o.textContent.startsWith(n)).value, name);
    await select.selectOption(value);
    await cat.getByRole("button", { name: "Assign" }).click();
    await page.locator("#result.notice.ok", { hasText: `${name} judges ${CAT1}` }).waitFor();
    await settle(page);
  }
  assert.match(await cat.innerText(), /Aiko Tanaka[\s\S]*अमित शर्मा|अमित शर्मा[\s\S]*Aiko Tanaka/);
  const caseBox = cat.locator(".case-conflicts", { hasText: CASE_A });
  await caseBox.locator("summary", { hasText: "Record a conflict" }).click();
  await caseBox.getByLabel("Judge", { exact: true }).selectOption({ label: "अमित शर्मा" });
  await caseBox.getByLabel("Reason").fill("Advised the Seoul rooftop programme in 2022");
  await caseBox.getByRole("button", { name: "Record the conflict" }).click();
  await page.locator("#result.notice.ok", { hasText: "is recorded" }).waitFor();
  await settle(page);
  const after = page.locator("section", { has: page.getByRole("heading", { name: CAT1, level: 2 }) }).locator(".case-conflicts", { hasText: CASE_A });
  assert.match(await after.innerText(), /अमित शर्मा\s*Conflicted[\s\S]*Recorded by staff: Advised the Seoul rooftop programme/);
  assert.ok(await after.getByRole("button", { name: `Waive: अमित शर्मा on ${CASE_A}` }).isVisible(), "a staff conflict can be waived");
  await checkPage(page, "awards-staff-judges");
  await assertNoProblems(context);
  await context.close();
});

// ---- 4. Voting and evaluation open: the judge scores, members vote ---------

test("the judge scores with save and next; the conflicted judge sees only the other case", async () => {
  const staffContext = await newContext(browser);
  const staff = await apiSession(staffContext, env.staffEmail, env.staffPassword);
  await setPhase(staff, "vote_and_jury");
  await staffContext.close();

  const { context, page } = await loggedIn(JUDGE, password(JUDGE), "/awards/judging.html");
  const main = page.locator("main");
  assert.match(await main.innerText(), /2 of 2 cases still to score/);
  assert.match(await main.innerText(), new RegExp(CASE_B));
  await checkPage(page, "awards-judging");
  await page.getByRole("link", { name: `Score: ${CASE_A}` }).click();
  await page.waitForURL("**/awards/score.html?id=*");
  await settle(page);
  assert.match(await main.innerText(), /Score from 1 to 10; weight 2/);
  assert.match(await main.innerText(), /Seen by CityNet's staff only/);
  assert.match(await main.innerText(), /Shown to the city after the results are published/);
  await page.getByRole("button", { name: "Save and next" }).click();
  const summary = page.locator("#error-summary");
  await summary.waitFor();
  assert.match(await summary.innerText(), /Choose a score from 1 to 10 for Impact/);
  assert.match(await summary.innerText(), /Choose a score from 1 to 5 for Replicability/);
  await settle(page);
  await checkPage(page, "awards-score-errors");
  await page.getByRole("group", { name: "Impact" }).getByLabel("8", { exact: true }).check();
  await page.getByRole("group", { name: "Replicability" }).getByLabel("4", { exact: true }).check();
  await page.getByLabel(/Comment for the Secretariat/).fill("Solid numbers; the budget table is clear.");
  await page.getByLabel(/Feedback for the city/).fill("Show the temperature data per district next time.");
  await page.getByRole("button", { name: "Save and next" }).click();
  await page.waitForURL(`**/awards/score.html?id=${state.caseB}`);
  await settle(page);
  assert.match(await page.locator("#banner").innerText(), /Here is the next case/);
  assert.match(await page.locator("h1").innerText(), new RegExp(CASE_B));
  await checkPage(page, "awards-score");
  await page.goto(`${env.base}/awards/judging.html`);
  await settle(page);
  assert.match(await main.innerText(), /1 of 2 cases still to score/);
  assert.match(await page.locator("tr", { hasText: CASE_A }).innerText(), /Scored/);
  await assertNoProblems(context);
  await context.close();

  const j2 = await loggedIn(JUDGE2, password(JUDGE2), "/awards/judging.html");
  allowApi(j2.context, 404, "GET", new RegExp(`^/api/submissions/${state.caseA}$`), "a conflicted judge may not see the case");
  const text = await j2.page.locator("main").innerText();
  assert.match(text, new RegExp(CASE_B));
  assert.doesNotMatch(text, /Seoul Green Rooftops/, "the conflicted case is not in the queue");
  assert.doesNotMatch(text, /8|Scored/, "no one else's numbers");
  await j2.page.goto(`${env.base}/awards/score.html?id=${state.caseA}`);
  await settle(j2.page);
  assert.match(await j2.page.locator("main").innerText(), /You cannot see this case/);
  await assertNoProblems(j2.context);
  await j2.context.close();
});

test("members vote; one changes the vote, another withdraws and votes again; visitors are asked to log in", async () => {
  const visitor = await newContext(browser);
  const vpage = await visitor.newPage();
  await vpage.goto(`${env.base}/awards/vote.html?cycle=${state.cycleId}`);
  await settle(vpage);
  assert.match(await vpage.locator("main").innerText(), /Voting is open until .*\(Asia\/Seoul\)/);
  assert.ok(await vpage.getByRole("link", { name: "Log in to vote" }).isVisible());
  assert.match(await vpage.locator("main").innerText(), /No case is standing in this category/, "the empty category says so");
  await assertNoProblems(visitor);
  await visitor.close();

  await verifiedAccount(VOTER2, VOTER2_PASSWORD, "Trần Văn Minh");
  const { context, page } = await loggedIn(VOTER2, VOTER2_PASSWORD, `/awards/vote.html?cycle=${state.cycleId}`);
  const cat = page.locator("section.vote-category", { has: page.getByRole("heading", { name: CAT1 }) });
  assert.match(await cat.innerText(), /You have not voted in this category/);
  await cat.getByRole("radio", { name: new RegExp(CASE_B) }).check();
  await cat.getByRole("button", { name: "Vote", exact: true }).click();
  await cat.locator(".notice.ok", { hasText: "Your vote is recorded" }).waitFor();
  assert.match(await cat.locator(".vote-status").innerText(), new RegExp(`Your vote: ${CASE_B}`));
  await settle(page);
  await cat.getByRole("radio", { name: /Seoul Green Rooftops/ }).check();
  await cat.getByRole("button", { name: "Vote", exact: true }).click();
  await cat.locator(".notice.ok", { hasText: "Your vote is changed" }).waitFor();
  assert.match(await cat.locator(".vote-status").innerText(), /Your vote: Seoul Green Rooftops/);
  await checkPage(page, "awards-vote");
  await page.reload();
  await settle(page);
  assert.ok(await page.getByRole("radio", { name: /Seoul Green Rooftops/ }).isChecked(), "the vote is shown after a reload");
  await assertNoProblems(context);
  await context.close();

  const v = await loggedIn(VOTER, password(VOTER), `/awards/vote.html?cycle=${state.cycleId}`);
  const cat1 = v.page.locator("section.vote-category", { has: v.page.getByRole("heading", { name: CAT1 }) });
  await cat1.getByRole("radio", { name: /Seoul Green Rooftops/ }).check();
  await cat1.getByRole("button", { name: "Vote", exact: true }).click();
  await cat1.locator(".notice.ok", { hasText: "Your vote is recorded" }).waitFor();
  await cat1.getByRole("button", { name: "Withdraw my vote" }).click();
  const dialog = v.page.getByRole("dialog", { name: "Withdraw your vote?" });
  await dialog.waitFor();
  await settle(v.page);
  await dialog.getByRole("button", { name: "Withdraw my vote" }).click();
  await cat1.locator(".notice.ok", { hasText: "Your vote is withdrawn" }).waitFor();
  assert.match(await cat1.locator(".vote-status").innerText(), /You have not voted/);
  await cat1.getByRole("radio", { name: /Seoul Green Rooftops/ }).check();
  await cat1.getByRole("button", { name: "Vote", exact: true }).click();
  await cat1.locator(".notice.ok", { hasText: "Your vote is recorded" }).waitFor();
  await settle(v.page);
  await assertNoProblems(v.context);
  await v.context.close();
});

// ---- 5. Staff follow the jury and the vote ---------------------------------

test("staff see the jury's progress (too few judges flagged) and the vote report", async () => {
  const { context, page } = await loggedIn(env.staffEmail, env.staffPassword, `/staff/award-progress.html?cycle=${state.cycleId}`);
  const main = page.locator("main");
  const judges = await page.locator("section", { hasText: "Judges" }).first().innerText();
  assert.match(judges, /Aiko Tanaka\s*1\s*1/, "Aiko scored one case, one to go");
  const rowA = page.locator("tr", { hasText: "Seoul Green Rooftops" });
  assert.match(await rowA.innerText(), /Too few judges/, "one eligible judge where two are needed");
  assert.match(await main.innerText(), /have fewer than 2 judges/);
  for (const name of ["Cases (CSV)", "Jury scores (CSV)", "Public votes (CSV)"]) {
    assert.ok(await page.getByRole("link", { name }).isVisible());
  }
  await checkPage(page, "awards-staff-progress");

  await page.goto(`${env.base}/staff/award-votes.html?cycle=${state.cycleId}`);
  await settle(page);
  assert.match(await main.innerText(), /Valid votes: 2\. Voided: 0\./);
  await checkPage(page, "awards-staff-votes");
  const voidButton = page.getByRole("button", { name: /^Void vote \d+$/ }).first();
  if (await voidButton.count()) {
    await voidButton.click();
    const dialog = page.getByRole("dialog", { name: /^Void vote \d+\?$/ });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Void the vote" }).click();
    assert.match(await dialog.innerText(), /Enter the reason/);
    await settle(page);
    await dialog.getByLabel("Reason").fill("Test of the void flow: same address as another voter");
    await dialog.getByRole("button", { name: "Void the vote" }).click();
    await page.locator("#result.notice.ok", { hasText: "is voided" }).waitFor();
    assert.match(await main.innerText(), /Valid votes: 1\. Voided: 1\./);
    await settle(page);
  }
  await assertNoProblems(context);
  await context.close();
});

test("staff export the three spreadsheets", { skip: needs("csv", "CSV export") }, async () => {
  const context = await newContext(browser);
  const call = await apiSession(context, env.staffEmail, env.staffPassword);
  for (const f of ["submissions.csv", "scores.csv", "votes.csv"]) {
    const r = await call("GET", `/api/awards/cycles/${state.cycleId}/${f}`);
    assert.equal(r.status, 200, f);
    assert.match(r.headers["content-type"], /^text\/csv/, f);
  }
  await context.close();
});

// ---- 6. The phases close: preview, publish, results and gallery -----------

test("after the jury closes, the judge's scores are read-only", async () => {
  const staffContext = await newContext(browser);
  const staff = await apiSession(staffContext, env.staffEmail, env.staffPassword);
  await setPhase(staff, "closed");
  await staffContext.close();
  const why = "no read of everyone's scores yet (GET /api/submissions/{id}/scores)";
  const { context, page } = await loggedIn(JUDGE, password(JUDGE), `/awards/score.html?id=${state.caseA}`, [
    [404, "GET", new RegExp(`^/api/submissions/${state.caseA}/scores$`), why],
    [405, "GET", new RegExp(`^/api/submissions/${state.caseA}/scores$`), why],
  ]);
  assert.match(await page.locator("main").innerText(), /The evaluation is closed/);
  assert.equal(await page.getByRole("button", { name: "Save and next" }).count(), 0);
  await assertNoProblems(context);
  await context.close();
});

test("staff preview the results with the formula and publish them with the finalists", { skip: needs("results", "results and publish") }, async () => {
  const { context, page } = await loggedIn(env.staffEmail, env.staffPassword, `/staff/award-results.html?cycle=${state.cycleId}`);
  const main = page.locator("main");
  assert.match(await main.innerText(), /60% jury score \+ 40% public score/);
  assert.match(await main.innerText(), /A preview/);
  await checkPage(page, "awards-staff-results");
  const fin = page.getByRole("group", { name: `Finalists in ${CAT1}` });
  assert.equal(await fin.getByRole("checkbox", { checked: true }).count(), 2, "the two highest ranked are proposed");
  await page.getByRole("button", { name: "Publish the results" }).click();
  const dialog = page.getByRole("dialog", { name: "Publish the results?" });
  await dialog.waitFor();
  await settle(page);
  await dialog.getByRole("button", { name: "Publish the results" }).click();
  await page.locator("#banner", { hasText: "The results are published" }).waitFor();
  await settle(page);
  assert.match(await main.innerText(), /Published on/);
  await assertNoProblems(context);
  await context.close();
});

test("everyone sees the results per category", { skip: needs("results", "results and publish") }, async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await page.goto(`${env.base}/awards/results.html?cycle=${state.cycleId}`);
  await settle(page);
  const cat = page.locator("section.results-category", { has: page.getByRole("heading", { name: CAT1 }) });
  const text = await cat.innerText();
  assert.match(text, /Winner/);
  assert.match(text, /Finalists/);
  assert.match(text, /Public's choice\s*Seoul Green Rooftops/);
  assert.match(await page.locator("main").innerText(), /60% jury score \+ 40% public score/);
  await checkPage(page, "awards-results");
  await assertNoProblems(context);
  await context.close();
});

test("the gallery finds the case by goal, category, city and year, with a shareable address", { skip: needs("gallery", "gallery") }, async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await page.goto(`${env.base}/awards/gallery.html`);
  await settle(page);
  await page.getByLabel("Goal").selectOption("13");
  await page.getByLabel("Category").selectOption(CAT1);
  await page.getByLabel("City").fill("Seoul");
  await page.getByLabel("Year").selectOption(String(new Date().getFullYear()));
  await page.getByRole("button", { name: "Show cases" }).click();
  await settle(page);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get("sdg"), "13");
  assert.equal(url.searchParams.get("city"), "Seoul");
  assert.ok(await page.getByRole("link", { name: CASE_A }).isVisible());
  assert.equal(await page.getByRole("link", { name: CASE_B }).count(), 0, "the Makati case is filtered out");
  await checkPage(page, "awards-gallery");
  // The address shows the same list in a new tab.
  const other = await context.newPage();
  await other.goto(url.toString());
  await settle(other);
  assert.equal(await other.getByLabel("City").inputValue(), "Seoul");
  assert.ok(await other.getByRole("link", { name: CASE_A }).isVisible());
  await other.getByRole("link", { name: CASE_A }).click();
  await other.waitForURL("**/awards/case.html?id=*");
  await settle(other);
  assert.match(await other.locator("main").innerText(), /Seoul Metropolitan Government/);
  if (has.files) {
    assert.ok(await other.getByRole("link", { name: "rooftops-report.pdf" }).isVisible(), "the public file is listed");
    assert.equal(await other.getByRole("link", { name: "budget.png" }).count(), 0, "the jury's file is not");
  }
  await checkPage(other, "awards-case");
  await assertNoProblems(context);
  await context.close();
});

// ---- Every awards page as it stands at the end of the year -------------------

test("every awards page at both sizes, as the year ends", async () => {
  const visitor = await newContext(browser);
  allowApi(visitor, 404, "GET", /^\/api\/awards\/gallery$/, "the gallery route may not exist on this branch yet");
  allowApi(visitor, 404, "GET", /^\/api\/submissions\/\d+$/, "a case not published is not shown to visitors");
  const page = await visitor.newPage();
  for (const [path, name] of [
    [`/awards/index.html?cycle=${state.cycleId}`, "awards-cycle-closed"],
    [`/awards/vote.html?cycle=${state.cycleId}`, "awards-vote-closed"],
    [`/awards/results.html?cycle=${state.cycleId}`, "awards-results-end"],
    ["/awards/gallery.html", "awards-gallery-end"],
    [`/awards/case.html?id=${state.caseA}`, "awards-case-visitor"],
  ]) {
    await page.goto(`${env.base}${path}`);
    await checkPage(page, name);
  }
  const main = page.locator("main");
  await page.goto(`${env.base}/awards/vote.html?cycle=${state.cycleId}`);
  await settle(page);
  assert.match(await main.innerText(), /Voting closed on .*\(Asia\/Seoul\)/, "outside the window, a clear message");
  await assertNoProblems(visitor);
  await visitor.close();

  const staff = await loggedIn(env.staffEmail, env.staffPassword, `/staff/award-results.html?cycle=${state.cycleId}`,
    has.results ? [] : [[404, "GET", /\/results$/, "the results route does not exist on this branch yet"]]);
  await checkPage(staff.page, "awards-staff-results-end");
  await staff.page.goto(`${env.base}/awards/case.html?id=${state.caseA}`);
  await checkPage(staff.page, "awards-case-staff");
  await assertNoProblems(staff.context);
  await staff.context.close();
});

// ---- The pages of the routes being built, on the answers their contract gives ----
//
// Until the files, results, publish and gallery routes are merged, these
// pages are shown answers made up in the shape the contract gives
// (X-E2E-Simulated: yes), so that what people see is checked now; the
// tests above use the real server once the routes answer.

function simulated(route, status, body) {
  return route.fulfill({
    status, contentType: "application/json", headers: { "X-E2E-Simulated": "yes" }, body: JSON.stringify(body),
  });
}

function fakeResults(published) {
  const org = (name, city, country) => ({ name, city, country });
  return {
    formula: "final = 0.6 × jury + 0.4 × public", jury_weight: 0.6, public_weight: 0.4, normalise: false,
    published_at: published ? new Date().toISOString() : null,
    categories: [{
      id: state.cat1, name: CAT1,
      entries: [
        { submission_id: state.caseA, title: CASE_A, organisation: org("Seoul Metropolitan Government", "Seoul", "Republic of Korea"), rank: 1, award: published ? "winner" : null, public_choice: true, staff_choice: false, jury_score_raw: 7.3, jury_score: 73.3, public_votes: 2, public_score: 100, final_score: 84 },
        { submission_id: state.caseB, title: CASE_B, organisation: org("Makati City Government", "Makati", "Philippines"), rank: 2, award: published ? "finalist" : null, public_choice: false, staff_choice: false, jury_score_raw: null, jury_score: null, public_votes: 0, public_score: 0, final_score: 0 },
      ],
    }, { id: state.cat2, name: CAT2, entries: [] }],
  };
}

test("the results preview, publishing and the public results, on answers in the contract's shape", { skip: has.results ? "the real routes answer: tested above" : false }, async () => {
  const { context, page } = await loggedIn(env.staffEmail, env.staffPassword, "/staff/awards.html");
  let published = false;
  let sent = null;
  await context.route(/\/api\/awards\/cycles\/\d+\/results$/, (route) => simulated(route, 200, fakeResults(published)));
  await context.route(/\/api\/awards\/cycles\/\d+\/publish$/, (route) => {
    sent = route.request().postDataJSON();
    published = true;
    return simulated(route, 200, { id: state.cycleId, published_at: new Date().toISOString() });
  });
  await page.goto(`${env.base}/staff/award-results.html?cycle=${state.cycleId}`);
  await settle(page);
  const main = page.locator("main");
  assert.match(await main.innerText(), /Final score = 60% jury score \+ 40% public score/);
  assert.match(await main.innerText(), /A preview: nobody else sees these numbers/);
  assert.match(await page.locator("section.results-category", { hasText: CAT1 }).innerText(), /Public's choice\s*Seoul Green Rooftops/);
  const fin = page.getByRole("group", { name: `Finalists in ${CAT1}` });
  assert.equal(await fin.getByRole("checkbox", { checked: true }).count(), 2, "the two highest ranked are proposed");
  await checkPage(page, "awards-staff-results");
  await fin.getByRole("checkbox", { name: /Makati/ }).uncheck();
  await page.getByRole("button", { name: "Publish the results" }).click();
  const dialog = page.getByRole("dialog", { name: "Publish the results?" });
  await dialog.waitFor();
  await settle(page);
  await dialog.getByRole("button", { name: "Publish the results" }).click();
  await page.locator("#banner", { hasText: "The results are published" }).waitFor();
  await settle(page);
  assert.deepEqual(sent, { finalists: { [state.cat1]: [state.caseA], [state.cat2]: [] } });
  assert.match(await main.innerText(), /Published on .*\(Asia\/Seoul\)/);
  await assertNoProblems(context);
  await context.close();

  const visitor = await newContext(browser);
  await visitor.route(new RegExp(`/api/awards/cycles/${state.cycleId}$`), async (route) => {
    const real = await route.fetch();
    const body = await real.json();
    return simulated(route, 200, { ...body, phase: "published", published_at: new Date().toISOString() });
  });
  await visitor.route(/\/api\/awards\/cycles\/\d+\/results$/, (route) => simulated(route, 200, fakeResults(true)));
  const vp = await visitor.newPage();
  await vp.goto(`${env.base}/awards/results.html?cycle=${state.cycleId}`);
  await settle(vp);
  const cat = vp.locator("section.results-category", { hasText: CAT1 });
  assert.match(await cat.innerText(), /Winner\s*Seoul Green Rooftops/);
  assert.match(await cat.innerText(), /Finalists\s*Makati Flood Early Warning/);
  assert.match(await cat.innerText(), /Public's choice\s*Seoul Green Rooftops/);
  assert.match(await vp.locator("section.results-category", { hasText: CAT2 }).innerText(), /No case stood in this category/);
  await checkPage(vp, "awards-results");
  await assertNoProblems(visitor);
  await visitor.close();
});

test("the gallery's filters, paging and shareable address, on answers in the contract's shape", { skip: has.gallery ? "the real route answers: tested above" : false }, async () => {
  const context = await newContext(browser);
  const asked = [];
  await context.route(/\/api\/awards\/gallery\?/, (route) => {
    const q = new URL(route.request().url()).searchParams;
    asked.push(Object.fromEntries(q));
    const item = (id, title, city, sdgs, award) => ({
      id, title, summary: `What ${city} did, in two sentences.`, sdgs, category: CAT1, year: 2026, award, files: [],
      organisation: { name: `${city} City`, city, country: "Somewhere" },
    });
    const all = [item(state.caseA, CASE_A, "Seoul", [11, 13], "winner"), item(state.caseB, CASE_B, "Makati", [11, 13], "finalist")];
    for (let i = 0; i < 12; i++) all.push(item(900 + i, `Case number ${i + 1}`, "Hanoi", [6], null));
    const city = q.get("city");
    const list = city ? all.filter((x) => x.organisation.city === city) : all;
    const per = Number(q.get("per_page"));
    const page = Number(q.get("page"));
    return simulated(route, 200, { items: list.slice((page - 1) * per, page * per), total: list.length, page, per_page: per });
  });
  const page = await context.newPage();
  await page.goto(`${env.base}/awards/gallery.html`);
  await settle(page);
  assert.match(await page.locator("#count").innerText(), /14 cases/);
  assert.ok(await page.getByRole("navigation", { name: "Pages of cases" }).isVisible());
  await checkPage(page, "awards-gallery");
  await page.getByLabel("Goal").selectOption("13");
  await page.getByLabel("Category").selectOption(CAT1);
  await page.getByLabel("City").fill("Seoul");
  const year = String(new Date().getFullYear());
  await page.getByLabel("Year").selectOption(year);
  await page.getByRole("button", { name: "Show cases" }).click();
  await page.locator("#count", { hasText: "1 case." }).waitFor();
  await settle(page);
  assert.deepEqual(asked.at(-1), { sdg: "13", category: CAT1, city: "Seoul", year, page: "1", per_page: "12" });
  const url = new URL(page.url());
  assert.equal(url.search, `?sdg=13&category=${encodeURIComponent(CAT1).replace(/%20/g, "+")}&city=Seoul&year=${year}`);
  assert.match(await page.locator("li.case-card").innerText(), /Winner/);
  const other = await context.newPage();
  await other.goto(url.toString());
  await settle(other);
  assert.equal(await other.getByLabel("City").inputValue(), "Seoul");
  assert.equal(await other.getByLabel("Goal").inputValue(), "13");
  assert.ok(await other.getByRole("link", { name: CASE_A }).isVisible(), "the address shows the same list");
  await assertNoProblems(context);
  await context.close();
});

test("attaching files: progress, the list with visibility, and the server's refusals, on answers in the contract's shape", { skip: has.files ? "the real route answers: tested above" : false }, async () => {
  // A fresh draft in a cycle open for submissions (the first has moved on).
  const staffContext = await newContext(browser);
  const staff = await apiSession(staffContext, env.staffEmail, env.staffPassword);
  const now = Date.now();
  const c = await staff("POST", "/api/awards/cycles", {
    year: 2027, title: "SDG Awards 2027", categories: [{ name: CAT1 }], criteria: [{ name: "Impact" }],
    submission_opens_at: iso(now - HOUR), submission_closes_at: iso(now + DAY),
    voting_opens_at: iso(now + 2 * DAY), voting_closes_at: iso(now + 3 * DAY),
    evaluation_opens_at: iso(now + 2 * DAY), evaluation_closes_at: iso(now + 4 * DAY),
  });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  await staffContext.close();
  const mc = await newContext(browser);
  const mcall = await apiSession(mc, MEMBER2, password(MEMBER2));
  const d = await mcall("POST", `/api/awards/cycles/${c.body.id}/submissions`, {
    category_id: c.body.categories[0].id, sdgs: [6], title: "Makati Rain Gardens", summary: "Rain gardens.", description: "Rain gardens in schools.",
  });
  assert.equal(d.status, 201, JSON.stringify(d.body));
  await mc.close();

  const { context, page } = await loggedIn(MEMBER2, password(MEMBER2), `/awards/case-edit.html?id=${d.body.id}`);
  let n = 0;
  await context.route(/\/api\/submissions\/\d+\/files$/, (route) => {
    const body = route.request().postDataBuffer() || Buffer.alloc(0);
    n += 1;
    if (n === 2) return simulated(route, 422, { error: { code: "validation_failed", message: "x", fields: { file: { code: "unsupported_type", message: "Must be a PDF, PNG or JPEG file." } } } });
    if (n === 3) return simulated(route, 409, { error: { code: "file_quota", message: "At most 10 files and 25 MB per case." } });
    const visibility = /name="visibility"\r\n\r\njury/.test(body.toString("latin1")) ? "jury" : "public";
    return simulated(route, 201, { id: n, filename: "site-plan.pdf", content_type: "application/pdf", size: 2048, sha256: "0".repeat(64), visibility });
  });
  const pdf = Buffer.from("%PDF-1.4\n%%EOF\n");
  await page.getByLabel("File to attach").setInputFiles({ name: "site-plan.pdf", mimeType: "application/pdf", buffer: pdf });
  await page.getByLabel("Who may see it").selectOption("jury");
  await page.getByRole("button", { name: "Attach the file" }).click();
  await page.locator("#upload-result.notice.ok", { hasText: "site-plan.pdf is attached" }).waitFor();
  assert.match(await page.locator("#file-list").innerText(), /site-plan\.pdf[\s\S]*2 KB[\s\S]*Jury only/);
  assert.ok(await page.getByRole("button", { name: "Remove: site-plan.pdf" }).isVisible());
  await settle(page);
  // The server's refusals, after the upload, say what to do.
  await page.getByLabel("File to attach").setInputFiles({ name: "scan.pdf", mimeType: "application/pdf", buffer: pdf });
  await page.getByRole("button", { name: "Attach the file" }).click();
  await page.locator('[data-error-for="file"]', { hasText: "The server did not accept this file" }).waitFor();
  await page.getByRole("button", { name: "Attach the file" }).click();
  await page.locator('[data-error-for="file"]', { hasText: "Remove a file before attaching another" }).waitFor();
  assert.equal(await page.getByLabel("File to attach").getAttribute("aria-invalid"), "true");
  await checkPage(page, "awards-case-files");
  // Withdrawing asks first, then says so at the top.
  await page.getByRole("button", { name: "Withdraw the case" }).click();
  const dialog = page.getByRole("dialog", { name: "Withdraw this case?" });
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /This cannot be undone/);
  await settle(page);
  await dialog.getByRole("button", { name: "Withdraw the case" }).click();
  await page.waitForURL(/done=withdrawn/);
  await settle(page);
  assert.match(await page.locator("#banner").innerText(), /The case is withdrawn/);
  assert.match(await page.locator("#submit-box").innerText(), /Withdrawn/);
  assert.ok(await page.getByLabel("Title", { exact: true }).isDisabled(), "a withdrawn case no longer changes");
  await assertNoProblems(context);
  await context.close();
});
