// feedback.test.mjs - evaluation forms after an activity (issue 14): staff
// write a form for an activity that has ended and send the invitations; a
// participant who attended follows the link of the mail (the page only
// shows the form), gets field errors for a missing required answer, then
// answers once; staff read the results (mean and distribution, the text
// answer) and compare the programme. Every state is checked with axe-core
// and photographed at 1280 and 360 px with the overflow check (lib.mjs).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  allowApi, apiSession, assertNoProblems, checkPage, env, lastMailId, launch, logIn, newContext, settle, verifiedAccount, waitForMail,
} from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
const PROGRAMME = `SDG Online Courses ${Date.now()}`;
// Not the certificates test's participant: each browser test signs up its own.
const person = { email: "pranee.wongsa@chiangmai.example.org", name: "ปราณี วงศ์สา", password: "doi suthep temple bell 4" };

test("a participant who attended answers the form once; staff read the results", async () => {
  // The scene: two ended courses of one programme; the participant is
  // registered by staff and marked attended in the first.
  const setup = await newContext(browser);
  const staffApi = await apiSession(setup, env.staffEmail, env.staffPassword);
  const ids = [];
  for (const [title, start, end] of [["Water in Cities", -12, -10], ["Urban Energy", -6, -3]]) {
    const created = await staffApi("POST", "/api/activities", {
      kind: "online_course", title: `SDG Online Course: ${title}`, timezone: "Asia/Seoul", online: true,
      starts_on: day(start), ends_on: day(end), mode: "open", programme: PROGRAMME,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await staffApi("POST", `/api/activities/${created.body.id}/publish`)).status, 200);
    ids.push(created.body.id);
  }
  const [first, second] = ids;
  const ctx = await newContext(browser);
  await verifiedAccount(ctx, person);
  const me = await (await apiSession(ctx, person.email, person.password))("GET", "/api/me");
  await ctx.close();
  const enrolled = await staffApi("POST", `/api/activities/${first}/enrollments`, { answers: {}, account_id: me.body.id });
  assert.ok([200, 201].includes(enrolled.status), JSON.stringify(enrolled.body));
  assert.equal((await staffApi("POST", `/api/enrollments/${enrolled.body.id}/attended`)).status, 200);
  const closes = new Date(Date.now() + 14 * 86400000).toISOString();
  const questions = [
    { kind: "rating", label: "Overall, how useful was the course?", required: true },
    { kind: "single_choice", label: "Which format suits you?", choices: ["Online", "In person"] },
    { kind: "text", label: "What should we change?" },
  ];
  for (const id of ids) {
    const put = await staffApi("PUT", `/api/activities/${id}/feedback`, { anonymous: true, closes_at: closes, questions });
    assert.equal(put.status, 200, JSON.stringify(put.body));
  }
  await setup.close();

  // Staff send the invitations from the page.
  const staff = await newContext(browser);
  const sp = await staff.newPage();
  await sp.goto(`${env.base}/login.html`);
  await settle(sp);
  await logIn(sp, env.staffEmail, env.staffPassword);
  await sp.waitForURL((u) => !u.pathname.endsWith("/login.html"));
  await sp.goto(`${env.base}/staff/activity.html?id=${first}`);
  await settle(sp);
  await sp.getByRole("link", { name: "Feedback form" }).click();
  await sp.waitForURL(/\/staff\/feedback\.html\?id=/);
  await sp.locator("#content:not([hidden])").waitFor();
  await settle(sp);
  await checkPage(sp, "feedback-staff-editor");
  const since = await lastMailId();
  await sp.getByRole("button", { name: "Send invitations" }).click();
  await sp.locator("#fb-invite-result").getByText("Invitations sent now: 1. Invited in all: 1.").waitFor();
  const mail = await waitForMail(person.email, /Your feedback/, { after: since });
  const link = new RegExp(`${env.base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/feedback/answer\\.html\\?activity=\\d+`).exec(mail.text);
  assert.ok(link, `the invitation links to the form:\n${mail.text}`);
  // Sending again sends none.
  await sp.getByRole("button", { name: "Send invitations" }).click();
  await sp.locator("#fb-invite-result").getByText("Invitations sent now: 0. Invited in all: 1.").waitFor();

  // The participant follows the link: the page shows the form.
  const context = await newContext(browser);
  allowApi(context, 422, "POST", /^\/api\/activities\/\d+\/feedback\/answers$/, "a required rating left out");
  const page = await context.newPage();
  await page.goto(`${env.base}/login.html`);
  await settle(page);
  await logIn(page, person.email, person.password);
  await page.waitForURL((u) => !u.pathname.endsWith("/login.html"));
  await page.goto(link[0]);
  const form = page.locator("#answer-form:not([hidden])");
  await form.waitFor();
  await settle(page);
  assert.match(await page.locator("#fb-anonymity").textContent(), /anonymous/);
  await checkPage(page, "feedback-answer-form");

  // Nothing rated: the error sits next to the question and in the summary.
  await page.getByLabel("What should we change?").fill("=More case studies from member cities");
  await page.getByRole("button", { name: "Send my answers" }).click();
  await page.locator(".error-summary").waitFor();
  await checkPage(page, "feedback-answer-errors", { shots: false });

  await page.getByRole("group", { name: /Overall, how useful/ }).getByLabel("4").check();
  await page.getByLabel("Online").check();
  await page.getByRole("button", { name: "Send my answers" }).click();
  await page.locator("#fb-result").getByText("Thank you: your answers are saved.").waitFor();
  await checkPage(page, "feedback-answer-thanks");

  // Coming back: answered already, no form.
  await page.reload();
  await page.locator("#fb-result").getByText("You have answered this form already. Thank you.").waitFor();
  assert.equal(await page.locator("#answer-form").isHidden(), true);
  await assertNoProblems(context);
  await context.close();

  // Staff read the results and compare the programme.
  await sp.reload();
  const results = sp.getByRole("region", { name: "Results" });
  await results.waitFor();
  await results.getByText("Mean: 4 out of 5").waitFor();
  assert.match(await results.textContent(), /=More case studies from member cities/);
  assert.match(await results.textContent(), /1 of 1 participants who attended have answered/);
  // Answered: the form is locked.
  assert.equal(await sp.locator("#fb-locked").isVisible(), true);
  assert.equal(await sp.locator("#fb-save").isDisabled(), true);
  await checkPage(sp, "feedback-staff-results");
  await sp.getByRole("button", { name: "Compare", exact: true }).click();
  const table = sp.getByRole("table", { name: /Mean ratings/ });
  await table.waitFor();
  assert.equal(await table.getByRole("columnheader").count(), 3);
  assert.match(await table.textContent(), /SDG Online Course: Water in Cities/);
  assert.match(await table.textContent(), /SDG Online Course: Urban Energy/);
  await checkPage(sp, "feedback-staff-compare");
  const csv = await staff.request.get(`${env.base}/api/activities/${first}/feedback/answers.csv`);
  assert.equal(csv.status(), 200);
  assert.match(await csv.text(), /"'=More case studies from member cities"/);
  assert.ok(second > first);
  await assertNoProblems(staff);
  await staff.close();
});
